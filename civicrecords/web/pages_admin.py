"""Account administration in the browser view (admins): list, add, disable and enable,
change role, set a new password, lift a sign-in lock. Every change is audited with the
administrator as the actor; disabling an account or replacing its password ends its
sessions at once."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civicrecords.errors import UsageError
from civicrecords.web.auth import Viewer
from civicrecords.web.site import Site, done, form_text, guard, perform, site_of
from civicrecords.web.users import ROLES, UserStore

USERS = "/admin/users"


def _listing(site: Site) -> list[dict[str, Any]]:
    now = site.archive.env.now()
    rows = []
    for user in site.users.all():
        until = site.sessions.locked_until([f"account:{user.name}"], now)
        rows.append({**user.describe(), "locked": until is not None})
    return rows


@guard("admin")
async def users_page(request: Request, viewer: Viewer) -> Response:
    """Every account, and the form to add one."""
    site = site_of(request)
    rows = await run_in_threadpool(_listing, site)
    return site.page(request, viewer, "users.html", users=rows, roles=ROLES, error="",
                     values={}, min_length=site.settings.min_password_length)


@guard("admin")
async def add_user(request: Request, viewer: Viewer) -> Response:
    """Create an account (the password is typed twice)."""
    site = site_of(request)
    values = {"name": form_text(request, "name").lower(), "role": form_text(request, "role")}
    password = str(request.state.form.get("password", ""))
    again = str(request.state.form.get("again", ""))

    def add() -> None:
        if password != again:
            raise UsageError("The password and its repetition differ.")
        UserStore(site.archive_for(viewer.name)).add(values["name"], values["role"], password)

    try:
        await run_in_threadpool(add)
    except UsageError as exc:
        rows = await run_in_threadpool(_listing, site)
        return site.page(request, viewer, "users.html", status=400, users=rows, roles=ROLES,
                         error=exc.message, values=values,
                         min_length=site.settings.min_password_length)
    return await done(site, viewer, f"Account {values['name']} added ({values['role']}).",
                      USERS)


async def _change(request: Request, viewer: Viewer, what: str) -> Response:
    site = site_of(request)
    name = request.path_params["name"]
    store = UserStore(site.archive_for(viewer.name))

    def run() -> str:
        if name == viewer.name and what in ("disable", "role"):
            raise UsageError("You cannot disable your own account or change your own role.")
        if what == "disable":
            store.set_disabled(name, True)
            site.sessions.end_user(name)
            return f"Account {name} disabled; its sessions ended."
        if what == "enable":
            store.set_disabled(name, False)
            return f"Account {name} enabled."
        if what == "role":
            user = store.set_role(name, form_text(request, "role"))
            site.sessions.end_user(name)
            return f"Account {name} is now {user.role}; its sessions ended."
        if what == "password":
            password = str(request.state.form.get("password", ""))
            if password != str(request.state.form.get("again", "")):
                raise UsageError("The password and its repetition differ.")
            store.set_password(name, password)
            site.sessions.end_user(name)
            return f"New password set for {name}; its sessions ended."
        store.get(name)
        lifted = site.sessions.unlock(f"account:{name}")
        site.archive_for(viewer.name).audit.record("web.login_unlock", subject=name,
                                                   was_locked=lifted)
        return f"Sign-in lock of {name} lifted." if lifted else f"{name} was not locked."

    return await perform(site, viewer, run, USERS)


@guard("admin")
async def disable_user(request: Request, viewer: Viewer) -> Response:
    """Disable an account."""
    return await _change(request, viewer, "disable")


@guard("admin")
async def enable_user(request: Request, viewer: Viewer) -> Response:
    """Enable a disabled account."""
    return await _change(request, viewer, "enable")


@guard("admin")
async def set_role(request: Request, viewer: Viewer) -> Response:
    """Give an account another role."""
    return await _change(request, viewer, "role")


@guard("admin")
async def set_password(request: Request, viewer: Viewer) -> Response:
    """Set a new password for an account."""
    return await _change(request, viewer, "password")


@guard("admin")
async def unlock_user(request: Request, viewer: Viewer) -> Response:
    """Lift an account's sign-in lock before it runs out."""
    return await _change(request, viewer, "unlock")


ROUTES = [
    Route(USERS, users_page, methods=["GET"]),
    Route(USERS, add_user, methods=["POST"]),
    Route(USERS + "/{name}/disable", disable_user, methods=["POST"]),
    Route(USERS + "/{name}/enable", enable_user, methods=["POST"]),
    Route(USERS + "/{name}/role", set_role, methods=["POST"]),
    Route(USERS + "/{name}/password", set_password, methods=["POST"]),
    Route(USERS + "/{name}/unlock", unlock_user, methods=["POST"]),
]
