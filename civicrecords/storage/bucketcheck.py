"""Is the bucket fit to hold records? Versioning and Object Lock must both be on.

A bucket without Object Lock lets anyone with write access delete or overwrite the city's
records before their time; civicrecords refuses to store there unless told explicitly
(``[storage] allow_unlocked = true`` or ``--allow-unlocked``). ``create_locked_bucket``
makes a fit one (Object Lock can only be switched on when a bucket is created).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from civicrecords.errors import RefusedError
from civicrecords.storage.client import Bucket, error_code, translated


@dataclass(frozen=True)
class BucketCheck:
    """What the bucket reports about itself."""

    bucket: str
    prefix: str
    versioning: str
    object_lock: bool
    default_retention: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        """True when versioning is Enabled and Object Lock is enabled."""
        return self.versioning == "Enabled" and self.object_lock

    def problems(self) -> list[str]:
        """One line per missing protection."""
        out = []
        if self.versioning != "Enabled":
            out.append(f"versioning is {self.versioning or 'off'} (must be Enabled)")
        if not self.object_lock:
            out.append("Object Lock is not enabled (it can only be enabled when the bucket "
                       "is created, or on request for existing AWS buckets)")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"bucket": self.bucket, "prefix": self.prefix, "versioning": self.versioning,
                "object_lock": self.object_lock, "default_retention": self.default_retention,
                "ok": self.ok, "problems": self.problems()}


def check_bucket(bucket: Bucket) -> BucketCheck:
    """Ask the store for the bucket's versioning and Object Lock configuration
    (``StorageError`` when the bucket is missing or unreachable)."""
    with translated("check versioning of", bucket.name):
        versioning = bucket.client.get_bucket_versioning(Bucket=bucket.name).get("Status", "")
    lock_enabled = False
    default = None
    try:
        config = bucket.client.get_object_lock_configuration(Bucket=bucket.name)
        lock = config.get("ObjectLockConfiguration", {})
        lock_enabled = lock.get("ObjectLockEnabled") == "Enabled"
        default = lock.get("Rule", {}).get("DefaultRetention")
    except ClientError as exc:
        if error_code(exc) not in ("ObjectLockConfigurationNotFoundError",
                                   "ObjectLockConfigurationNotFound", "NotImplemented"):
            with translated("check Object Lock of", bucket.name):
                raise
    return BucketCheck(bucket=bucket.name, prefix=bucket.prefix, versioning=versioning,
                       object_lock=lock_enabled, default_retention=default)


def create_locked_bucket(bucket: Bucket) -> tuple[bool, BucketCheck]:
    """Create ``bucket`` with Object Lock and versioning enabled, in the client's region;
    return (whether it was created, its check). A bucket these credentials can already
    reach is left as it is and only checked; a name taken by someone else raises
    ``StorageError``. No default retention is set: every object carries its own."""
    client = bucket.client
    try:
        client.head_bucket(Bucket=bucket.name)
    except ClientError as exc:
        if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            with translated("look up", bucket.name):
                raise
    else:
        return False, check_bucket(bucket)
    options: dict[str, Any] = {"Bucket": bucket.name, "ObjectLockEnabledForBucket": True}
    region = client.meta.region_name
    if region and region != "us-east-1":  # AWS wants the region named, except this one
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with translated("create", bucket.name):
        client.create_bucket(**options)
        if client.get_bucket_versioning(Bucket=bucket.name).get("Status") != "Enabled":
            client.put_bucket_versioning(Bucket=bucket.name,
                                         VersioningConfiguration={"Status": "Enabled"})
    return True, check_bucket(bucket)


def require_locked(bucket: Bucket, *, allow_unlocked: bool) -> BucketCheck:
    """``check_bucket`` that raises ``RefusedError`` when the bucket is unprotected and
    ``allow_unlocked`` is false."""
    result = check_bucket(bucket)
    if not result.ok and not allow_unlocked:
        raise RefusedError(f"bucket {bucket.name}: " + "; ".join(result.problems())
                           + " — refusing to store records there (set [storage] "
                           "allow_unlocked = true to override)")
    return result
