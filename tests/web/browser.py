"""What the browser tests do on a page: sign in, run axe-core, check nothing ran, keep a
screenshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.web.support import ACCOUNTS, active_markup

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def sign_in(page: Any, base: str, name: str) -> None:
    """Sign in through the form, by keyboard: type, Tab, type, Enter."""
    page.goto(f"{base}/login")
    page.get_by_label("Account name").fill(name)
    page.keyboard.press("Tab")
    page.keyboard.type(ACCOUNTS[name][1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/search")


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot under test-artifacts/web/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_violations(page: Any, axe_source: str) -> list[str]:
    """WCAG 2.1 A and AA violations axe-core finds on the page, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "async tags => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", WCAG_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{json.dumps([n['target'] for n in v['nodes']][:5])}"
            for v in result["violations"]]


def assert_accessible(page: Any, axe_source: str) -> None:
    """No WCAG 2.1 A/AA violation on the current page."""
    problems = axe_violations(page, axe_source)
    assert problems == [], f"{page.url}:\n" + "\n".join(problems)


def assert_nothing_ran(page: Any) -> None:
    """No hostile payload ran, no dialog opened, the Content-Security-Policy had nothing to
    block, and the live DOM holds nothing that could run."""
    assert page.evaluate("window.__pwned") is None, f"a payload ran on {page.url}"
    assert page.dialogs == [], page.dialogs
    assert page.evaluate("window.__violations") == [], page.url
    problems = active_markup(page.content())
    assert problems == [], f"{page.url}: {problems}"
    assert page.evaluate("document.querySelectorAll('[style]').length") == 0
