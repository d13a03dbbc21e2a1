"""Real-time capture of Meta change notifications (``civicrecords listen``).

A Page or Instagram account sends a notification the moment someone comments, edits,
hides or deletes; a comment deleted minutes after it was posted is gone before the next
scheduled capture. ``Listener`` is the webhook receiver Meta calls, and it archives at once:

1. ``GET <path>``: Meta's subscription handshake (``hub.mode=subscribe``,
   ``hub.verify_token`` compared in constant time with the configured one, ``hub.challenge``
   echoed as plain text); anything else is a 403.
2. ``POST <path>``: the raw body's ``X-Hub-Signature-256`` is checked against the app secret
   in constant time; a missing or wrong signature is a 403 and a log line (never the body,
   the secret or the signature). A verified notification is written to
   ``<archive>/listen/inbox/`` (fsynced) before Meta gets its 200, so a crash loses nothing.
3. A worker turns the inbox into capture jobs: for each configured account a notification
   names (by Page or Instagram user id), the notification itself is kept as a WARC metadata
   record and the objects it names are fetched through the account's source
   (``capture_objects``) in a ``targeted`` job with the usual signed manifest. Inbox files
   are deleted only after their job committed; while another job holds the archive the
   worker waits ``retry_seconds`` and tries again.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, urlsplit

from civicrecords.archive import Archive
from civicrecords.archiver.hubsignature import HEADER, problem
from civicrecords.archiver.job import CaptureResult, JobSession, run_capture
from civicrecords.archiver.sources.base import Source
from civicrecords.archiver.sources.graph_fetch import ChangeTarget
from civicrecords.atomicfile import atomic_write
from civicrecords.config import AccountConfig, ListenSection
from civicrecords.environment import utc_iso
from civicrecords.errors import ArchiveLockedError, CivicRecordsError, ConfigError

NOTIFICATION_SCHEMA = "civicrecords.webhook/1"
PLATFORM_OF = {"page": "facebook", "instagram": "instagram"}
POST_ITEMS = frozenset({"status", "post", "photo", "video", "share", "link", "album", "event",
                        "note", "story"})
Log = Callable[[str], None]


@runtime_checkable
class ObjectCapture(Protocol):
    """A source that can archive single objects a notification named."""

    def capture_objects(self, session: Any, targets: list[ChangeTarget]) -> None:
        """Fetch and archive ``targets`` through ``session``."""
        ...


# ----- reading notifications -----------------------------------------------------------------

def change_targets(payload: Any) -> list[tuple[str, str, ChangeTarget]]:
    """(platform, account id, target) for every object a notification names that can be
    archived: Page feed comments and posts (added, edited, hidden, unhidden, removed),
    Instagram comments, and Messenger / Instagram direct messages. Reactions, likes and
    other fields name nothing to archive and are left out."""
    if not isinstance(payload, dict):
        return []
    platform = PLATFORM_OF.get(str(payload.get("object")))
    if platform is None:
        return []
    found: list[tuple[str, str, ChangeTarget]] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        account_id = str(entry.get("id") or "")
        for change in entry.get("changes") or []:
            target = _change_target(platform, change)
            if target is not None:
                found.append((platform, account_id, target))
        for event in entry.get("messaging") or []:
            message = event.get("message") if isinstance(event, dict) else None
            if isinstance(message, dict) and message.get("mid") and not message.get(
                    "is_deleted"):
                sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
                found.append((platform, account_id, ChangeTarget(
                    "message", str(message["mid"]), sender_id=str(sender.get("id") or "")
                    or None)))
    return found


def _change_target(platform: str, change: Any) -> ChangeTarget | None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        return None
    field_name, value = change.get("field"), change["value"]
    if platform == "instagram":
        if field_name in ("comments", "live_comments") and value.get("id"):
            media = value.get("media") if isinstance(value.get("media"), dict) else {}
            return ChangeTarget("comment", str(value["id"]),
                                parent_id=str(media.get("id") or "") or None)
        return None
    if field_name != "feed":
        return None
    item, verb = str(value.get("item") or ""), str(value.get("verb") or "add")
    if item in ("comment", "reply") and value.get("comment_id"):
        return ChangeTarget("comment", str(value["comment_id"]), verb=verb,
                            parent_id=str(value.get("post_id") or "") or None)
    if item in POST_ITEMS and value.get("post_id"):
        return ChangeTarget("post", str(value["post_id"]), verb=verb)
    return None


# ----- the inbox -----------------------------------------------------------------------------

@dataclass
class Notification:
    """A verified notification as kept in the inbox until its job commits."""

    path: Path
    received_at: str
    remote: str
    signature: str
    payload: Any

    def record(self) -> dict[str, Any]:
        """The WARC metadata record body that keeps the notification as evidence."""
        return {"schema": NOTIFICATION_SCHEMA, "received_at": self.received_at,
                "remote_address": self.remote, "signature_header": HEADER,
                "signature": self.signature, "signature_checked": True,
                "payload": self.payload}


class Inbox:
    """``<archive>/listen/inbox/``: one crash-safe JSON file per verified notification."""

    def __init__(self, root: Path) -> None:
        self.directory = root / "listen" / "inbox"

    def add(self, received_at: str, remote: str, signature: str, body: bytes) -> Path:
        """Keep a verified notification (fsynced before returning)."""
        name = f"{received_at.replace(':', '').replace('-', '')}-{secrets.token_hex(4)}.json"
        data = {"received_at": received_at, "remote": remote, "signature": signature,
                "payload": json.loads(body)}
        path = self.directory / name
        atomic_write(path, json.dumps(data, ensure_ascii=False).encode(), mode=0o600)
        return path

    def pending(self) -> list[Notification]:
        """Every notification waiting, oldest first (unreadable files are skipped)."""
        out = []
        for path in sorted(self.directory.glob("*.json")) if self.directory.exists() else []:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                out.append(Notification(path, str(data["received_at"]), str(data["remote"]),
                                        str(data["signature"]), data["payload"]))
            except (OSError, ValueError, KeyError):
                continue
        return out


# ----- from notifications to jobs ------------------------------------------------------------

@dataclass
class Batch:
    """What one worker pass found: notifications per account, and those naming none."""

    work: dict[str, list[tuple[Notification, list[ChangeTarget]]]] = field(default_factory=dict)
    unmatched: list[Notification] = field(default_factory=list)


def listened_accounts(config_accounts: Iterable[AccountConfig],
                      settings: ListenSection) -> dict[tuple[str, str], AccountConfig]:
    """(platform, account id) -> account for the accounts ``listen`` captures: those named
    in ``[listen] accounts``, else every Facebook and Instagram account. ``ConfigError``
    for an unknown name, a non-Meta account, or one without ``account_id`` (notifications
    name accounts by id)."""
    accounts = list(config_accounts)
    by_name = {a.name: a for a in accounts}
    unknown = [n for n in settings.accounts if n not in by_name]
    if unknown:
        raise ConfigError(f"[listen] accounts: no account named {', '.join(unknown)}")
    chosen = [by_name[n] for n in settings.accounts] or [
        a for a in accounts if a.platform in ("facebook", "instagram")]
    wrong = [a.name for a in chosen if a.platform not in ("facebook", "instagram")]
    if wrong:
        raise ConfigError(f"[listen] accounts: {', '.join(wrong)} are not Facebook or "
                          "Instagram accounts")
    missing = [a.name for a in chosen if not a.account_id]
    if missing:
        raise ConfigError(f"listen needs account_id (the Page or Instagram user id) for "
                          f"{', '.join(missing)}")
    if not chosen:
        raise ConfigError("listen: no Facebook or Instagram accounts are configured")
    return {(a.platform, str(a.account_id)): a for a in chosen}


def batch(notifications: list[Notification],
          accounts: dict[tuple[str, str], AccountConfig]) -> Batch:
    """Group notifications by the configured account each names."""
    out = Batch()
    for notification in notifications:
        named: dict[str, list[ChangeTarget]] = {}
        for platform, account_id, target in change_targets(notification.payload):
            account = accounts.get((platform, account_id))
            if account is not None:
                named.setdefault(account.name, []).append(target)
        if not named:
            out.unmatched.append(notification)
        for name, targets in named.items():
            out.work.setdefault(name, []).append((notification, targets))
    return out


def _work(entries: list[tuple[Notification, list[ChangeTarget]]]
          ) -> Callable[[Source, JobSession], None]:
    def capture(source: Source, session: JobSession) -> None:
        for notification, _targets in entries:
            session.note(f"urn:civicrecords:webhook:{session.account.name}:"
                         f"{notification.path.stem}", notification.record())
        if not isinstance(source, ObjectCapture):
            session.gap(session.account.api_base, f"{source.platform} sources cannot capture "
                        "single objects", scope=None)
            return
        source.capture_objects(session, [t for _n, targets in entries for t in targets])
    return capture


def process_inbox(archive: Archive, inbox: Inbox,
                  accounts: dict[tuple[str, str], AccountConfig], log: Log
                  ) -> CaptureResult | None:
    """One worker pass: capture everything the inbox names as one targeted job, then delete
    the notifications it handled (and those naming no configured account). None when there
    was nothing to capture. ``ArchiveLockedError`` (and any other error) leaves the inbox
    as it was, for the next pass."""
    found = batch(inbox.pending(), accounts)
    for notification in found.unmatched:
        log(f"ignored notification {notification.path.stem}: it names no account that "
            "listen captures")
        notification.path.unlink(missing_ok=True)
    if not found.work:
        return None
    result = run_capture(archive, list(found.work), work={
        name: _work(entries) for name, entries in found.work.items()})
    for entries in found.work.values():
        for notification, _targets in entries:
            notification.path.unlink(missing_ok=True)
    return result


# ----- the receiver --------------------------------------------------------------------------

class Listener:
    """The webhook receiver and its capture worker (see module docstring). ``start`` binds
    and returns at once; ``stop`` stops both (a job under way finishes first)."""

    def __init__(self, archive: Archive, *, app_secret: str, verify_token: str | None,
                 log: Log, on_job: Callable[[CaptureResult], None] | None = None,
                 settings: ListenSection | None = None) -> None:
        self.archive = archive
        self.settings = settings or archive.config.listen
        self.accounts = listened_accounts(archive.config.accounts, self.settings)
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.log = log
        self.on_job = on_job
        self.inbox = Inbox(archive.root)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.jobs: list[CaptureResult] = []

    @classmethod
    def from_archive(cls, archive: Archive, *, log: Log,
                     on_job: Callable[[CaptureResult], None] | None = None) -> Listener:
        """A listener configured by ``[listen]``; ``ConfigError`` when the app secret's
        variable is unset (without it no notification can be verified)."""
        settings = archive.config.listen
        variables = archive.env.variables
        secret = variables.get(settings.app_secret_env)
        if not secret:
            raise ConfigError(f"listen needs the Meta app secret in ${settings.app_secret_env}")
        return cls(archive, app_secret=secret, verify_token=variables.get(
            settings.verify_token_env) or None, log=log, on_job=on_job, settings=settings)

    @property
    def url(self) -> str:
        """The callback URL being served (on the bound address)."""
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.settings.path}"

    def start(self, host: str | None = None, port: int | None = None) -> Listener:
        """Bind (``[listen]`` host and port unless given), serve, and start the worker (which
        first captures what an earlier run left in the inbox). Starting a started listener
        does nothing (so ``with listener.start():`` runs one server and one worker)."""
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"listener": self})
        self._server = ThreadingHTTPServer((host or self.settings.host,
                                            self.settings.port if port is None else port),
                                           handler)
        self._server.daemon_threads = True
        self._threads = [threading.Thread(target=self._server.serve_forever, daemon=True,
                                          name="listen-http"),
                         threading.Thread(target=self._worker, daemon=True,
                                          name="listen-worker")]
        for thread in self._threads:
            thread.start()
        self._wake.set()
        return self

    def stop(self) -> None:
        """Stop receiving and capturing (idempotent)."""
        self._stopping.set()
        self._wake.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- the worker ---------------------------------------------------------------------
    def _worker(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                result = process_inbox(self.archive, self.inbox, self.accounts, self.log)
            except ArchiveLockedError:
                self.log(f"archive busy; retrying in {self.settings.retry_seconds:g} s")
                self._retry_later()
                continue
            except CivicRecordsError as exc:
                self.log(f"capture failed, notifications kept for retry: {exc.message}")
                self._retry_later()
                continue
            except Exception as exc:  # a service loop must not die silently: log, retry
                self.log(f"capture failed unexpectedly ({type(exc).__name__}: {exc}); "
                         "notifications kept for retry")
                self._retry_later()
                continue
            if result is not None:
                self.jobs.append(result)
                gaps = f", {len(result.gaps)} gap(s)" if result.gaps else ""
                self.log(f"job {result.job_id}: archived "
                         f"{sum(a.counts.get('items', 0) for a in result.accounts)} item(s)"
                         f"{gaps}")
                if self.on_job is not None:
                    self.on_job(result)

    def _retry_later(self) -> None:
        if not self._stopping.wait(self.settings.retry_seconds):
            self._wake.set()

    # ----- called by the HTTP handler ------------------------------------------------------
    def received(self, remote: str, signature: str, body: bytes) -> None:
        """Keep a verified notification and wake the worker."""
        self.inbox.add(utc_iso(self.archive.env.now()), remote, signature, body)
        self._wake.set()


class _Handler(BaseHTTPRequestHandler):
    listener: Listener
    server_version = "civicrecords-listen"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.listener.settings.path:
            self._answer(HTTPStatus.NOT_FOUND, b"not found", "GET (unknown path)")
            return
        query = parse_qs(parts.query)
        mode = (query.get("hub.mode") or [""])[0]
        given = (query.get("hub.verify_token") or [""])[0]
        challenge = (query.get("hub.challenge") or [""])[0]
        expected = self.listener.verify_token
        if mode == "subscribe" and expected and 0 < len(challenge) <= 256 and \
                secrets.compare_digest(given.encode(), expected.encode()):
            self._answer(HTTPStatus.OK, challenge.encode(), "subscription verified")
            return
        reason = "no verify token is configured" if not expected else \
            "verification refused (mode or verify token wrong)"
        self._answer(HTTPStatus.FORBIDDEN, b"forbidden", reason)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != self.listener.settings.path:
            self._answer(HTTPStatus.NOT_FOUND, b"not found", "POST (unknown path)")
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._answer(HTTPStatus.LENGTH_REQUIRED, b"length required", "no Content-Length")
            return
        if int(length) > self.listener.settings.max_body_bytes:
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large",
                         f"rejected: {length} bytes is over the limit", close=True)
            return
        body = self.rfile.read(int(length))
        signature = self.headers.get(HEADER)
        wrong = problem(self.listener.app_secret, body, signature)
        if wrong is not None:
            self._answer(HTTPStatus.FORBIDDEN, b"forbidden", f"rejected: {wrong}")
            return
        try:
            json.loads(body)
        except ValueError:
            self._answer(HTTPStatus.BAD_REQUEST, b"not JSON", "rejected: signed body is not JSON")
            return
        self.listener.received(self.client_address[0], str(signature), body)
        self._answer(HTTPStatus.OK, b"EVENT_RECEIVED", "notification kept")

    def _answer(self, status: HTTPStatus, body: bytes, note: str, close: bool = False) -> None:
        self.listener.log(f"{self.client_address[0]} {self.command} {int(status)}: {note}")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's own log: it would print request lines (with the verify
        token); ``_answer`` logs each request without its query."""
