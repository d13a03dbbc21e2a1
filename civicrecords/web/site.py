"""What every page of the browser view shares: the archive, accounts, sessions, templates.

``Site`` is created once per server. ``guard(role)`` wraps every page and action: it finds
the session (else sends the browser to sign in), checks the role, and for POST parses the
form and checks its CSRF token and origin before the handler runs, so no state-changing
request reaches a handler unchecked. Library errors become pages with the right status
(not found 404, bad input 400, refused 409, busy 503).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment as Templates
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from civicrecords import __version__
from civicrecords.archive import Archive
from civicrecords.errors import (
    ArchiveLockedError,
    CivicRecordsError,
    NotFoundError,
    RefusedError,
    UsageError,
)
from civicrecords.render import environment
from civicrecords.web.auth import SESSION_COOKIE, Viewer, same_origin, tokens_match
from civicrecords.web.searching import SharedBackend
from civicrecords.web.sessions import Flash, SessionStore
from civicrecords.web.users import UserStore

LOG = logging.getLogger("civicrecords.web")
Handler = Callable[[Request, Viewer], Awaitable[Response]]
MAX_FORM_BYTES = 256 * 1024
STATIC_DIR = Path(__file__).parent / "static"
SHARED_STYLE = Path(__file__).parent.parent / "templates" / "style.css"


def item_url(ref: str, part: str = "", **params: str) -> str:
    """The app's page of an item, or one of its downloads (``part``: ``file``, ``record``,
    ``records.warc.gz``). References can hold ``/`` and ``:``, so they travel in the query
    string."""
    return f"/item{'/' + part if part else ''}?" + urlencode({"ref": ref, **params})


def captured_link(url: str | None, label: str | None = None) -> Markup:
    """A captured URL as inert text, with a separate "open original" link to the warning
    page for http(s) URLs (other schemes are never links)."""
    if not url:
        return Markup("")
    text = Markup(f'<span class="inert-url">{escape(label or url)}</span>')
    if not url.lower().startswith(("http://", "https://")):
        return text
    href = "/leave?" + urlencode({"url": url})
    return Markup(f'{text} <a class="leave" href="{escape(href)}">Open original'
                  '<span class="visually-hidden"> address (leaves civicrecords)</span></a>')


def _templates() -> Templates:
    """The shared environment with the app's own link filter and globals (an overlay with
    its own dictionaries: bundles keep rendering with ``render.safe_link``)."""
    env = environment().overlay()
    env.filters = {**env.filters, "link": captured_link}
    env.globals = {**env.globals, "item_url": item_url, "quote": quote,
                   "version": __version__}
    return env


class Site:
    """Everything the pages need (see module docstring)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.settings = archive.config.web
        self.users = UserStore(archive)
        self.sessions = SessionStore(archive.root, self.settings)
        self.search_backend = SharedBackend(archive)
        self.templates = _templates()

    def archive_for(self, actor: str) -> Archive:
        """The archive with ``actor`` recorded as the operator of everything done through
        it (audit entries, request history, decisions)."""
        env = dataclasses.replace(self.archive.env, operator=actor)
        return Archive(root=self.archive.root, config=self.archive.config, env=env)

    def viewer(self, request: Request) -> Viewer | None:
        """The signed-in, active account behind ``request`` (None when there is none)."""
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE),
                                    self.archive.env.now())
        if session is None:
            return None
        user = self.users.find(session.user)
        if user is None or user.disabled:
            self.sessions.end(session)
            return None
        return Viewer(user=user, session=session)

    def html(self, template: str, viewer: Viewer | None, *, status: int = 200,
             flash: Flash | None = None, **context: Any) -> HTMLResponse:
        """A rendered page (``web/<template>``) with the shared layout's context."""
        context.setdefault("active", "")
        body = self.templates.get_template(f"web/{template}").render(
            viewer=viewer, csrf=viewer.session.csrf if viewer else "",
            organization=self.archive.config.archive.name, flash=flash, **context)
        return HTMLResponse(body, status_code=status)

    def page(self, request: Request, viewer: Viewer, template: str, /, *, status: int = 200,
             **context: Any) -> HTMLResponse:
        """``html`` with the message the viewer's last action left (see ``done``)."""
        return self.html(template, viewer, status=status,
                         flash=getattr(request.state, "flash", None), **context)

    def error_page(self, viewer: Viewer | None, status: int, title: str,
                   message: str) -> HTMLResponse:
        """An error page saying what happened in one sentence."""
        return self.html("error.html", viewer, status=status, title=title, message=message)

    def not_found(self, viewer: Viewer | None) -> HTMLResponse:
        """The page for anything that does not exist or that this viewer may not see (the
        same page either way, so existence is not revealed)."""
        return self.error_page(viewer, 404, "Not found",
                               "There is nothing here, or nothing you have access to.")

    def for_error(self, viewer: Viewer | None, exc: CivicRecordsError) -> HTMLResponse:
        """The page for a library error."""
        if isinstance(exc, NotFoundError):
            return self.not_found(viewer)
        if isinstance(exc, UsageError):
            return self.error_page(viewer, 400, "Cannot do that", exc.message)
        if isinstance(exc, RefusedError):
            return self.error_page(viewer, 409, "Not allowed now", exc.message)
        if isinstance(exc, ArchiveLockedError):
            return self.error_page(viewer, 503, "Busy", exc.message)
        LOG.error("%s: %s", type(exc).__name__, exc.message)
        return self.error_page(viewer, 500, "Something went wrong", exc.message)


def site_of(request: Request) -> Site:
    """The ``Site`` serving ``request``."""
    site: Site = request.app.state.site
    return site


async def read_form(request: Request) -> FormData | None:
    """The submitted url-encoded form (None when it is too large or malformed)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    return await request.form(max_files=0, max_fields=2000)


def guard(role: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler so it only runs for a signed-in viewer holding ``role`` and, for
    POST, a form with a valid CSRF token from this site (see module docstring)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            site = site_of(request)
            viewer = await run_in_threadpool(site.viewer, request)
            if viewer is None:
                if request.method in ("GET", "HEAD"):
                    target = request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else "")
                    return RedirectResponse("/login?" + urlencode({"next": target}), 303)
                return site.error_page(None, 403, "Signed out",
                                       "Your sign-in has ended. Sign in again and repeat "
                                       "what you were doing.")
            if not viewer.can(role):
                return site.error_page(viewer, 403, "Not allowed",
                                       f"This page is for the {role} role or above.")
            if request.method == "POST":
                form = await read_form(request)
                if form is None or not same_origin(request) or \
                        not tokens_match(viewer.session.csrf, form.get("csrf_token")):
                    return site.error_page(viewer, 403, "Form refused",
                                           "The form was not sent from this site's page, or "
                                           "the page is out of date. Reload it and try again.")
                request.state.form = form
            elif viewer.session.flash:
                request.state.flash = await run_in_threadpool(site.sessions.pop_flash,
                                                              viewer.session)
            try:
                return await handler(request, viewer)
            except CivicRecordsError as exc:
                return site.for_error(viewer, exc)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


async def done(site: Site, viewer: Viewer, message: str, target: str, *,
               error: bool = False) -> RedirectResponse:
    """After an action: keep ``message`` (news, or with ``error`` what went wrong) for the
    next page and go to ``target`` (post/redirect/get: reloading never repeats it)."""
    await run_in_threadpool(lambda: site.sessions.set_flash(viewer.session, message,
                                                            error=error))
    return RedirectResponse(target, status_code=303)


async def perform(site: Site, viewer: Viewer, work: Callable[[], str], target: str
                  ) -> RedirectResponse:
    """Run ``work`` (blocking; it returns the news) in a worker thread, then ``done`` with
    its message, or with the message of the ``CivicRecordsError`` it raised. A
    ``NotFoundError`` propagates (the app shows its not-found page)."""
    try:
        message = await run_in_threadpool(work)
    except NotFoundError:
        raise
    except CivicRecordsError as exc:
        return await done(site, viewer, exc.message, target, error=True)
    return await done(site, viewer, message, target)


def form_text(request: Request, name: str) -> str:
    """A text field of the (already checked) form, stripped; '' when absent."""
    value = request.state.form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def form_list(request: Request, name: str) -> list[str]:
    """Every value of a repeated field of the (already checked) form."""
    return [v.strip() for v in request.state.form.getlist(name) if isinstance(v, str)
            and v.strip()]
