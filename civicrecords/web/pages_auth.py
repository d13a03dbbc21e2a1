"""Sign-in, sign-out, changing one's own password, and the warning page before a captured
link is opened."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from civicrecords.errors import RefusedError, UsageError
from civicrecords.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Viewer,
    cookie_options,
    is_secure,
    login,
    same_origin,
    throttle_keys,
    tokens_match,
)
from civicrecords.web.site import guard, read_form, site_of
from civicrecords.web.users import UserStore

HOME = "/search"


def client_address(request: Request) -> str:
    """The browser's address (the real client's when a trusted proxy forwarded it)."""
    return request.client.host if request.client else "unknown"


def local_target(value: str | None) -> str:
    """``value`` if it is a path on this site, else the home page (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or any(ord(ch) < 32 for ch in value):
        return HOME
    return value


def _login_page(request: Request, *, error: str = "", status: int = 200,
                name: str = "") -> Response:
    site = site_of(request)
    token = secrets.token_urlsafe(32)
    signed_out = request.query_params.get("signed_out") == "1" and not error
    response = site.html("login.html", None, status=status, login_token=token, error=error,
                         name=name, next=local_target(request.query_params.get("next")),
                         signed_out=signed_out)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600,
                        **cookie_options(is_secure(request, site.settings.secure_cookies),
                                         strict=True))
    return response


async def login_form(request: Request) -> Response:
    """The sign-in page (signed-in viewers go straight on)."""
    site = site_of(request)
    if await run_in_threadpool(site.viewer, request) is not None:
        return RedirectResponse(local_target(request.query_params.get("next")), 303)
    return _login_page(request)


async def login_submit(request: Request) -> Response:
    """Check the sign-in form; on success set the session cookie and go on."""
    site = site_of(request)
    form = await read_form(request)
    if form is None or not same_origin(request) or \
            not tokens_match(request.cookies.get(LOGIN_COOKIE), form.get("login_token")):
        return _login_page(request, status=403, error="The sign-in form was out of date or "
                           "not sent from this site. Please try again.")
    name = str(form.get("name", ""))[:100]
    password = str(form.get("password", ""))
    target = local_target(str(form.get("next", "")))
    anonymous = site.archive_for("anonymous")
    try:
        token, _, _ = await run_in_threadpool(login, anonymous, site.users, site.sessions, name,
                                              password, client_address(request))
    except RefusedError as exc:
        return _login_page(request, error=exc.message, status=429, name=name)
    except UsageError as exc:
        return _login_page(request, error=exc.message, status=400, name=name)
    response = RedirectResponse(target, status_code=303)
    secure = is_secure(request, site.settings.secure_cookies)
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(secure))
    response.delete_cookie(LOGIN_COOKIE, **cookie_options(secure, strict=True))
    return response


@guard("staff")
async def logout(request: Request, viewer: Viewer) -> Response:
    """End the session and forget its cookie."""
    site = site_of(request)
    await run_in_threadpool(site.sessions.end, viewer.session)
    await run_in_threadpool(site.archive_for(viewer.name).audit.record, "web.logout",
                            subject=viewer.name)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE,
                           **cookie_options(is_secure(request, site.settings.secure_cookies)))
    return response


async def home(request: Request) -> Response:
    """The front page is the search page."""
    return RedirectResponse(HOME, status_code=303)


@guard("staff")
async def account_page(request: Request, viewer: Viewer) -> Response:
    """The viewer's own account: role, and a form to change the password."""
    site = site_of(request)
    return site.page(request, viewer, "account.html", error="",
                     min_length=site.settings.min_password_length)


@guard("staff")
async def change_password(request: Request, viewer: Viewer) -> Response:
    """Change the viewer's own password (the current one is checked and throttled like a
    sign-in); every session of the account ends, so it signs in again."""
    site = site_of(request)
    current = str(request.state.form.get("current", ""))
    new, again = str(request.state.form.get("new", "")), str(request.state.form.get("again", ""))
    archive = site.archive_for(viewer.name)

    def change() -> str:
        keys = throttle_keys(viewer.name, client_address(request))
        now = archive.env.now()
        if site.sessions.locked_until(keys, now) is not None:
            return "Too many wrong passwords; try again later."
        if site.users.verify(viewer.name, current) is None:
            site.sessions.record_failure({keys[0]: site.settings.max_failed_logins}, now)
            archive.audit.record("web.login_failed", subject=viewer.name,
                                 reason="wrong current password")
            return "The current password is wrong."
        if new != again:
            return "The new password and its repetition differ."
        try:
            UserStore(archive).set_password(viewer.name, new)
        except UsageError as exc:
            return exc.message
        site.sessions.end_user(viewer.name)
        return ""

    error = await run_in_threadpool(change)
    if error:
        return site.page(request, viewer, "account.html", status=400, error=error,
                         min_length=site.settings.min_password_length)
    return RedirectResponse("/login?signed_out=1", status_code=303)


@guard("staff")
async def leave(request: Request, viewer: Viewer) -> Response:
    """The warning page between a captured link and the outside world."""
    site = site_of(request)
    url = request.query_params.get("url", "")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return site.error_page(viewer, 400, "Not a web address",
                               "Only http and https addresses can be opened.")
    return site.page(request, viewer, "leave.html", url=url, host=parts.hostname or "")


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/password", change_password, methods=["POST"]),
    Route("/leave", leave, methods=["GET"]),
]
