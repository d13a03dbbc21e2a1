"""Export bundles for public and data-subject requests.

``export_bundle`` decides the response with ``prepare`` (items withheld under the request
kind's policy, every PII candidate redacted or released, media looked at — refusing while
anything is undecided unless told what to do with it), redacts text, strips EXIF/GPS from
images, renders an offline ``index.html``, a page per item and the response letter (HTML and
PDF, with the fee), writes ``items.jsonl`` and ``redactions.csv`` (never the redacted text),
and seals it all as a signed BagIt bag. It is built in a staging directory and renamed into
place, so a failed export leaves nothing half-written.

``ExportPolicy``, ``public_policy`` and ``ordered_items`` are re-exported here for callers
that build their own exports on the same rules.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from civicrecords import __version__
from civicrecords.archive import Archive
from civicrecords.bag import finish_bag, staging_dir
from civicrecords.catalog import Catalog, VersionRow
from civicrecords.config import Config
from civicrecords.environment import utc_iso
from civicrecords.errors import ConfigError
from civicrecords.integrity.signing import fingerprint
from civicrecords.model import RecordRef
from civicrecords.render import ItemView, MediaView, VersionView, render
from civicrecords.requests import charges, redact
from civicrecords.requests.letter import compose, letter_files
from civicrecords.requests.policy import (
    ExportPolicy,
    policy_for,
    public_policy,
    require_verified,
)
from civicrecords.requests.prepare import Prepared, ordered_items, prepare
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import Request, RequestStore
from civicrecords.warcrecords import copy_payload

IMAGE_FORMATS = {"image/jpeg": ("JPEG", ".jpg"), "image/png": ("PNG", ".png"),
                 "image/gif": ("GIF", ".gif"), "image/webp": ("WEBP", ".webp")}
EXTENSIONS = {"video/mp4": ".mp4", "video/webm": ".webm", "audio/mpeg": ".mp3",
              "application/pdf": ".pdf"}
THREAD_WINDOW = 25
EXTRA_LABELS = {"letter.html": "response letter", "letter.pdf": "response letter (PDF)"}

__all__ = ["ExportPolicy", "ExportResult", "export_bundle", "kind_label", "ordered_items",
           "public_policy"]


def kind_label(config: Config, kind: str) -> str:
    """How a request kind is named on bundles, with its statute from the config."""
    if kind == "public":
        return f"public data request, {config.requests.public_basis}"
    if kind == "subject":
        return f"data subject request, {config.requests.subject_basis}"
    return kind


@dataclass
class ExportResult:
    """Where the bundle is and what went into it."""

    path: Path
    items: int
    withheld: int
    redactions: int
    files: int
    tagmanifest_sha256: str
    bases: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "items": self.items, "withheld": self.withheld,
                "redactions": self.redactions, "files": self.files,
                "tagmanifest_sha256": self.tagmanifest_sha256, "bases": self.bases}


def _strip_image(source: io.BytesIO, content_type: str) -> bytes | None:
    """The image's pixels re-encoded with no metadata at all (EXIF, GPS, text chunks, ICC);
    None if it is not a readable image."""
    pil_format, _ = IMAGE_FORMATS[content_type]
    try:
        with Image.open(source) as image:
            image.load()
            mode = "RGB" if pil_format == "JPEG" else "RGBA"
            if image.mode in ("RGB", "L") or (image.mode == "RGBA" and pil_format != "JPEG"):
                mode = image.mode
            pixels = image.convert(mode)
            clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
            out = io.BytesIO()
            options: dict[str, Any] = {"quality": 95} if pil_format == "JPEG" else {}
            clean.save(out, pil_format, **options)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _media_file(archive: Archive, catalog: Catalog, version: VersionRow, target_dir: Path,
                number: int) -> MediaView | None:
    file_info = version.item().extra.get("file") or {}
    record_id = file_info.get("record_id")
    if not record_id:
        return None
    record = catalog.record(record_id)
    buffer = io.BytesIO()
    content_type = copy_payload(archive.root, RecordRef(record.warc_file, record.offset,
                                                        record.length, record.record_id), buffer)
    content_type = (content_type or file_info.get("content_type") or "").split(";")[0].strip()
    buffer.seek(0)
    if content_type in IMAGE_FORMATS:
        data = _strip_image(buffer, content_type)
        if data is None:
            return None
        extension = IMAGE_FORMATS[content_type][1]
    elif content_type in EXTENSIONS:
        data, extension = buffer.getvalue(), EXTENSIONS[content_type]
    else:
        return None
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{number:05d}{extension}"
    (target_dir / name).write_bytes(data)
    return MediaView(href=f"../media/{name}", content_type=content_type,
                     alt=version.item().text)


def _views(archive: Archive, catalog: Catalog, prepared: Prepared, data_dir: Path
           ) -> list[tuple[ItemView, dict[str, Any]]]:
    """Every item as a view (for HTML) and a record (for items.jsonl), redacted."""
    placeholder = archive.config.redaction.placeholder
    plan = prepared.plan
    out: list[tuple[ItemView, dict[str, Any]]] = []
    rows = prepared.rows
    versions = catalog.versions_of(row.id for row, _ in rows)
    for number, (row, depth) in enumerate(rows, start=1):
        held = prepared.withheld.get(row.ref)
        withheld = held.basis if held else None
        view = ItemView(
            ref=row.ref, number=number, platform=row.platform, account=row.account,
            kind=row.kind, author=row.author or "", author_name=row.author_name or "",
            created_at=row.created_at, url=row.url, status=row.status,
            classification=row.classification, parent_id=row.parent_id, depth=depth,
            thread=row.thread_id or row.platform_id,
            withheld=withheld, page=f"items/{number:05d}.html",
            removed=f"first missed by job {row.removed_job}" if row.removed_job else None)
        record: dict[str, Any] = {"number": number, "kind": row.kind, "platform": row.platform,
                                  "account": row.account, "created_at": row.created_at,
                                  "status": row.status}
        if withheld:
            record["withheld"] = withheld
            out.append((view, record))
            continue
        record.update(ref=row.ref, item_id=row.platform_id, author=row.author,
                      author_name=row.author_name, url=row.url, parent_id=row.parent_id,
                      thread_id=row.thread_id, classification=row.classification, versions=[])
        for index, version in enumerate(versions[row.id], start=1):
            data = version.item()
            text = redact.apply(data.text, plan.spans.get((row.ref, version.id, "text"), []),
                                placeholder)
            title = redact.apply(data.title, plan.spans.get((row.ref, version.id, "title"), []),
                                 placeholder)
            view.versions.append(VersionView(
                number=index, latest=version.id == row.latest_version,
                version_time=version.version_time, first_seen=version.first_seen,
                last_seen=version.last_seen, text=text, title=title))
            record["versions"].append({"number": index, "version_id": version.id,
                                       "version_time": version.version_time,
                                       "first_seen": version.first_seen,
                                       "last_seen": version.last_seen,
                                       "text": redact.joined(text),
                                       "title": redact.joined(title)})
            if version.id == row.latest_version and row.kind == "media":
                media = _media_file(archive, catalog, version, data_dir / "media", number)
                if media is not None:
                    media.alt = redact.joined(text)
                    view.media.append(media)
                    record["file"] = media.href.removeprefix("../")
        out.append((view, record))
    return out


def export_bundle(archive: Archive, request: Request, out: Path, *,
                  unreviewed: redact.Unreviewed = None, policy: ExportPolicy | None = None,
                  extra_files: dict[str, bytes] | None = None) -> ExportResult:
    """Build the request's bundle at ``out`` (must not exist or be empty); see module doc.

    The policy defaults to the request kind's (``policy.policy_for``); the response letter
    (HTML and PDF, with the fee) is always included. Raises ``RefusedError`` while PII
    candidates or media are undecided and ``unreviewed`` is None (and for a data subject
    request whose identity is unverified), ``ConfigError`` when ``out`` is unusable.
    """
    out = out.expanduser().resolve()
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out}: already exists and is not empty")
    require_verified(request)
    store = RequestStore(archive)
    history = Ledger(store.path(request.id)).entries()
    decisions = {decision.key: decision for decision in history}
    created = archive.env.now()
    with Catalog(archive.catalog_path) as catalog:
        policy = policy or policy_for(request, decisions, catalog, archive.config)
        prepared = prepare(catalog, archive.config, request, policy, decisions,
                           unreviewed=unreviewed)
        fee = charges.statement(archive.config, request, prepared)
        files = {**letter_files(compose(archive, request, prepared, fee, created)),
                 **(extra_files or {})}
        if out.exists():
            out.rmdir()
        staging = staging_dir(out)
        try:
            views = _views(archive, catalog, prepared, staging / "data")
        except BaseException:
            _remove_tree(staging)
            raise
    try:
        result = _write_bundle(archive, request, staging, views, prepared, files, created)
        os.replace(staging, out)
    except BaseException:
        _remove_tree(staging)
        raise
    result.path = out
    request.exports.append({"path": str(out), "at": utc_iso(created),
                            "by": archive.env.operator_name,
                            "tagmanifest_sha256": result.tagmanifest_sha256,
                            "items": result.items, "withheld": result.withheld,
                            "redactions": result.redactions, "unreviewed": unreviewed,
                            "fee_total": str(fee.statement.total), "delivery": fee.delivery,
                            "released_to_requester": len(prepared.plan.released_to_requester),
                            "request_items": len(request.items), "decisions": len(history)})
    if request.status in ("received", "gathering", "in-review"):
        request.status = "ready"
    store.save(request, "request.export", path=str(out), items=result.items,
               withheld=result.withheld, redactions=result.redactions,
               tagmanifest_sha256=result.tagmanifest_sha256, unreviewed=unreviewed,
               fee_total=str(fee.statement.total))
    return result


def _write_bundle(archive: Archive, request: Request, staging: Path,
                  views: list[tuple[ItemView, dict[str, Any]]], prepared: Prepared,
                  extra_files: dict[str, bytes], created: Any) -> ExportResult:
    data_dir = staging / "data"
    plan = prepared.plan
    bases = Counter(entry.basis for entry in plan.log)
    withheld = [view for view, _ in views if view.withheld]
    bases.update(view.withheld for view in withheld if view.withheld)
    label = kind_label(archive.config, request.kind)
    bundle = {
        "organization": archive.config.archive.name,
        "title": f"Response to request {request.id}", "request_id": request.id,
        "kind_label": label,
        "received": request.received, "created": utc_iso(created), "version": __version__,
        "counts": {"items": len(views), "withheld": len(withheld), "redactions": len(plan.log)},
        "bases": sorted(bases.items()),
        "extra_links": [{"href": name, "label": EXTRA_LABELS.get(name, name)}
                        for name in sorted(extra_files) if name.endswith((".html", ".pdf"))],
    }
    thread = [view for view, _ in views]
    for view in thread:
        view_summary = " ".join(redact.joined(view.versions[-1].text).split())[:140] \
            if view.versions else ""
        view.summary = view_summary
        view.page_from_item = f"{view.number:05d}.html"
    conversations: dict[tuple[str, str, str], list[ItemView]] = defaultdict(list)
    for view in thread:
        conversations[(view.platform, view.account, view.thread)].append(view)
    items_dir = data_dir / "items"
    items_dir.mkdir(parents=True, exist_ok=True)
    positions = {view.ref: index for members in conversations.values()
                 for index, view in enumerate(members)}
    for view, _ in views:
        same_thread = conversations[(view.platform, view.account, view.thread)]
        html = render("bundle_item.html", bundle=bundle, item=view, root="../",
                      thread=_nearby(same_thread, positions[view.ref]))
        (items_dir / f"{view.number:05d}.html").write_text(html, "utf-8")
    (data_dir / "index.html").write_text(
        render("bundle_index.html", bundle=bundle, items=thread, root=""), "utf-8")
    (data_dir / "style.css").write_bytes(
        (Path(__file__).parent.parent / "templates" / "style.css").read_bytes())
    (data_dir / "items.jsonl").write_text(
        "".join(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
                for _, record in views), "utf-8")
    (data_dir / "redactions.csv").write_text(_redactions_csv(prepared, views), "utf-8")
    for name, content in extra_files.items():
        (data_dir / name).write_bytes(content)
    readme = render("bundle_readme.txt", bundle=bundle,
                    fingerprint=fingerprint(archive.public_key()))
    summary = finish_bag(staging, info={
        "Bag-Software-Agent": f"civicrecords/{__version__}",
        "Source-Organization": archive.config.archive.name,
        "External-Identifier": request.id,
        "External-Description": f"Response to {label}",
    }, tag_files={"README.txt": readme.encode("utf-8")}, key=archive.private_key(),
        created=created)
    return ExportResult(path=staging, items=len(views), withheld=len(withheld),
                        redactions=len(plan.log), files=summary.files,
                        tagmanifest_sha256=summary.tagmanifest_sha256, bases=dict(bases))


def _nearby(conversation: list[ItemView], position: int) -> list[ItemView]:
    """The part of a conversation an item's page lists: all of it when it is short, else the
    ``THREAD_WINDOW`` items on either side (the index lists every item), so pages stay small
    and the export linear in the size of long threads. Empty for a lone item."""
    if len(conversation) < 2:
        return []
    start = max(0, position - THREAD_WINDOW)
    return conversation[start:position + THREAD_WINDOW + 1]


def _redactions_csv(prepared: Prepared, views: list[tuple[ItemView, dict[str, Any]]]) -> str:
    """One row per withheld item and per redaction: where, what category, which basis, who
    decided. Never the redacted text."""
    plan = prepared.plan
    numbers = {view.ref: view.number for view, _ in views}
    version_numbers = {(view.ref, v["version_id"]): v["number"]
                       for view, record in views for v in record.get("versions", [])}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["item", "ref", "version", "field", "category", "action", "basis",
                     "decision", "decided_by"])
    for view, _ in views:
        held = prepared.withheld.get(view.ref)
        if held:
            writer.writerow([view.number, "", "", "", "whole item", "withheld", held.basis,
                             held.how, held.by])
    for entry in plan.log:
        writer.writerow([numbers.get(entry.item_ref, ""), entry.item_ref,
                         version_numbers.get((entry.item_ref, entry.version_id), ""),
                         entry.field, entry.category, "redacted", entry.basis, entry.decision,
                         entry.decided_by])
    return buffer.getvalue()


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
