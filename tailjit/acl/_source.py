"""Where things are in a policy's text: JSON Pointer to line and column, through the HuJSON tree.

The HuJSON tree keeps every byte of the text, so the offset of any value is the length of what
packs before it. `SourceMap` walks from the root to the value a pointer names, adding up the
lengths of the siblings it passes (a parsed container's length is that of its source slice, so
nothing is re-packed), and turns the offset into a 1-based line and a column counted in UTF-8
bytes, as tailscale/hujson counts them. Object member names match exactly first, then
case-insensitively (Tailscale reads keys as Go's ``encoding/json`` does).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property

from tailjit.hujson import Array, Literal, Object, Value

Node = Literal | Object | Array


def _node_len(node: Node) -> int:
    if isinstance(node, Literal):
        return len(node.raw)
    source = node.origin_text()
    return len(source) if source is not None else len(Value("", node, "").text())


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class SourceMap:
    """Line and column of the values of one parsed policy text."""

    def __init__(self, tree: Value) -> None:
        self.tree = tree

    @cached_property
    def text(self) -> str:
        return self.tree.text()

    @cached_property
    def _newlines(self) -> list[int]:
        return [m.start() for m in re.finditer("\n", self.text)]

    def line_column(self, offset: int) -> tuple[int, int]:
        """The 1-based line and UTF-8 byte column of a character offset."""
        line = bisect_right(self._newlines, offset - 1)
        start = self._newlines[line - 1] + 1 if line else 0
        column = len(self.text[start:offset].encode("utf-8", "surrogateescape")) + 1
        return line + 1, column

    def offset(self, pointer: str, *, name: bool = False) -> int | None:
        """Where the value at ``pointer`` starts (or, with ``name``, its member name), or None."""
        value, pos = self.tree, len(self.tree.before)
        tokens = [_unescape(t) for t in pointer.split("/")[1:]] if pointer else []
        for i, token in enumerate(tokens):
            found = self._child(value.node, pos, token, name=name and i == len(tokens) - 1)
            if found is None:
                return None
            value, pos = found
        return pos

    def position(self, pointer: str, *, name: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``pointer`` (or of its name); (0, 0) if not found."""
        offset = self.offset(pointer, name=name)
        return (0, 0) if offset is None else self.line_column(offset)

    def element_lines(self, pointer: str) -> list[int]:
        """The line of each element of the array at ``pointer`` (empty if there is none)."""
        start = self.offset(pointer)
        value = self.tree.find(pointer) if start is not None else None
        if value is None or not isinstance(value.node, Array):
            return []
        return [self.line_column(pos)[0] for _, pos in _children(value.node, start or 0)]

    def _child(self, node: Node, pos: int, token: str, *, name: bool) -> tuple[Value, int] | None:
        if isinstance(node, Array):
            if not token.isdigit() or int(token) >= len(node):
                return None
            index = int(token)
            for i, (child, at) in enumerate(_children(node, pos)):
                if i == index:
                    return child, at
            return None
        if not isinstance(node, Object):
            return None
        folded = None
        for key, member, at, key_at in _members(node, pos):
            if key == token:
                return (member, key_at if name else at)
            if folded is None and key.lower() == token.lower():
                folded = (member, key_at if name else at)
        return folded


def _children(node: Array, pos: int) -> list[tuple[Value, int]]:
    out = []
    pos += 1
    elements = node.elements
    last = len(elements) - 1
    for i, element in enumerate(elements):
        pos += len(element.before)
        out.append((element, pos))
        pos += _node_len(element.node) + len(element.after)
        if i < last or node.trailing_comma:
            pos += 1
    return out


def _members(node: Object, pos: int) -> list[tuple[str, Value, int, int]]:
    """Each member's name, value, value offset and name offset."""
    out = []
    pos += 1
    members = node.members
    last = len(members) - 1
    for i, member in enumerate(members):
        pos += len(member.name.before)
        key_at = pos
        raw = member.name.node
        assert isinstance(raw, Literal)
        pos += len(raw.raw) + len(member.name.after) + 1
        pos += len(member.value.before)
        out.append((member.name_str, member.value, pos, key_at))
        pos += _node_len(member.value.node) + len(member.value.after)
        if i < last or node.trailing_comma:
            pos += 1
    return out
