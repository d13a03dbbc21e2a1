"""Integrity: hashing, signing, manifests and their chain, the audit log, and verification."""
