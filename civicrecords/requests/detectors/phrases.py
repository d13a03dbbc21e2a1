"""Keyword lists as data: ``|``-separated literal phrases compiled into fast regexes.

Long alternations (``\\b(?:a|b|c...)\\b``) are slow in Python's ``re``, which tries every
alternative at every position. ``phrase_pattern`` shares common prefixes in a trie, so a
position that starts no phrase is rejected after one character, and matches against text
lowercased in ASCII (``Document.lower``) instead of using ``re.IGNORECASE``. Together that is
about ten times faster on comment-sized text, and the lists stay readable plain words.
"""

from __future__ import annotations

import re

__all__ = ["phrase_pattern"]

_Trie = dict[str, "_Trie"]
_END = ""


def _insert(trie: _Trie, phrase: str) -> None:
    node = trie
    for char in phrase:
        node = node.setdefault(char, {})
    node[_END] = {}


def _emit(node: _Trie) -> str:
    """Regex source for the phrases below ``node`` (a space matches any run of spaces)."""
    branches = [
        (r"\s+" if char == " " else re.escape(char)) + _emit(child)
        for char, child in sorted(node.items())
        if char != _END
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:
        return "(?:" + body + ")?"
    return body


def phrase_pattern(phrases: str) -> re.Pattern[str]:
    """Compile ``|``-separated phrases into one whole-word pattern for lowercased text.

    Phrases are literal, lowercase and matched as whole words (``\\b`` on both sides); a space
    inside a phrase matches any run of whitespace. Raises ``ValueError`` on an empty list or
    a phrase with uppercase letters (which could never match lowercased text).
    """
    items = sorted({" ".join(p.split()) for p in phrases.split("|") if p.strip()})
    if not items:
        raise ValueError("no phrases given")
    upper = [p for p in items if p != p.lower()]
    if upper:
        raise ValueError(f"phrases must be lowercase: {upper}")
    trie: _Trie = {}
    for phrase in items:
        _insert(trie, phrase)
    return re.compile(r"\b" + _emit(trie) + r"\b")
