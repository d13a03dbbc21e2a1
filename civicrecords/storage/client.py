"""The S3 connection: a bucket and key prefix, reached through boto3's standard AWS chain.

``connect(storage, env)`` builds the client from ``[storage]`` and the environment only:
credentials come from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``,
a profile (``[storage] profile`` or ``AWS_PROFILE``) or the instance role — never from the
config file. ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL`` are honoured when ``endpoint_url``
is empty, ``AWS_REGION``/``AWS_DEFAULT_REGION`` when ``region`` is. Every botocore failure is
turned into a ``StorageError`` naming the bucket, key and S3 error code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from civicrecords.config_storage import StorageSection
from civicrecords.environment import Environment
from civicrecords.errors import CivicRecordsError, UsageError

NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}


class StorageError(CivicRecordsError):
    """The object store refused or failed a request (the message names bucket, key, code)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def error_code(exc: BaseException) -> str:
    """The S3 error code of a botocore exception ('' for network errors)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


@contextlib.contextmanager
def translated(action: str, bucket: str, key: str = "") -> Iterator[None]:
    """Turn botocore exceptions raised in the block into ``StorageError``."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message") or code
        where = f"s3://{bucket}/{key}" if key else f"s3://{bucket}"
        raise StorageError(f"{action} {where}: {code}: {message}", code=code) from None
    except BotoCoreError as exc:
        raise StorageError(f"{action} s3://{bucket}/{key}: {exc}") from None


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix without slashes); ``UsageError`` otherwise."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise UsageError(f"{url!r} is not an s3://bucket/prefix address")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise UsageError(f"{url!r} names no bucket")
    return bucket, prefix.strip("/")


@dataclass
class Bucket:
    """A bucket and key prefix with the boto3 client that reaches them."""

    client: Any
    name: str
    prefix: str = ""

    def key(self, relative: str) -> str:
        """The object key of archive path ``relative`` (POSIX, relative to the archive)."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, key: str) -> str | None:
        """The archive path of object ``key``, or None when it is outside the prefix."""
        if not self.prefix:
            return key
        head = self.prefix + "/"
        return key[len(head):] if key.startswith(head) else None

    def url(self, relative: str = "") -> str:
        """``s3://bucket/key`` for display."""
        return f"s3://{self.name}/{self.key(relative) if relative else self.prefix}"

    def head(self, relative: str, version_id: str | None = None) -> dict[str, Any] | None:
        """The object's metadata with its stored checksum, or None when absent (or deleted)."""
        args: dict[str, Any] = {"Bucket": self.name, "Key": self.key(relative),
                                "ChecksumMode": "ENABLED"}
        if version_id:
            args["VersionId"] = version_id
        try:
            return dict(self.client.head_object(**args))
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND or error_code(exc) == "405":
                return None
            with translated("head", self.name, self.key(relative)):
                raise
        except BotoCoreError as exc:
            raise StorageError(f"head {self.url(relative)}: {exc}") from None

    def list_keys(self) -> Iterator[dict[str, Any]]:
        """Every current object under the prefix (``Key``, ``Size``)."""
        paginator = self.client.get_paginator("list_objects_v2")
        args = {"Bucket": self.name}
        if self.prefix:
            args["Prefix"] = self.prefix + "/"
        with translated("list", self.name, self.prefix):
            for page in paginator.paginate(**args):
                yield from page.get("Contents", [])

    def versions(self, relative: str) -> list[dict[str, Any]]:
        """Every version of one key (delete markers excluded), newest first."""
        key = self.key(relative)
        out: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_object_versions")
        with translated("list versions of", self.name, key):
            for page in paginator.paginate(Bucket=self.name, Prefix=key):
                out.extend(v for v in page.get("Versions", []) if v["Key"] == key)
        return out

    def get(self, relative: str, *, version_id: str | None = None, offset: int = 0,
            length: int | None = None) -> Any:
        """A streaming body of the object (a byte range when ``length`` is given)."""
        args: dict[str, Any] = {"Bucket": self.name, "Key": self.key(relative)}
        if version_id:
            args["VersionId"] = version_id
        if length is not None:
            args["Range"] = f"bytes={offset}-{offset + length - 1}"
        elif offset:
            args["Range"] = f"bytes={offset}-"
        with translated("read", self.name, self.key(relative)):
            return self.client.get_object(**args)["Body"]


def _variable(env: Environment, *names: str) -> str | None:
    for name in names:
        if env.variables.get(name):
            return env.variables[name]
    return None


def connect(storage: StorageSection, env: Environment, *, bucket: str | None = None,
            prefix: str | None = None, addressing_style: str | None = None) -> Bucket:
    """A ``Bucket`` for ``[storage]`` (or the given bucket, prefix and addressing style
    — ``path``, ``virtual`` or ``auto`` — as ``restore`` uses).

    Raises ``UsageError`` when no bucket is known.
    """
    name = bucket if bucket is not None else storage.bucket
    if not name:
        raise UsageError("no bucket configured: set [storage] kind = \"s3\" and bucket")
    options = BotoConfig(
        s3={"addressing_style": addressing_style or storage.addressing_style},
        request_checksum_calculation=storage.request_checksum_calculation,
        response_checksum_validation=storage.response_checksum_validation,
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=max(10, storage.upload_threads * 2))
    endpoint = storage.endpoint_url or _variable(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
    try:
        session = boto3.session.Session(
            aws_access_key_id=_variable(env, "AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=_variable(env, "AWS_SECRET_ACCESS_KEY"),
            aws_session_token=_variable(env, "AWS_SESSION_TOKEN"),
            profile_name=storage.profile or _variable(env, "AWS_PROFILE"),
            region_name=storage.region or _variable(env, "AWS_REGION", "AWS_DEFAULT_REGION"))
        client = session.client("s3", endpoint_url=endpoint or None, config=options)
    except BotoCoreError as exc:
        raise StorageError(f"cannot set up the S3 client: {exc}") from None
    return Bucket(client=client, name=name,
                  prefix=(prefix if prefix is not None else storage.prefix).strip("/"))
