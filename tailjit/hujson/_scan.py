"""Validating HuJSON and turning it into standard JSON with the same offsets.

Two scanners give the same answer. ``scan_exact`` is a faithful, iterative port of
tailscale/hujson's grammar and error messages; it is the specification. ``scan_fast`` finds the
comments and trailing commas of ordinary policy files with C-speed string searches and leaves all
validation to ``json.loads``; whenever it is unsure, or ``json.loads`` refuses its output, the exact
scanner decides (and produces the positioned error). Both return "blank spans": the comments and
trailing commas that standardizing turns into spaces.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tailjit.hujson._errors import error_at, quote_char, show_literal

MAX_DEPTH = 1000
"""Objects and arrays nested deeper than this are refused (tailscale/hujson has no limit)."""

Spans = list[tuple[int, int]]

_WS = re.compile(r"[ \t\r\n]*")
_LITERAL_RUN = re.compile(r"[-+.a-zA-Z0-9]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")
# A JSON string: no raw control characters, only JSON escapes, and (unlike Go's json.Valid) only
# valid UTF-8: undecodable bytes arrive as lone surrogates and are refused.
_VALID_STRING = re.compile(
    r'"(?:[^"\\\x00-\x1f\ud800-\udfff]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"\Z'
)
_STRING_TAIL = re.compile(r'[^"\\]*(?:\\[\s\S][^"\\]*)*"')
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_COMMENT_START = re.compile(r"/[/*]")
_BLANK = re.compile(r"[^\t\r\n]")
_VALUE_END = frozenset('"]}0123456789el')
_CLOSER = {"{": "}", "[": "]"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid literal: {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(_DECODER)  # type: ignore[attr-defined]


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Let the json module decode up to MAX_DEPTH levels whatever the caller's stack depth."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 2 * MAX_DEPTH + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def loads(std: str) -> Any:
    """Decode standardized text that a scanner has already accepted."""
    try:
        return _DECODER.decode(std)
    except RecursionError:
        with deep_recursion():
            return _DECODER.decode(std)


def blank(text: str, spans: Spans) -> str:
    """``text`` with each span blanked: spaces, but tabs, CRs and LFs kept (so every offset is)."""
    if not spans:
        return text
    pieces: list[str] = []
    pos = 0
    for start, end in spans:
        pieces.append(text[pos:start])
        chunk = text[start:end]
        if "\t" in chunk or "\r" in chunk or "\n" in chunk[:-1]:
            pieces.append(_BLANK.sub(" ", chunk))
        elif chunk[-1] == "\n":  # the common case: a line comment
            pieces.append(" " * (end - start - 1) + "\n")
        else:
            pieces.append(" " * (end - start))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def standardize(text: str) -> tuple[str, Spans, Any]:
    """Validate ``text``; return its standardized form, its blank spans and its Python value.

    Raises HuJSONError with tailscale/hujson's message, line and column when ``text`` is not HuJSON.
    """
    spans = scan_fast(text)
    if spans is not None:
        std = blank(text, spans)
        try:
            return std, spans, _DECODER.decode(std)
        except (ValueError, RecursionError):
            pass  # the exact scanner decides, and explains
    spans = scan_exact(text)
    std = blank(text, spans)
    try:
        return std, spans, loads(std)
    except ValueError as exc:  # pragma: no cover - the two scanners disagree: a bug, never a pass
        pos = getattr(exc, "pos", 0)
        raise error_at(text, pos, f"internal error: standardized text refused: {exc}") from exc


# --- the fast path -------------------------------------------------------------------------


def _inside_string(text: str, start: int, pos: int) -> bool:
    """Whether ``pos`` is inside a string, scanning from ``start``, a point outside any string."""
    prefix = text[start:pos]
    if '"' not in prefix:
        return False
    if "\\" not in prefix:
        return prefix.count('"') % 2 == 1
    i = 0
    while True:
        quote = prefix.find('"', i)
        if quote < 0:
            return False
        match = _STRING_TAIL.match(prefix, quote + 1)
        if match is None:
            return True
        i = match.end()


def scan_fast(text: str) -> Spans | None:
    """The blank spans of ``text`` found by string searches, or None to defer to ``scan_exact``.

    Strings cannot hold a raw newline, so whether a ``//`` or ``/*`` opens a comment is decided
    by the quotes between the start of its line (or the end of the previous comment) and itself.
    A wrong guess is only possible in text that is invalid, which ``json.loads`` then refuses.
    """
    if not text.isascii() and _SURROGATE.search(text):
        return None
    spans: Spans = []
    if "/" in text:
        last_end = 0
        for match in _COMMENT_START.finditer(text):
            pos = match.start()
            if pos < last_end:
                continue
            line_start = text.rfind("\n", 0, pos) + 1
            if _inside_string(text, max(line_start, last_end), pos):
                continue
            if match.group() == "//":
                end = text.find("\n", pos + 2) + 1
            else:
                end = text.find("*/", pos + 2) + 2
            if end < 2:
                return None  # unterminated: let the exact scanner say where
            spans.append((pos, end))
            last_end = end
    code = blank(text, spans) if spans else text
    commas: Spans = []
    for closer in _find_all(code, "]", "}"):  # closers are rarer than commas
        comma = _last_token(code, closer)
        if comma < 0 or code[comma] != ",":
            continue
        if _inside_string(code, code.rfind("\n", 0, comma) + 1, comma):
            continue
        before = _last_token(code, comma)
        if before < 0 or code[before] not in _VALUE_END:
            return None  # `[,]`, `[1,,]` and the like: the exact scanner explains
        commas.append((comma, comma + 1))
    if commas:
        spans = sorted(spans + commas)
    return spans


def _find_all(text: str, *needles: str) -> Iterator[int]:
    """Every position of each needle (str.find is memchr-fast; a regex character class is not)."""
    for needle in needles:
        pos = text.find(needle)
        while pos >= 0:
            yield pos
            pos = text.find(needle, pos + 1)


def _last_token(code: str, pos: int) -> int:
    """The index of the last character before ``pos`` that is not whitespace, or -1."""
    while pos > 0:
        start = max(pos - 64, 0)
        kept = code[start:pos].rstrip(" \t\r\n")
        if kept:
            return start + len(kept) - 1
        pos = start
    return -1


# --- the exact path ------------------------------------------------------------------------


class _Frame:
    __slots__ = ("comma", "count", "in_value", "kind", "start")

    def __init__(self, kind: str, start: int) -> None:
        self.kind = kind
        self.start = start
        self.count = 0
        self.comma = -1
        self.in_value = False  # objects: parsing a member's value (else its name)


def _gap(text: str, n: int, spans: Spans) -> int:
    """Consume whitespace and comments from ``n``, recording comments; return the end."""
    size = len(text)
    while n < size:
        ch = text[n]
        if ch in " \t\r\n":
            n = _WS.match(text, n).end()  # type: ignore[union-attr]
        elif ch == "/":
            follower = text[n + 1 : n + 2]
            if follower == "/":
                end = text.find("\n", n + 2) + 1
            elif follower == "*":
                end = text.find("*/", n + 2) + 2
                end = 0 if end == 1 else end
            else:
                return n
            if end <= 0:
                raise error_at(text, n, "parsing comment: unexpected EOF")
            if _SURROGATE.search(text, n, end):
                raise error_at(text, n, "invalid UTF-8 in comment")
            spans.append((n, end))
            n = end
        else:
            return n
    return n


def _scalar_end(text: str, n: int) -> int:
    """The end of the string or literal starting at ``n`` (not a bracket), validated."""
    if text[n] == '"':
        match = _STRING_TAIL.match(text, n + 1)
        if match is None:
            raise error_at(text, len(text), "parsing string: unexpected EOF")
        end = match.end()
        if not _VALID_STRING.match(text, n, end):
            raise error_at(text, n, f"invalid literal: {show_literal(text[n:end])}")
        return end
    end = _LITERAL_RUN.match(text, n).end()  # type: ignore[union-attr]
    if end == n:
        raise error_at(text, n, f"invalid character {quote_char(text[n])} at start of value")
    raw = text[n:end]
    if raw not in ("true", "false", "null") and not _NUMBER.match(raw):
        raise error_at(text, n, f"invalid literal: {show_literal(raw)}")
    return end


def scan_exact(text: str) -> Spans:
    """Validate ``text`` exactly as tailscale/hujson's Parse does; return its blank spans."""
    spans: Spans = []
    stack: list[_Frame] = []
    size = len(text)
    n = _gap(text, 0, spans)
    while True:
        # A value starts at n (its leading gap is consumed).
        if n == size:
            raise error_at(text, n, "parsing value: unexpected EOF")
        ch = text[n]
        if ch in "{[":
            if len(stack) >= MAX_DEPTH:
                raise error_at(text, n, f"nesting deeper than {MAX_DEPTH} levels")
            opened = _Frame(ch, n)
            stack.append(opened)
            n = _gap(text, n + 1, spans)
            if n == size or text[n] != _CLOSER[ch]:
                continue  # parse the first name or element
            n += 1
            stack.pop()
            value_start, kind = opened.start, ch
        elif ch in "}]":
            raise error_at(text, n, f"invalid character {quote_char(ch)} at start of value")
        else:
            value_start, kind = n, ch
            n = _scalar_end(text, n)
        # The value ended at n: consume its trailing gap and see what its container says.
        while True:
            n = _gap(text, n, spans)
            if not stack:
                if n < size:
                    msg = f"invalid character {quote_char(text[n])} after top-level value"
                    raise error_at(text, n, msg)
                spans.sort()
                return spans
            frame = stack[-1]
            if frame.kind == "{" and not frame.in_value:
                if kind != '"':
                    msg = (
                        f"invalid character {quote_char(text[value_start])} at start of object name"
                    )
                    raise error_at(text, value_start, msg)
                if n == size:
                    raise error_at(text, n, "parsing object after name: unexpected EOF")
                if text[n] != ":":
                    msg = f"invalid character {quote_char(text[n])} after object name"
                    raise error_at(text, n, msg)
                frame.in_value = True
                n = _gap(text, n + 1, spans)
                break  # parse the member's value
            closer = _CLOSER[frame.kind]
            where = "object" if frame.kind == "{" else "array"
            frame.count += 1
            frame.in_value = False
            if n == size:
                raise error_at(text, n, f"parsing {where} after value: unexpected EOF")
            if text[n] == ",":
                frame.comma = n
                n = _gap(text, n + 1, spans)
                if n < size and text[n] == closer:
                    spans.append((frame.comma, frame.comma + 1))
                else:
                    break  # parse the next name or element
            elif text[n] != closer:
                msg = (
                    f"invalid character {quote_char(text[n])} after {where} value "
                    f"(expecting ',' or '{closer}')"
                )
                raise error_at(text, n, msg)
            # The container closes at n.
            n += 1
            stack.pop()
            value_start, kind = frame.start, frame.kind


def check_text(data: str | bytes) -> str:
    """Decode input; undecodable bytes become lone surrogates, which the scanners refuse."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data).decode("utf-8", "surrogateescape")
    if isinstance(data, str):
        return data
    raise TypeError(f"HuJSON text must be str or bytes, not {type(data).__name__}")
