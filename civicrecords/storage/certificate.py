"""The certificate of records disposal: a one-document PDF summary a records officer signs.

Everything it cites (the retention authority, series titles and schedule codes) comes from
the configuration; the SHA-256 of the signed disposal record ties the paper to the record.
Captured text never appears in it (only counts, series, dates and file names); names and
titles are set in the embedded Unicode fonts of ``civicrecords.pdffonts``.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from civicrecords.pdffonts import BOLD, FONT, markup, register_fonts


def certificate_pdf(record: dict[str, Any], record_sha256: str) -> bytes:
    """Render the certificate for disposal ``record`` (the JSON written beside it)."""
    register_fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        if style.name != "Code":  # hashes and file names stay in Courier
            style.fontName = BOLD if style.name in ("Title", "Heading2") else FONT
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=letter, title="Certificate of records "
                                 "disposal", author=record.get("archive_name", ""),
                                 invariant=1)

    def para(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(markup(text), styles[style])

    story: list[Any] = [
        para(record.get("archive_name", ""), "Title"),
        para("Certificate of records disposal", "Heading2"),
        para(f"Disposal {record['job_id']} under {record['authority']}, approved by "
             f"{record['approved_by']} and carried out by {record['operator']} on "
             f"{record['time']}."),
        Spacer(1, 10),
    ]
    rows: list[list[str]] = [["Series", "Schedule code", "Retention", "Items", "Dates"]]
    for series in record.get("series", []):
        rows.append([series["title"], series.get("code") or "-", series["retention"],
                     str(series["count"]), f"{series['first'] or '-'} .. {series['last'] or '-'}"])
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("FONTNAME", (0, 0), (-1, -1), FONT),
                               ("FONTNAME", (0, 0), (-1, 0), BOLD),
                               ("FONTSIZE", (0, 0), (-1, -1), 8)]))
    story += [table, Spacer(1, 10)]
    deleted = record.get("deleted_files", [])
    story.append(para(
        f"{len(record.get('items', []))} item(s) disposed of. {len(deleted)} WARC file(s) "
        f"({sum(f['size'] for f in deleted):,} bytes) deleted because every item they held "
        f"was disposed of; {len(record.get('retained_files', []))} file(s) kept because they "
        "also hold records still retained (the disposed items are excluded from search and "
        "exports; original files are never rewritten)."))
    for entry in deleted:
        story.append(para(f"{entry['path']}  sha256 {entry['sha256']}", "Code"))
    story += [Spacer(1, 10), para(
        "No item listed was under a legal hold or part of an open data request at the time "
        "of disposal. The disposal record listing every item, its series, dates and content "
        f"hashes has SHA-256 {record_sha256} and is signed in the archive's manifest chain."),
        Spacer(1, 30), para("_______________________________"),
        para(f"{record['approved_by']}, approving authority")]
    document.build(story)
    return buffer.getvalue()
