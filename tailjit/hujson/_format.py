"""HuJSON formatting, byte for byte as tailscale/hujson's ``Format`` (the ``hujsonfmt`` command).

The behaviour is ported from github.com/tailscale/hujson, ``format.go`` at commit
3e30154fc98e83c95d111a51c6fedef3ee5d7f75 (with ``consumeWhitespace``/``consumeComment`` from
``parse.go`` and ``String``/``setTrailingComma`` from ``types.go``), Copyright (c) 2021 Tailscale
Inc & AUTHORS, BSD-3-Clause. The structure is ours. Upstream mutates its tree in four passes
(normalize, expandComposites, formatWhitespace, alignObjectValues); here the text, once ``parse``
has validated it, is cut into (gap, token) pairs, ``_Layout`` decides which objects and arrays to
expand, and ``_Printer`` writes the result, normalizing and aligning as it goes. Working on tokens
rather than tree nodes keeps a 1 MB policy well under a second.

Upstream counts in bytes, and so do we: widths (the 80-column rule, value alignment) are UTF-8
byte counts, a tab counts as one, and indentation is never counted at all.
"""

from __future__ import annotations

import json
import re

from tailjit.hujson._errors import HuJSONError
from tailjit.hujson._scan import deep_recursion
from tailjit.hujson._tree import Value, parse

_WIDTH = 80
"""Upstream's ``punchCardWidth``: a container with a wider line is expanded."""

# Each gap (whitespace and comments) with the token after it; the last token is "" (the end).
_TOKENS = re.compile(
    r"((?:[ \t\r\n]+|//[^\n]*\n|/\*[\s\S]*?\*/)*)"
    r'([][{}:,]|"[^"\\]*(?:\\[\s\S][^"\\]*)*"|[-+.0-9a-zA-Z]+|\Z)'
)
Tokens = list[tuple[str, str]]

# Go's unicode.IsSpace, which trims comments; Python's str.isspace also counts \x1c-\x1f.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
_JSON_SPACE = " \t\r\n"
_WS_RUN = re.compile(r"[ \t\r\n]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# RFC 8785 string escaping, as upstream's String(): only controls, quote and backslash.
_ESCAPES = {code: f"\\u{code:04x}" for code in range(0x20)}
_ESCAPES.update(
    {ord(char): "\\" + name for char, name in zip('\b\t\n\f\r"\\', 'btnfr"\\', strict=True)}
)

Stats = tuple[int, int, bool]
"""Upstream's lineStats: width of the first line, width of the last line, several lines."""

_FLAT: Stats = (0, 0, False)
_BROKEN: Stats = (0, 0, True)


def _blen(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


def _normal(raw: str) -> str:
    """A literal as upstream's normalize leaves it: strings with escapes are re-encoded."""
    if raw[0] != '"' or "\\" not in raw:
        return raw
    # Go's decoder turns an unpaired surrogate escape into U+FFFD; Python's keeps it.
    decoded = _SURROGATE.sub("\ufffd", json.loads(raw))
    return '"' + decoded.translate(_ESCAPES) + '"'


def _kept(gap: str) -> str:
    """Upstream's normalize drops a gap before a colon or comma that holds no comment."""
    return gap if "/" in gap else ""


def _lead_len(text: str) -> int:
    return len(text) - len(text.lstrip(_JSON_SPACE))


# --- deciding the layout --------------------------------------------------------------------


def _comment_width(segment: str) -> int:
    """Upstream's estimate of the width of one line of a gap: comments and a space around each."""
    width = 0
    pos = 0
    while True:
        pos += _lead_len(segment[pos:])
        if segment.startswith("//", pos):
            return width + 1 + _blen(segment[pos:])
        if segment.startswith("/*", pos):
            end = segment.find("*/", pos + 2)
            if end < 0:  # the comment goes on past this line
                return width + 1 + _blen(segment[pos:])
            width += 1 + _blen(segment[pos : end + 2])
            pos = end + 2
            continue
        return width + 1 if width else width


def _gap_stats(gap: str) -> Stats:
    if "/" not in gap:
        return _BROKEN if "\n" in gap else _FLAT
    first = gap.find("\n")
    if first < 0:
        width = _comment_width(gap)
        return width, width, False
    return _comment_width(gap[:first]), _comment_width(gap[gap.rfind("\n") + 1 :]), True


class _Layout:
    """Upstream's expandComposites: which containers print one member or element per line.

    Widths are measured from a container's own opening bracket, so whether a container expands
    never depends on where it starts; only its parent sees its width. Upstream also meant to
    expand any multi-line object with two or more members, but that test reads the result before
    it is computed and never fires, so it is left out here too.
    """

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.expanded: set[int] = set()  # indexes of the opening brackets
        self.trailing_comma = False

    def measure(self, k: int) -> tuple[Stats, int]:
        """The stats of the container opening at token ``k``, and the index after it."""
        tokens = self.tokens
        start = k
        is_object = tokens[k][1] == "{"
        lines: list[int] = []
        line = 1  # the opening bracket

        def add(stats: Stats) -> None:
            nonlocal line
            first, last, multiline = stats
            line += first
            if multiline:
                lines.append(line)
                line = last

        k += 1
        gap, token = tokens[k]
        expand = False
        if token in ("}", "]"):
            close = first_gap = _kept(gap)
        else:
            first_gap = gap
            while True:
                expand = expand or "\n" in gap
                add(_gap_stats(gap))
                if is_object:
                    line += _blen(_normal(token))
                    add(_gap_stats(_kept(tokens[k + 1][0])))
                    line += 2  # ": "
                    k += 2
                    gap, token = tokens[k]
                    add(_gap_stats(gap))
                if token in ("{", "["):
                    stats, k = self.measure(k)
                    add(stats)
                else:
                    line += _blen(_normal(token))
                    k += 1
                gap, token = tokens[k]
                if token != ",":
                    line += 2  # ", " is counted even after the last value
                    close = gap  # the gap after the last value moves before the bracket
                    break
                after = _kept(gap)
                add(_gap_stats(after))
                line += 2  # ", "
                k += 1
                gap, token = tokens[k]
                if token in ("}", "]"):
                    self.trailing_comma = True
                    expand = expand or "\n" in after
                    close = gap
                    break
        lines.append(line + 1)  # the closing bracket; the gap before it is not counted
        if not (expand or "\n" in close or max(lines) > _WIDTH):
            return (lines[0], lines[-1], len(lines) > 1), k + 1
        self.expanded.add(start)
        return (1 + _gap_stats(first_gap)[0], 1, True), k + 1


# --- writing --------------------------------------------------------------------------------


def _format_gap(
    gap: str,
    depth: int,
    unit: str,
    *,
    lead_newline: bool = False,
    trail_newline: bool = False,
    trim_leading_blank: bool = False,
    trim_trailing_blank: bool = False,
    unindent_last: bool = False,
    space_if_empty: bool = False,
) -> str:
    """Upstream's Extra.format: lay out whitespace and comments at an indentation depth."""
    if "\r" in gap:
        gap = gap.replace("\r\n", "\n").replace("\n\r", "\n").replace("\r", " ")
    if "/" not in gap:  # only whitespace: just its newlines survive
        text = "\n" * min(gap.count("\n"), 2) or ("\n" if lead_newline else "")
    else:
        pieces = ["\n"] if lead_newline and "\n" not in gap else []
        line_start = bool(pieces)
        pos = 0
        while pos < len(gap):
            run = _WS_RUN.match(gap, pos)
            if run is not None:
                newlines = gap.count("\n", pos, run.end())
                if newlines:
                    pieces.append("\n" * min(newlines, 2))  # never more than one blank line
                    line_start = True
                pos = run.end()
                continue
            close = "\n" if gap.startswith("//", pos) else "*/" if gap.startswith("/*", pos) else ""
            end = gap.find(close, pos + 2) if close else -1
            if end < 0:
                return gap  # not a gap (upstream leaves it alone)
            pieces.append(unit * depth if line_start else " ")
            line_start = False
            if close == "\n":
                pieces.append(gap[pos:end].rstrip(_GO_SPACE))
                pos = end  # the newline counts as whitespace
            else:
                end += 2
                comment = gap[pos:end]
                pieces.append(comment if "\n" not in comment else _block(comment, depth, unit))
                pos = end
        text = "".join(pieces)
    if trail_newline and not text.endswith("\n"):
        text += "\n"
    if trim_leading_blank and text.startswith("\n\n"):
        text = text[len(text) - len(text.lstrip("\n")) - 1 :]
    if trim_trailing_blank and text.endswith("\n\n"):
        text = text[: len(text.rstrip("\n")) + 1]
    if text.endswith("\n"):
        return text + unit * (depth - 1 if unindent_last else depth)
    if text:
        return text + " "
    return " " if space_if_empty else ""


def _tight(gap: str, depth: int, unit: str, *, space_if_empty: bool = False) -> str:
    """A gap around a colon or before a comma, where upstream drops blank lines at both ends."""
    if not gap:  # the usual case, and the cheapest to get right
        return " " if space_if_empty else ""
    return _format_gap(
        gap,
        depth,
        unit,
        trim_leading_blank=True,
        trim_trailing_blank=True,
        space_if_empty=space_if_empty,
    )


def _block(comment: str, depth: int, unit: str) -> str:
    """Re-indent a multi-line block comment by the common prefix of its lines.

    A star-aligned comment (every line starting ``*``, no blank line) keeps one space before the
    stars; a closing ``*/`` on a line of its own takes the common prefix's indentation.
    """
    lines = [line.rstrip(_GO_SPACE) for line in comment.split("\n")]
    prefix = next((line for line in lines[1:] if line), "")
    blank = not all(lines)
    for i in range(1, len(lines)):
        line = lines[i]
        if not line:
            continue
        if line.endswith("*/") and _lead_len(line) + 2 == len(line):
            lines[i] = prefix[: _lead_len(prefix)] + "*/"
            break
        if not line.startswith(prefix):
            limit = min(len(line), len(prefix))
            same = next((j for j in range(limit) if line[j] != prefix[j]), limit)
            prefix = prefix[:same]  # a shorter line that matches so far leaves it whole
    cut = _lead_len(prefix)
    star = not blank and len(prefix) > cut and prefix[cut] == "*"
    lead = unit * depth + (" " if star else "")
    return "\n".join([lines[0]] + [lead + line[cut:] if line else "" for line in lines[1:]])


class _Printer:
    """Upstream's formatWhitespace and alignObjectValues, writing text instead of mutating."""

    def __init__(self, tokens: Tokens, expanded: set[int], standard: bool, unit: str) -> None:
        self.tokens = tokens
        self.expanded = expanded
        self.standard = standard
        self.unit = unit
        self.out: list[str] = []

    def value(self, k: int, depth: int) -> tuple[bool, int]:
        """Write the value at token ``k``; return whether a gap inside it (other than the one
        before a closing bracket) has a newline, upstream's ``hasNewline(false)``, and the index
        after it."""
        token = self.tokens[k][1]
        if token in ("{", "["):
            return self._container(k, depth)
        self.out.append(_normal(token))
        return False, k + 1

    def _container(self, k: int, depth: int) -> tuple[bool, int]:
        tokens, out, unit = self.tokens, self.out, self.unit
        expand = k in self.expanded
        is_object = tokens[k][1] == "{"
        out.append(tokens[k][1])
        k += 1
        gap, token = tokens[k]
        if token in ("}", "]"):
            out.append(self._closing(_kept(gap), depth, expand, empty=True))
            out.append(token)
            return False, k + 1
        broken = False
        rows: list[tuple[int, int]] = []  # a run of members to align: (index in out, width)
        first = True
        while True:
            before = _format_gap(
                gap,
                depth + 1,
                unit,
                lead_newline=expand,
                trim_leading_blank=first,
                space_if_empty=not first,
            )
            out.append(before)
            inside = ""
            if is_object:
                name = _normal(token)
                after_name = _tight(_kept(tokens[k + 1][0]), depth + 2, unit)
                k += 2
                after_colon = _tight(tokens[k][0], depth + 2, unit, space_if_empty=True)
                out += (name, after_name, ":", after_colon)
                slot = len(out) - 1
                inside = after_name + after_colon
            # A value put on its own line below its name is indented one more level.
            inner, k = self.value(k, depth + expand + ("\n" in inside))
            gap, token = tokens[k]
            if token == ",":
                after = _tight(_kept(gap), depth + 2, unit)
                k += 1
                gap, token = tokens[k]
                last = token in ("}", "]")
                if last:
                    after = self._end(after, gap, depth, expand)
                else:
                    out += (after, ",")
            else:
                last = True
                after = self._end("", gap, depth, expand)
            broken = broken or inner or "\n" in before + inside + after
            if expand and is_object:
                # Only members on one line of their own are aligned, in runs that a blank line,
                # a comment line or a member on several lines ends.
                if "\n" not in before or inner or "\n" in inside + after:
                    self._align(rows)
                else:
                    if before.count("\n") > 1:
                        self._align(rows)
                    rows.append((slot, _blen(name) + _blen(after_name) + 1 + _blen(after_colon)))
            if last:
                self._align(rows)
                out.append(token)
                return broken, k + 1
            first = False

    def _closing(self, gap: str, depth: int, expand: bool, *, empty: bool = False) -> str:
        return _format_gap(
            gap,
            depth + 1,
            self.unit,
            trail_newline=expand,
            trim_leading_blank=empty,
            trim_trailing_blank=True,
            unindent_last=True,
        )

    def _end(self, after: str, close: str, depth: int, expand: bool) -> str:
        """Write the last item's gap and comma and the closing gap; return the item's gap as it
        ends up (upstream's setTrailingComma moves it into the closing gap)."""
        close = self._closing(close, depth, expand)
        comma = bool(after)  # normalized: a trailing comma is kept only with a comment before it
        if not expand and not (comma and close):  # an inline container loses its comma
            close, after, comma = after + close, "", False
        elif expand and not self.standard:  # an expanded one gains one, unless JSON is standard
            comma = True
        self.out += (after, "," if comma else "", close)
        return after

    def _align(self, rows: list[tuple[int, int]]) -> None:
        if rows:
            widest = max(width for _, width in rows)
            for slot, width in rows:
                self.out[slot] += " " * (widest - width)
            rows.clear()


# --- entry points ---------------------------------------------------------------------------


def _write(tokens: Tokens, *, standard: bool | None, unit: str, depth: int) -> tuple[str, int]:
    """Lay out the value that starts at the first token; return its text and the index after it.

    ``standard`` None means: judge from the tokens (no comments and no trailing commas).
    """
    layout = _Layout(tokens)
    with deep_recursion():
        if tokens[0][1] in ("{", "["):
            layout.measure(0)
        if standard is None:
            standard = not layout.trailing_comma and not any("/" in gap for gap, _ in tokens)
        printer = _Printer(tokens, layout.expanded, standard, unit)
        _, end = printer.value(0, depth)
    return "".join(printer.out), end


def _format(text: str) -> str:
    """Format a whole document that ``parse`` has accepted."""
    tokens = _TOKENS.findall(text)
    body, end = _write(tokens, standard=None, unit="\t", depth=0)
    head = _format_gap(tokens[0][0], 0, "\t").lstrip(_JSON_SPACE)
    tail = _format_gap("".join(gap for gap, _ in tokens[end:]), 0, "\t").rstrip(_GO_SPACE)
    return head + body + tail + "\n"


def format_value(value: Value) -> str:
    """The formatted text of a document, as tailscale/hujson's ``Value.Format`` writes it.

    Every object and array is either on one line or one member or element per line (expanded
    when any gap after an opening bracket or comma, or before a closing one, has a newline, or
    when a line would pass 80 columns); one tab per level; at most one blank line; LF line
    endings; one space after a colon and an inline comma; values of consecutive one-line members
    aligned; strings with escapes re-encoded; a trailing comma on every expanded container unless
    the document is standard JSON (which stays standard); exactly one final newline.

    ``value`` must pack to valid HuJSON, as a parsed tree or a verified edit of one does.
    """
    return _format(value.text())


def format_text(text: str) -> str:
    """Format HuJSON text as ``hujsonfmt`` does; raises HuJSONError when it is not HuJSON."""
    parse(text)
    return _format(text)


def format_bytes(data: bytes) -> bytes:
    """Format HuJSON bytes; like upstream's ``Format(b)``, return ``data`` unchanged on error."""
    try:
        parse(data)
    except HuJSONError:
        return data
    return _format(data.decode("utf-8")).encode("utf-8")


def format_value_at(value: Value, depth: int, indent: str = "\t", *, standard: bool = False) -> str:
    """A value's node (its own gaps left out) as ``format_value`` lays it out ``depth`` levels in.

    The first line is not indented; later lines are indented from ``depth`` (one ``indent`` per
    level; upstream only ever uses a tab). No column is needed: upstream measures a container's
    lines from its own opening bracket and never counts indentation, so where a value starts does
    not change how it is laid out. What the caller must still match is its surroundings: the gaps
    around the value, the padding that aligns an object member's value, and whether the parent
    itself would now pass 80 columns and expand. ``standard`` says the document is standard JSON,
    in which case expanded containers get no trailing comma.
    """
    body, _ = _write(
        _TOKENS.findall(Value("", value.node).text()), standard=standard, unit=indent, depth=depth
    )
    return body
