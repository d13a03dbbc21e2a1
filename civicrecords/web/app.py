"""The browser view as an ASGI application: ``create_app(archive)``.

Every response carries the same protective headers: a strict Content-Security-Policy (no
inline script or style, nothing from another origin, no framing), ``nosniff``,
``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``, and ``Cache-Control: no-store``
except for the app's own static files. With ``[web] trusted_proxies`` set, the client
address and scheme forwarded by those proxies (and only those) are believed, so throttling
counts real clients and cookies are Secure behind TLS.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from civicrecords.archive import Archive, resolve_archive_root
from civicrecords.environment import Environment
from civicrecords.web import (
    pages_admin,
    pages_auth,
    pages_charges,
    pages_items,
    pages_requests,
    pages_review,
    pages_search,
)
from civicrecords.web.site import SHARED_STYLE, STATIC_DIR, Site, site_of

LOG = logging.getLogger("civicrecords.web")
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; media-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """ASGI middleware adding the headers of the module docstring to every response (a
    response may bring its own, stricter, Content-Security-Policy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                for name, value in HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers or not static:
                    headers["Cache-Control"] = "private, max-age=300" if static else "no-store"
                if scope.get("scheme") == "https":
                    headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _style(request: Request) -> Response:
    return FileResponse(SHARED_STYLE, media_type="text/css")


async def _http_error(request: Request, exc: Exception) -> Response:
    site = site_of(request)
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return site.not_found(None)
    if status == 405:
        return site.error_page(None, 405, "Not allowed", "This address does not take that "
                               "kind of request.")
    return site.error_page(None, status, "Error", "The request could not be handled.")


async def _server_error(request: Request, exc: Exception) -> Response:
    LOG.exception("unexpected error on %s %s", request.method, request.url.path,
                  exc_info=exc)
    return site_of(request).error_page(None, 500, "Something went wrong",
                                       "The server could not finish this request; nothing "
                                       "was changed by the failed part. Try again, and tell "
                                       "an administrator if it keeps happening.")


def create_app(archive: Archive) -> Any:
    """The ASGI app serving ``archive`` (see module docstring)."""
    routes: list[Any] = [
        Route("/static/style.css", _style, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        *pages_auth.ROUTES, *pages_search.ROUTES, *pages_items.ROUTES,
        *pages_requests.ROUTES, *pages_charges.ROUTES, *pages_review.ROUTES,
        *pages_admin.ROUTES,
    ]
    site = Site(archive)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        site.search_backend.close()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        HTTPException: _http_error, Exception: _server_error})
    app.state.site = site
    wrapped: Any = SecurityHeaders(app)
    proxies = archive.config.web.trusted_proxies
    if proxies:
        wrapped = ProxyHeadersMiddleware(wrapped, trusted_hosts=list(proxies))
    return wrapped


def app_from_environment() -> Any:
    """The app for the archive named by ``$CIVICRECORDS_ARCHIVE``: what each worker process
    of ``civicrecords serve --workers N`` builds."""
    env = Environment()
    return create_app(Archive.open(resolve_archive_root(None, env), env))
