"""The browser view: ``serve``, and ``user add/list/disable/enable/password`` for its
accounts."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

import typer

from civicrecords.cli.context import CliContext
from civicrecords.errors import UsageError
from civicrecords.web.users import ROLES, UserStore

user_app = typer.Typer(help="Accounts of the browser view (civicrecords serve).",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``user`` command group to ``app``."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_free(host: str, port: int) -> None:
    """Raise ``UsageError`` when ``host:port`` cannot be listened on (in use, no such
    address)."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: "
                             f"{exc.strerror or exc}") from None


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default: "
                                    "[web] host, 127.0.0.1). Another address exposes the app "
                                    "to the network: put a TLS reverse proxy in front."),
    port: int | None = typer.Option(None, "--port", min=0, max=65535,
                                    help="Port to listen on (default: [web] port, 8000)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes "
                                "(one per CPU core serves more people at once)."),
) -> None:
    """Run the browser view: search, items, requests and their review, accounts."""
    import uvicorn

    from civicrecords.archive import ARCHIVE_ENV
    from civicrecords.web.app import create_app

    context: CliContext = ctx.obj
    archive = context.open_archive()
    settings = archive.config.web
    bind = host or settings.host
    chosen = settings.port if port is None else port
    check_free(bind, chosen)
    if not is_loopback(bind) and not settings.trusted_proxies:
        context.note(f"warning: listening on {bind}, beyond this machine, with no TLS proxy "
                     "configured: passwords and session cookies would cross the network "
                     "unencrypted. Put a TLS reverse proxy in front and list its address in "
                     "[web] trusted_proxies.")
    users = UserStore(archive).all()
    if not any(u.role == "admin" and not u.disabled for u in users):
        context.note("note: no active admin account; add one with "
                     "'civicrecords user add NAME --role admin'")
    context.note(f"civicrecords: serving {archive.root} on http://{bind}:{chosen}/ "
                 "(Ctrl-C stops)")
    options = {"host": bind, "port": chosen, "proxy_headers": False, "server_header": False,
               "log_level": "info"}
    if workers == 1:
        uvicorn.run(create_app(archive), **options)  # type: ignore[arg-type]
        return
    # worker processes build their own app from the environment they inherit
    os.environ.update({ARCHIVE_ENV: str(archive.root),
                       "CIVICRECORDS_CONFIG_DIR": str(context.env.user_config_dir),
                       "CIVICRECORDS_OPERATOR": context.env.operator_name})
    uvicorn.run("civicrecords.web.app:app_from_environment", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]


def _password(context: CliContext, from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise UsageError("--password-stdin: no password on standard input")
        return value
    first = typer.prompt("Password", hide_input=True, err=True)
    again = typer.prompt("Password again", hide_input=True, err=True)
    if first != again:
        raise UsageError("the two passwords differ")
    return str(first)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Account name (lowercase letters, digits, '.', '_', "
                               "'-')."),
    role: str = typer.Option(..., "--role", help=f"One of {', '.join(ROLES)}: staff read "
                             "public items; clerks also see not-public data (audited) and "
                             "work requests; admins also manage accounts."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password "
                                        "from the first line of standard input instead of "
                                        "prompting."),
) -> None:
    """Add an account to the browser view (the password is stored as an argon2id hash)."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    store = UserStore(archive)
    user = store.add(name, role, _password(context, password_stdin))
    context.out.print(f"added {user.name} ({user.role})", markup=False)


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List the accounts of the browser view."""
    context: CliContext = ctx.obj
    users = UserStore(context.open_archive()).all()
    context.emit_table(["name", "role", "state", "created", "by", "changed"],
                       [[u.name, u.role, "disabled" if u.disabled else "active", u.created_at,
                         u.created_by, u.changed_at] for u in users],
                       title=f"{len(users)} account(s)")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Account name."),
) -> None:
    """Disable an account: it can no longer sign in and its sessions end."""
    from civicrecords.web.sessions import SessionStore

    context: CliContext = ctx.obj
    archive = context.open_archive()
    UserStore(archive).set_disabled(name, True)
    ended = SessionStore(archive.root, archive.config.web).end_user(name)
    context.out.print(f"disabled {name}; {ended} session(s) ended", markup=False)


@user_app.command("enable")
def user_enable(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Account name."),
) -> None:
    """Enable a disabled account."""
    context: CliContext = ctx.obj
    UserStore(context.open_archive()).set_disabled(name, False)
    context.out.print(f"enabled {name}", markup=False)


@user_app.command("password")
def user_password(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Account name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new "
                                        "password from the first line of standard input."),
) -> None:
    """Set a new password for an account (its sessions end)."""
    from civicrecords.web.sessions import SessionStore

    context: CliContext = ctx.obj
    archive = context.open_archive()
    UserStore(archive).set_password(name, _password(context, password_stdin))
    ended = SessionStore(archive.root, archive.config.web).end_user(name)
    context.out.print(f"new password set for {name}; {ended} session(s) ended", markup=False)
