"""The ``[storage]`` and ``[retention]`` sections: where records are kept off-site, under
which Object Lock, and for how long (validated like every section, by ``configschema``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from civicrecords.configschema import NAME_PATTERN, Invalid, Kind, Platform


@dataclass(frozen=True)
class StorageSection:
    """Off-site copy on an S3-compatible object store with Object Lock (``[storage]``).

    Credentials never come from here: boto3's standard chain (environment, ``profile``,
    instance role) supplies them.
    """

    kind: Literal["none", "s3"] = "none"
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str = ""
    region: str = ""
    profile: str = ""
    addressing_style: Literal["path", "virtual"] = "virtual"
    lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    permanent_lock_years: int = 10
    allow_unlocked: bool = False
    request_checksum_calculation: Literal["when_supported", "when_required"] = "when_supported"
    response_checksum_validation: Literal["when_supported", "when_required"] = "when_supported"
    multipart_threshold_mb: int = 64
    part_size_mb: int = 16
    upload_threads: int = 4
    max_upload_mb_per_second: float = 0.0
    upload_after_capture: bool = True
    prune: Literal["never", "after-upload"] = "never"
    keep_local_days: int = 30

    @property
    def enabled(self) -> bool:
        """True when an object store is configured."""
        return self.kind == "s3"

    def validate(self) -> None:
        if self.kind == "s3" and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", self.bucket):
            raise Invalid("bucket", f"{self.bucket!r} is not an S3 bucket name")
        if self.prefix.startswith("/") or ".." in self.prefix.split("/"):
            raise Invalid("prefix", "must be relative, without '..'")
        if self.endpoint_url and not re.match(r"^https?://[^/\s]+", self.endpoint_url):
            raise Invalid("endpoint_url", f"{self.endpoint_url!r} is not an http(s) URL")
        if self.part_size_mb < 5 or self.multipart_threshold_mb < self.part_size_mb:
            raise Invalid("part_size_mb", "parts must be at least 5 MB and no larger than "
                          "multipart_threshold_mb")
        if not 1 <= self.upload_threads <= 32:
            raise Invalid("upload_threads", "must be between 1 and 32")
        if self.permanent_lock_years < 1 or self.keep_local_days < 0:
            raise Invalid("permanent_lock_years", "must be at least 1 (keep_local_days >= 0)")
        if self.max_upload_mb_per_second < 0:
            raise Invalid("max_upload_mb_per_second", "must be 0 (unlimited) or more")


RetentionTrigger = Literal["captured", "created", "thread-activity"]


@dataclass(frozen=True)
class RetentionSeries:
    """One record series of the retention schedule: how long its records are kept."""

    name: str
    title: str
    retain_years: int = 0
    permanent: bool = False
    trigger: RetentionTrigger = "created"
    code: str = ""
    authority: str = ""
    lock_mode: Literal["", "COMPLIANCE", "GOVERNANCE"] = ""

    def validate(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise Invalid("name", f"{self.name!r} must be lowercase letters, digits, '-' or '_'")
        if self.retain_years < 0:
            raise Invalid("retain_years", "must be 0 or more")


@dataclass(frozen=True)
class RetentionRule:
    """Assign items matching every given condition to ``series`` (first match wins)."""

    series: str
    account: list[str] = field(default_factory=list)
    kind: list[Kind] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    platform: list[Platform] = field(default_factory=list)


@dataclass(frozen=True)
class RetentionSection:
    """The retention schedule: record series, assignment rules, the default series."""

    default_series: str = "correspondence-general"
    authority: str = "Minn. Stat. §§ 15.17, 138.17"
    series: list[RetentionSeries] = field(default_factory=list)
    rules: list[RetentionRule] = field(default_factory=list)

    def validate(self) -> None:
        names = [s.name for s in self.series]
        if len(set(names)) != len(names):
            raise Invalid("series", "series names must be unique")
        if names and self.default_series not in names:
            raise Invalid("default_series", f"{self.default_series!r} is not a series")
        for rule in self.rules:
            if rule.series not in names:
                raise Invalid("rules", f"rule names unknown series {rule.series!r}")

    def get(self, name: str) -> RetentionSeries:
        """The series called ``name`` (``KeyError`` if absent)."""
        for series in self.series:
            if series.name == name:
                return series
        raise KeyError(name)
