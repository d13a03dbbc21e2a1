"""Signed BagIt 1.0 bags: how every bundle and production is packaged and checked.

``finish_bag`` turns a directory whose ``data/`` holds the payload into a complete bag:
SHA-256 and SHA-512 payload manifests, ``bag-info.txt`` with Payload-Oxum, the given tag files
(README, public key), tag manifests, and a detached ECDSA signature over
``tagmanifest-sha256.txt``. A recipient checks it with ``verify_bag`` (``civicrecords bundle
verify``) or with ``sha256sum -c`` and ``openssl dgst -verify`` as the README explains.
Written by us, not bagit-python: no ``chdir``, nothing moved in place; bagit-python validates
our bags in the tests.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from cryptography.hazmat.primitives.asymmetric import ec

from civicrecords.errors import Problem, SigningKeyError
from civicrecords.integrity import signing
from civicrecords.integrity.hashing import CHUNK

ALGORITHMS = ("sha256", "sha512")
SIGNATURE_NAME = "tagmanifest-sha256.txt.sig"
PUBLIC_KEY_NAME = "public-key.pem"
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def _digests(path: Path) -> dict[str, str]:
    hashers = {name: hashlib.new(name) for name in ALGORITHMS}
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def _encode_path(relative: str) -> str:
    """BagIt manifest path encoding (CR, LF and % are percent-encoded)."""
    return relative.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode_path(encoded: str) -> str:
    return encoded.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _payload_files(bag: Path) -> list[Path]:
    return sorted(p for p in (bag / "data").rglob("*") if p.is_file())


@dataclass(frozen=True)
class BagSummary:
    """What ``finish_bag`` wrote."""

    path: Path
    files: int
    octets: int
    tagmanifest_sha256: str


def finish_bag(bag: Path, *, info: dict[str, str], tag_files: dict[str, bytes],
               key: ec.EllipticCurvePrivateKey, created: datetime) -> BagSummary:
    """Complete the bag at ``bag`` (payload already under ``bag/data``), sign it, return a
    summary. ``info`` adds bag-info.txt fields; ``tag_files`` are extra root files."""
    lines: dict[str, list[str]] = {name: [] for name in ALGORITHMS}
    octets = 0
    files = _payload_files(bag)
    for path in files:
        relative = path.relative_to(bag).as_posix()
        digests = _digests(path)
        octets += path.stat().st_size
        for name in ALGORITHMS:
            lines[name].append(f"{digests[name]}  {_encode_path(relative)}\n")
    (bag / "bagit.txt").write_bytes(BAGIT_TXT)
    fields = {
        "Bag-Software-Agent": info.pop("Bag-Software-Agent", "civicrecords"),
        "Bagging-Date": created.date().isoformat(),
        **info,
        "Payload-Oxum": f"{octets}.{len(files)}",
    }
    (bag / "bag-info.txt").write_text(
        "".join(f"{k}: {' '.join(str(v).split())}\n" for k, v in fields.items()), "utf-8")
    for name in ALGORITHMS:
        (bag / f"manifest-{name}.txt").write_text("".join(lines[name]), "utf-8")
    tag_files = {**tag_files, PUBLIC_KEY_NAME: signing.public_key_pem(key)}
    for name, data in tag_files.items():
        (bag / name).write_bytes(data)
    tag_names = ["bagit.txt", "bag-info.txt", *(f"manifest-{n}.txt" for n in ALGORITHMS),
                 *sorted(tag_files)]
    for name in ALGORITHMS:
        body = "".join(f"{_digests(bag / t)[name]}  {t}\n" for t in tag_names)
        (bag / f"tagmanifest-{name}.txt").write_text(body, "utf-8")
    tagmanifest = (bag / "tagmanifest-sha256.txt").read_bytes()
    (bag / SIGNATURE_NAME).write_bytes(signing.sign(key, tagmanifest))
    return BagSummary(path=bag, files=len(files), octets=octets,
                      tagmanifest_sha256=hashlib.sha256(tagmanifest).hexdigest())


@dataclass
class BagReport:
    """Outcome of ``verify_bag``."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    key_fingerprint: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_manifest(bag: Path, name: str, report: BagReport) -> dict[str, str]:
    entries: dict[str, str] = {}
    path = bag / name
    if not path.exists():
        report.problems.append(Problem("missing", "manifest is missing", path=name))
        return entries
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, encoded = line.partition(" ")
        relative = _decode_path(encoded.strip())
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not relative:
            report.problems.append(Problem("unsafe-path", f"line {number} names a path outside "
                                           "the bag", path=name, actual=relative))
            continue
        entries[relative] = digest.lower()
    return entries


def verify_bag(bag: Path, *, trusted_key: bytes | None = None,
               progress: Callable[[str], None] | None = None) -> BagReport:
    """Check a bag completely: bagit.txt, every payload file in both manifests and no extra
    ones, every hash, Payload-Oxum, tag manifests, and the signature (against ``trusted_key``
    when given, else the bag's own public key — which proves integrity, not origin)."""
    report = BagReport()
    if not (bag / "bagit.txt").exists():
        report.problems.append(Problem("missing", "not a BagIt bag (no bagit.txt)",
                                       path="bagit.txt"))
        return report
    on_disk = {p.relative_to(bag).as_posix() for p in _payload_files(bag)} if (
        bag / "data").exists() else set()
    for name in ALGORITHMS:
        manifest = _read_manifest(bag, f"manifest-{name}.txt", report)
        for relative in sorted(set(manifest) - on_disk):
            report.problems.append(Problem("missing", "payload file is missing", path=relative))
        for relative in sorted(on_disk - set(manifest)):
            report.problems.append(Problem("unlisted", f"payload file is not in manifest-{name}",
                                           path=relative))
        for relative in sorted(set(manifest) & on_disk):
            if progress:
                progress(relative)
            actual = _digests(bag / relative)[name]
            if actual != manifest[relative]:
                report.problems.append(Problem("altered", f"{name} differs from the manifest",
                                               path=relative, expected=manifest[relative],
                                               actual=actual))
    report.files = len(on_disk)
    _check_oxum(bag, on_disk, report)
    for name in ALGORITHMS:
        tags = _read_manifest(bag, f"tagmanifest-{name}.txt", report)
        for relative, expected in sorted(tags.items()):
            path = bag / relative
            if not path.exists():
                report.problems.append(Problem("missing", f"lists a tag file that is missing: "
                                               f"{relative}", path=f"tagmanifest-{name}.txt",
                                               actual=relative))
            elif _digests(path)[name] != expected:
                report.problems.append(Problem("altered", f"{name} differs from "
                                               f"tagmanifest-{name}.txt", path=relative,
                                               expected=expected, actual=_digests(path)[name]))
    _check_signature(bag, trusted_key, report)
    return report


def _check_oxum(bag: Path, on_disk: set[str], report: BagReport) -> None:
    info = bag / "bag-info.txt"
    if not info.exists():
        report.problems.append(Problem("missing", "bag-info.txt is missing", path="bag-info.txt"))
        return
    for line in info.read_text("utf-8").splitlines():
        if line.startswith("Payload-Oxum:"):
            expected = line.split(":", 1)[1].strip()
            octets = sum((bag / r).stat().st_size for r in on_disk)
            actual = f"{octets}.{len(on_disk)}"
            if actual != expected:
                report.problems.append(Problem("oxum", "Payload-Oxum does not match the payload",
                                               path="bag-info.txt", expected=expected,
                                               actual=actual))


def _check_signature(bag: Path, trusted_key: bytes | None, report: BagReport) -> None:
    signature = bag / SIGNATURE_NAME
    tagmanifest = bag / "tagmanifest-sha256.txt"
    if not signature.exists():
        report.problems.append(Problem("unsigned", "signature is missing", path=SIGNATURE_NAME))
        return
    key_pem = trusted_key
    if key_pem is None:
        key_file = bag / PUBLIC_KEY_NAME
        if not key_file.exists():
            report.problems.append(Problem("missing", "public key is missing",
                                           path=PUBLIC_KEY_NAME))
            return
        key_pem = key_file.read_bytes()
    try:
        public = signing.load_public_key(key_pem)
    except SigningKeyError as exc:
        report.problems.append(Problem("bad-key", exc.message, path=PUBLIC_KEY_NAME))
        return
    report.key_fingerprint = signing.fingerprint(public)
    if not tagmanifest.exists() or not signing.verify_signature(
            public, tagmanifest.read_bytes(), signature.read_bytes()):
        report.problems.append(Problem("bad-signature", "signature over tagmanifest-sha256.txt "
                                       "does not verify", path=SIGNATURE_NAME))


def staging_dir(target: Path) -> Path:
    """A fresh sibling directory to build ``target`` in, renamed into place when done."""
    staging = target.with_name(f".{target.name}.partial-{os.getpid()}")
    staging.mkdir(parents=True)
    return staging
