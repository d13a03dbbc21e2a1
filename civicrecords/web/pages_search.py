"""The search page: the full query language, filters, facets, highlighted snippets, paging.

A GET form, so every search is a link that can be bookmarked or shared. Searching goes
through ``search.service.search`` only — the one scope rule: staff always search public
items; a clerk may include not-public data, and that search is audited by the service.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civicrecords.catalog import Catalog
from civicrecords.errors import QueryError, RefusedError
from civicrecords.search.backend import SearchQuery
from civicrecords.search.highlight import Snippet
from civicrecords.search.query_parser import KNOWN_VALUES
from civicrecords.search.service import ResultRow, search
from civicrecords.web.auth import Viewer
from civicrecords.web.site import Site, guard, item_url, site_of

KINDS: tuple[str, ...] = tuple(KNOWN_VALUES["kind"])
SORTS = {"relevance": "Best match", "newest": "Newest first", "oldest": "Oldest first"}
PAGE_SIZES = (10, 20, 50, 100)
MAX_PAGE = 500
FACET_NAMES = {"account": "Account", "platform": "Platform", "kind": "Kind", "month": "Month",
               "status": "Status"}


@dataclass
class SearchForm:
    """What the search form asked for, and what was wrong with it (field -> message)."""

    q: str = ""
    accounts: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    removed: bool = False
    edited: bool = False
    since: str = ""
    until: str = ""
    all_versions: bool = False
    all_data: bool = False
    sort: str = "relevance"
    page: int = 1
    per: int = 20
    errors: dict[str, str] = field(default_factory=dict)

    def params(self, **changes: Any) -> str:
        """The query string of this search with ``changes`` (page resets to 1 unless
        given)."""
        values = {"q": self.q, "account": self.accounts, "platform": self.platforms,
                  "kind": self.kinds, "removed": "1" if self.removed else "",
                  "edited": "1" if self.edited else "", "since": self.since,
                  "until": self.until, "versions": "all" if self.all_versions else "",
                  "scope": "all" if self.all_data else "", "sort": self.sort,
                  "per": str(self.per), "page": "1"}
        values.update(changes)
        pairs = [(k, v) for k, vs in values.items()
                 for v in (vs if isinstance(vs, list) else [vs]) if v not in ("", None)]
        return urlencode(pairs)


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"{value!r} is not a date like 2026-01-31."
        return None


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def read_form(params: QueryParams, viewer: Viewer, per_page: int) -> SearchForm:
    """The search form from a query string (values a viewer may not use are dropped)."""
    form = SearchForm(
        q=params.get("q", "")[:5000], accounts=params.getlist("account")[:20],
        platforms=params.getlist("platform")[:20], kinds=params.getlist("kind")[:10],
        removed=params.get("removed") == "1", edited=params.get("edited") == "1",
        since=params.get("since", "")[:20], until=params.get("until", "")[:20],
        all_versions=params.get("versions") == "all",
        all_data=params.get("scope") == "all" and viewer.can("clerk"),
        sort=params.get("sort", "relevance"), page=_int(params.get("page"), 1, 1, MAX_PAGE),
        per=_int(params.get("per"), per_page, 1, max(PAGE_SIZES)))
    if form.sort not in SORTS:
        form.sort = "relevance"
    unknown = [k for k in form.kinds if k not in KINDS]
    if unknown:
        form.errors["kind"] = f"Unknown kind {unknown[0]!r}."
    return form


def to_query(form: SearchForm) -> SearchQuery:
    """The service query for a valid form (dates checked here)."""
    since = _day(form.since, "since", form.errors)
    until = _day(form.until, "until", form.errors)
    if since and until and since > until:
        form.errors["until"] = "The end date is before the start date."
    return SearchQuery(
        text=form.q.strip() or "*", accounts=tuple(form.accounts),
        platforms=tuple(form.platforms), kinds=tuple(form.kinds),
        statuses=("removed",) if form.removed else (), edited=True if form.edited else None,
        since=since, until=until, public_only=not form.all_data,
        all_versions=form.all_versions, sort=form.sort,  # type: ignore[arg-type]
        limit=form.per, offset=(form.page - 1) * form.per, facets=True)


def snippet_pieces(shown: Snippet | None) -> list[tuple[str, bool]]:
    """A snippet as (text, matched) pieces, for ``<mark>`` without markup in the data."""
    if shown is None:
        return []
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in sorted(shown.highlights):
        if start < position:
            continue
        if start > position:
            pieces.append((shown.text[position:start], False))
        pieces.append((shown.text[start:end], True))
        position = end
    if position < len(shown.text):
        pieces.append((shown.text[position:], False))
    return pieces


def _result(row: ResultRow) -> dict[str, Any]:
    data = row.version.item()
    who = row.item.author_name or row.item.author or "unknown author"
    heading = " ".join(data.title.split()) or f"{row.item.kind.capitalize()} by {who}"
    return {"url": item_url(row.item.ref), "heading": heading, "ref": row.item.ref,
            "kind": row.item.kind, "platform": row.item.platform, "account": row.item.account,
            "author": row.item.author or "", "created_at": row.item.created_at or "",
            "status": row.item.status, "classification": row.item.classification,
            "versions": row.item.version_count,
            "earlier": row.version.id != row.item.latest_version,
            "pieces": snippet_pieces(row.snippet)}


def _facet_links(form: SearchForm, facets: dict[str, dict[str, int]]
                 ) -> list[dict[str, Any]]:
    groups = []
    for name, counts in facets.items():
        links = []
        for value, count in list(counts.items())[:12]:
            if name == "month":
                year, month = (int(p) for p in value.split("-"))
                last = calendar.monthrange(year, month)[1]
                query = form.params(since=f"{value}-01", until=f"{value}-{last:02d}")
                active = form.since == f"{value}-01" and form.until == f"{value}-{last:02d}"
            elif name == "status" and value == "removed":
                query, active = form.params(removed="1"), form.removed
            elif name == "status":
                continue
            else:
                key = {"account": "accounts", "platform": "platforms", "kind": "kinds"}[name]
                chosen: list[str] = getattr(form, key)
                active = value in chosen
                query = form.params(**{name: chosen if active else [*chosen, value]})
            links.append({"value": value, "count": count, "href": f"/search?{query}",
                          "active": active})
        if links:
            groups.append({"name": FACET_NAMES.get(name, name), "id": name, "links": links})
    return groups


def _pages(form: SearchForm, total: int) -> list[dict[str, Any]]:
    last = min(max(1, -(-total // form.per)), MAX_PAGE)
    numbers = sorted({1, last, *range(max(1, form.page - 2), min(last, form.page + 2) + 1)})
    return [{"number": n, "href": f"/search?{form.params(page=str(n))}",
             "current": n == form.page} for n in numbers]


def run_search(site: Site, viewer: Viewer, form: SearchForm) -> dict[str, Any]:
    """Search (if the form asks for it) and everything the page shows about the results."""
    context: dict[str, Any] = {"form": form, "results": [], "total": None, "facets": [],
                               "pages": [], "last_page": 1}
    query = to_query(form)
    if not form.q.strip() or form.errors:
        return context
    archive = site.archive_for(viewer.name)
    try:
        with Catalog(archive.catalog_path) as catalog, site.search_backend.use() as backend:
            results = search(catalog, backend, query, archive.audit)
            if not results.rows and results.total and form.page > 1:
                form.page = 1
                results = search(catalog, backend, replace(query, offset=0), archive.audit)
    except (QueryError, RefusedError) as exc:
        form.errors["q"] = exc.message
        return context
    context.update(results=[_result(row) for row in results.rows], total=results.total,
                   facets=_facet_links(form, results.facets), pages=_pages(form, results.total),
                   last_page=max(1, -(-results.total // form.per)))
    return context


@guard("staff")
async def search_page(request: Request, viewer: Viewer) -> Response:
    """The search form and, when a query was given, one page of results."""
    site = site_of(request)
    form = read_form(request.query_params, viewer, site.settings.results_per_page)
    context = await run_in_threadpool(run_search, site, viewer, form)
    accounts = sorted({a.name for a in site.archive.config.accounts} | set(form.accounts))
    platforms = sorted({a.platform for a in site.archive.config.accounts} | set(form.platforms))
    return site.page(request, viewer, "search.html", status=400 if form.errors else 200,
                     accounts=accounts, platforms=platforms, kinds=KINDS, sorts=SORTS,
                     page_sizes=PAGE_SIZES, **context)


ROUTES = [Route("/search", search_page, methods=["GET"])]
