"""``export_volume``: the next Bates-numbered production volume of a discovery request.

A volume is a signed BagIt bag ``<out>/VOLnnn`` whose payload directory ``data/`` holds::

    DATA/     PREFIX_VOLnnn.dat (Concordance), .opt (Opticon), .xml (EDRM, if configured),
              the privilege and redaction log (CSV, PDF), the chain-of-custody report (CSV)
              and the hash certification (TXT to adapt, PDF)
    NATIVES/  nnnn/BATES.json per item, PREFIX_VOLnnn.warc.gz (the items' WARC records
              copied byte for byte) and PREFIX_VOLnnn.wacz (the same, for ReplayWeb.page)
    TEXT/     nnnn/BATES.txt per document (redacted extracted text)
    IMAGES/   nnnn/BATES.pdf per document (or per conversation), Bates-stamped on every page

BagIt requires the payload under ``data/``; load-file paths are relative to it. Every page
gets the matter's next Bates number. The volume is built in a staging directory; once it is
complete and signed the matter's counter advances (atomically) and the volume is renamed
into place, so a failed export leaves no volume and never a reused number.
"""

from __future__ import annotations

import json
import os
import shutil
import zoneinfo
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from civicrecords import __version__
from civicrecords.archive import Archive
from civicrecords.bag import finish_bag, staging_dir
from civicrecords.catalog import Catalog
from civicrecords.discovery import custody, documents, privilege
from civicrecords.discovery.bates import (
    VolumeEntry,
    check_prefix,
    load_counter,
    matter_lock,
    record_volume,
)
from civicrecords.discovery.documents import Doc
from civicrecords.discovery.holds import check_matter
from civicrecords.discovery.imaging import (
    Stamp,
    file_ref,
    folder,
    render_images,
    set_families,
)
from civicrecords.discovery.loadfiles import (
    DAT_FIELDS,
    Delimiters,
    FileRef,
    LoadDocument,
    dat_bytes,
    edrm_xml_bytes,
    opt_bytes,
)
from civicrecords.discovery.natives import CopiedRecord, copy_records, write_wacz
from civicrecords.discovery.screening import Screen, redacted_values
from civicrecords.discovery.selection import NativeSelection, select_natives
from civicrecords.environment import parse_utc, utc_iso
from civicrecords.errors import ConfigError, RefusedError, UsageError
from civicrecords.integrity.hashing import sha256_bytes
from civicrecords.integrity.signing import fingerprint
from civicrecords.render import render
from civicrecords.requests import redact
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import Request, RequestStore

LOAD_FIELDS = (*DAT_FIELDS, "NATIVEWARC")


@dataclass
class ProductionVolume:
    """What one exported volume holds."""

    path: Path
    matter: str
    volume: str
    request_id: str
    begin_bates: str
    end_bates: str
    documents: int
    pages: int
    withheld: int
    redacted: int
    native_records: int
    natives_withheld: int
    files: int
    tagmanifest_sha256: str

    def summary(self) -> str:
        """One line for the clerk."""
        return (f"production {self.matter} {self.volume} at {self.path}: {self.begin_bates} to "
                f"{self.end_bates}, {self.documents} document(s), {self.pages} page(s), "
                f"{self.withheld} withheld, {self.redacted} redacted, {self.native_records} "
                f"native WARC record(s), {self.natives_withheld} document(s) without their "
                f"native records, {self.files} file(s)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "path": str(self.path)}


@dataclass
class Volume:
    """Everything the writing steps of one volume share."""

    archive: Archive
    catalog: Catalog
    request: Request
    matter: str
    prefix: str
    name: str
    legend: str
    payload: Path
    created: datetime
    zone: zoneinfo.ZoneInfo

    @property
    def base(self) -> str:
        """``PREFIX_VOLnnn``: the stem of the volume's load files and natives."""
        return f"{self.prefix}_{self.name}"


def _details(request: Request) -> tuple[str, str, str]:
    if request.kind != "discovery":
        raise UsageError(f"request {request.id} is a {request.kind} request, not discovery")
    matter = str(request.details.get("matter") or "")
    prefix = str(request.details.get("bates_prefix") or "")
    if not (matter and prefix):
        raise RefusedError(f"request {request.id} has no matter or Bates prefix; open it with "
                           "--matter and --bates-prefix")
    return check_matter(matter), check_prefix(prefix), str(
        request.details.get("confidentiality") or "")


def export_volume(archive: Archive, request: Request, out: Path, *,
                  unreviewed: redact.Unreviewed = None) -> ProductionVolume:
    """Write the request's next production volume under ``out`` (created if absent); see the
    module docstring. Raises ``RefusedError`` while PII candidates are undecided (unless
    ``unreviewed`` says what to do), when the request has no items, when another export of
    the matter runs, or when ``out`` already holds the volume the matter numbers next;
    ``IntegrityError`` when an archive record fails its digest check while being copied."""
    matter, prefix, legend = _details(request)
    if not request.items:
        raise RefusedError(f"request {request.id} has no items; add some with 'request add'")
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: not a directory")
    key = archive.private_key()
    section = archive.config.discovery
    with matter_lock(archive, matter):
        counter = load_counter(archive, matter, prefix, section.bates_width)
        target = out / counter.next_volume
        if target.exists():
            raise RefusedError(f"{target} already exists; matter {matter} numbers its next "
                               f"volume {counter.next_volume} (choose another --out)")
        out.mkdir(parents=True, exist_ok=True)
        staging = staging_dir(target)
        try:
            with Catalog(archive.catalog_path) as catalog:
                volume = Volume(archive, catalog, request, matter, prefix,
                                counter.next_volume, legend, staging / "data",
                                archive.env.now(),
                                zoneinfo.ZoneInfo(archive.config.archive.timezone))
                result, last = _build(volume, counter.next_number, counter.width, key,
                                      unreviewed)
            result.path = target
            record_volume(archive, counter, VolumeEntry(
                volume=volume.name, request_id=request.id, first=counter.next_number,
                last=last, begin_bates=result.begin_bates, end_bates=result.end_bates,
                documents=result.documents, pages=result.pages, path=str(target),
                created_at=utc_iso(volume.created), created_by=archive.env.operator_name,
                tagmanifest_sha256=result.tagmanifest_sha256))
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    _record_export(archive, request, result, unreviewed)
    return result


def _build(volume: Volume, first: int, width: int, key: ec.EllipticCurvePrivateKey,
           unreviewed: redact.Unreviewed) -> tuple[ProductionVolume, int]:
    archive, catalog, section = volume.archive, volume.catalog, volume.archive.config.discovery
    docs, plan, originals = documents.build_documents(archive, catalog, volume.request,
                                                      unreviewed)
    stamp = Stamp(volume.prefix, width, volume.legend, archive.config.archive.name,
                  f"Matter {volume.matter}, {volume.name}")
    following = render_images(archive, catalog, docs, volume.payload, first_number=first,
                              stamp=stamp, per_thread=section.images == "thread",
                              folder_size=section.folder_size, zone=volume.zone)
    set_families(docs)
    texts, natives = write_texts_and_natives(volume, docs, section.folder_size)
    decisions = Ledger(RequestStore(archive).path(volume.request.id)).latest()
    screen = Screen(withheld={d.row.ref: d.withheld for d in docs if d.withheld},
                    redacted={d.row.ref: d.bases for d in docs if d.redacted},
                    produced={d.row.ref for d in docs},
                    released={key.removeprefix("item|") for key, d in decisions.items()
                              if key.startswith("item|") and d.action == "release"},
                    values=redacted_values(plan, originals))
    selection = select_natives(archive.root, catalog, archive.config, docs, screen)
    copied = write_natives(volume, docs, selection, key)
    loads = load_documents(volume, docs, texts, natives, selection)
    write_load_files(volume, loads)
    entries = privilege.privilege_entries(docs, selection.withheld_docs, section)
    data = volume.payload / "DATA"
    privilege_names = section.privilege_log_fields
    (data / f"{volume.base}_PRIVILEGE_LOG.csv").write_bytes(
        privilege.privilege_csv(entries, privilege_names))
    privilege.privilege_pdf(data / f"{volume.base}_PRIVILEGE_LOG.pdf", entries,
                            privilege_names, title=f"Privilege and redaction log: "
                            f"{volume.base}", subtitle=f"{archive.config.archive.name}, matter "
                            f"{volume.matter}, {docs[0].begin} to {docs[-1].end}",
                            legend=volume.legend)
    pages = sum(len(d.pages) for d in docs)
    write_custody(volume, docs, copied, natives, pages, key)
    summary = finish_bag(volume.payload.parent, info={
        "Bag-Software-Agent": f"civicrecords/{__version__}",
        "Source-Organization": archive.config.archive.name,
        "External-Identifier": volume.base,
        "External-Description": f"Production {volume.name} of matter {volume.matter} for "
                                f"request {volume.request.id}, {docs[0].begin} to "
                                f"{docs[-1].end}",
        "Bag-Group-Identifier": volume.matter,
    }, tag_files={"README.txt": _readme(volume, docs, pages, len(copied), key)},
        key=key, created=volume.created)
    result = ProductionVolume(
        path=volume.payload.parent, matter=volume.matter, volume=volume.name,
        request_id=volume.request.id, begin_bates=docs[0].begin, end_bates=docs[-1].end,
        documents=len(docs), pages=pages, withheld=sum(1 for d in docs if d.withheld),
        redacted=sum(1 for d in docs if d.redacted), native_records=len(copied),
        natives_withheld=len(selection.withheld_docs), files=summary.files,
        tagmanifest_sha256=summary.tagmanifest_sha256)
    return result, following - 1


def write_texts_and_natives(volume: Volume, docs: list[Doc], folder_size: int
                            ) -> tuple[dict[str, FileRef], dict[str, FileRef]]:
    """TEXT/nnnn/BATES.txt for every document and NATIVES/nnnn/BATES.json for every one not
    withheld; their file refs by item ref."""
    texts, natives = {}, {}
    for doc in docs:
        sub = folder(doc.index, folder_size)
        text_path = volume.payload / "TEXT" / sub / f"{doc.begin}.txt"
        text_path.parent.mkdir(parents=True, exist_ok=True)
        text_path.write_text(documents.text_file(doc, volume.zone), "utf-8")
        texts[doc.row.ref] = file_ref(volume.payload, text_path)
        if doc.withheld:
            continue
        native_path = volume.payload / "NATIVES" / sub / f"{doc.begin}.json"
        native_path.parent.mkdir(parents=True, exist_ok=True)
        native = documents.native_json(doc, volume.created)
        native_path.write_text(json.dumps(native, indent=2, ensure_ascii=False,
                                          sort_keys=True) + "\n", "utf-8")
        natives[doc.row.ref] = file_ref(volume.payload, native_path)
    return texts, natives


def write_natives(volume: Volume, docs: list[Doc], selection: NativeSelection,
                  key: ec.EllipticCurvePrivateKey) -> list[CopiedRecord]:
    """NATIVES/PREFIX_VOL.warc.gz and .wacz (neither when no record may be produced)."""
    if not selection.refs:
        return []
    base = volume.payload / "NATIVES" / volume.base
    base.parent.mkdir(parents=True, exist_ok=True)
    warc = base.with_name(f"{volume.base}.warc.gz")
    copied = copy_records(volume.archive.root, selection.refs, warc, selection.payload_digests)
    by_id = {record.record_id: record for record in copied}
    pages: dict[tuple[str, str], list[str]] = {}
    for doc in docs:
        latest = doc.latest
        record = by_id.get(latest.row.response_record_id or "") if latest else None
        if record is not None and record.target_uri and record.date and \
                doc.row.ref not in selection.withheld_docs:
            pages.setdefault((record.target_uri, record.date), []).append(doc.begin)
    page_list = [{"id": bates[0], "url": url, "ts": utc_iso(parse_utc(ts)),
                  "title": bates[0] + (f" and {len(bates) - 1} more produced item(s)"
                                       if len(bates) > 1 else "")}
                 for (url, ts), bates in pages.items()]
    name = volume.archive.config.archive.name
    write_wacz(warc, copied, page_list, base.with_name(f"{volume.base}.wacz"), key=key,
               created=volume.created, software=f"civicrecords {__version__}",
               title=f"{name}: matter {volume.matter}, {volume.name}",
               description=f"Native WARC records of production {volume.name} of matter "
               f"{volume.matter} ({docs[0].begin} to {docs[-1].end}).")
    return copied


def _date(value: str | None, fmt: str) -> str:
    if not value:
        return ""
    try:
        return parse_utc(value).strftime(fmt)
    except ValueError:
        return value


def load_documents(volume: Volume, docs: list[Doc], texts: dict[str, FileRef],
                   natives: dict[str, FileRef], selection: NativeSelection
                   ) -> list[LoadDocument]:
    """Every document's load-file fields and files (withheld documents: placement fields
    only)."""
    config = volume.archive.config
    section = config.discovery
    departments = {a.name: a.department for a in config.accounts}
    out = []
    for doc in docs:
        row, data, latest, native = doc.row, doc.data, doc.latest, natives.get(doc.row.ref)
        assert doc.image is not None
        family = doc.family_range or ("", "")
        fields = {
            "BEGBATES": doc.begin, "ENDBATES": doc.end, "BEGATTACH": family[0],
            "ENDATTACH": family[1], "PAGECOUNT": str(len(doc.pages)),
            "CUSTODIAN": section.custodian or departments.get(row.account) or
            config.archive.name, "PLATFORM": row.platform, "ACCOUNT": row.account,
            "DOCTYPE": row.kind, "DATECREATED": _date(row.created_at, section.date_format),
            "TEXTLINK": texts[row.ref].path, "IMAGELINK": doc.image.path,
            "CONFIDENTIALITY": volume.legend, "PRODVOLUME": volume.name,
            "WITHHELD": "Y" if doc.withheld else "N", "REDACTED": "Y" if doc.redacted else "N",
            "REDACTIONBASIS": doc.withheld or "; ".join(doc.bases)}
        if not doc.withheld:
            fields.update({
                "ITEMID": row.platform_id, "ITEMREF": row.ref, "PARENTID": row.parent_id or "",
                "AUTHOR": row.author or "", "AUTHORNAME": row.author_name or "",
                "RECIPIENTS": "; ".join(data.recipients) if data is not None else "",
                "DATECAPTURED": _date(row.first_seen, section.date_format),
                "URL": row.url or "", "STATUS": row.status, "VERSIONS": str(len(doc.versions)),
                "MD5HASH": native.md5 if native else "",
                "SHA256HASH": native.sha256 if native else "",
                "WARCFILE": latest.row.warc_file if latest else "",
                "WARCRECORDID": latest.row.record_id if latest else "",
                "NATIVELINK": native.path if native else "",
                "NATIVEWARC": "N" if row.ref in selection.withheld_docs else "Y"})
        parent = family[0] if family[0] and family[0] != doc.begin else None
        out.append(LoadDocument(doc_id=doc.begin, fields=fields, page_keys=doc.pages,
                                image=doc.image, text=texts[row.ref], native=native,
                                parent_id=parent))
    return out


def write_load_files(volume: Volume, loads: list[LoadDocument]) -> None:
    """DATA/PREFIX_VOL.dat, .opt and (if configured) .xml."""
    section = volume.archive.config.discovery
    data = volume.payload / "DATA"
    data.mkdir(parents=True, exist_ok=True)
    (data / f"{volume.base}.dat").write_bytes(
        dat_bytes([load.fields for load in loads], Delimiters.from_config(section),
                  LOAD_FIELDS))
    (data / f"{volume.base}.opt").write_bytes(opt_bytes(loads, volume.name))
    if section.edrm_xml:
        (data / f"{volume.base}.xml").write_bytes(edrm_xml_bytes(
            loads, batch=volume.base,
            description=f"Production {volume.name} of matter {volume.matter}"))


def write_custody(volume: Volume, docs: list[Doc], copied: list[CopiedRecord],
                  natives: dict[str, FileRef], pages: int,
                  key: ec.EllipticCurvePrivateKey) -> None:
    """DATA/PREFIX_VOL_CUSTODY.csv and the certification (TXT and PDF)."""
    archive = volume.archive
    jobs = {job["job_id"]: job for job in volume.catalog.jobs()}
    rows = custody.custody_rows(
        docs, jobs=jobs, files=custody.source_files(archive.root),
        copied={record.record_id: record for record in copied}, natives=natives,
        digests=lambda ref: custody.record_digests(archive.root, ref))
    report = custody.custody_csv(rows)
    data = volume.payload / "DATA"
    (data / f"{volume.base}_CUSTODY.csv").write_bytes(report)
    section = archive.config.discovery
    text = custody.certification_text(section, {
        "organization": archive.config.archive.name, "matter": volume.matter,
        "volume": volume.name, "begin_bates": docs[0].begin, "end_bates": docs[-1].end,
        "documents": str(len(docs)), "pages": str(pages),
        "custody_sha256": sha256_bytes(report),
        "key_fingerprint": fingerprint(key), "software": f"civicrecords {__version__}",
        "date": volume.created.astimezone(volume.zone).date().isoformat()})
    (data / f"{volume.base}_CERTIFICATION.txt").write_text(text, "utf-8")
    custody.certification_pdf(data / f"{volume.base}_CERTIFICATION.pdf",
                              title=section.certification_title, text=text,
                              header=f"{archive.config.archive.name}: matter {volume.matter}, "
                              f"{volume.name}")


def _readme(volume: Volume, docs: list[Doc], pages: int, records: int,
            key: ec.EllipticCurvePrivateKey) -> bytes:
    section = volume.archive.config.discovery
    names = {"\x14": "0x14 (ASCII 20)", "\u00fe": "þ (U+00FE)", "\u00ae": "® (U+00AE)"}
    info = {"organization": volume.archive.config.archive.name, "volume": volume.name,
            "matter": volume.matter, "request_id": volume.request.id, "begin": docs[0].begin,
            "end": docs[-1].end, "documents": len(docs), "pages": pages,
            "legend": volume.legend, "created": utc_iso(volume.created),
            "version": __version__, "base": volume.base,
            "separator": names.get(section.dat_separator, repr(section.dat_separator)),
            "qualifier": names.get(section.dat_qualifier, repr(section.dat_qualifier)),
            "newline": names.get(section.dat_newline, repr(section.dat_newline)),
            "encoding": "UTF-8 with byte-order mark" if section.dat_encoding == "utf-8-bom"
            else "Windows-1252", "edrm": section.edrm_xml,
            "image_unit": "conversation" if section.images == "thread" else "document",
            "natives": records > 0, "native_records": records,
            "fingerprint": fingerprint(key)}
    return render("production_readme.txt", p=info).encode("utf-8")


def _record_export(archive: Archive, request: Request, result: ProductionVolume,
                   unreviewed: redact.Unreviewed) -> None:
    store = RequestStore(archive)
    request.exports.append({"path": str(result.path), "at": utc_iso(archive.env.now()),
                            "by": archive.env.operator_name, "volume": result.volume,
                            "begin_bates": result.begin_bates, "end_bates": result.end_bates,
                            "tagmanifest_sha256": result.tagmanifest_sha256,
                            "items": result.documents, "withheld": result.withheld,
                            "redacted": result.redacted, "unreviewed": unreviewed})
    if request.status in ("received", "gathering", "in-review"):
        request.status = "ready"
    store.save(request, "request.export", path=str(result.path), volume=result.volume,
               matter=result.matter, begin_bates=result.begin_bates,
               end_bates=result.end_bates, pages=result.pages, withheld=result.withheld,
               redacted=result.redacted, tagmanifest_sha256=result.tagmanifest_sha256,
               unreviewed=unreviewed)
