"""Answering a request: staff time, fees, the response letter, and recording delivery."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from civicrecords.cli.context import CliContext, OutputFormat, Unreviewed
from civicrecords.errors import ConfigError, UsageError
from civicrecords.requests import charges
from civicrecords.requests.calendar import parse_received
from civicrecords.requests.fees import ACTIVITIES, StaffTime
from civicrecords.requests.fulfil import fulfil
from civicrecords.requests.letter import letter_files, response_letter
from civicrecords.requests.policy import require_data_practices
from civicrecords.requests.store import RequestStore, local_zone

STYLE = Path(__file__).parent.parent / "templates" / "style.css"


class Delivery(StrEnum):
    inspection = "inspection"
    paper = "paper"
    electronic = "electronic"


def register(app: typer.Typer) -> None:
    """Add ``time``, ``fees``, ``letter`` and ``fulfil`` to the ``request`` command group."""
    app.command("time")(time_command)
    app.command("fees")(fees_command)
    app.command("letter")(letter_command)
    app.command("fulfil")(fulfil_command)


def time_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    activity: str = typer.Option(..., "--activity", help="One of: "
                                 f"{', '.join(sorted(ACTIVITIES))} (redaction and review "
                                 "time is recorded but never charged)."),
    minutes: int = typer.Option(..., "--minutes", min=0, help="Whole minutes spent."),
    staff: str = typer.Option(..., "--staff", help="Who did the work."),
    note: str = typer.Option("", "--note", help="What was done."),
) -> None:
    """Log staff time spent on a request (used by 'request fees')."""
    context: CliContext = ctx.obj
    store = RequestStore(context.open_archive())
    request = store.get(request_id)
    store.log_time(request, StaffTime(activity, minutes, staff, note))
    total = sum(int(e["minutes"]) for e in request.time_log)
    context.out.print(f"{request.id}: logged {minutes} min of {activity}; {total} min in all",
                      markup=False)


def _media(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        kind, _, count = value.partition("=")
        if not kind or not count.isdigit():
            raise UsageError(f"--media: {value!r} is not KIND=COUNT, e.g. usb=1")
        out[kind] = out.get(kind, 0) + int(count)
    return out


def fees_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    delivery: Delivery | None = typer.Option(None, "--delivery", help="inspection, paper or "
                                             "electronic copies (saved on the request; "
                                             "default electronic)."),
    pages: int | None = typer.Option(None, "--pages", min=0, help="Paper pages (default: "
                                     "estimated from the response)."),
    two_sided: bool = typer.Option(False, "--two-sided", help="Paper copies are two-sided."),
    color: bool = typer.Option(False, "--color", help="Color or oversize copies (actual "
                               "cost instead of the per-page rate)."),
    media: list[str] = typer.Option([], "--media", help="Materials used, KIND=COUNT (e.g. "
                                    "usb=1; kinds from [fees.media_unit_cost]; repeatable)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Compute the request's fee and show the arithmetic; options given are saved."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    store = RequestStore(archive)
    request = store.get(request_id)
    require_data_practices(request)
    if delivery or pages is not None or two_sided or color or media:
        if not request.is_open:
            raise UsageError(f"request {request.id} is {request.status}; it cannot change")
        previous = request.fee_options or {}
        request.fee_options = charges.fee_options(
            archive.config, delivery=(delivery.value if delivery else
                                      previous.get("delivery", charges.DEFAULT_DELIVERY)),
            pages=pages, two_sided=two_sided, color_or_oversize=color, media=_media(media))
        store.save(request, "request.fees", **request.fee_options)
    result = charges.request_statement(archive, request)
    if fmt is OutputFormat.json:
        context.emit_json(result.to_dict())
        return
    rows = [[line.description, line.quantity, line.rate, f"${line.amount}", line.basis]
            for line in (*result.statement.lines, *result.statement.excluded)]
    if rows:
        context.emit_table(["charge", "quantity", "rate", "amount", "basis"], rows,
                           title=f"Fee for {request.id} ({result.delivery})")
    for line in result.statement.explanation:
        context.out.print(line, markup=False)
    if result.estimated:
        context.out.print(f"Pages: {result.pages}, estimated from the response "
                          f"({archive.config.fees.characters_per_page} characters a page)",
                          markup=False)


def letter_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    out: Path = typer.Option(..., "--out", help="New or empty directory for letter.html, "
                             "letter.pdf and style.css."),
    unreviewed: Unreviewed | None = typer.Option(
        None, "--unreviewed", help="Treat undecided PII candidates and media this way "
        "(default: refuse while any remain)."),
) -> None:
    """Write the response letter on its own (e.g. for a denial); 'request export' puts the
    same letter in the bundle."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    request = RequestStore(archive).get(request_id)
    target = out.expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target}: already exists and is not an empty directory")
    letter, fee = response_letter(archive, request, unreviewed.value if unreviewed else None,
                                  context.env.now())  # type: ignore[arg-type]
    files = letter_files(letter)
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (target / name).write_bytes(data)
    (target / "style.css").write_bytes(STYLE.read_bytes())
    archive.audit.record("request.letter", subject=request.id, path=str(target),
                         fee_total=str(fee.statement.total))
    context.out.print(f"{request.id}: letter written to {target}", markup=False)


def fulfil_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    via: str = typer.Option(..., "--via", help="How it was delivered (email, portal, USB "
                            "drive picked up at City Hall...)."),
    bundle: Path | None = typer.Option(None, "--bundle", help="The delivered bundle "
                                       "(default: the latest export)."),
    delivered: str | None = typer.Option(None, "--delivered", help="When: YYYY-MM-DD or "
                                         "YYYY-MM-DDTHH:MM (default: now)."),
) -> None:
    """Close a request: verify the delivered bundle and record its hash, how and when."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    request = RequestStore(archive).get(request_id)
    when = parse_received(delivered, local_zone(archive)) if delivered else None
    result = fulfil(archive, request, bundle=bundle, via=via, delivered_at=when)
    context.out.print(f"{request.id}: fulfilled {result.delivered_at} via {result.via}; "
                      f"bundle {result.bundle} (tag manifest sha256 "
                      f"{result.tagmanifest_sha256}), fee ${result.fee_total}", markup=False)
