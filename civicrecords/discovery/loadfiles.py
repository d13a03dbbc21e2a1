"""Load files a litigation-support team imports: Concordance DAT, Opticon OPT, EDRM XML.

DAT: a header row, then one row per document; every value wrapped in the text qualifier
(default þ), fields separated by the separator (default 0x14), line breaks inside values
written as the newline marker (default ®), every row ending CRLF (the last one too); UTF-8
with a byte-order mark, or CP1252 (characters it lacks become ``?``). The delimiter
characters, and control characters other than tab, are removed from values.

OPT: one line per page, ``ImageKey,Volume,Path,Y|blank,,,PageCount``: ``Y`` and the page
count on a document's first page only; CRLF line ends.

EDRM XML 1.2: documents with their fields as tags, their native, text and image files, and
attachment relationships.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from civicrecords.config import DiscoverySection

DAT_FIELDS: tuple[str, ...] = (
    "BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "PAGECOUNT", "CUSTODIAN", "PLATFORM",
    "ACCOUNT", "DOCTYPE", "ITEMID", "ITEMREF", "PARENTID", "AUTHOR", "AUTHORNAME",
    "RECIPIENTS", "DATECREATED", "DATECAPTURED", "URL", "STATUS", "VERSIONS", "MD5HASH",
    "SHA256HASH", "WARCFILE", "WARCRECORDID", "NATIVELINK", "TEXTLINK", "IMAGELINK",
    "CONFIDENTIALITY", "REDACTED", "REDACTIONBASIS", "WITHHELD", "PRODVOLUME")
DATE_FIELDS = frozenset({"DATECREATED", "DATECAPTURED"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")


@dataclass(frozen=True)
class Delimiters:
    """The DAT's separator, qualifier, newline marker and encoding."""

    separator: str = "\x14"
    qualifier: str = "\u00fe"
    newline: str = "\u00ae"
    encoding: str = "utf-8-bom"

    @classmethod
    def from_config(cls, section: DiscoverySection) -> Delimiters:
        """The delimiters configured in ``[discovery]``."""
        return cls(section.dat_separator, section.dat_qualifier, section.dat_newline,
                   section.dat_encoding)

    def encode(self, text: str) -> bytes:
        """``text`` in the DAT encoding (UTF-8 with BOM, or CP1252 with ``?`` for the rest)."""
        if self.encoding == "cp1252":
            return text.encode("cp1252", errors="replace")
        return b"\xef\xbb\xbf" + text.encode("utf-8")


def clean_value(value: str, delimiters: Delimiters) -> str:
    """A value safe inside a qualified DAT field: delimiter and control characters removed,
    line breaks turned into the newline marker."""
    for character in (delimiters.separator, delimiters.qualifier, delimiters.newline):
        value = value.replace(character, "")
    value = _BREAK.sub(delimiters.newline, value)
    return _CONTROL.sub("", value)


def dat_bytes(rows: list[dict[str, str]], delimiters: Delimiters,
              fields: tuple[str, ...] = DAT_FIELDS) -> bytes:
    """The whole DAT file: header row plus one row per document (missing fields empty)."""
    q, sep = delimiters.qualifier, delimiters.separator
    lines = [sep.join(f"{q}{name}{q}" for name in fields)]
    for row in rows:
        lines.append(sep.join(f"{q}{clean_value(row.get(name, ''), delimiters)}{q}"
                              for name in fields))
    return delimiters.encode("".join(line + "\r\n" for line in lines))


@dataclass(frozen=True)
class FileRef:
    """A produced file: its path relative to the volume (backslashes), size and hashes."""

    path: str
    size: int
    md5: str
    sha256: str

    @property
    def folder(self) -> str:
        """The directory part of ``path``."""
        return self.path.rpartition("\\")[0]

    @property
    def name(self) -> str:
        """The file name part of ``path``."""
        return self.path.rpartition("\\")[2]


@dataclass
class LoadDocument:
    """One document as every load file describes it."""

    doc_id: str
    fields: dict[str, str]
    page_keys: list[str]
    image: FileRef
    text: FileRef
    native: FileRef | None = None
    parent_id: str | None = None
    mime_type: str = "application/json"


def opt_bytes(documents: list[LoadDocument], volume: str) -> bytes:
    """The Opticon file: one CRLF line per page of every document (paths are ASCII)."""
    lines: list[str] = []
    for document in documents:
        count = len(document.page_keys)
        for index, key in enumerate(document.page_keys):
            first = index == 0
            lines.append(f"{key},{volume},{document.image.path},{'Y' if first else ''},,,"
                         f"{count if first else ''}\r\n")
    return "".join(lines).encode("ascii")


def _tag_type(name: str) -> str:
    if name in DATE_FIELDS:
        return "DateTime"
    return "Integer" if name == "PAGECOUNT" else "Text"


def _file(parent: ET.Element, kind: str, ref: FileRef, pages: int | None = None) -> None:
    element = ET.SubElement(parent, "File", FileType=kind)
    attributes = {"FilePath": ref.folder, "FileName": ref.name, "FileSize": str(ref.size),
                  "Hash": ref.md5, "HashType": "MD5"}
    if pages is not None:
        attributes["PageCount"] = str(pages)
    ET.SubElement(element, "ExternalFile", attributes)


def edrm_xml_bytes(documents: list[LoadDocument], *, batch: str, description: str) -> bytes:
    """An EDRM XML 1.2 load file (UTF-8) describing ``documents`` and their families."""
    root = ET.Element("Root", MajorVersion="1", MinorVersion="2", DataInterchangeType="Update",
                      Description=description)
    batch_element = ET.SubElement(root, "Batch", name=batch)
    documents_element = ET.SubElement(batch_element, "Documents")
    for document in documents:
        element = ET.SubElement(documents_element, "Document", DocID=document.doc_id,
                                DocType="File", MimeType=document.mime_type)
        tags = ET.SubElement(element, "Tags")
        for name, value in document.fields.items():
            if value:
                ET.SubElement(tags, "Tag", TagName=name, TagDataType=_tag_type(name),
                              TagValue=_CONTROL.sub("", value))
        files = ET.SubElement(element, "Files")
        if document.native is not None:
            _file(files, "Native", document.native)
        _file(files, "Text", document.text)
        _file(files, "Image", document.image, pages=len(document.page_keys))
    relationships = ET.SubElement(batch_element, "Relationships")
    for document in documents:
        if document.parent_id:
            ET.SubElement(relationships, "Relationship", Type="Attachment",
                          ParentDocId=document.parent_id, ChildDocId=document.doc_id)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
