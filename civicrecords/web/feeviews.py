"""What the request page shows of a request's fee: the statement as the CLI prints it (every
charged and excluded line, the arithmetic, the page estimate), or the one-line reason it
cannot be computed yet; the staff-time log; and what the forms offer and hold."""

from __future__ import annotations

from typing import Any

from civicrecords.archive import Archive
from civicrecords.errors import CivicRecordsError
from civicrecords.requests import charges
from civicrecords.requests.fees import ACTIVITIES
from civicrecords.requests.store import Request


def _statement(archive: Archive, request: Request) -> dict[str, Any]:
    """The fee under the saved options, or ``problem``: why it cannot be computed."""
    try:
        result = charges.request_statement(archive, request)
    except CivicRecordsError as exc:
        return {"problem": exc.message}
    statement = result.statement
    estimate = (f"Pages: {result.pages}, estimated from the response "
                f"({archive.config.fees.characters_per_page} characters a page)"
                if result.estimated else "")
    return {"problem": "", "delivery": result.delivery, "pages": result.pages,
            "estimated": result.estimated, "total": str(statement.total),
            "waived": statement.waived, "explanation": list(statement.explanation),
            "estimate": estimate,
            "rows": [{"charge": line.description, "quantity": line.quantity,
                      "rate": line.rate, "amount": f"${line.amount}", "basis": line.basis}
                     for line in (*statement.lines, *statement.excluded)]}


def fee_view(archive: Archive, request: Request) -> dict[str, Any] | None:
    """The fee section of a public or data subject request (None for discovery, which has
    no fee): ``statement`` (see ``_statement``), ``time_log`` and ``minutes`` in all, and
    the forms' choices: ``activities``, ``deliveries``, the saved ``options`` and each
    configured media kind with its unit cost and saved count."""
    if request.kind not in ("public", "subject"):
        return None
    options = {"delivery": charges.DEFAULT_DELIVERY, "pages": None, "two_sided": False,
               "color_or_oversize": False, "media": {}, **(request.fee_options or {})}
    saved_media = options["media"] or {}
    media = [{"kind": kind, "cost": f"${cost}", "count": saved_media.get(kind, 0)}
             for kind, cost in sorted(archive.config.fees.media_unit_cost.items())]
    return {"statement": _statement(archive, request), "time_log": request.time_log,
            "minutes": sum(int(entry["minutes"]) for entry in request.time_log),
            "activities": sorted(ACTIVITIES), "deliveries": charges.DELIVERIES,
            "options": options, "media": media}
