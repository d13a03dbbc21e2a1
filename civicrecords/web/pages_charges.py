"""Fees, staff time and the response letter in the browser view (clerks), for public and
data subject requests.

Each action calls the same library functions as ``civicrecords request time``, ``request
fees`` and ``request letter``, with the signed-in clerk as the operator: staff time goes
through ``RequestStore.log_time``, delivery options through ``charges.fee_options`` and are
saved as ``request.fees``, and the letter is ``letter.response_letter`` rendered as its PDF
and audited as ``request.letter``. Staff time and delivery options change only while the
request is open; the letter can be written at any time (a denial letter follows the denial).
Errors return to the request page as its message.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civicrecords.archive import Archive
from civicrecords.errors import CivicRecordsError, NotFoundError, UsageError
from civicrecords.requests import charges
from civicrecords.requests.fees import StaffTime
from civicrecords.requests.letter import response_letter
from civicrecords.requests.letter_pdf import letter_pdf
from civicrecords.requests.policy import require_data_practices
from civicrecords.requests.store import Request as DataRequest
from civicrecords.requests.store import RequestStore
from civicrecords.web.auth import Viewer
from civicrecords.web.downloads import disposition
from civicrecords.web.pages_requests import act, request_lock
from civicrecords.web.site import done, form_text, guard, site_of

MEDIA_FIELD = "media:"


def whole_number(text: str, what: str) -> int:
    """``text`` as a whole number >= 0; ``UsageError`` naming ``what`` otherwise."""
    if not text.isdigit():
        raise UsageError(f"{what} must be a whole number, 0 or more (got {text!r}).")
    return int(text)


def _media(request: Request) -> dict[str, int]:
    """The form's materials (``media:<kind>`` fields) as kind -> count; blank and zero
    counts are left out."""
    out: dict[str, int] = {}
    for name, value in request.state.form.multi_items():
        if not name.startswith(MEDIA_FIELD) or not isinstance(value, str) or not value.strip():
            continue
        kind = name.removeprefix(MEDIA_FIELD)
        count = whole_number(value.strip(), f"The count of {kind}")
        if count:
            out[kind] = out.get(kind, 0) + count
    return out


@guard("clerk")
async def log_time(request: Request, viewer: Viewer) -> Response:
    """Log staff time on an open request (as 'request time'); the staff member defaults
    to the signed-in clerk."""
    activity, minutes = form_text(request, "activity"), form_text(request, "minutes")
    staff, note = form_text(request, "staff"), form_text(request, "note")

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        require_data_practices(data)
        entry = StaffTime(activity, whole_number(minutes, "Minutes"),
                          staff or archive.env.operator_name, note)
        store.log_time(data, entry)
        total = sum(int(e["minutes"]) for e in data.time_log)
        return f"Logged {entry.minutes} min of {entry.activity}; {total} min in all."

    return await act(request, viewer, action)


@guard("clerk")
async def save_fees(request: Request, viewer: Viewer) -> Response:
    """Save how the data is delivered (as 'request fees' with options); the page then shows
    the fee they give."""
    delivery, pages = form_text(request, "delivery"), form_text(request, "pages")
    two_sided, color = bool(form_text(request, "two_sided")), bool(form_text(request, "color"))

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        require_data_practices(data)
        if not data.is_open:
            raise UsageError(f"request {data.id} is {data.status}; it cannot change")
        previous = data.fee_options or {}
        data.fee_options = charges.fee_options(
            archive.config, delivery=delivery or previous.get("delivery",
                                                             charges.DEFAULT_DELIVERY),
            pages=whole_number(pages, "Pages") if pages else None, two_sided=two_sided,
            color_or_oversize=color, media=_media(request))
        store.save(data, "request.fees", **data.fee_options)
        return f"Delivery options saved: {data.fee_options['delivery']} copies."

    return await act(request, viewer, action)


@guard("clerk")
async def letter(request: Request, viewer: Viewer) -> Response:
    """The response letter on its own (as 'request letter'), as a PDF download."""
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    rid = request.path_params["rid"]
    unreviewed = form_text(request, "unreviewed") or None
    filename = f"{rid}-letter.pdf"

    def build() -> bytes:
        if unreviewed not in (None, "redact", "release"):
            raise UsageError("Undecided candidates can be redacted or released, or the "
                             "letter refused.")
        with request_lock(archive, rid):
            data = RequestStore(archive).get(rid)
            composed, fee = response_letter(archive, data, unreviewed,  # type: ignore[arg-type]
                                            archive.env.now())
            pdf = letter_pdf(composed)
            archive.audit.record("request.letter", subject=data.id, download=filename,
                                 fee_total=str(fee.statement.total))
            return pdf

    try:
        pdf = await run_in_threadpool(build)
    except NotFoundError:
        raise
    except CivicRecordsError as exc:
        return await done(site, viewer, exc.message, f"/requests/{rid}", error=True)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": disposition("attachment", filename)})


ROUTES = [
    Route("/requests/{rid}/time", log_time, methods=["POST"]),
    Route("/requests/{rid}/fees", save_fees, methods=["POST"]),
    Route("/requests/{rid}/letter", letter, methods=["POST"]),
]
