"""Meta's Graph API dialect on the sample platform, shared by the Facebook and Instagram
renderers.

- ``parse_fields`` / ``project``: field expansion as Graph does it (``a,b{c,d}``,
  ``comments.filter(stream).summary(true).limit(0)``, ``reactions.type(LOVE).as(love)``);
  an unknown field is Graph's ``(#100) Tried accessing nonexisting field`` error.
- ``graph_error`` and friends: error bodies with code, subcode, ``is_transient`` and
  ``fbtrace_id`` (100/33 for objects that do not exist, 104/190 for tokens);
  ``usage_headers`` and ``throttle_response``: ``x-app-usage`` /
  ``x-business-use-case-usage`` and the throttling codes (4, 17, 32, 613, 80001, 80002);
  ``server_error``: Graph's transient 500/503 bodies (codes 1 and 2).
- ``edge_page`` / ``inline_edge``: cursor paging whose ``paging.next`` repeats the request's
  query, access token included, on Graph's own host (as a proxy in front of Graph would
  pass it through), so clients must re-base it and scrub it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from civicrecords.archiver.sample.routing import Request, Response

THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: ("(#80001) There have been too many calls to this Page account. Wait a bit and try "
            "again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."),
    80002: ("(#80002) There have been too many calls to this Instagram account. Wait a bit "
            "and try again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."),
}
MISSING_OBJECT = ("Unsupported get request. Object with ID '{id}' does not exist, cannot be "
                  "loaded due to missing permissions, or does not support this operation. "
                  "Please read the Graph API documentation at "
                  "https://developers.facebook.com/docs/graph-api")
VERSION = r"/v(?P<version>\d+\.\d+)"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def graph_time(moment: datetime) -> str:
    """Graph's timestamp format: ``2026-03-04T05:06:07+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


# ----- field expansion -----------------------------------------------------------------------

@dataclass
class Field:
    """One requested field: its name, modifiers (``limit``, ``summary``, ``filter``,
    ``type``...), output alias (``as``) and nested fields (``{...}``)."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    alias: str | None = None
    children: list[Field] | None = None

    @property
    def key(self) -> str:
        """The key this field has in the output."""
        return self.alias or self.name


class FieldsError(ValueError):
    """A ``fields`` parameter Graph would reject as malformed."""


def parse_fields(text: str) -> list[Field]:
    """Parse a ``fields`` parameter; ``FieldsError`` when it is malformed."""
    fields, position = _parse_list(text, 0)
    if position != len(text):
        raise FieldsError(f"Syntax error \"Expected end of string instead of "
                          f"\"{text[position:position + 1]}\".\" at character {position}: "
                          f"{text}")
    return fields


def _parse_list(text: str, position: int) -> tuple[list[Field], int]:
    fields: list[Field] = []
    while True:
        found = _NAME.match(text, position)
        if found is None:
            raise FieldsError(f"Syntax error \"Field name expected.\" at character {position}: "
                              f"{text}")
        current = Field(found.group(0))
        position = found.end()
        while position < len(text) and text[position] in ".{":
            if text[position] == "{":
                current.children, position = _parse_list(text, position + 1)
                if position >= len(text) or text[position] != "}":
                    raise FieldsError(f"Syntax error \"Expected \"}}\".\" at character "
                                      f"{position}: {text}")
                position += 1
                continue
            modifier = _NAME.match(text, position + 1)
            close = text.find(")", position)
            if modifier is None or close < 0 or text[modifier.end():modifier.end() + 1] != "(":
                raise FieldsError(f"Syntax error \"Expected modifier.\" at character "
                                  f"{position}: {text}")
            value = text[modifier.end() + 1:close]
            if modifier.group(0) == "as":
                current.alias = value
            else:
                current.params[modifier.group(0)] = value
            position = close + 1
        fields.append(current)
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        return fields, position


Value = Any  # a plain value, or a callable(Field) -> value for edges and computed fields


@dataclass
class Node:
    """A Graph object: its type name (for errors), every field it has (values or
    callables taking the requested ``Field``), and the fields returned by default."""

    type: str
    values: dict[str, Value]
    default: tuple[str, ...] = ("id",)


class FieldError(LookupError):
    """A requested field the node type does not have."""

    def __init__(self, name: str, node_type: str) -> None:
        super().__init__(name)
        self.name = name
        self.node_type = node_type


def project(node: Node, fields: list[Field] | None) -> dict[str, Any]:
    """The node as Graph returns it for ``fields`` (its defaults when None): ``id`` first,
    then each requested field that has a value (Graph omits empty ones). Nested fields of
    objects, lists and edges (``{"data": [...]}``) are projected in turn."""
    wanted = fields if fields is not None else [Field(n) for n in node.default]
    out: dict[str, Any] = {}
    if "id" in node.values:
        out["id"] = node.values["id"]
    for requested in wanted:
        if requested.name not in node.values:
            raise FieldError(requested.name, node.type)
        value = node.values[requested.name]
        if callable(value):
            value = value(requested)
        if value is None:
            continue
        out[requested.key] = _nested(value, requested.children)
    return out


def _nested(value: Any, children: list[Field] | None) -> Any:
    if isinstance(value, Node):
        return project(value, children)
    if isinstance(value, list):
        return [_nested(v, children) for v in value]
    if isinstance(value, dict) and children is not None:
        if isinstance(value.get("data"), list):
            return {**value, "data": [_nested(v, children) for v in value["data"]]}
        return {k: v for k, v in value.items()
                if k == "id" or any(c.name == k for c in children)}
    return value


# ----- errors, usage and throttling ----------------------------------------------------------

def graph_error(status: int, code: int, message: str, *, kind: str = "OAuthException",
                subcode: int | None = None, transient: bool | None = None,
                headers: Iterable[tuple[str, str]] = ()) -> Response:
    """A Graph error response (``fbtrace_id`` derived from the message)."""
    body: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    if transient is not None:
        body["is_transient"] = transient
    body["fbtrace_id"] = base64.b64encode(hashlib.sha1(message.encode()).digest()[:12]).decode()
    extra = list(headers)
    if code in (104, 190):
        extra.append(("WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_token" '
                                          f'"{message[:120]}"'))
    return Response.json({"error": body}, status, headers=extra)


def answer(req: Request, render: Callable[[list[Field] | None], Any]) -> Response:
    """Render a node or edge for the request's ``fields`` as JSON; a malformed ``fields``
    or one naming a field the node type lacks is Graph's (#100) error."""
    try:
        fields = parse_fields(req.arg("fields") or "") if req.arg("fields") else None
        return Response.json(render(fields))
    except FieldsError as exc:
        return graph_error(400, 100, str(exc))
    except FieldError as exc:
        return nonexisting_field(exc.name, exc.node_type)


def missing_object(object_id: str) -> Response:
    """Graph's answer for an object that does not exist (or was deleted): 100/33."""
    return graph_error(400, 100, MISSING_OBJECT.format(id=object_id), kind="GraphMethodException",
                       subcode=33)


def nonexisting_field(name: str, node_type: str) -> Response:
    """Graph's answer for a field or edge a node type does not have."""
    return graph_error(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node "
                       f"type ({node_type})")


def usage_headers(percent: int, business_id: str, business_type: str,
                  regain_minutes: int = 0) -> list[tuple[str, str]]:
    """``x-app-usage`` and ``x-business-use-case-usage`` reporting ``percent`` used."""
    app = {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
    buc = {business_id: [{"type": business_type, "call_count": percent,
                          "total_cputime": percent // 2, "total_time": percent // 2,
                          "estimated_time_to_regain_access": regain_minutes}]}
    return [("x-app-usage", json.dumps(app, separators=(",", ":"))),
            ("x-business-use-case-usage", json.dumps(buc, separators=(",", ":")))]


def throttle_response(code: int, retry_after: int, business_id: str,
                      business_type: str) -> Response:
    """A throttled answer for ``code``: app- and user-level codes (4, 17, 613) report
    ``x-app-usage`` at 100% with no time to regain; Page and business-use-case codes (32,
    8000x) also say how many minutes until access returns."""
    regain = 0 if code in (4, 17, 613) else max(1, math.ceil(retry_after / 60))
    return graph_error(400 if code != 613 else 403, code, THROTTLE_MESSAGES[code],
                       transient=True,
                       headers=usage_headers(100, business_id, business_type, regain))


def server_error(status: int) -> Response | None:
    """Graph's 500/503 bodies (codes 1 and 2, transient); None for other statuses."""
    if status == 500:
        return graph_error(500, 1, "An unknown error has occurred.", transient=True)
    if status == 503:
        return graph_error(503, 2, "Service temporarily unavailable",
                           kind="FacebookApiException", transient=True)
    return None


# ----- paging --------------------------------------------------------------------------------

def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return 0
    number = text.partition("offset:")[2]
    return int(number) if number.isdigit() else 0


def limit_of(req: Request, default: int = 25, maximum: int = 100) -> int:
    """The ``limit`` parameter (Graph caps it)."""
    value = req.arg("limit")
    return max(1, min(maximum, int(value))) if value and value.isdigit() else default


def edge_page(req: Request, entries: list[Any], render: Callable[[Any], Any], *,
              default_limit: int = 25, summary: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """One page of an edge: ``data`` (the page's ``entries``, each through ``render``), and
    ``paging`` with base64 cursors, ``previous`` and ``next`` URLs that repeat the
    request's query (access token included, as Graph does); no ``next`` on the last page.
    ``summary`` is added when the request asks for it."""
    limit = limit_of(req, default_limit)
    start = _offset(req.arg("after"))
    chunk = entries[start:start + limit]
    page: dict[str, Any] = {"data": [render(entry) for entry in chunk]}
    if chunk:
        paging: dict[str, Any] = {"cursors": {"before": _cursor(start),
                                              "after": _cursor(start + len(chunk))}}
        if start > 0:
            paging["previous"] = _link(req, before=_cursor(start))
        if start + len(chunk) < len(entries):
            paging["next"] = _link(req, after=_cursor(start + len(chunk)))
        page["paging"] = paging
    if summary is not None and req.arg("summary") in ("1", "true"):
        page["summary"] = summary
    return page


def _link(req: Request, **cursor: str) -> str:
    query = [(k, v) for k, values in req.query.items() for v in values
             if k not in ("after", "before")]
    query += list(cursor.items())
    return f"https://graph.facebook.com{req.path}?{urlencode(query)}"


def inline_edge(entries: list[Any], wanted: Field, summary: dict[str, Any], *,
                default_limit: int = 25, more: str | None = None) -> dict[str, Any]:
    """An edge requested as a field (``comments.summary(true).limit(0)``): the first
    ``limit`` entries (``default_limit`` unless the field says), the summary when
    ``summary`` is asked for, and, when entries were left out and ``more`` (the edge's own
    URL) is given, ``paging`` pointing there."""
    limit = int(wanted.params.get("limit", str(default_limit)) or default_limit)
    out: dict[str, Any] = {"data": entries[:limit]}
    if more is not None and len(entries) > limit:
        out["paging"] = {"cursors": {"before": _cursor(0), "after": _cursor(limit)},
                         "next": f"{more}&after={_cursor(limit)}"}
    if wanted.params.get("summary") not in (None, "false", "0"):
        out["summary"] = summary
    return out
