"""Signing in and out of the running app: password hashing, cookies, CSRF, throttling, and
the audit trail of all of it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from civicrecords.archive import Archive
from civicrecords.web.users import UserStore
from tests.conftest import make_env
from tests.web.support import ACCOUNTS, Browserless, running, token_in


def _audit(archive: Archive, action: str) -> list[dict]:
    return [e for e in archive.audit.entries() if e["action"] == action]


def test_accounts_file_holds_argon2id_hashes_only(web_archive: Archive) -> None:
    path = web_archive.root / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text("utf-8")
    data = json.loads(text)
    assert {u["name"]: u["role"] for u in data["users"]} == {
        name: role for name, (role, _) in ACCOUNTS.items()}
    for user in data["users"]:
        assert user["password_hash"].startswith("$argon2id$")
    for _, password in ACCOUNTS.values():
        assert password not in text


def test_sign_in_sets_a_protected_cookie_and_sign_out_ends_the_session(
        web: str, web_archive: Archive) -> None:
    client = Browserless(web)
    response = client.login("sam")
    assert response.status_code == 303 and response.headers["location"] == "/search"
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("civicrecords_session="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http on loopback: a Secure cookie would be lost
    assert client.get("/search").status_code == 200
    assert client.post("/logout").status_code == 303
    after = client.get("/search")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    logins = [e for e in _audit(web_archive, "web.login") if e["subject"] == "sam"]
    assert logins and logins[-1]["details"]["address"] == "127.0.0.1"
    assert any(e["actor"] == "sam" for e in _audit(web_archive, "web.logout"))
    client.close()


def test_login_form_needs_its_own_token(web: str) -> None:
    with httpx.Client(base_url=web) as plain:
        page = plain.get("/login")
        token = token_in(page.text)
        forged = plain.post("/login", data={"login_token": "forged", "name": "sam",
                                            "password": ACCOUNTS["sam"][1]})
        assert forged.status_code == 403 and "civicrecords_session" not in forged.cookies
        other_site = plain.post("/login", data={"login_token": token, "name": "sam",
                                                "password": ACCOUNTS["sam"][1]},
                                headers={"Origin": "https://evil.example"})
        assert other_site.status_code == 403


def test_forged_csrf_posts_fail_and_change_nothing(signed_in, web_archive: Archive) -> None:
    clerk = signed_in("clara")
    before = sorted(p.name for p in web_archive.requests_dir.iterdir())
    attempts = [
        clerk.http.post("/requests/new", data={"kind": "public", "description": "x"}),
        clerk.http.post("/requests/new", data={"csrf_token": "guess", "kind": "public"}),
        clerk.http.post("/requests/new", data={"csrf_token": clerk.csrf, "kind": "public"},
                        headers={"Origin": "https://evil.example"}),
        clerk.http.post("/requests/new", data={"csrf_token": clerk.csrf, "kind": "public"},
                        headers={"Sec-Fetch-Site": "cross-site"}),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "Form refused" in response.text
    assert sorted(p.name for p in web_archive.requests_dir.iterdir()) == before
    admin = signed_in("ada")
    forged = admin.http.post("/admin/users", data={"csrf_token": clerk.csrf, "name": "mallory",
                                                   "role": "admin", "password": "x" * 20,
                                                   "again": "x" * 20})
    assert forged.status_code == 403  # another session's token is no token
    assert UserStore(web_archive).find("mallory") is None
    good = clerk.post("/requests/new", kind="public", description="real")
    assert good.status_code == 303


def test_ten_wrong_passwords_lock_the_account_and_are_audited(tmp_path: Path) -> None:
    archive = Archive.create(tmp_path / "archive", make_env(tmp_path), name="Lock test")
    UserStore(archive).add("tess", "staff", "tess-the-right-one")
    with running(archive) as base:
        client = Browserless(base)
        for attempt in range(10):
            response = client.login("tess", f"wrong-password-{attempt}")
            assert response.status_code == 400, attempt
            assert "account name or password is wrong" in response.text
        locked = client.login("tess", "tess-the-right-one")
        assert locked.status_code == 429 and "locked until" in locked.text
        assert "civicrecords_session" not in locked.cookies
        other = client.login("tess", "tess-the-right-one")
        assert other.status_code == 429
        client.close()
    failures = _audit(archive, "web.login_failed")
    assert len(failures) == 12 and all(e["subject"] == "tess" for e in failures)
    assert [e["details"]["reason"] for e in failures[-2:]] == ["locked", "locked"]
    locks = _audit(archive, "web.login_locked")
    assert [e["subject"] for e in locks] == ["account:tess"]
    assert locks[0]["details"]["minutes"] == archive.config.web.lockout_minutes
    assert not _audit(archive, "web.login")


def test_wrong_names_and_passwords_get_the_same_answer(web: str) -> None:
    client = Browserless(web)
    unknown = client.login("nobody", "whatever-password")
    wrong = client.login("sam", "not-sams-password")
    assert unknown.status_code == wrong.status_code == 400
    assert "The account name or password is wrong." in unknown.text
    assert "The account name or password is wrong." in wrong.text
    client.close()


def test_disabling_an_account_ends_its_sessions(signed_in, web_archive: Archive) -> None:
    UserStore(web_archive).add("dora", "staff", "dora-password-long")
    dora = signed_in("dora", "dora-password-long")
    admin = signed_in("ada")
    assert dora.get("/search").status_code == 200
    response = admin.post("/admin/users/dora/disable")
    assert response.status_code == 303
    assert dora.get("/search").status_code == 303
    assert Browserless(dora.base).login("dora", "dora-password-long").status_code == 400
    entry = [e for e in web_archive.audit.entries() if e["action"] == "user.disable"][-1]
    assert entry["actor"] == "ada" and entry["subject"] == "dora"


def with_web_setting(archive: Archive, default: str, setting: str) -> Archive:
    """``archive`` reopened with one ``[web]`` line of its config replaced."""
    text = archive.config_path.read_text("utf-8")
    assert text.count(default) == 1
    archive.config_path.write_text(text.replace(default, setting), "utf-8")
    return Archive.open(archive.root, archive.env)


@pytest.mark.parametrize("default, setting, headers, secure", [
    ("secure_cookies = false", "secure_cookies = true", {}, True),
    ("trusted_proxies = []", 'trusted_proxies = ["127.0.0.1"]', {"X-Forwarded-Proto": "https"},
     True),
    ("trusted_proxies = []", "trusted_proxies = []", {"X-Forwarded-Proto": "https"}, False),
])
def test_cookies_are_secure_behind_tls(tmp_path: Path, default: str, setting: str,
                                       headers: dict[str, str], secure: bool) -> None:
    created = Archive.create(tmp_path / "archive", make_env(tmp_path), name="TLS test")
    archive = with_web_setting(created, default, setting)
    UserStore(archive).add("tess", "staff", "tess-the-right-one")
    with running(archive) as base, httpx.Client(base_url=base, headers=headers) as plain:
        page = plain.get("/login")
        origin = ("https://" if secure and headers else "http://") + base.split("://")[1]
        token = token_in(page.text)
        response = plain.post("/login", data={"login_token": token, "name": "tess",
                                              "password": "tess-the-right-one"},
                              headers={"Origin": origin, "Cookie": f"civicrecords_login={token}"})
        assert response.status_code == 303, response.text
        cookie = next(v for k, v in response.headers.multi_items()
                      if k == "set-cookie" and v.startswith("civicrecords_session="))
        assert ("secure" in cookie.lower()) is secure
        if secure and headers:
            assert response.headers["strict-transport-security"].startswith("max-age=")
