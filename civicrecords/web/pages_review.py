"""The review page of one request: accept (redact) or reject (release) each PII candidate,
look at media, withhold or release whole items with a basis — by mouse, keyboard shortcuts
(``static/review.js``) or plain forms without JavaScript.

Decisions are made by ``requests.worklist.decide`` and appended to the request's ledger
exactly as ``civicrecords request review --decide`` does, with the signed-in clerk as the
decider and a reason for every decision.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.config import Config
from civicrecords.environment import utc_iso
from civicrecords.errors import RefusedError
from civicrecords.requests.policy import policy_for
from civicrecords.requests.prepare import ordered_items
from civicrecords.requests.review import Decision, Ledger, item_key
from civicrecords.requests.store import Request as DataRequest
from civicrecords.requests.store import RequestStore
from civicrecords.requests.worklist import ITEM_CATEGORY, Entry, decide, worklist
from civicrecords.web.auth import Viewer
from civicrecords.web.itemviews import describe
from civicrecords.web.pages_requests import request_lock
from civicrecords.web.site import form_text, guard, perform, site_of

OPEN_STATUSES = ("undecided", "withheld")
CHOICE_NAMES = {"accept": "Redaction", "reject": "Release", "withhold": "Withholding",
                "release": "Release"}


def bases(config: Config) -> list[str]:
    """Every legal basis the configuration names (offered when withholding)."""
    found = {config.classification.default_basis, config.redaction.image_basis}
    found.update(c.basis for c in config.redaction.categories.values())
    found.update(rule.basis for rule in config.classification.rules)
    return sorted(b for b in found if b)


def load(archive: Archive, rid: str) -> dict[str, Any]:
    """The request, its review list and its items with their current item decisions."""
    store = RequestStore(archive)
    data = store.get(rid)
    decisions = Ledger(store.path(data.id)).latest()
    with Catalog(archive.catalog_path) as catalog:
        policy = policy_for(data, decisions, catalog, archive.config)
        entries = worklist(catalog, archive.config, data, policy, decisions)
        items = []
        for number, (row, depth) in enumerate(ordered_items(catalog, data.items), start=1):
            decision = decisions.get(item_key(row.ref))
            items.append({"number": number, "depth": depth, "key": item_key(row.ref),
                          "withheld": policy.withhold(row),
                          "decision": decision, **describe(row, catalog.latest(row))})
    return {"request": data, "entries": entries, "items": items}


def _record(archive: Archive, data: DataRequest, made: list[Decision], choice: str,
            basis: str, reason: str) -> None:
    store = RequestStore(archive)
    Ledger(store.path(data.id)).record(made)
    if data.status in ("received", "gathering"):
        data.status = "in-review"
    store.save(data, "request.decide", choice=choice, count=len(made),
               keys=[d.key for d in made], basis=basis, reason=reason)


@guard("clerk")
async def review_page(request: Request, viewer: Viewer) -> Response:
    """The review list (undecided entries first shown; ``?show=all`` lists every one)."""
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    show_all = request.query_params.get("show") == "all"
    context = await run_in_threadpool(load, archive, request.path_params["rid"])
    entries: list[Entry] = context["entries"]
    counts = Counter(e.status for e in entries)
    shown = [e for e in entries if show_all or e.status in OPEN_STATUSES]
    categories = sorted({e.category for e in entries if e.status in OPEN_STATUSES
                         and e.category != ITEM_CATEGORY})
    return site.page(request, viewer, "review.html", shown=shown, counts=sorted(counts.items()),
                     show_all=show_all, categories=categories, bases=bases(archive.config),
                     last_reason=viewer.session.last_reason, total=len(entries),
                     undecided=counts.get("undecided", 0), **context)


async def _decide(request: Request, viewer: Viewer, selected: dict[str, Any]) -> Response:
    """Decide the selected entries with the form's choice, basis and reason; go back to the
    review list at the next entry."""
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    rid = request.path_params["rid"]
    choice, basis, reason = (form_text(request, "choice"), form_text(request, "basis"),
                             form_text(request, "reason"))
    anchor = form_text(request, "next")
    valid = anchor.startswith(("entry-", "item-")) and anchor.split("-", 1)[1].isdigit()
    back = f"/requests/{rid}/review" + (f"#{anchor}" if valid else "")

    def run() -> str:
        with request_lock(archive, rid):
            context = load(archive, rid)
            data: DataRequest = context["request"]
            if not data.is_open:
                raise RefusedError(f"request {data.id} is {data.status}; it cannot change")
            entries = context["entries"] + selected.get("extra", [])
            made = decide(entries, choice, selectors=selected.get("selectors", []),
                          categories=selected.get("categories", []), basis=basis,
                          reason=reason, by=archive.env.operator_name,
                          at=utc_iso(archive.env.now()), config=archive.config)
            _record(archive, data, made, choice, basis, reason)
        site.sessions.set_last_reason(viewer.session, reason)
        return f"{CHOICE_NAMES.get(choice, choice)} recorded for {len(made)} entr" \
               f"{'y' if len(made) == 1 else 'ies'}."

    return await perform(site, viewer, run, back)


@guard("clerk")
async def decide_entry(request: Request, viewer: Viewer) -> Response:
    """Decide one review entry (by its key)."""
    return await _decide(request, viewer, {"selectors": [form_text(request, "key")]})


@guard("clerk")
async def decide_category(request: Request, viewer: Viewer) -> Response:
    """Decide every undecided entry of one category."""
    return await _decide(request, viewer, {"categories": [form_text(request, "category")]})


@guard("clerk")
async def decide_item(request: Request, viewer: Viewer) -> Response:
    """Withhold or release a whole item of the request, whether or not the review list
    names it."""
    ref = form_text(request, "ref")
    entry = Entry(number=0, key=item_key(ref), target="item", item_ref=ref, item_number=0,
                  item_kind="", category=ITEM_CATEGORY, field="", version=0, context="",
                  status="undecided", basis="")
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    data = await run_in_threadpool(RequestStore(archive).get, request.path_params["rid"])
    if ref not in data.items:
        return site.not_found(viewer)
    return await _decide(request, viewer, {"selectors": [entry.key], "extra": [entry]})


ROUTES = [
    Route("/requests/{rid}/review", review_page, methods=["GET"]),
    Route("/requests/{rid}/decide", decide_entry, methods=["POST"]),
    Route("/requests/{rid}/decide-category", decide_category, methods=["POST"]),
    Route("/requests/{rid}/decide-item", decide_item, methods=["POST"]),
]
