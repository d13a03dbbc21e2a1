"""Running the browser view for tests: a real uvicorn server on 127.0.0.1, and a signed-in
HTTP client that fills in CSRF tokens the way the pages do."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import httpx
import uvicorn

from civicrecords.archive import Archive
from civicrecords.web.app import create_app
from civicrecords.web.users import UserStore

#: Accounts every web test archive has: name -> (role, password).
ACCOUNTS = {"ada": ("admin", "ada-admin-password"), "clara": ("clerk", "clara-clerk-password"),
            "sam": ("staff", "sam-staff-password")}
_TOKEN = re.compile(r'name="(?:csrf_token|login_token)" value="([^"]+)"')


def add_accounts(archive: Archive, accounts: dict[str, tuple[str, str]] = ACCOUNTS) -> None:
    """Create the test accounts in ``archive``."""
    store = UserStore(archive)
    for name, (role, password) in accounts.items():
        store.add(name, role, password)


@contextmanager
def running(archive: Archive) -> Iterator[str]:
    """Serve ``archive`` with uvicorn on a free loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(archive), log_level="warning",
                                           lifespan="off", access_log=False,
                                           proxy_headers=False))  # as 'civicrecords serve'
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def token_in(page: str) -> str:
    """The CSRF (or sign-in) token of the first form on ``page``."""
    match = _TOKEN.search(page)
    assert match, "no form token on the page"
    return match.group(1)


class Browserless:
    """An HTTP client that signs in and posts forms with the page's token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        self.csrf = ""

    def login(self, name: str, password: str | None = None) -> httpx.Response:
        """Fill in and send the sign-in form; remember the session's CSRF token."""
        page = self.http.get("/login")
        response = self.http.post("/login", data={
            "login_token": token_in(page.text), "name": name,
            "password": ACCOUNTS[name][1] if password is None else password,
            "next": "/search"})
        if response.status_code == 303:
            self.csrf = token_in(self.http.get("/account").text)
        return response

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET ``path``."""
        return self.http.get(path, params=params or None)

    def post(self, path: str, **data: Any) -> httpx.Response:
        """POST a form with the session's CSRF token."""
        return self.http.post(path, data={"csrf_token": self.csrf, **data})

    def close(self) -> None:
        self.http.close()


def flash(page: str) -> list[str]:
    """The status and alert messages a page shows after an action."""
    return [re.sub(r"<[^>]+>", "", text).strip() for text in
            re.findall(r'class="flash[^"]*" role="(?:status|alert)">\s*<p>(.*?)</p>', page,
                       re.S)]


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append("a script that is not the app's own file")
        if tag in ("iframe", "object", "embed", "svg", "style", "base", "frame", "math"):
            self.problems.append(f"a <{tag}> element")
        for name in names:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"a {name} attribute on <{tag}>")
        for name in ("href", "src", "action"):
            value = (values.get(name) or "").strip().lower()
            if value.startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"a {value.split(':')[0]}: {name} on <{tag}>")


def active_markup(page: str) -> list[str]:
    """Everything in ``page`` (parsed as a browser would) that could run code or restyle the
    page: scripts other than the app's own files, event handler and style attributes,
    frames, SVG, style elements, and javascript:/data: links."""
    parser = _Markup()
    parser.feed(page)
    parser.close()
    return parser.problems
