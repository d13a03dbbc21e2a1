"""Fixtures of the browser view tests: archives with accounts, a running app, signed-in HTTP
clients, and headless Chromium (Debian's package, driven by Playwright) with axe-core."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archive import Archive
from tests.conftest import make_env
from tests.support.system import system_dependency_missing
from tests.web.hostile_platform import hostile_archive
from tests.web.support import Browserless, add_accounts, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


@pytest.fixture(scope="module")
def web_archive(captured: dict, tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """A writable copy of the captured sample archive with the test accounts."""
    root = tmp_path_factory.mktemp("web") / "archive"
    shutil.copytree(captured["archive"].root, root)
    archive = Archive.open(root, captured["env"])
    add_accounts(archive)
    return archive


@pytest.fixture(scope="module")
def web(web_archive: Archive) -> Iterator[str]:
    """The base URL of the app serving ``web_archive``."""
    with running(web_archive) as base:
        yield base


@pytest.fixture
def signed_in(web: str) -> Iterator[Callable[..., Browserless]]:
    """``signed_in(name[, password])``: an HTTP client signed in as an account (a test
    account's password by default)."""
    clients: list[Browserless] = []

    def make(name: str, password: str | None = None) -> Browserless:
        client = Browserless(web)
        response = client.login(name, password)
        assert response.status_code == 303, response.text
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """An archive captured from the hostile platform (the XSS corpus), with accounts."""
    tmp = tmp_path_factory.mktemp("hostile")
    archive = hostile_archive(tmp / "archive", make_env(tmp))
    add_accounts(archive)
    return archive


# ----- the browser -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium (fresh profile) for the session."""
    if not CHROMIUM.exists():
        system_dependency_missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        yield context
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script (pinned in tests/web/axe/package-lock.json)."""
    if not AXE.exists():
        system_dependency_missing(f"{AXE} is missing (npm ci --prefix tests/web/axe)")
    return AXE.read_text("utf-8")


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new tab with no cookies, recording dialogs, CSP violations and scripts that ran; a
    screenshot of where it ended is saved under test-artifacts/web/."""
    chromium.clear_cookies()
    tab = chromium.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push("
        "e.violatedDirective + ' ' + e.blockedURI));")
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"), full_page=True)
    tab.close()
