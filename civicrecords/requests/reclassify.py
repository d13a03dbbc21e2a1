"""A clerk's per-item classification override, recorded, applied and audited.

``override`` appends the override to ``<archive>/classifications.jsonl`` (the record, which
``rebuild`` never touches), lays it over the catalog at once and re-indexes the item so search
shows the new classification, all under the archive lock; captures and rebuilds re-apply it
afterwards (``catalog.overrides``). Audited as ``classification.override``.
"""

from __future__ import annotations

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.catalog.overrides import apply_overrides
from civicrecords.classify import RULES, Override, OverrideLog
from civicrecords.configschema import CLASSIFICATIONS
from civicrecords.environment import utc_iso
from civicrecords.errors import UsageError
from civicrecords.search.service import update_index


def override(archive: Archive, reference: str, classification: str, *, basis: str,
             reason: str) -> ItemRow:
    """Classify item ``reference`` as ``classification`` under ``basis`` because ``reason``
    (``rules`` hands it back to the configured rules); return the item as now cataloged.

    Raises ``UsageError`` for an unknown classification, a missing basis (for anything but
    ``rules``) or reason, ``NotFoundError`` for an unknown item, ``ArchiveLockedError``
    while a capture runs.
    """
    if classification not in (*CLASSIFICATIONS, RULES):
        raise UsageError(f"--as: {classification!r} is not one of "
                         f"{', '.join((*CLASSIFICATIONS, RULES))}")
    if classification != RULES and not basis.strip():
        raise UsageError("--basis is required: cite the statute for the classification")
    if not reason.strip():
        raise UsageError("--reason is required: say why the item is classified this way")
    with archive.lock("classification override"), Catalog(archive.catalog_path) as catalog:
        item = catalog.find(reference)
        entry = Override(ref=item.ref, classification=classification,
                         basis=basis if classification != RULES else "", reason=reason,
                         by=archive.env.operator_name, at=utc_iso(archive.env.now()))
        OverrideLog(archive.root).append(entry)
        catalog.execute("BEGIN IMMEDIATE")
        try:
            apply_overrides(catalog.connection, archive.config, archive.root)
            catalog.execute("COMMIT")
        except BaseException:
            catalog.execute("ROLLBACK")
            raise
        archive.audit.record("classification.override", subject=item.ref,
                             previous=item.classification, classification=classification,
                             basis=entry.basis, reason=reason)
        update_index(archive.root, archive.config, catalog)
        return catalog.find(item.ref)
