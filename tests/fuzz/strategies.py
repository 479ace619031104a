"""Strategies shared by the fuzz tests: hostile text, bytes, JSON values, file names.

The property every test checks is the same (issue 14): the entry point succeeds, or it raises a
PodiumError with a one-line message and a hint. Never another exception.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from podium.errors import PodiumError

# Characters that broke or could break something: NUL and controls, RTL and BiDi marks, zero
# width, combining marks, BOM, line/paragraph separators, a lone surrogate, an astral emoji.
SPECIALS = ["\x00", "\x01", "\x0b", "\x0c", "\r", "\r\n", "\n\n", "\t", "\u200f", "\u202e",
            "\u2066", "\u200b", "\u0301", "\u0336", "\ufeff", "\u2028", "\u2029", "\ud800",
            "\udfff", "\U0001f600", "\ufffd", "\u05d0\u05d1", "\u0627\u0644", "İ", "ß", "ﬃ",
            "Q  ", "SECRETARY BLINKEN:  ", "MR. SMITH: ", ". ", "… ", "? ", "\"", "“", "’"]
# Markup and query syntax an attacker or an accident could put in a transcript or question.
SYNTAX = ['"', "'", "NEAR(", "NEAR", ")", "(", "*", "-", "+", "^", ":", "OR", "AND", "NOT",
          "{", "}", "[", "]", "\\", "%", "_", ";", "--", "/*", "<b>", "</b>", "<p>", "<br>",
          "<script>", "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&#0;", "&#xd800;", "&bogus;",
          "![x](http://127.0.0.1:9/x.png)", "[1]", "[7]", "` ", "$$"]

any_char = st.characters(exclude_categories=())  # surrogates included
text_chars = st.characters(exclude_categories=["Cs"])


def long_run(chars: st.SearchStrategy[str] = any_char, most: int = 30_000
             ) -> st.SearchStrategy[str]:
    """One character repeated: a very long word, line or run of spaces."""
    return st.builds(lambda c, n: c * n, chars | st.sampled_from([" ", "a", "\n", "-", "日"]),
                     st.integers(0, most))


def nasty_text(*, surrogates: bool = True, most: int = 30_000) -> st.SearchStrategy[str]:
    """Text made of random Unicode, special characters, syntax and long runs."""
    chars = any_char if surrogates else text_chars
    specials = [s for s in SPECIALS if surrogates or not ("\ud800" <= s[0] <= "\udfff")]
    piece = st.one_of(st.text(chars, max_size=40), st.sampled_from(specials),
                      st.sampled_from(SYNTAX), st.text("abc XYZ.?!\n", max_size=60),
                      long_run(chars, most))
    return st.lists(piece, max_size=12).map("".join)


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Text as the bytes a file might hold: UTF-8 (± BOM), UTF-16, Latin-1, or plain bytes."""

    def encode(value: str, how: str) -> bytes:
        if how == "latin-1":
            return value.encode("latin-1", "replace")
        if how == "utf-16":
            return value.encode("utf-16", "surrogatepass")
        prefix = b"\xef\xbb\xbf" if how == "utf-8-sig" else b""
        return prefix + value.encode("utf-8", "surrogatepass")

    return st.one_of(
        st.builds(encode, text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"])),
        st.binary(max_size=2000))


def json_values(strings: st.SearchStrategy[str] | None = None, depth: int = 6
                ) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars of every type, lists and objects nested a few levels."""
    strings = strings if strings is not None else nasty_text(most=200)
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings)
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=4)),
        max_leaves=depth * 3)


def deep_json(depth: int) -> str:
    """A JSON value nested depth levels: arrays inside objects inside arrays …"""
    return '{"a": ' * (depth // 2) + "[" * (depth - depth // 2) + "]" * (depth - depth // 2) \
        + "}" * (depth // 2)


def dump(value: Any) -> str:
    """json.dumps that keeps lone surrogates as \\uXXXX escapes (as a JSON file holds them)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def assert_podium_error(exc: BaseException) -> None:
    """The property: a PodiumError with a one-line message and a hint, printable as UTF-8."""
    assert isinstance(exc, PodiumError), f"{type(exc).__name__}: {exc!r}"
    assert exc.message.strip() and "\n" not in exc.message, repr(exc.message)
    assert exc.hint.strip() and "\n" not in exc.hint, repr(exc.hint)
    str(exc).encode("utf-8")  # the CLI prints it: it must be valid Unicode
