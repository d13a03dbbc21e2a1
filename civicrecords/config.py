"""``civicrecords.toml`` as typed, validated configuration.

The archive's file is laid over the packaged ``defaults.toml`` (which holds every default
citation, classification rule and rate, so a city attorney can read and override each one in
the archive's own file). ``load_config`` guarantees a fully validated ``Config`` or a
``ConfigError`` whose one-line message names the file, line and key.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from civicrecords.config_storage import RetentionSection, StorageSection
from civicrecords.configschema import (
    NAME_PATTERN,
    Classification,
    Invalid,
    Kind,
    Platform,
    Source,
    load_section,
)
from civicrecords.errors import ConfigError

CONFIG_NAME = "civicrecords.toml"
CONFIG_SCHEMA_VERSION = 1

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ArchiveSection:
    """Identity of the archive and the public body that keeps it."""

    id: str
    name: str = "City records archive"
    timezone: str = "America/Chicago"
    schema_version: int = CONFIG_SCHEMA_VERSION

    def validate(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise Invalid("timezone", f"unknown time zone {self.timezone!r}") from None
        if self.schema_version > CONFIG_SCHEMA_VERSION:
            raise Invalid(
                "schema_version",
                f"written by a newer civicrecords (schema {self.schema_version}); upgrade",
            )


@dataclass(frozen=True)
class SigningSection:
    """Where the private signing key is (default: the user's config directory)."""

    key_file: str | None = None


@dataclass(frozen=True)
class CaptureSection:
    """HTTP behaviour of capture jobs."""

    user_agent: str = "civicrecords (public records archiving)"
    timeout_seconds: float = 30.0
    max_retries: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 120.0
    page_size: int = 40
    requests_ahead: int = 4
    recheck_days: int = 7
    warc_max_bytes: int = 1_000_000_000
    media_max_bytes: int = 4_000_000_000

    def validate(self) -> None:
        if self.timeout_seconds <= 0:
            raise Invalid("timeout_seconds", "must be greater than 0")
        if self.max_retries < 0:
            raise Invalid("max_retries", "must be 0 or more")
        if not 0 <= self.requests_ahead <= 16:
            raise Invalid("requests_ahead", "must be from 0 to 16")
        if self.warc_max_bytes < 1_000_000:
            raise Invalid("warc_max_bytes", "must be at least 1000000")


@dataclass(frozen=True)
class AccountConfig:
    """One official account to capture (``[[accounts]]``)."""

    name: str
    platform: Platform
    api_base: str
    account_id: str | None = None
    handle: str | None = None
    token_env: str | None = None
    department: str | None = None
    designation: Literal["official-city", "department", "elected-official"] = "official-city"
    approval: str | None = None
    administrators: list[str] = field(default_factory=list)
    media_max_bytes: int | None = None
    capture_interval_hours: int = 24
    full_sweep_hours: int = 168
    plc_directory: str = "https://plc.directory"  # bluesky: where did:plc documents live
    # x: the app's API access tier; decides how replies are found (basic: recent search, the
    # last 7 days; pro/enterprise: full-archive search; free: no reading at all)
    access_tier: Literal["free", "basic", "pro", "enterprise"] = "basic"
    # facebook/instagram: variable holding the Meta app secret; when set, every Graph request
    # carries appsecret_proof (required by apps with "Require App Secret" turned on)
    app_secret_env: str | None = None

    def validate(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise Invalid(
                "name", f"{self.name!r} must be lowercase letters, digits, '-' or '_'"
            )
        if not re.match(r"^https?://[^/\s]+", self.api_base):
            raise Invalid("api_base", f"{self.api_base!r} is not an http(s) URL")
        if self.platform != "feed" and not (self.account_id or self.handle):
            raise Invalid("", "needs account_id or handle")
        if self.token_env is not None and not _ENV_NAME.match(self.token_env):
            raise Invalid("token_env", f"{self.token_env!r} is not an environment variable name")
        if self.capture_interval_hours < 1:
            raise Invalid("capture_interval_hours", "must be at least 1")
        if self.full_sweep_hours < 1:
            raise Invalid("full_sweep_hours", "must be at least 1")
        if not re.match(r"^https?://[^/\s]+", self.plc_directory):
            raise Invalid("plc_directory", f"{self.plc_directory!r} is not an http(s) URL")
        if self.app_secret_env is not None and not _ENV_NAME.match(self.app_secret_env):
            raise Invalid("app_secret_env",
                          f"{self.app_secret_env!r} is not an environment variable name")


@dataclass(frozen=True)
class SearchSection:
    """Search backend selection, indexing memory, and what one query may cost."""

    backend: Literal["whoosh", "tantivy"] = "whoosh"
    index_memory_mb: int = 96
    max_query_chars: int = 1000
    max_query_terms: int = 64
    max_query_depth: int = 8
    max_wildcards: int = 4
    max_leading_wildcards: int = 1
    wildcard_min_chars: int = 2

    def validate(self) -> None:
        for name in ("index_memory_mb", "max_query_chars", "max_query_terms", "max_query_depth",
                     "max_wildcards", "wildcard_min_chars"):
            if getattr(self, name) < 1:
                raise Invalid(name, "must be at least 1")
        if self.max_leading_wildcards < 0:
            raise Invalid("max_leading_wildcards", "must be 0 or more")
        if self.max_query_depth > 50:
            raise Invalid("max_query_depth", "must be at most 50")


@dataclass(frozen=True)
class WebSection:
    """The browser view (``civicrecords serve``): where it listens, sign-in sessions, login
    throttling and the TLS reverse proxy in front of it."""

    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: float = 10.0
    idle_minutes: int = 60
    max_failed_logins: int = 10
    max_failed_logins_per_address: int = 50
    lockout_minutes: int = 15
    min_password_length: int = 12
    secure_cookies: bool = False
    trusted_proxies: list[str] = field(default_factory=list)
    results_per_page: int = 20

    def validate(self) -> None:
        if not 0 <= self.port <= 65535:
            raise Invalid("port", "must be between 0 and 65535")
        if self.session_hours <= 0:
            raise Invalid("session_hours", "must be greater than 0")
        for name in ("idle_minutes", "max_failed_logins", "max_failed_logins_per_address",
                     "lockout_minutes"):
            if getattr(self, name) < 1:
                raise Invalid(name, "must be at least 1")
        if self.min_password_length < 8:
            raise Invalid("min_password_length", "must be at least 8")
        if not 1 <= self.results_per_page <= 200:
            raise Invalid("results_per_page", "must be between 1 and 200")


@dataclass(frozen=True)
class RequestsSection:
    """Data request defaults: targets, deadlines and who answers."""

    public_target_days: int = 10
    subject_days: int = 10
    responsible_authority: str = "Responsible Authority"
    contact: str = ""
    public_basis: str = "Minn. Stat. § 13.03"
    subject_basis: str = "Minn. Stat. § 13.04, subd. 3"
    challenge_basis: str = "Minn. Stat. § 13.04, subd. 4"
    subject_repeat_months: int = 6

    def validate(self) -> None:
        for key in ("public_target_days", "subject_days"):
            if getattr(self, key) < 1:
                raise Invalid(key, "must be at least 1 business day")
        if self.subject_repeat_months < 0:
            raise Invalid("subject_repeat_months", "must be 0 or more")


def _amount(key: str, value: str) -> None:
    """Raise ``Invalid`` unless ``value`` is a decimal amount of money >= 0 (e.g. "0.25")."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise Invalid(key, f"{value!r} is not an amount like \"0.25\"") from None
    if not amount.is_finite() or amount < 0:
        raise Invalid(key, f"{value!r} must be an amount of 0 or more")


@dataclass(frozen=True)
class FeesSection:
    """Copy and search fees: rates (decimal strings), their source, the citation printed for
    each fee rule (see ``civicrecords.requests.fees``) and the optional waiver threshold."""

    staff_hourly_rate: str = "30.00"
    copy_hourly_rate: str = "20.00"
    rate_source: str = "civicrecords default rates (replace with the city's adopted fee schedule)"
    per_page: str = "0.25"
    per_page_two_sided: str = "0.50"
    paper_page_limit: int = 100
    waiver_threshold: str = ""
    characters_per_page: int = 3000
    media_unit_cost: dict[str, str] = field(default_factory=dict)
    citations: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        for key in ("staff_hourly_rate", "copy_hourly_rate", "per_page", "per_page_two_sided"):
            _amount(key, getattr(self, key))
        if self.waiver_threshold:
            _amount("waiver_threshold", self.waiver_threshold)
        for kind, value in self.media_unit_cost.items():
            _amount(f"media_unit_cost.{kind}", value)
        if self.paper_page_limit < 0:
            raise Invalid("paper_page_limit", "must be 0 or more")
        if self.characters_per_page < 100:
            raise Invalid("characters_per_page", "must be at least 100")
        if not self.rate_source.strip():
            raise Invalid("rate_source", "must say where the rates come from")


@dataclass(frozen=True)
class CalendarSection:
    """Business-day options (Minn. Stat. 645.44 holidays are always observed)."""

    columbus_day: bool = False
    day_after_thanksgiving: bool = False
    extra_closures: list[date] = field(default_factory=list)


@dataclass(frozen=True)
class PIICategoryConfig:
    """How one PII detector category is treated in responses."""

    basis: str
    auto_redact: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class RedactionSection:
    """Legal basis per PII category, and the withheld-item text."""

    categories: dict[str, PIICategoryConfig] = field(default_factory=dict)
    placeholder: str = "[REDACTED – {basis}]"
    review_images: Literal["all", "contributed", "none"] = "contributed"
    image_basis: str = "Minn. Stat. § 13.02, subd. 12"


@dataclass(frozen=True)
class ClassificationRule:
    """Assign a classification to items matching every given condition (first match wins)."""

    name: str
    classification: Classification
    basis: str = ""
    review: bool = False
    kind: list[Kind] = field(default_factory=list)
    platform: list[Platform] = field(default_factory=list)
    account: list[str] = field(default_factory=list)
    designation: list[str] = field(default_factory=list)
    visibility: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClassificationSection:
    """Classification rules and the default for items no rule matches."""

    default: Classification = "public"
    default_basis: str = "Minn. Stat. § 13.03, subd. 1"
    rules: list[ClassificationRule] = field(default_factory=list)


@dataclass(frozen=True)
class ModerationClause:
    """One clause of the city's comment policy under which staff may hide or delete."""

    name: str
    text: str


@dataclass(frozen=True)
class ModerationSection:
    """The comment policy's removal clauses (every moderation action must cite one)."""

    policy: str = "City social media policy"
    clauses: list[ModerationClause] = field(default_factory=list)

    def validate(self) -> None:
        names = [c.name for c in self.clauses]
        if len(set(names)) != len(names):
            raise Invalid("clauses", "clause names must be unique")


@dataclass(frozen=True)
class ListenSection:
    """The Meta webhook receiver (``civicrecords listen``): where it listens, where the app
    secret and verify token come from, and which accounts' notifications it captures."""

    host: str = "127.0.0.1"
    port: int = 8787
    path: str = "/webhooks/meta"
    app_secret_env: str = "META_APP_SECRET"
    verify_token_env: str = "META_VERIFY_TOKEN"
    accounts: list[str] = field(default_factory=list)  # empty: every facebook/instagram account
    max_body_bytes: int = 1_000_000
    retry_seconds: float = 5.0

    def validate(self) -> None:
        if not 0 <= self.port <= 65535:
            raise Invalid("port", "must be between 0 and 65535")
        if not self.path.startswith("/") or "?" in self.path:
            raise Invalid("path", f"{self.path!r} must be a path starting with '/'")
        for name in ("app_secret_env", "verify_token_env"):
            if not _ENV_NAME.match(getattr(self, name)):
                raise Invalid(name, f"{getattr(self, name)!r} is not an environment variable "
                              "name")
        if self.max_body_bytes < 1024:
            raise Invalid("max_body_bytes", "must be at least 1024")
        if self.retry_seconds <= 0:
            raise Invalid("retry_seconds", "must be greater than 0")


PRIVILEGE_LOG_FIELDS: tuple[str, ...] = (
    "bates", "date", "type", "author", "recipients", "description", "privilege", "basis",
    "action", "ref")
CERTIFICATION_FIELDS: tuple[str, ...] = (
    "signatory_name", "signatory_title", "organization", "matter", "volume", "begin_bates",
    "end_bates", "documents", "pages", "custody_sha256", "key_fingerprint", "software", "date")


@dataclass(frozen=True)
class DiscoverySection:
    """Discovery productions: Bates numbers, load-file delimiters, legends, the privilege
    log and the hash certification counsel adapts (Fed. R. Evid. 902(14) style)."""

    bates_width: int = 7
    dat_separator: str = "\x14"
    dat_qualifier: str = "\u00fe"
    dat_newline: str = "\u00ae"
    dat_encoding: Literal["utf-8-bom", "cp1252"] = "utf-8-bom"
    edrm_xml: bool = False
    images: Literal["item", "thread"] = "item"
    folder_size: int = 1000
    date_format: str = "%Y-%m-%dT%H:%M:%SZ"
    custodian: str = ""
    privilege_log_fields: list[str] = field(default_factory=lambda: list(
        PRIVILEGE_LOG_FIELDS[:8]))
    withheld_claim: str = "Not public data withheld"
    redacted_claim: str = "Not public data redacted"
    certification_title: str = "Certification of records generated by an electronic process"
    certification_text: str = ""
    signatory_name: str = "[NAME OF QUALIFIED PERSON]"
    signatory_title: str = "[TITLE]"

    def validate(self) -> None:
        if not 1 <= self.bates_width <= 12:
            raise Invalid("bates_width", "must be between 1 and 12")
        delimiters = {"dat_separator": self.dat_separator, "dat_qualifier": self.dat_qualifier,
                      "dat_newline": self.dat_newline}
        for key, value in delimiters.items():
            if len(value) != 1:
                raise Invalid(key, f"must be exactly one character, not {value!r}")
            if self.dat_encoding == "cp1252":
                try:
                    value.encode("cp1252")
                except UnicodeEncodeError:
                    raise Invalid(key, f"{value!r} cannot be written in cp1252") from None
            if value in "\r\n" or (value.isascii() and value.isalnum()) or value == " ":
                raise Invalid(key, f"{value!r} cannot be a delimiter")
        if len(set(delimiters.values())) != 3:
            raise Invalid("dat_separator", "separator, qualifier and newline must differ")
        if self.folder_size < 1:
            raise Invalid("folder_size", "must be at least 1")
        unknown = [f for f in self.privilege_log_fields if f not in PRIVILEGE_LOG_FIELDS]
        if unknown or not self.privilege_log_fields:
            raise Invalid("privilege_log_fields", f"unknown or empty: {unknown}; choose from "
                          f"{', '.join(PRIVILEGE_LOG_FIELDS)}")
        try:
            self.certification_text.format(**dict.fromkeys(CERTIFICATION_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise Invalid("certification_text", f"unknown or malformed placeholder {exc}; "
                          f"use {', '.join('{' + f + '}' for f in CERTIFICATION_FIELDS)}"
                          ) from None


@dataclass(frozen=True)
class Config:
    """The whole validated configuration of one archive."""

    archive: ArchiveSection
    signing: SigningSection = field(default_factory=SigningSection)
    capture: CaptureSection = field(default_factory=CaptureSection)
    accounts: list[AccountConfig] = field(default_factory=list)
    search: SearchSection = field(default_factory=SearchSection)
    web: WebSection = field(default_factory=WebSection)
    requests: RequestsSection = field(default_factory=RequestsSection)
    fees: FeesSection = field(default_factory=FeesSection)
    calendar: CalendarSection = field(default_factory=CalendarSection)
    redaction: RedactionSection = field(default_factory=RedactionSection)
    classification: ClassificationSection = field(default_factory=ClassificationSection)
    moderation: ModerationSection = field(default_factory=ModerationSection)
    discovery: DiscoverySection = field(default_factory=DiscoverySection)
    storage: StorageSection = field(default_factory=StorageSection)
    retention: RetentionSection = field(default_factory=RetentionSection)
    listen: ListenSection = field(default_factory=ListenSection)

    def account(self, name: str) -> AccountConfig:
        """The account called ``name``; ``ConfigError`` listing the known names otherwise."""
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none configured"
        raise ConfigError(f"no account named {name!r} (known: {known})")


def defaults_text() -> str:
    """The packaged ``defaults.toml`` text (commented, citations included)."""
    return resources.files("civicrecords").joinpath("defaults.toml").read_text("utf-8")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML ``text`` (the archive's file, shown as ``path`` in errors)."""
    source = Source(path=path, text=text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    defaults = tomllib.loads(defaults_text())
    config = load_section(Config, _merge(defaults, data), (), source)
    names: set[str] = set()
    for index, account in enumerate(config.accounts):
        if account.name in names:
            raise source.error(("accounts", index, "name"), f"{account.name!r} is used twice")
        names.add(account.name)
    return config


def load_config(path: Path) -> Config:
    """Read and validate the config file at ``path`` (see ``parse_config``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found (create an archive with 'civicrecords init')") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)
