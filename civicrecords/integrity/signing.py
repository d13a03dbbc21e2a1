"""The archive's ECDSA P-256 signing key: creation, loading, signing, verification.

Signatures are DER-encoded ECDSA over SHA-256, stored as detached binary ``.sig`` files so a
recipient can check them with ``openssl dgst -sha256 -verify public-key.pem -signature F.sig F``.
The private key lives outside the archive with mode 0600; the archive holds the public key.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from civicrecords.errors import SigningKeyError

PUBLIC_KEY_NAME = "public-key.pem"


def generate_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Create a new P-256 key at ``path`` (PEM, PKCS#8, mode 0600, parents 0700).

    Refuses to overwrite an existing file (``SigningKeyError``).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SigningKeyError(f"signing key already exists: {path}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Load the private key; refuse one that is missing, not P-256, or readable by others."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"signing key not found: {path} (set [signing] key_file in civicrecords.toml "
            "or copy the key to this machine)"
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(f"signing key {path} is readable by others; run: chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"signing key {path} is not a readable PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SigningKeyError(f"signing key {path} is not an ECDSA P-256 key")
    return key


def public_key_pem(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The SubjectPublicKeyInfo PEM of a key (private keys give their public half)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> ec.EllipticCurvePublicKey:
    """Parse a PEM public key; raise ``SigningKeyError`` unless it is ECDSA P-256."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise SigningKeyError("public key is not a readable PEM public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SigningKeyError("public key is not an ECDSA P-256 key")
    return key


def fingerprint(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """``sha256:<hex>`` of the DER SubjectPublicKeyInfo: identifies the key in manifests."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """DER ECDSA-SHA256 signature over ``data``."""
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify_signature(public: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid ECDSA-SHA256 signature of ``data`` by ``public``."""
    try:
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
