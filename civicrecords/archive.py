"""An archive directory: where things are, its config and keys, its write lock.

``Archive.create`` makes a new archive (config with commented examples, directory layout,
signing key outside the archive with mode 0600, public key inside). ``Archive.open`` validates
an existing one. ``Archive.lock`` is the single writer lock: a second capture or rebuild on
the same archive fails at once with ``ArchiveLockedError`` instead of corrupting the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from civicrecords.config import CONFIG_NAME, Config, defaults_text, load_config
from civicrecords.environment import Environment
from civicrecords.errors import ArchiveLockedError, ConfigError, SigningKeyError
from civicrecords.integrity import signing
from civicrecords.integrity.audit import AUDIT_NAME, AuditLog

ARCHIVE_ENV = "CIVICRECORDS_ARCHIVE"

TEMPLATE_HEAD = """\
# civicrecords archive configuration.
# Lines starting with '#' are comments. Full reference: docs/configuration.md

[archive]
id = "{archive_id}"          # do not change: names this archive's signing key
name = "{name}"
timezone = "America/Chicago"  # dates on letters and deadlines use this zone

# [signing]
# key_file = "/etc/civicrecords/keys/{archive_id}.pem"   # default: {default_key}

# One [[accounts]] table per official account. Tokens are never written here: token_env
# names the environment variable that holds the token. docs/platforms.md has an example for
# every platform (facebook, instagram, x, youtube, bluesky, feed); Mastodon's is below.
#
# [[accounts]]
# name = "lakeside-mastodon"            # unique, used on the command line
# platform = "mastodon"                 # mastodon, facebook, instagram, x, youtube, bluesky, feed
# api_base = "https://mastodon.example"
# account_id = "109876543210"           # or handle = "@city@mastodon.example" (looked up)
# token_env = "LAKESIDE_MASTODON_TOKEN" # optional; needed for direct messages
# department = "Communications"
# designation = "official-city"         # official-city, department, elected-official
# approval = "Council resolution 2024-31"
# administrators = ["comms@lakeside.example"]
# capture_interval_hours = 24          # 'civicrecords status' flags the account when older
# full_sweep_hours = 168                # a full re-walk (finds removals) at least this often

"""


@dataclass
class Archive:
    """An opened archive: its root, validated config and environment."""

    root: Path
    config: Config
    env: Environment = field(repr=False)

    # ----- locations -------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def warcs_dir(self) -> Path:
        return self.root / "warcs"

    @property
    def manifests_dir(self) -> Path:
        return self.root / "manifests"

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def requests_dir(self) -> Path:
        return self.root / "requests"

    @property
    def public_key_path(self) -> Path:
        return self.root / signing.PUBLIC_KEY_NAME

    @property
    def audit(self) -> AuditLog:
        """The archive's hash-chained audit log."""
        return AuditLog(self.root / AUDIT_NAME, self.env)

    # ----- keys --------------------------------------------------------------------------
    def private_key_path(self) -> Path:
        """Where the private signing key is expected (config ``[signing] key_file`` wins)."""
        if self.config.signing.key_file:
            return Path(self.config.signing.key_file).expanduser()
        return default_key_path(self.env, self.config.archive.id)

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        """Load the signing key and check it matches the archive's public key."""
        key = signing.load_private_key(self.private_key_path())
        if signing.public_key_pem(key) != self.public_key_pem():
            raise SigningKeyError(
                f"signing key {self.private_key_path()} does not match {self.public_key_path}"
            )
        return key

    def public_key_pem(self) -> bytes:
        """The archive's public key (PEM)."""
        try:
            return self.public_key_path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{self.public_key_path}: public key missing") from None

    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The archive's public key, parsed."""
        return signing.load_public_key(self.public_key_pem())

    # ----- lifecycle ---------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, env: Environment, *, name: str = "City records archive",
               extra_config: str = "", key_file: Path | None = None) -> Archive:
        """Create a new archive at ``root`` (absent or empty) and its signing key (at
        ``key_file`` if given, recorded in the config; else the default location).

        Raises ``ConfigError`` when ``root`` already holds files, ``SigningKeyError`` when the
        key file already exists.
        """
        root = root.expanduser().resolve()
        if root.exists() and any(root.iterdir()):
            raise ConfigError(f"{root}: not empty; an archive needs a new or empty directory")
        archive_id = str(uuid.uuid4())
        key_path = (key_file.expanduser().resolve() if key_file
                    else default_key_path(env, archive_id))
        if key_path.is_relative_to(root):
            raise ConfigError(f"{key_path}: the private key must be outside the archive")
        if key_file is not None:
            extra_config = f'[signing]\nkey_file = "{key_path}"\n\n' + extra_config
        root.mkdir(parents=True, exist_ok=True)
        for sub in ("warcs", "manifests", "requests"):
            (root / sub).mkdir(exist_ok=True)
        key = signing.generate_private_key(key_path)
        (root / signing.PUBLIC_KEY_NAME).write_bytes(signing.public_key_pem(key))
        text = TEMPLATE_HEAD.format(archive_id=archive_id, name=name.replace('"', "'"),
                                    default_key=key_path) + extra_config + "\n" + defaults_text()
        (root / CONFIG_NAME).write_text(text, encoding="utf-8")
        archive = cls.open(root, env)
        archive.audit.record("archive.create", subject=archive_id, name=name,
                             key_fingerprint=signing.fingerprint(key))
        return archive

    @classmethod
    def open(cls, root: Path, env: Environment) -> Archive:
        """Open and validate the archive at ``root`` (``ConfigError`` if it is not one)."""
        root = root.expanduser().resolve()
        config_path = root / CONFIG_NAME
        if not config_path.exists():
            raise ConfigError(f"{root}: not a civicrecords archive (no {CONFIG_NAME})")
        return cls(root=root, config=load_config(config_path), env=env)

    @contextlib.contextmanager
    def lock(self, purpose: str) -> Iterator[None]:
        """Hold the archive's exclusive write lock for the duration of the block."""
        path = self.root / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                raise ArchiveLockedError(
                    f"archive {self.root} is busy ({holder}); try again when it finishes"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {purpose}".encode(), 0)
            yield
        finally:
            os.close(fd)


def default_key_path(env: Environment, archive_id: str) -> Path:
    """Default private key location: ``<user config dir>/keys/<archive id>.pem``."""
    return env.user_config_dir / "keys" / f"{archive_id}.pem"


def resolve_archive_root(explicit: Path | None, env: Environment) -> Path:
    """The archive chosen by ``--archive``, else ``$CIVICRECORDS_ARCHIVE``, else the current
    directory when it holds an archive; ``ConfigError`` otherwise."""
    if explicit is not None:
        return explicit
    if env.variables.get(ARCHIVE_ENV):
        return Path(env.variables[ARCHIVE_ENV])
    cwd = Path.cwd()
    if (cwd / CONFIG_NAME).exists():
        return cwd
    raise ConfigError(f"no archive given: use --archive DIR or set {ARCHIVE_ENV}")
