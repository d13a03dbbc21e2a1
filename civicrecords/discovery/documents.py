"""A production's documents: the request's items in family order, decided and redacted.

``build_documents`` turns the request's items into ``Doc``s in conversation order (each
post followed by its comments, replies and media, which are its family attachments), with
every version's title and text redacted by the request's review plan and the withholding
decision of the bundle policy (not-public items withheld unless a clerk released them, a
clerk's item decision winning either way). The rendering helpers here give each document's
image content, extracted text and JSON native; none of them ever sees a redacted value.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog, ItemRow, VersionRow
from civicrecords.discovery.loadfiles import FileRef
from civicrecords.discovery.pdfimages import ItemImage, Picture, VersionText
from civicrecords.environment import parse_utc, utc_iso
from civicrecords.errors import RefusedError
from civicrecords.requests import redact
from civicrecords.requests.bundle import ordered_items, public_policy
from civicrecords.requests.redact import Segment
from civicrecords.requests.review import Ledger, candidates_for
from civicrecords.requests.store import Request, RequestStore

Family = tuple[str, str, str]
KIND_NAMES = {"post": "Post", "comment": "Comment", "message": "Direct message",
              "media": "Media file"}


@dataclass
class VersionDoc:
    """One version of a document, redacted."""

    row: VersionRow
    number: int
    text: list[Segment]
    title: list[Segment]


@dataclass
class Doc:
    """One produced document (one item) and where its files went."""

    index: int
    row: ItemRow
    family: Family
    withheld: str | None
    versions: list[VersionDoc] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    parent: Doc | None = None
    pages: list[str] = field(default_factory=list)
    family_range: tuple[str, str] | None = None
    image: FileRef | None = None

    @property
    def begin(self) -> str:
        """First Bates number."""
        return self.pages[0]

    @property
    def end(self) -> str:
        """Last Bates number."""
        return self.pages[-1]

    @property
    def redacted(self) -> bool:
        """True when any version has a redaction."""
        return bool(self.bases)

    @property
    def latest(self) -> VersionDoc | None:
        """The latest version (the one the platform showed last)."""
        for version in self.versions:
            if version.row.id == self.row.latest_version:
                return version
        return self.versions[-1] if self.versions else None

    @property
    def data(self) -> Any:
        """The latest version's normalized item."""
        latest = self.latest
        return latest.row.item() if latest else None


def family_of(row: ItemRow) -> Family:
    """(platform, account, root id): a post and every item under it share one family."""
    return (row.platform, row.account, row.thread_id or row.platform_id)


def make_version_docs(row: ItemRow, versions: list[VersionRow], plan: redact.Plan,
                      placeholder: str) -> tuple[list[VersionDoc], list[str]]:
    """Every version of ``row`` with its redactions applied, and the bases used."""
    out: list[VersionDoc] = []
    bases: set[str] = set()
    for number, version in enumerate(versions, start=1):
        data = version.item()
        spans_text = plan.spans.get((row.ref, version.id, "text"), [])
        spans_title = plan.spans.get((row.ref, version.id, "title"), [])
        bases.update(span.basis for span in [*spans_text, *spans_title])
        out.append(VersionDoc(version, number, redact.apply(data.text, spans_text, placeholder),
                              redact.apply(data.title, spans_title, placeholder)))
    return out, sorted(bases)


def _when(value: str | None, zone: zoneinfo.ZoneInfo) -> str:
    if not value:
        return "unknown"
    try:
        moment = parse_utc(value)
    except ValueError:
        return value
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M %Z} ({utc_iso(moment.replace(microsecond=0))})"


def truncate(segments: list[Segment], limit: int) -> list[Segment]:
    """The first ``limit`` characters of kept text (redactions kept whole), with an ellipsis
    when cut."""
    out: list[Segment] = []
    used = 0
    for segment in segments:
        if segment.redacted:
            out.append(segment)
            continue
        room = limit - used
        if room <= 0:
            out.append(Segment("…"))
            break
        if len(segment.text) > room:
            out.append(Segment(segment.text[:room] + "…"))
            break
        out.append(segment)
        used += len(segment.text)
    return out


def heading(doc: Doc) -> str:
    """``Post by Name (@handle)``; without the author for withheld documents."""
    kind = KIND_NAMES.get(doc.row.kind, doc.row.kind.capitalize())
    if doc.withheld:
        return f"{kind} on {doc.row.platform} account {doc.row.account}"
    name = doc.row.author_name or doc.row.author or "unknown author"
    handle = f" (@{doc.row.author})" if doc.row.author and doc.row.author_name else ""
    return f"{kind} by {name}{handle}"


def context(doc: Doc) -> list[Segment]:
    """What the document replies to: the produced parent's (redacted) text, or a note that
    the parent is not in this production."""
    if not doc.row.parent_id:
        return []
    relation = "Attached to" if doc.row.kind == "media" else "In reply to"
    parent = doc.parent
    if parent is None or parent.row.platform_id != doc.row.parent_id:
        return [Segment(f"{relation} {doc.row.platform} item {doc.row.parent_id} (not in "
                        "this production)")]
    if parent.withheld or parent.latest is None:
        return [Segment(f"{relation} {parent.begin} (withheld)")]
    kind = KIND_NAMES.get(parent.row.kind, parent.row.kind).lower()
    author = parent.row.author_name or parent.row.author or "unknown author"
    return [Segment(f"{relation} {kind} {parent.begin} by {author}: "),
            *truncate(parent.latest.text, 300)]


def notes(doc: Doc) -> list[str]:
    """Content warning, poll, link card, reposts and reactions from the latest version."""
    data = doc.data
    if data is None:
        return []
    extra, versioned = data.extra, data.versioned
    out = []
    if versioned.get("spoiler_text"):
        out.append(f"Content warning: {versioned['spoiler_text']}")
    poll = extra.get("poll") or {}
    if poll.get("options"):
        options = "; ".join(f"{o.get('title')} ({o.get('votes_count', '?')} votes)"
                            for o in poll["options"] if isinstance(o, dict))
        out.append(f"Poll: {options}")
    for key, label in (("reblog_of", "Repost of"), ("quote_of", "Quotes")):
        if isinstance(extra.get(key), dict):
            out.append(f"{label} {extra[key].get('url') or extra[key].get('id')} by "
                       f"{extra[key].get('author')}")
    if isinstance(extra.get("card"), dict) and extra["card"].get("url"):
        out.append(f"Link preview: {extra['card'].get('title') or ''} {extra['card']['url']}")
    counts = [(label, extra.get(key)) for key, label in
              (("replies_count", "Replies"), ("reblogs_count", "Boosts"),
               ("favourites_count", "Favourites")) if extra.get(key) is not None]
    if counts:
        out.append(" · ".join(f"{label} {value}" for label, value in counts) +
                   " (as last captured)")
    if extra.get("sensitive"):
        out.append("Marked sensitive by its author")
    return out


def item_image(doc: Doc, zone: zoneinfo.ZoneInfo, pictures: list[Picture]) -> ItemImage:
    """What the document's PDF pages show."""
    if doc.withheld:
        return ItemImage(heading=heading(doc), withheld=doc.withheld)
    row, data = doc.row, doc.data
    meta = [("Posted", _when(row.created_at, zone)),
            ("Platform", f"{row.platform}, account {row.account}"),
            ("Item", row.ref)]
    if row.url:
        meta.append(("Address", row.url))
    if data is not None and data.recipients:
        meta.append(("Recipients", ", ".join(data.recipients)))
    status = row.status
    if row.removed_job:
        status += f" (first missed by capture {row.removed_job}: {row.removed_reason or ''})"
    meta.append(("Status", status))
    meta.append(("Captured", f"{row.first_seen} to {row.last_seen}"))
    versions = []
    total = len(doc.versions)
    for version in reversed(doc.versions):
        label = f"Version {version.number} of {total}"
        if version.row.id == row.latest_version:
            label += " (latest)"
        if version.row.version_time:
            label += f", platform time {version.row.version_time}"
        label += f"; captured {version.row.first_seen}"
        versions.append(VersionText(label, version.text, version.title))
    return ItemImage(heading=heading(doc), meta=meta, context=context(doc),
                     versions=versions, notes=notes(doc), pictures=pictures)


def text_file(doc: Doc, zone: zoneinfo.ZoneInfo) -> str:
    """The document's extracted text (what TEXTLINK points to), redactions as placeholders."""
    lines = [f"{doc.begin}" + (f" to {doc.end}" if doc.end != doc.begin else ""), heading(doc)]
    if doc.withheld:
        lines.append(f"Withheld in full under {doc.withheld}. See the privilege log.")
        return "\n".join(lines) + "\n"
    lines.append(f"Posted: {_when(doc.row.created_at, zone)}")
    if doc.row.url:
        lines.append(f"Address: {doc.row.url}")
    reply = redact.joined(context(doc))
    if reply:
        lines.append(reply)
    for version in reversed(doc.versions):
        lines.append("")
        lines.append(f"[Version {version.number} of {len(doc.versions)}, captured "
                     f"{version.row.first_seen}]")
        if version.title:
            lines.append(redact.joined(version.title))
        lines.append(redact.joined(version.text))
    lines.extend(["", *notes(doc)])
    return "\n".join(lines).rstrip() + "\n"


def native_json(doc: Doc, created: datetime) -> dict[str, Any]:
    """The document's JSON rendering (its per-item native): identity, authorship, every
    version's redacted text and where its WARC records are."""
    row, data = doc.row, doc.data
    extra = dict(data.extra) if data is not None else {}
    return {
        "schema": "civicrecords.production-item/1", "produced": utc_iso(created),
        "begbates": doc.begin, "endbates": doc.end, "ref": row.ref,
        "platform": row.platform, "account": row.account, "item_id": row.platform_id,
        "kind": row.kind, "author": row.author, "author_id": row.author_id,
        "author_name": row.author_name, "created_at": row.created_at, "url": row.url,
        "parent_id": row.parent_id, "thread_id": row.thread_id, "status": row.status,
        "removed_job": row.removed_job, "removed_reason": row.removed_reason,
        "classification": row.classification, "legal_basis": row.legal_basis,
        "recipients": data.recipients if data is not None else [],
        "visibility": data.visibility if data is not None else None,
        "tags": data.tags if data is not None else [],
        "mentions": data.mentions if data is not None else [],
        "counts": {k: extra.get(k) for k in ("replies_count", "reblogs_count",
                                             "favourites_count") if k in extra},
        "redactions": doc.bases,
        "versions": [{"number": v.number, "latest": v.row.id == row.latest_version,
                      "content_hash": v.row.content_hash, "version_time": v.row.version_time,
                      "first_seen": v.row.first_seen, "last_seen": v.row.last_seen,
                      "capture_job": v.row.first_job, "title": redact.joined(v.title),
                      "text": redact.joined(v.text),
                      "warc_file": v.row.warc_file, "warc_record_id": v.row.record_id,
                      "response_record_id": v.row.response_record_id}
                     for v in doc.versions],
    }


def build_documents(archive: Archive, catalog: Catalog, request: Request,
                    unreviewed: redact.Unreviewed) -> tuple[list[Doc], redact.Plan,
                                                            dict[tuple[str, int, str], str]]:
    """The request's documents in family order, decided and redacted; the redaction plan;
    and the original text of every field with a redaction (for screening natives only).
    ``RefusedError`` while PII candidates are undecided and ``unreviewed`` is None."""
    decisions = Ledger(RequestStore(archive).path(request.id)).latest()
    policy = public_policy(decisions)
    ordered = ordered_items(catalog, list(dict.fromkeys(request.items)))
    included = [row for row, _ in ordered if policy.withhold(row) is None]
    plan = redact.plan(candidates_for(catalog, included, archive.config), decisions,
                       archive.config, unreviewed=unreviewed)
    if plan.undecided:
        by_category = Counter(c.category for c in plan.undecided)
        detail = ", ".join(f"{n} {c}" for c, n in sorted(by_category.items()))
        raise RefusedError(
            f"{len(plan.undecided)} PII candidate(s) await review ({detail}); review them with "
            f"'civicrecords request review {request.id}' or pass --unreviewed redact|release")
    versions = catalog.versions_of(row.id for row, _ in ordered)
    placeholder = archive.config.redaction.placeholder
    docs: list[Doc] = []
    originals: dict[tuple[str, int, str], str] = {}
    by_id: dict[tuple[str, str, str], Doc] = {}
    for index, (row, _) in enumerate(ordered, start=1):
        withheld = policy.withhold(row)
        doc = Doc(index=index, row=row, family=family_of(row), withheld=withheld)
        if withheld is None:
            doc.versions, doc.bases = make_version_docs(row, versions[row.id], plan,
                                                        placeholder)
            for version in versions[row.id]:
                for name in ("text", "title"):
                    if (row.ref, version.id, name) in plan.spans:
                        originals[(row.ref, version.id, name)] = getattr(version.item(), name)
        if row.parent_id:
            doc.parent = by_id.get((row.platform, row.account, row.parent_id))
        by_id[(row.platform, row.account, row.platform_id)] = doc
        docs.append(doc)
    return docs, plan, originals
