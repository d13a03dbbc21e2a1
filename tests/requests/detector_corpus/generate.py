"""Generate the PII detector corpus: one ``<category>.jsonl`` per category, beside this file.

The generators live beside this script, one module per detector family (``corpus_ssn``,
``corpus_identity``, ``corpus_financial``, ``corpus_contact``, ``corpus_address``,
``corpus_sentences``) with shared helpers in ``corpus_kit``. The hand-written held-out lines
live in ``holdout_lines.py`` and are written to
``holdout/<category>.jsonl`` (see that module for why they are kept apart).

Run from the repository root::

    .venv/bin/python tests/requests/detector_corpus/generate.py [OUTPUT_DIR]

The output is deterministic: every random choice comes from ``random.Random(SEED + n)`` with
a fixed per-category ``n``, files are written with sorted keys and ASCII escapes (so
zero-width and other invisible characters are visible in diffs as ``\\u200b``), and running
the script twice gives byte-identical files. Commit the script and its output together.

Each line is ``{"text": ..., "spans": [[start, end], ...], "note": ...}``: the expected
candidate spans *of that category* in ``text`` (empty for negatives), as offsets into the
original text including any zero-width characters inside the value. Texts are written as
comments residents post on a city's social media.

Labels never come from the detectors: this script does not import them. Numbers are built to
be valid or invalid by construction (its own Luhn, ABA and SSN rules); hand-written lines mark
expected spans inline with ``⟦`` and ``⟧`` (removed from the text). The labels follow the
rules documented in ``civicrecords/requests/detectors`` (e.g. a routing number with no
context word is a negative by design; 123-45-6789 is a positive), and notes starting with
``hard:`` mark lines that a reasonable reader would label this way but that the current rules
are known to get wrong, so the benchmark measures them honestly instead of hiding them.

Categories and what they cover: formats and separators, Unicode tricks (fullwidth digits,
zero-width characters and soft hyphens inside values, non-breaking and other Unicode spaces,
Unicode dashes, Arabic-Indic and mathematical digits), and near-misses (order, tracking and
case numbers, dates, times, ZIP+4, prices, version strings, phone-like IDs, Luhn failures,
invalid SSN groups, program listings that mention ages...).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the corpus_* modules live beside this script

from corpus_address import address_lines  # noqa: E402
from corpus_contact import email_lines, phone_lines  # noqa: E402
from corpus_financial import aba_lines, bank_lines, card_lines  # noqa: E402
from corpus_identity import dl_lines, dob_lines  # noqa: E402
from corpus_kit import Line, mark  # noqa: E402
from corpus_sentences import health_lines, minor_lines, personnel_lines  # noqa: E402
from corpus_ssn import ssn_lines  # noqa: E402
from holdout_lines import HOLDOUT  # noqa: E402

# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[], list[Line]]] = {
    "ssn": ssn_lines,
    "mn_dl": dl_lines,
    "card": card_lines,
    "aba_routing": aba_lines,
    "bank_account": bank_lines,
    "phone": phone_lines,
    "email": email_lines,
    "dob": dob_lines,
    "street_address": address_lines,
    "health": health_lines,
    "personnel": personnel_lines,
    "minor": minor_lines,
}


def write(path: Path, lines: list[Line]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=True, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    """Write the corpus to ``argv[0]`` if given (a test regenerates into a temp dir), else here."""
    out = Path(argv[0]) if argv else HERE
    (out / "holdout").mkdir(parents=True, exist_ok=True)
    for category, generate in GENERATORS.items():
        lines = generate()
        positives = sum(1 for line in lines if line["spans"])
        negatives = len(lines) - positives
        write(out / f"{category}.jsonl", lines)
        held = [mark(text, note) for text, note in HOLDOUT[category]]
        write(out / "holdout" / f"{category}.jsonl", held)
        held_pos = sum(1 for line in held if line["spans"])
        print(
            f"{category:15} {positives:4} positive {negatives:4} negative;"
            f" holdout {held_pos:3} positive {len(held) - held_pos:3} negative"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
