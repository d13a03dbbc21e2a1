"""A tiny Mastodon-shaped server holding only hostile content, and an archive captured from it.

The XSS corpus of the browser tests: script tags, event handlers, ``javascript:`` and
``data:`` URLs (as item addresses and in text), CSS tricks, malformed and nested markup,
template syntax, hostile display names, content warnings and media descriptions, an SVG and
an HTML file with scripts as media, and an edit whose diff carries markup. One followers-only
reply is classified private, so the thread's platform response holds public and not-public
items together. Every payload that could run sets ``window.__pwned``, so a browser test can
tell whether anything ran.
The archive is made by the real capture path (``run_capture`` and the Mastodon source).
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.catalog import Catalog
from civicrecords.environment import Environment
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend

PWN = "window.__pwned=1"
#: Texts shown literally: Mastodon escapes what people type, so these reach items as text.
LITERAL_TEXTS = {
    "101": f"<script>{PWN}</script> Council meets tonight",
    "103": f'<a href="javascript:{PWN}">the schedule</a> or '
           "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    "202": "Followers only: my gate code is 4412",
    "201": f'<div style="position:fixed;inset:0;background:red">covered</div> '
           f"<scr<script>ipt>{PWN}</scr</script>ipt> "
           f'<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe> '
           f"</textarea><script>{PWN}</script> ]]><!-- {{{{ 7*7 }}}} {{% debug %}} "
           f'"><svg/onload={PWN}> <style>body{{display:none}}</style>',
}
#: Markup a misbehaving server relays unescaped (real Mastodon sanitizes).
RAW_HTML = {
    "102": f'<p>Road <img src=x onerror="{PWN}"> closed<script>{PWN}</script>'
           f"<style>body{{display:none}}</style></p>",
}
HOSTILE_NAME = f'<img src=x onerror="{PWN}">'
EARLIER_TEXT = f"<b onmouseover={PWN}>hover</b> old text"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1">'
       b"<script>window.__pwned=1</script></svg>")
PAGE = b"<html><body><script>window.__pwned=1</script>captured page</body></html>"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201ab7e3c6d0000000049454e44ae426082")
FILES = {"photo.png": ("image/png", PNG), "drawing.svg": ("image/svg+xml", SVG),
         "page.html": ("text/html", PAGE)}


def _account(account_id: str, acct: str, name: str) -> dict[str, Any]:
    return {"id": account_id, "username": acct, "acct": acct, "display_name": name}


def _status(base: str, status_id: str, **fields: Any) -> dict[str, Any]:
    content = RAW_HTML.get(status_id) or f"<p>{html.escape(LITERAL_TEXTS.get(status_id, ''))}</p>"
    data: dict[str, Any] = {
        "id": status_id, "created_at": f"2026-03-0{status_id[-1]}T12:00:00.000Z",
        "in_reply_to_id": None, "visibility": "public", "content": content,
        "url": f"{base}/@city/{status_id}", "account": _account("1", "city", "City Hall"),
        "media_attachments": [], "tags": [], "mentions": [], "spoiler_text": "",
        "edited_at": None}
    data.update(fields)
    return data


def statuses(base: str) -> list[dict[str, Any]]:
    """The account's timeline (newest first)."""
    media = [{"id": f"90{n}", "type": "image", "url": f"{base}/media/{name}",
              "description": f'"><img src=x onerror={PWN}> {name}'}
             for n, name in enumerate(FILES, start=1)]
    return [
        _status(base, "105", url=f"data:text/html,<script>{PWN}</script>",
                spoiler_text=f"</title><script>{PWN}</script>"),
        _status(base, "104", media_attachments=media),
        _status(base, "103", url=f"javascript:{PWN}"),
        _status(base, "102"),
        _status(base, "101", edited_at="2026-03-02T12:00:00.000Z"),
    ]


def context(base: str, status_id: str) -> dict[str, Any]:
    """The replies under one status."""
    if status_id != "101":
        return {"ancestors": [], "descendants": []}
    reply = _status(base, "201", in_reply_to_id="101",
                    account=_account("2", "resident", HOSTILE_NAME),
                    url=f"{base}/@resident/201")
    private = _status(base, "202", in_reply_to_id="101", visibility="private",
                      account=_account("3", "neighbor", "Neighbor"),
                      url=f"{base}/@neighbor/202")
    return {"ancestors": [], "descendants": [reply, private]}


def history(base: str) -> list[dict[str, Any]]:
    """The edit history of status 101 (oldest first, the current version last)."""
    current = _status(base, "101")
    first = {**current, "content": f"<p>{html.escape(EARLIER_TEXT)}</p>",
             "created_at": "2026-03-01T12:00:00.000Z"}
    return [first, {**current, "created_at": "2026-03-02T12:00:00.000Z"}]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        base = self.server.base
        path = self.path.split("?", 1)[0]
        if path == "/api/v1/accounts/1/statuses":
            self._json(statuses(base))
        elif path.startswith("/api/v1/statuses/") and path.endswith("/context"):
            self._json(context(base, path.split("/")[4]))
        elif path == "/api/v1/statuses/101/history":
            self._json(history(base))
        elif path.startswith("/media/") and path[7:] in FILES:
            kind, body = FILES[path[7:]]
            self._send(200, kind, body)
        else:
            self._send(404, "application/json", b'{"error":"Record not found"}')

    def _json(self, data: Any) -> None:
        self._send(200, "application/json; charset=utf-8", json.dumps(data).encode())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    base = ""


@contextmanager
def hostile_server() -> Iterator[str]:
    """Serve the hostile account on 127.0.0.1; yields its base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.base
    finally:
        server.shutdown()
        server.server_close()


def hostile_archive(root: Path, env: Environment) -> Archive:
    """A new archive at ``root`` holding the hostile account, captured and indexed."""
    with hostile_server() as base:
        archive = Archive.create(root, env, name="City of Hostile Input", extra_config=(
            f'[[accounts]]\nname = "hostile"\nplatform = "mastodon"\napi_base = "{base}"\n'
            'account_id = "1"\n\n'
            '[[classification.rules]]\nname = "followers-only"\nvisibility = ["private"]\n'
            'classification = "private"\nbasis = "Minn. Stat. § 13.02, subd. 12"\n\n'))
        run_capture(archive, full=True)
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        try:
            index_pending(catalog, backend)
        finally:
            backend.close()
    return archive
