"""Choosing the WARC records a volume's natives carry.

For every produced document: each version's metadata record, the API request and response
it came from, and for media its file's request and response; plus the ``warcinfo`` record of
every source WARC file involved (each record names it in ``WARC-Warcinfo-ID``). Records that
``screening`` keeps back are left out, and so is everything of a document with redactions
(its metadata records hold its text); such documents are listed with the reason.
Records are returned in archive order (file, then offset), each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from civicrecords.catalog import Catalog
from civicrecords.config import Config
from civicrecords.discovery.documents import Doc
from civicrecords.discovery.natives import first_member
from civicrecords.discovery.screening import Exclusion, Screen, screen_responses
from civicrecords.errors import NotFoundError
from civicrecords.model import RecordRef


@dataclass
class NativeSelection:
    """The records to copy, the catalog's payload digests to check them against, and the
    documents whose natives stay out (item ref -> reason)."""

    refs: list[RecordRef] = field(default_factory=list)
    payload_digests: dict[str, str | None] = field(default_factory=dict)
    withheld_docs: dict[str, Exclusion] = field(default_factory=dict)


def select_natives(root: Path, catalog: Catalog, config: Config, docs: list[Doc],
                   screen: Screen) -> NativeSelection:
    """See the module docstring."""
    selection = NativeSelection()
    wanted: dict[str, RecordRef] = {}
    responses: dict[str, list[Doc]] = {}
    files: dict[str, list[Doc]] = {}
    for doc in docs:
        if doc.withheld:
            continue
        if doc.redacted:
            selection.withheld_docs[doc.row.ref] = Exclusion("its text is redacted",
                                                             "; ".join(doc.bases))
            continue
        for version in doc.versions:
            wanted[version.row.record_id] = version.row.record
            if version.row.response_record_id:
                responses.setdefault(version.row.response_record_id, []).append(doc)
        data = doc.data
        file_record = (data.extra.get("file") or {}).get("record_id") if data else None
        if file_record:
            files.setdefault(file_record, []).append(doc)
    reasons = screen_responses(root, catalog, config, responses, screen)
    for record_id, exclusion in reasons.items():
        for doc in responses[record_id]:
            selection.withheld_docs.setdefault(doc.row.ref, Exclusion(
                f"the API response it came from {exclusion.reason}", exclusion.basis))
    for record_id in [*responses, *files]:
        if record_id in reasons:
            continue
        try:
            record = catalog.record(record_id)
        except NotFoundError:
            continue
        wanted[record_id] = record.ref
        selection.payload_digests[record_id] = record.payload_digest
        request = catalog.request_for(record_id)
        if request is not None:
            wanted[request.record_id] = request.ref
    described = {r.warc_file for r in wanted.values() if r.offset == 0}
    for warc_file in sorted({r.warc_file for r in wanted.values()} - described):
        info = first_member(root, warc_file)
        wanted[info.record_id] = info
    selection.refs = sorted(wanted.values(), key=lambda r: (r.warc_file, r.offset))
    return selection
