"""The signing key: created outside the archive with mode 0600, refused when exposed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.environment import Environment
from civicrecords.errors import ConfigError, SigningKeyError


def test_init_puts_private_key_outside_with_mode_0600(archive: Archive, env: Environment) -> None:
    key = archive.private_key_path()
    assert not key.is_relative_to(archive.root)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE" not in b"".join(p.read_bytes() for p in archive.root.rglob("*")
                                       if p.is_file())
    assert archive.public_key_path.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_group_readable_key_is_refused(archive: Archive) -> None:
    archive.private_key_path().chmod(0o640)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        archive.private_key()


def test_key_that_does_not_match_the_archive_is_refused(archive: Archive, env: Environment,
                                                         tmp_path: Path) -> None:
    other = Archive.create(tmp_path / "other", env)
    other.private_key_path().replace(archive.private_key_path())
    with pytest.raises(SigningKeyError, match="does not match"):
        archive.private_key()


def test_init_refuses_a_non_empty_directory(tmp_path: Path, env: Environment) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(ConfigError, match="not empty"):
        Archive.create(tmp_path / "busy", env)


def test_key_file_inside_the_archive_is_refused(tmp_path: Path, env: Environment) -> None:
    with pytest.raises(ConfigError, match="outside the archive"):
        Archive.create(tmp_path / "a", env, key_file=tmp_path / "a" / "key.pem")
