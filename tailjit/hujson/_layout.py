"""How new entries are laid out, and which comments in a gap belong to which entry.

Gaps are the raw text between entries. Comment ownership follows tailscale/hujson's Patch
(HUJSON.md §1.4): in the gap between two entries, with no blank line only the rest of the
previous entry's line (its same-line comment) is the previous entry's and everything else is the
next entry's; with blank lines, the previous entry also owns the paragraph right under it, the next
entry owns the paragraph after the last blank line, and paragraphs in between float.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_BLANK_LINE = re.compile(r"\n[ \t\r]*(?=\n)")
_LEADING_BLANK = re.compile(r"[ \t\r]*\n")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def code(gap: str) -> str:
    """``gap`` with every block comment masked by ``#`` of the same length.

    Offsets are unchanged, and only real line breaks are left: a newline inside ``/* … */`` does
    not end a line, and a blank line inside one is not a blank line.
    """
    if "/*" not in gap:
        return gap
    return _COMMENT.sub(lambda m: m[0] if m[0][1] == "/" else "#" * len(m[0]), gap)


def breaks_line(gap: str) -> bool:
    """Whether ``gap`` has a line break outside its block comments."""
    return "\n" in code(gap)


def keep_with_closer(left: str) -> str:
    """What of ``left`` stays when the closing bracket comes right after it (`}]`).

    Its trailing line breaks go, so the bracket hugs what is left; a line comment keeps its line.
    """
    masked = code(left)
    stripped = masked.rstrip(" \t\r\n")
    return left if "//" in stripped.rsplit("\n", 1)[-1] else left[: len(stripped)]


def _lines_end(gap: str) -> int:
    """The offset just after the first newline (the end of the previous entry's line), or -1."""
    return gap.find("\n") + 1 or -1


def previous_owned_end(gap: str) -> int:
    """Where the part of ``gap`` that belongs to the entry before it ends (at a line start)."""
    gap = code(gap)
    first = _lines_end(gap)
    if first < 0:
        return 0
    blank = _BLANK_LINE.search(gap, first - 1)
    return first if blank is None else blank.start() + 1


def next_owned_start(gap: str) -> int:
    """Where the part of ``gap`` that belongs to the entry after it starts (at a line start)."""
    gap = code(gap)
    first = _lines_end(gap)
    if first < 0:
        return 0
    blanks = list(_BLANK_LINE.finditer(gap, first - 1))
    return first if not blanks else blanks[-1].end() + 1


def append_point(gap: str) -> int:
    """Where a new last entry goes in the gap after the current last one.

    Right under the previous entry's line, so that floating paragraphs (commented-out rules at the
    end of a list) stay below it; but when a paragraph is glued under the previous entry, after the
    last blank line instead, so that removing the new entry restores the gap exactly.
    """
    gap = code(gap)
    first = _lines_end(gap)
    if first < 0:
        return 0
    if _BLANK_LINE.search(gap, first - 1) is None or _LEADING_BLANK.match(gap, first):
        return first
    return next_owned_start(gap)


def join_gaps(left: str, right: str, *, after_open: bool) -> str:
    """Join what stays of two gaps when the entry between them is removed.

    Never leaves two blank lines in a row, nor a blank line right after an opening bracket.
    """
    right_blank = _LEADING_BLANK.match(right)
    if right_blank is not None:
        left_lines = code(left).split("\n")
        left_blank = len(left_lines) >= 3 and left_lines[-2].strip(" \t\r") == ""
        at_open = after_open and left.strip(" \t\r\n") == ""
        if left_blank or at_open:
            right = right[right_blank.end() :]
    return left + right


def line_indent(gap: str) -> str | None:
    """The indentation a gap ends with, if it ends on a fresh line."""
    newline = code(gap).rfind("\n")
    if newline < 0:
        return None
    tail = gap[newline + 1 :]
    return tail if tail.strip(" \t") == "" else None


@dataclass(frozen=True)
class Style:
    """How a document writes its containers; new values copy it."""

    newline: str = "\n"
    unit: str = "\t"
    trailing_comma: bool = True
    align: bool = False


@dataclass(frozen=True)
class Shape:
    """The layout of an existing value, used as a template for a new one beside it."""

    expanded: bool
    children: dict[str, Shape]
    unit: str = ""  # its indent step, when it shows one


def render(value: Any, indent: str, style: Style, shape: Shape | None, *, expand: bool) -> str:
    """HuJSON text for a Python value, its first line unindented, nested at ``indent``.

    Containers are expanded (one entry per line) when ``shape`` (a sibling's layout) says so, else
    when ``expand`` is set for this level; scalars and empty containers are always inline.
    """
    if isinstance(value, dict | list) and value:
        expanded = shape.expanded if shape is not None else expand
        if not expanded:
            return _inline(value)
        inner = indent + style.unit
        children = shape.children if shape is not None else {}
        if isinstance(value, dict):
            lines = _members(value, inner, style, children)
        else:
            lines = [render(item, inner, style, children.get("*"), expand=False) for item in value]
        body = ("," + style.newline + inner).join(lines)
        comma = "," if style.trailing_comma else ""
        open_, close = ("{", "}") if isinstance(value, dict) else ("[", "]")
        return f"{open_}{style.newline}{inner}{body}{comma}{style.newline}{indent}{close}"
    return _inline(value)


def _members(
    value: dict[str, Any], indent: str, style: Style, children: dict[str, Shape]
) -> list[str]:
    """``"name": value`` lines; with ``style.align``, values of consecutive one-line members line
    up in a column, as hujsonfmt does (a multi-line value ends the run)."""
    rendered = [
        (
            json.dumps(key, ensure_ascii=False),
            render(item, indent, style, children.get(key), expand=False),
        )
        for key, item in value.items()
    ]
    widths = [0] * len(rendered)
    if style.align:
        run: list[int] = []
        for i, (_name, text) in enumerate([*rendered, ("", "\n")]):
            if "\n" in text:
                for j in run:
                    widths[j] = max(len(rendered[k][0]) for k in run)
                run = []
            else:
                run.append(i)
    return [
        f"{name}:{' ' * max(width - len(name), 0)} {text}"
        for (name, text), width in zip(rendered, widths, strict=True)
    ]


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_inline(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError(f"{value!r} has no JSON spelling")
    return json.dumps(value, ensure_ascii=False)
