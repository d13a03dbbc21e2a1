"""Benchmark the offline PII detectors: precision/recall per category, and speed.

Run from the repository root::

    .venv/bin/python bench/detectors.py

Prints a table and writes ``bench/results/detectors.json``. Figures:

* **corpus**: TP/FP/FN, precision and recall per category over
  ``tests/requests/detector_corpus/<category>.jsonl`` (written alongside the rules, so an
  upper bound);
* **holdout**: the same over ``detector_corpus/holdout/`` (written after the rules were frozen;
  small, but a fairer estimate of behaviour on unseen phrasing);
* **aba_routing_without_context**: the routing trade-off. The shipped rule needs a context
  word; this scores it and a checksum-only variant against the corpus *plus* the bare routing
  numbers it lists as negatives by design, and counts how many of the other 9-digit numbers
  in the whole corpus (SSNs, order, case and account numbers) each rule would flag;
* **speed**: per-comment latency (median and p95 of ``detect`` on 300-character comments) and
  throughput in characters per second on one large synthetic text (the whole corpus, shuffled,
  joined by newlines, repeated to about 1.4 million characters).
"""

from __future__ import annotations

import json
import platform
import random
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

from civicrecords.requests.detectors import CATEGORIES, detect
from civicrecords.requests.detectors.evaluation import (
    CorpusLine,
    Score,
    evaluate,
    load_corpus,
    score_spans,
)
from civicrecords.requests.detectors.financial import aba_valid
from civicrecords.requests.detectors.normalization import Document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "requests" / "detector_corpus"
RESULTS = ROOT / "bench" / "results" / "detectors.json"
BARE_ROUTING_NOTE = "bare routing number"
NINE_DIGITS = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")


def _row(score: Score) -> dict[str, float | int]:
    return {
        "tp": score.tp,
        "fp": score.fp,
        "fn": score.fn,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
    }


def _table(title: str, scores: dict[str, Score]) -> None:
    print(f"\n{title}")
    print(f"{'category':16}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>9}")
    for name in CATEGORIES:
        s = scores[name]
        print(f"{name:16}{s.tp:6}{s.fp:6}{s.fn:6}{s.precision:11.3f}{s.recall:9.3f}")


def _checksum_only(text: str) -> list[tuple[int, int]]:
    """The rejected alternative: any standalone 9-digit number passing the ABA check."""
    doc = Document(text)
    return [doc.to_original(*m.span()) for m in NINE_DIGITS.finditer(doc.text) if aba_valid(m[0])]


def _aba_tradeoff(lines: list[CorpusLine]) -> dict[str, dict[str, float | int]]:
    """Score both routing rules with bare routing numbers counted as true routing numbers."""
    shipped, variant = Score(), Score()
    for line in lines:
        expected = list(line.spans)
        if line.note.startswith(BARE_ROUTING_NOTE):
            expected += _checksum_only(line.text)
        found = [(c.start, c.end) for c in detect(line.text, ["aba_routing"])]
        score_spans(found, expected, shipped)
        score_spans(_checksum_only(line.text), expected, variant)
    return {"context_required (shipped)": _row(shipped), "checksum_only": _row(variant)}


def _nine_digit_pool(lines: list[CorpusLine]) -> dict[str, float | int]:
    """How many 9-digit numbers that are *not* routing numbers (SSNs, order, case, account
    numbers across the whole corpus) each rule would flag."""
    pool = flagged_shipped = flagged_variant = 0
    for line in lines:
        if line.category == "aba_routing" and (
            line.spans or line.note.startswith(BARE_ROUTING_NOTE)
        ):
            continue
        if "routing" in line.note:  # e.g. bank_account lines that hold a real routing number
            continue
        doc = Document(line.text)
        shipped = [(c.start, c.end) for c in detect(line.text, ["aba_routing"])]
        for match in NINE_DIGITS.finditer(doc.text):
            start, end = doc.to_original(*match.span())
            pool += 1
            flagged_variant += aba_valid(match[0])
            flagged_shipped += any(a < end and start < b for a, b in shipped)
    return {
        "non_routing_9_digit_numbers": pool,
        "flagged_by_context_required": flagged_shipped,
        "flagged_by_checksum_only": flagged_variant,
        "checksum_only_false_positive_rate": round(flagged_variant / pool, 4) if pool else 0.0,
    }


def _latency(lines: list[CorpusLine]) -> dict[str, float]:
    comments = [(line.text + " ") * (300 // (len(line.text) + 1) + 1) for line in lines]
    comments = [c[:300] for c in comments]
    for comment in comments[:50]:
        detect(comment)
    timings = []
    for comment in comments:
        start = time.perf_counter()
        detect(comment)
        timings.append(time.perf_counter() - start)
    timings.sort()
    return {
        "comments": len(comments),
        "chars_each": 300,
        "median_us": round(timings[len(timings) // 2] * 1e6, 1),
        "p95_us": round(timings[int(len(timings) * 0.95)] * 1e6, 1),
        "max_us": round(timings[-1] * 1e6, 1),
    }


def _throughput(lines: list[CorpusLine]) -> dict[str, float | int]:
    texts = [line.text for line in lines]
    random.Random(42).shuffle(texts)
    base = "\n".join(texts)
    big = base * max(1, 1_400_000 // len(base))
    start = time.perf_counter()
    found = detect(big)
    seconds = time.perf_counter() - start
    return {
        "chars": len(big),
        "seconds": round(seconds, 3),
        "chars_per_second": round(len(big) / seconds),
        "candidates": len(found),
    }


def main() -> int:
    lines = load_corpus(CORPUS)
    holdout = load_corpus(CORPUS / "holdout")
    corpus_scores = evaluate(lines)
    holdout_scores = evaluate(holdout)
    _table("Corpus (written alongside the rules: an upper bound)", corpus_scores)
    _table("Holdout (written after the rules were frozen)", holdout_scores)

    tradeoff: dict[str, object] = dict(
        _aba_tradeoff([line for line in lines if line.category == "aba_routing"])
    )
    print("\nRouting numbers, counting bare routing numbers as true positives:")
    for rule in ("context_required (shipped)", "checksum_only"):
        row = tradeoff[rule]
        assert isinstance(row, dict)
        print(f"  {rule:28} P={row['precision']:.3f} R={row['recall']:.3f} FP={row['fp']}")
    pool = _nine_digit_pool(lines)
    tradeoff["other_9_digit_numbers_in_corpus"] = pool
    print(
        f"  other 9-digit numbers in the whole corpus: {pool['non_routing_9_digit_numbers']};"
        f" checksum-only flags {pool['flagged_by_checksum_only']}"
        f" ({pool['checksum_only_false_positive_rate']:.1%}), the shipped rule"
        f" {pool['flagged_by_context_required']}"
    )

    sample = random.Random(7).sample(lines, 1000)
    latency = _latency(sample)
    throughput = _throughput(lines)
    print(
        f"\nLatency on {latency['comments']} comments of 300 chars: median "
        f"{latency['median_us']} us, p95 {latency['p95_us']} us, max {latency['max_us']} us"
    )
    print(
        f"Throughput: {throughput['chars']:,} chars in {throughput['seconds']} s = "
        f"{throughput['chars_per_second']:,} chars/s ({throughput['candidates']} candidates)"
    )

    results = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "phonenumbers": version("phonenumbers"),
        "corpus": {name: _row(corpus_scores[name]) for name in CATEGORIES},
        "holdout": {name: _row(holdout_scores[name]) for name in CATEGORIES},
        "aba_routing_without_context": tradeoff,
        "latency": latency,
        "throughput": throughput,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
