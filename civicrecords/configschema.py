"""Turn parsed TOML into typed dataclasses, with errors that name the file and line.

``load_section(cls, data, where)`` converts a TOML table into dataclass ``cls`` following its
field annotations (str, int, float, bool, date, Literal, list, dict, optional, nested
dataclasses). Unknown keys, missing required fields and wrong types raise ``ConfigError``
with the path of the key (``accounts[2].platform``) and the line it is on. A dataclass may
define ``validate(self) -> None`` that raises ``Invalid(key, message)`` for rules beyond types.
"""

from __future__ import annotations

import dataclasses
import re
import types
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from civicrecords.errors import ConfigError

T = TypeVar("T")

KeyPath = tuple[str | int, ...]

# Values several sections share (a Literal field is checked against its values on load).
Platform = Literal["mastodon", "facebook", "instagram", "x", "youtube", "bluesky", "feed"]
Classification = Literal[
    "public", "private", "confidential", "nonpublic", "protected_nonpublic"
]
CLASSIFICATIONS: tuple[str, ...] = get_args(Classification)
Kind = Literal["post", "comment", "message", "media"]
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""Account, series and other names used on the command line."""


class Invalid(Exception):
    """Raised by a section's ``validate()``: ``key`` is the offending field name (or '')."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a config came from: file name and its text (for line lookups)."""

    path: Path
    text: str

    def line_of(self, keypath: KeyPath) -> int | None:
        """Best-effort 1-based line of ``keypath`` in the TOML text."""
        return _locate(self.text, keypath)

    def error(self, keypath: KeyPath, message: str) -> ConfigError:
        """A ConfigError reading ``file:line: key.path: message``."""
        line = self.line_of(keypath)
        where = f"{self.path}:{line}" if line else f"{self.path}"
        dotted = format_keypath(keypath)
        prefix = f"{dotted}: " if dotted else ""
        return ConfigError(f"{where}: {prefix}{message}")


def format_keypath(keypath: KeyPath) -> str:
    """``("accounts", 1, "platform")`` -> ``accounts[2].platform`` (1-based, as people count)."""
    out = ""
    for part in keypath:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _locate(text: str, keypath: KeyPath) -> int | None:
    """Find the line of a key: walk table headers, counting array-of-table occurrences."""
    names = [p for p in keypath if isinstance(p, str)]
    if not names:
        return None
    # the table part is every leading element up to the last string key
    table: list[str] = []
    index: int | None = None
    for part in keypath[:-1]:
        if isinstance(part, int):
            index = part
        else:
            table.append(part)
    key = keypath[-1] if isinstance(keypath[-1], str) else None
    if isinstance(keypath[-1], int):
        index = keypath[-1]
    lines = text.splitlines()
    current: list[str] = []
    seen: dict[str, int] = {}
    header_line: int | None = None
    in_target = not table
    for number, raw in enumerate(lines, start=1):
        match = _HEADER.match(raw)
        if match:
            name = match.group(2).strip()
            current = [n.strip().strip("\"'") for n in name.split(".")]
            if match.group(1) == "[[":
                seen[name] = seen.get(name, -1) + 1
            count = seen.get(name, 0)
            in_target = current == table and (index is None or count == index)
            if in_target:
                header_line = number
            continue
        if in_target and key is not None:
            keymatch = _KEY.match(raw)
            if keymatch and keymatch.group(1).strip().strip("\"'") == key:
                return number
    if header_line is None and key is not None:
        wanted = [*table, key]
        for number, raw in enumerate(lines, start=1):
            match = _HEADER.match(raw)
            if match and [n.strip().strip("\"'") for n in match.group(2).split(".")] == wanted:
                return number
    return header_line


def _is_optional(tp: Any) -> tuple[bool, Any]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return True, args[0]
    return False, tp


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            date: "a date (YYYY-MM-DD)"}.get(tp, str(tp))


def convert(value: Any, tp: Any, keypath: KeyPath, source: Source) -> Any:
    """Convert one TOML value to annotation ``tp`` or raise ConfigError at ``keypath``."""
    optional, tp = _is_optional(tp)
    if value is None and optional:
        return None
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in get_args(tp):
            raise source.error(keypath, f"{value!r} is not {_type_name(tp)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise source.error(keypath, f"expected {_type_name(tp)}, got {value!r}")
        (item_tp, *_) = get_args(tp) or (Any,)
        items = [convert(v, item_tp, (*keypath, i), source) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise source.error(keypath, f"expected a table, got {value!r}")
        _, value_tp = get_args(tp)
        return {k: convert(v, value_tp, (*keypath, k), source) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise source.error(keypath, f"expected a table, got {value!r}")
        return load_section(tp, value, keypath, source)  # type: ignore[arg-type]
    if tp is bool:
        if not isinstance(value, bool):
            raise source.error(keypath, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise source.error(keypath, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise source.error(keypath, f"expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise source.error(keypath, f"expected a string, got {value!r}")
        return value
    if tp is date:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise source.error(keypath, f"expected a date (YYYY-MM-DD), got {value!r}")
    raise TypeError(f"unsupported config annotation {tp!r}")  # a programming error


def load_section(cls: type[T], data: dict[str, Any], keypath: KeyPath, source: Source) -> T:
    """Build dataclass ``cls`` from table ``data``; see the module docstring for guarantees."""
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        name = key
        if name not in fields or not fields[name].init:
            known = ", ".join(sorted(n for n, f in fields.items() if f.init))
            raise source.error((*keypath, key), f"unknown key (expected one of: {known})")
        kwargs[name] = convert(value, hints[name], (*keypath, key), source)
    for name, field in fields.items():
        if not field.init or name in kwargs:
            continue
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise source.error(keypath, f"missing required key '{name}'")
    instance = cls(**kwargs)
    validate = getattr(instance, "validate", None)
    if validate is not None:
        try:
            validate()
        except Invalid as exc:
            raise source.error((*keypath, exc.key) if exc.key else keypath, exc.message) from None
    return instance


__all__ = ["Invalid", "Source", "convert", "format_keypath", "load_section"]
