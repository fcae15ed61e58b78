"""Validating HuJSON and decoding it through a JSON twin with the same offsets.

Two scanners give the same answer. ``scan_exact`` is a faithful, iterative port of
tailscale/hujson's grammar and error messages; it is the specification. ``scan_fast`` guesses the
comments and trailing commas with C-speed string searches, blanks them and lets ``json`` judge the
result (a wrong guess can make it refuse, never accept: see "the fast path" below); whenever it
refuses, the exact scanner decides (and produces the positioned error). Both return "blank
spans": the comments and trailing commas that standardizing turns into spaces. ``decode``, which
parsing uses, takes the fast path when it can.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import accumulate
from typing import Any, NamedTuple

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
_BLANK = re.compile(r"[^\t\r\n]")
# Every '/' that starts '//' or '/*' (matching only the '/', so that a comment right after '*/'
# is seen too).
_COMMENT_START = re.compile(r"/(?=[/*])")
# A '//' or '/*' after whitespace, a bracket, a comma or a '/' (the end of '*/'), with its body: to
# the newline, or to the first '*/' or the end of the text (so that an unterminated comment costs
# one search, not one per '/' after it).
_QUICK_COMMENT = re.compile(
    r"(/(?<![^ \t\r\n,\[\]{}/]/)(?:/[^\n]*\n|\*[^*]*(?:\*+[^*/][^*]*)*(?:\*+/|\**\Z)))"
)
# In the reversed text with '}' made ']': a closing bracket, whitespace, a comma (and then an
# opening bracket, for '[,]').
_REVERSED_TRAILING_COMMA = re.compile(r"\][ \t\r\n]*,")
_REVERSED_EMPTY_COMMA = re.compile(r"\][ \t\r\n]*,[ \t\r\n]*[\[{]")
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


class Decoded(NamedTuple):
    """What validating a text gives."""

    twin: str
    """The text with every comment and trailing comma blanked and every offset kept (the fast
    path blanks with tabs, the exact path with spaces as Standardize does), so that ``json`` can
    decode any value in it from where the value starts in the text."""
    value: Any
    """The document's value."""
    ends: dict[int, int]
    """Where each value in the top-level object or array ends, by where it starts, when they
    were decoded one by one (small containers only): what expanding the root would compute."""


def decode(text: str) -> Decoded:
    """Validate ``text`` and decode it.

    Raises HuJSONError with tailscale/hujson's message, line and column when ``text`` is not
    HuJSON.
    """
    found = _fast(text)
    if found is not None:
        return Decoded(found.twin, found.value, found.ends)
    std = blank(text, scan_exact(text))
    try:
        return Decoded(std, loads(std), {})
    except ValueError as exc:  # pragma: no cover - the two scanners disagree: a bug, never a pass
        pos = getattr(exc, "pos", 0)
        raise error_at(text, pos, f"internal error: standardized text refused: {exc}") from exc


def decode_nested(text: str, depth: int) -> tuple[str, Any]:
    """The twin and value of ``text``, a value that sits ``depth`` levels deep in a document:
    ``decode``, with nesting limited as it would be there."""
    if not depth:
        twin, value, _ = decode(text)
        return twin, value
    twin, value, _ = decode("[" * depth + text + "]" * depth)
    for _ in range(depth):
        value = value[0]
    return twin[depth : len(twin) - depth], value


# --- the fast path -------------------------------------------------------------------------
#
# The fast path guesses the blank spans, blanks them with tabs, and lets json decode the result.
# JSON allows a raw tab between tokens and not inside a string, so json accepts only if every
# guessed span lies between tokens, and only if no comment or trailing comma was missed (a '/',
# or a ',' before a closing bracket, is not JSON). Each guessed comment runs from '//' to the
# first newline or from '/*' to the first '*/', and each guessed comma has only blanks between it
# and a closing bracket, so a span between tokens is exactly one the exact scanner would blank.
# The one thing blanking hides from json is a comma right after an opening bracket ('[,]' passes
# as '[ ]'), which is looked for separately. A wrong guess therefore costs time, never
# correctness, and the guesses are made for speed: the quick one takes every '//' and '/*' after
# whitespace, a bracket, a comma or a '/' (the end of a '*/') for a comment, and every comma
# before a closing bracket for a trailing one; the careful one, tried when json refuses the quick
# one, tells strings from comments by counting quotes, and is right on every valid document.


class _Found(NamedTuple):
    parts: list[str]  # text cut at comments: code, comment, code, ..., code (comments as tabs)
    commas: list[int]  # where the trailing commas are
    twin: str
    value: Any
    ends: dict[int, int]


class _Tabs(dict[int, str]):
    """Runs of tabs by length, made once."""

    def __missing__(self, size: int) -> str:
        tabs = "\t" * size
        if size <= 1024:
            self[size] = tabs
        return tabs


_TABS = _Tabs()


def scan_fast(text: str) -> Spans | None:
    """The blank spans of ``text`` found by string searches and confirmed by ``json``, or None
    to defer to ``scan_exact``."""
    found = _fast(text)
    if found is None:
        return None
    ends = list(accumulate(map(len, found.parts)))
    spans = list(zip(ends[0::2], ends[1::2], strict=False))
    if found.commas:
        spans = sorted(spans + [(comma, comma + 1) for comma in found.commas])
    return spans


def _fast(text: str) -> _Found | None:
    if not text.isascii() and _SURROGATE.search(text):
        return None
    has_comments = "//" in text or "/*" in text
    for careful in (False, True):
        if not has_comments:
            parts: list[str] | None = [text]
        elif careful:
            parts = _careful_comments(text)
        else:
            parts = _QUICK_COMMENT.split(text)
            last = parts[-2] if len(parts) > 1 else "//"
            if last[1] == "*" and (len(last) < 4 or not last.endswith("*/")):
                parts = None  # unterminated (or a '/*' in a string): try carefully
        if parts is not None:
            found = _confirm(parts, careful)
            if found is not None:
                return found
    return None


def _confirm(parts: list[str], careful: bool) -> _Found | None:
    """Blank the comments in ``parts`` and the trailing commas; return what json accepts."""
    if len(parts) > 1:
        parts[1::2] = map(_TABS.__getitem__, map(len, parts[1::2]))
        code = "".join(parts)
    else:
        code = parts[0]
    commas = _trailing_commas(code, careful)
    if commas is None:
        return None
    twin = code
    if commas and code.isascii():  # then characters are bytes: blank the commas in place
        buffer = bytearray(code, "ascii")
        for comma in commas:
            buffer[comma] = 9  # a tab
        twin = buffer.decode("ascii")
    elif commas:
        cuts = map(slice, [0, *(comma + 1 for comma in commas)], [*commas, len(code)])
        twin = "\t".join(map(code.__getitem__, cuts))
    try:
        value, ends = _decode_document(twin)
    except (ValueError, RecursionError):
        return None
    return _Found(parts, commas, twin, value, ends)


_PIECEWISE = 64
"""Top-level objects and arrays with up to this many values are decoded value by value (past
that, the per-value work outweighs what it saves, and the whole is decoded at once)."""


def _decode_document(twin: str) -> tuple[Any, dict[int, int]]:
    """Decode ``twin`` (raising ValueError where ``json.loads`` would); for a small top-level
    object or array, decode its values one by one and say where each ends."""
    skip = _WS.match
    pos = skip(twin).end()  # type: ignore[union-attr]
    opener = twin[pos : pos + 1]
    if opener not in ("{", "["):
        return _DECODER.decode(twin), {}
    closer = "}" if opener == "{" else "]"
    ends: dict[int, int] = {}
    pairs: list[tuple[Any, Any]] = []
    pos = skip(twin, pos + 1).end()  # type: ignore[union-attr]
    if twin[pos : pos + 1] == closer:
        pos += 1
    else:
        try:
            while True:
                if len(pairs) == _PIECEWISE:
                    return _DECODER.decode(twin), {}
                name = None
                if opener == "{":
                    if twin[pos : pos + 1] != '"':
                        raise ValueError("expecting a name")
                    name, pos = scan_once(twin, pos)
                    pos = skip(twin, pos).end()  # type: ignore[union-attr]
                    if twin[pos : pos + 1] != ":":
                        raise ValueError("expecting ':'")
                    pos = skip(twin, pos + 1).end()  # type: ignore[union-attr]
                start = pos
                value, pos = scan_once(twin, pos)
                ends[start] = pos
                pairs.append((name, value))
                pos = skip(twin, pos).end()  # type: ignore[union-attr]
                separator = twin[pos : pos + 1]
                pos += 1
                if separator == closer:
                    break
                if separator != ",":
                    raise ValueError(f"expecting ',' or {closer!r}")
                pos = skip(twin, pos).end()  # type: ignore[union-attr]
        except StopIteration as exc:  # what scan_once raises where no value starts
            raise ValueError("expecting a value") from exc
    if skip(twin, pos).end() != len(twin):  # type: ignore[union-attr]
        raise ValueError("extra data")
    if opener == "{":
        return dict(pairs), ends
    return [value for _, value in pairs], ends


def _careful_comments(text: str) -> list[str] | None:
    """``text`` cut at its comments, telling them from strings by the quotes before them.

    Strings cannot hold a raw newline, so whether a ``//`` or ``/*`` opens a comment is decided
    by the quotes between the start of its line (or a later point known to be outside strings
    and comments) and itself.
    """
    parts: list[str] = []
    last_end = safe = 0  # the end of the last comment; a point outside strings and comments
    for match in _COMMENT_START.finditer(text):
        pos = match.start()
        if pos < safe:
            continue  # inside the last comment, or in a string already stepped over
        string_end = _string_end(text, (text.rfind("\n", safe, pos) + 1) or safe, pos)
        if string_end >= 0:
            safe = string_end
            continue
        closer = "\n" if text[pos + 1] == "/" else "*/"
        end = text.find(closer, pos + 2) + len(closer)
        if end < len(closer):
            return None  # unterminated: let the exact scanner say where
        parts.append(text[last_end:pos])
        parts.append(text[pos:end])
        last_end = safe = end
    parts.append(text[last_end:])
    return parts


def _trailing_commas(code: str, careful: bool) -> list[int] | None:
    """Where the commas before a closing bracket are in ``code`` (comments blanked), or None
    when one follows an opening bracket (``[,]``, which json would take for ``[ ]``).

    Searching the reversed text for a closing bracket and then a comma costs one step per
    bracket rather than one per comma, the commoner. Taken quickly, a comma in a string counts
    too (json then refuses the twin); taken carefully, it does not.
    """
    reverse = code.replace("}", "]")[::-1]
    size = len(code)
    commas = [size - match.end() for match in _REVERSED_TRAILING_COMMA.finditer(reverse)]
    if not commas:
        return commas
    commas.reverse()
    if not careful:
        return None if _REVERSED_EMPTY_COMMA.search(reverse) else commas
    kept = []
    safe = 0  # a point outside strings
    for comma in commas:
        if comma < safe:
            continue  # in a string already stepped over
        string_end = _string_end(code, (code.rfind("\n", safe, comma) + 1) or safe, comma)
        if string_end >= 0:
            safe = string_end
            continue
        before = _WS.match(reverse, size - comma).end()  # type: ignore[union-attr]
        if reverse[before : before + 1] in ("[", "{"):
            return None
        kept.append(comma)
        safe = comma + 1
    return kept


def _string_end(text: str, start: int, pos: int) -> int:
    """Where the string that holds ``pos`` ends (just after its closing quote, or at the end of
    the text), scanning from ``start``, a point outside strings; -1 if ``pos`` is in none."""
    quotes = text.count('"', start, pos)
    if not quotes:
        return -1
    if text.find("\\", start, pos) < 0:  # no escapes: every quote opens or closes a string
        if quotes % 2 == 0:
            return -1
        quote = text.rfind('"', start, pos)
    else:
        quote = text.find('"', start, pos)
        while quote >= 0:
            match = _STRING_TAIL.match(text, quote + 1)
            if match is None or match.end() > pos:
                break
            quote = text.find('"', match.end(), pos)
        if quote < 0:
            return -1
    match = _STRING_TAIL.match(text, quote + 1)
    return len(text) if match is None else match.end()


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
