"""A capture job: every selected account captured into WARCs, then signed and cataloged.

``run_capture`` holds the archive lock for the whole job, recovers what an earlier crash
left, captures each account through its source (a failing account becomes gaps, never a lost
job), then finalizes in a crash-safe order: fsync the WARC parts, stage the signed manifest,
rename the parts, commit the manifest and chain entry, commit the catalog. A kill at any
point leaves an archive that ``verify`` passes and the next job repairs (see ``recovery``).
"""

from __future__ import annotations

import secrets
import socket
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from civicrecords import __version__, jsonio
from civicrecords.archive import Archive
from civicrecords.archiver.http import (
    TEXT_LIMIT,
    Exchange,
    FetchFailed,
    IdleWorkFailed,
    MediaOf,
    RecordingClient,
    TooLarge,
)
from civicrecords.archiver.recovery import Recovery, recover
from civicrecords.archiver.scrub import Scrubber, secrets_in
from civicrecords.archiver.sources import source_for
from civicrecords.archiver.sources.base import JsonPage, Source
from civicrecords.archiver.sources.graph import appsecret_proof
from civicrecords.archiver.warc import Block, WarcFileSet, part_name
from civicrecords.catalog import Catalog
from civicrecords.catalog.apply import JobWriter
from civicrecords.config import AccountConfig
from civicrecords.environment import parse_utc, utc_iso
from civicrecords.errors import CivicRecordsError, PlatformError
from civicrecords.integrity.manifest import commit, describe_file, stage
from civicrecords.model import Gap, Item, Observation, Sweep, item_to_json

ProgressCallback = Callable[[str, int], None]
HOLD_LIMIT = 2048  # observations held for waiting time before they are written anyway
Work = Callable[[Source, "JobSession"], None]  # a targeted capture of one account (listen)


@dataclass
class AccountOutcome:
    """What one account's capture produced."""

    name: str
    platform: str
    mode: str = "full"
    counts: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    token: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``capture --format json``)."""
        return {"name": self.name, "platform": self.platform, "mode": self.mode,
                **self.counts, "gaps": len(self.gaps), "files": self.files,
                "token": self.token}


@dataclass
class CaptureResult:
    """A finished job."""

    job_id: str
    started: str
    finished: str
    manifest: str
    accounts: list[AccountOutcome]
    recovery: Recovery

    @property
    def gaps(self) -> list[Gap]:
        """Every gap of every account."""
        return [gap for account in self.accounts for gap in account.gaps]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"job_id": self.job_id, "started": self.started, "finished": self.finished,
                "manifest": self.manifest, "accounts": [a.to_dict() for a in self.accounts],
                "gaps": [g.to_dict() for g in self.gaps],
                "recovered": self.recovery.completed + self.recovery.replayed}


class JobSession:
    """The ``Session`` a source captures one account through (see ``sources.base``)."""

    def __init__(self, *, job_id: str, account: AccountConfig, token: str | None, full: bool,
                 client: RecordingClient, warcs: WarcFileSet, writer: JobWriter,
                 media_max_bytes: int, page_size: int, recheck_after: str,
                 progress: ProgressCallback | None = None, app_secret: str | None = None) -> None:
        self.job_id = job_id
        self.account = account
        self.token = token
        self.app_secret = app_secret  # Meta's app secret, for appsecret_proof (never written)
        self.full = full
        self.state: dict[str, Any] = {"page_size": page_size, "recheck_after": recheck_after}
        self.client = client
        self.warcs = warcs
        self.writer = writer
        self.media_max_bytes = media_max_bytes
        self.gaps: list[Gap] = []
        self._gap_scopes: set[str | None] = set()
        self._progress = progress
        self.items = 0
        self.token_status: dict[str, Any] | None = None
        # observations not written yet: written while the client waits for the platform,
        # before anything reads the catalog, and at the end (``write_held``)
        self._held: deque[tuple[int, Observation, datetime]] = deque()  # numbered in order
        self._held_count = 0
        self._last_held: dict[str, int] = {}  # scope -> number of its last held observation
        warcs.listener = self._on_record
        client.idle = self._work_while_waiting

    def _on_record(self, record_type: str, ref: Any, headers: dict[str, str]) -> None:
        if record_type in ("request", "response", "revisit"):
            self.writer.record(ref, record_type=record_type,
                               target_uri=headers.get("WARC-Target-URI"),
                               date=headers.get("WARC-Date", ""),
                               payload_digest=headers.get("WARC-Payload-Digest"),
                               concurrent_to=headers.get("WARC-Concurrent-To"))

    # ----- fetching ----------------------------------------------------------------------
    def get_json(self, url: str, *, scope: str, headers: dict[str, str] | None = None,
                 ok: tuple[int, ...] = (200,)) -> JsonPage | None:
        exchange = self._get(url, scope=scope, headers=headers, ok=ok, keep_body=True,
                             max_bytes=256 * 1024 * 1024, expect_json=True)
        if exchange is None:
            return None
        try:
            return JsonPage(exchange.json(), exchange)
        except PlatformError as exc:
            self.gap(exchange.url, exc.message, scope=scope)
            return None

    def get_text(self, url: str, *, scope: str, headers: dict[str, str] | None = None,
                 ok: tuple[int, ...] = (200,)) -> Exchange | None:
        return self._get(url, scope=scope, headers=headers, ok=ok, keep_body=True,
                         max_bytes=TEXT_LIMIT, expect_json=False)

    def prefetch(self, urls: list[str], *, headers: dict[str, str] | None = None,
                 media_of: MediaOf | None = None) -> None:
        self.client.prefetch(urls, headers=headers, media_of=media_of,
                             media_max_bytes=self._media_cap)

    def prefetch_media(self, urls: list[str]) -> None:
        self.client.prefetch_media(urls, max_bytes=self._media_cap)

    @property
    def _media_cap(self) -> int:
        return self.account.media_max_bytes or self.media_max_bytes

    def get_media(self, url: str, *, scope: str) -> Exchange | None:
        return self._get(url, scope=scope, headers=None, ok=(200,), keep_body=False,
                         max_bytes=self._media_cap, expect_json=False)

    def _get(self, url: str, *, scope: str, headers: dict[str, str] | None,
             ok: tuple[int, ...], keep_body: bool, max_bytes: int,
             expect_json: bool) -> Exchange | None:
        try:
            exchange = self.client.get(url, headers=headers, keep_body=keep_body,
                                       max_bytes=max_bytes, expect_json=expect_json)
        except IdleWorkFailed as exc:
            raise exc.error from None  # writing held observations failed: as if written here
        except FetchFailed as exc:
            self.gap(exc.url or url, exc.message, scope=scope, attempts=exc.attempts)
            return None
        except TooLarge as exc:
            self.gap(exc.url or url, exc.message, scope=scope)
            return None
        if exchange.status not in ok:
            self.gap(exchange.url, f"HTTP {exchange.status} {exchange.reason}".strip(),
                     scope=scope)
            return None
        return exchange

    # ----- reporting ---------------------------------------------------------------------
    def observe(self, item: Item, exchange: Exchange, *, scope: str,
                observed: Literal["current", "history"] = "current") -> None:
        self._held_count += 1
        self._held.append((self._held_count, Observation(
            item=item, job_id=self.job_id, captured_at=utc_iso(exchange.fetched_at),
            observed=observed, scope=scope, response_record_id=exchange.response.record_id,
            response_uri=exchange.url, payload_digest=f"sha256:{exchange.payload_sha256}",
            response=exchange.response), exchange.fetched_at))
        self._last_held[scope] = self._held_count
        if observed == "current":
            self.items += 1
        if len(self._held) >= HOLD_LIMIT:
            self.write_held()

    def write_held(self) -> None:
        """Write every observation held back: its metadata record, then the catalog."""
        while self._held:
            self._write(*self._held.popleft()[1:])
        self._last_held.clear()

    def _write_through(self, scope: str) -> None:
        """Write the held observations up to the last one in ``scope`` (those after it are
        of other scopes), in the order they were made."""
        last = self._last_held.pop(scope, 0)
        while self._held and self._held[0][0] <= last:
            self._write(*self._held.popleft()[1:])

    def _work_while_waiting(self, ready: Callable[[], bool]) -> None:
        """Write held observations, then the catalog's held rows, until ``ready()``."""
        while self._held and not ready():
            self._write(*self._held.popleft()[1:])
        if not self._held:
            self._last_held.clear()
        if not ready():
            self.writer.write_held()

    def _write(self, observation: Observation, fetched_at: datetime) -> None:
        body, observation.item_json = observation.encode()
        body, scrubbed = self.client.scrubber.data(body)
        if scrubbed:  # the catalog must see what the WARC holds
            observation.item = Item.from_dict(jsonio.loads(body)["item"])
            observation.item_json = item_to_json(observation.item).decode("utf-8")
        observation.record = self.warcs.write(
            "metadata", Block.from_bytes(body), target_uri=observation.response_uri,
            date=fetched_at, content_type="application/json",
            headers=[("WARC-Refers-To", observation.response_record_id or "")])
        self.writer.observe(observation)

    def sweep(self, scope: str, seen: list[str], *, reason: str = "not-returned",
              reasons: dict[str, str] | None = None) -> None:
        if scope in self._gap_scopes or None in self._gap_scopes:
            return
        if self.missing(scope, seen):  # a removal may cascade to items of other scopes
            self.write_held()
        sweep = Sweep(platform=self.account.platform, account=self.account.name, scope=scope,
                      seen=list(seen), job_id=self.job_id, reason=reason,
                      reasons=dict(reasons or {}))
        body = jsonio.dumps(sweep.to_json())
        when = self.client.now()
        self.warcs.write("metadata", Block.from_bytes(body), date=when,
                         target_uri=f"urn:civicrecords:sweep:{self.account.name}:{scope}",
                         content_type="application/json")
        self.writer.sweep(sweep, utc_iso(when))

    def note(self, target_uri: str, data: dict[str, Any]) -> None:
        """Write ``data`` as a JSON metadata record about ``target_uri``, scrubbed like every
        other record: evidence that is not a platform response (e.g. a change notification
        the platform pushed). Catalog replay ignores it."""
        body, _ = self.client.scrubber.data(jsonio.dumps(data))
        self.warcs.write("metadata", Block.from_bytes(body), target_uri=target_uri,
                         date=self.client.now(), content_type="application/json")

    def gap(self, url: str, reason: str, *, scope: str | None, attempts: int = 1) -> None:
        gap = Gap(account=self.account.name, url=url, reason=reason, attempts=attempts,
                  scope=scope)
        self.gaps.append(gap)
        self._gap_scopes.add(scope)
        self.writer.gap(gap)

    def progress(self, advance: int = 1) -> None:
        if self._progress is not None:
            self._progress(self.account.name, advance)

    def missing(self, scope: str, seen: list[str]) -> list[str]:
        self._write_through(scope)
        return self.writer.missing(self.account.platform, self.account.name, scope, seen)

    def known(self, scope: str) -> dict[str, str | None]:
        self._write_through(scope)
        return self.writer.known(self.account.platform, self.account.name, scope)

    def report_token(self, *, valid: bool, expires_at: str | None = None,
                     detail: str = "") -> None:
        self.token_status = {"valid": valid, "expires_at": expires_at, "detail": detail,
                             "checked_at": utc_iso(self.client.now())}


def new_job_id(archive: Archive) -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: sortable by start time, unique."""
    return f"{archive.env.now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def full_sweep_due(catalog: Catalog, account: AccountConfig, now: datetime) -> bool:
    """True when the account has had no gap-free full capture within its
    ``full_sweep_hours`` (or none at all)."""
    row = catalog.execute(
        "SELECT max(finished) FROM job_accounts WHERE account=? AND mode='full' AND gaps=0",
        (account.name,)).fetchone()
    if not row or not row[0]:
        return True
    return now - parse_utc(row[0]) >= timedelta(hours=account.full_sweep_hours)


def run_capture(archive: Archive, names: list[str] | None = None, *,
                full: bool | None = None,
                progress: ProgressCallback | None = None,
                work: Mapping[str, Work] | None = None) -> CaptureResult:
    """Capture the named accounts (all when ``names`` is empty) as one job.

    ``full=True`` re-walks everything (removals are detected), ``False`` fetches what is new
    quickly, ``None`` decides per account: full when its last full sweep is older than its
    ``full_sweep_hours``. Raises ``ConfigError`` for unknown accounts, ``ArchiveLockedError``
    when another job runs, ``SigningKeyError`` when the key is unusable (before anything is
    fetched). Platform failures never raise: they are gaps in the result.

    ``work`` (account name -> callable) replaces those accounts' walks with a targeted
    capture through the same session, finalize path and signed manifest (``listen``
    archiving what change notifications named); their mode is ``targeted``, never a full
    sweep.
    """
    accounts = [archive.config.account(n) for n in names] if names else archive.config.accounts
    if not accounts:
        raise CivicRecordsError("no accounts configured; add [[accounts]] to civicrecords.toml")
    with archive.lock("capture job"), Catalog(archive.catalog_path) as catalog:
        recovery = recover(archive, catalog)
        key = archive.private_key()
        env = archive.env
        started = env.now()
        job_id = new_job_id(archive)
        writer = JobWriter(catalog, archive.config, job_id)
        sets: list[WarcFileSet] = []
        outcomes: list[AccountOutcome] = []
        try:
            for account in accounts:
                warcs = WarcFileSet(
                    archive.root, job_id=job_id, account=account.name, started=started,
                    max_bytes=archive.config.capture.warc_max_bytes, now=env.now,
                    info={"software": f"civicrecords/{__version__}", "operator": env.operator_name,
                          "hostname": socket.gethostname(), "account": account.name,
                          "platform": account.platform, "api-base": account.api_base})
                sets.append(warcs)
                targeted = (work or {}).get(account.name)
                account_full = targeted is None and (full if full is not None else
                                                     full_sweep_due(catalog, account, started))
                outcomes.append(_capture_account(archive, account, job_id, account_full, warcs,
                                                 writer, progress, targeted))
            finished = env.now()
            manifest = _manifest(archive, job_id, started, finished, outcomes, sets)
            staged = stage(archive.root, manifest, key)
            for warcs in sets:
                warcs.finish()
            entry = commit(archive.root, staged)
            writer.finish(staged.manifest, entry["manifest"])
        except BaseException:
            writer.rollback()
            for warcs in sets:
                warcs.abort()
            raise
        archive.audit.record("capture", subject=job_id, accounts=[a.name for a in accounts],
                             gaps=sum(len(o.gaps) for o in outcomes), manifest=entry["manifest"])
        return CaptureResult(job_id=job_id, started=utc_iso(started), finished=utc_iso(finished),
                             manifest=entry["manifest"], accounts=outcomes, recovery=recovery)


def _capture_account(archive: Archive, account: AccountConfig, job_id: str, full: bool,
                     warcs: WarcFileSet, writer: JobWriter,
                     progress: ProgressCallback | None,
                     targeted: Work | None = None) -> AccountOutcome:
    env = archive.env
    settings = archive.config.capture
    token = env.variables.get(account.token_env) if account.token_env else None
    app_secret = env.variables.get(account.app_secret_env) if account.app_secret_env else None
    source = source_for(account)
    client = RecordingClient(
        warcs, scrubber=Scrubber(secrets_in([token, app_secret,
                                             appsecret_proof(token, app_secret)])),
        policy=source.rate_limits(settings.backoff_seconds, settings.max_backoff_seconds),
        env_now=env.now, env_sleep=env.sleep, monotonic=env.monotonic,
        timeout=settings.timeout_seconds, max_retries=settings.max_retries,
        user_agent=settings.user_agent, ahead=settings.requests_ahead)
    session = JobSession(job_id=job_id, account=account, token=token, full=full, client=client,
                         warcs=warcs, writer=writer, media_max_bytes=settings.media_max_bytes,
                         page_size=settings.page_size, progress=progress, app_secret=app_secret,
                         recheck_after=utc_iso(env.now() - timedelta(days=settings.recheck_days)))
    if account.token_env and not token:
        session.gap(account.api_base, f"token variable {account.token_env} is not set; "
                    "only public data was captured", scope="token")
    try:
        if targeted is not None:
            targeted(source, session)
        else:
            source.run(session)
    except CivicRecordsError as exc:
        session.gap(account.api_base, f"capture stopped: {exc.message}", scope=None)
    finally:
        client.close()
    session.write_held()
    outcome = AccountOutcome(name=account.name, platform=account.platform,
                             mode="targeted" if targeted else "full" if full else "incremental",
                             gaps=session.gaps,
                             token=session.token_status)
    outcome.counts = {**writer.counts.for_account(account.name),
                      "requests": client.requests_made, "retries": client.retries,
                      "gaps": len(session.gaps)}
    return outcome


def _manifest(archive: Archive, job_id: str, started: Any, finished: Any,
              outcomes: list[AccountOutcome], sets: list[WarcFileSet]) -> dict[str, Any]:
    files = []
    for outcome, warcs in zip(outcomes, sets, strict=True):
        warcs.close_current()
        for final, count in zip(warcs.files, warcs.record_counts, strict=True):
            entry = describe_file(archive.root, part_name(final), records=count)
            relative = final.relative_to(archive.root).as_posix()
            files.append({**entry.to_dict(), "path": relative})
            outcome.files.append(relative)
    return {
        "job_id": job_id, "kind": "capture", "started": utc_iso(started),
        "finished": utc_iso(finished), "operator": archive.env.operator_name,
        "tool": {"name": "civicrecords", "version": __version__},
        "archive_id": archive.config.archive.id,
        "accounts": [{"name": o.name, "platform": o.platform, "mode": o.mode,
                      "counts": o.counts, "token": o.token} for o in outcomes],
        "files": files,
        "gaps": [g.to_dict() for o in outcomes for g in o.gaps],
    }
