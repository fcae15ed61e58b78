"""Where each value of a parsed HuJSON document is: JSON pointer -> line and column.

The walk adds up the lengths of exactly the pieces ``Value.pack`` writes, so an offset here is an
offset into the text the tree was parsed from.
"""

from __future__ import annotations

from dataclasses import dataclass

from tailjit.hujson import Array, Literal, Object, Value

__all__ = ["Positions", "pointer"]


def pointer(path: tuple[str | int, ...]) -> str:
    """The RFC 6901 JSON pointer of a path of names and indices."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True)
class Positions:
    """Offsets of the values of one document (the first of duplicate names wins, as in
    ``Value.find``), and of each member's name."""

    text: str
    values: dict[str, int]
    names: dict[str, int]

    @classmethod
    def of(cls, root: Value, text: str) -> Positions:
        values: dict[str, int] = {}
        names: dict[str, int] = {}
        _walk(root, "", 0, values, names)
        return cls(text, values, names)

    def line_column(self, path: str, *, name: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (of its member name with ``name``), or of
        the nearest enclosing value that exists."""
        while True:
            offset = (self.names if name else self.values).get(path)
            if offset is None and name:
                offset = self.values.get(path)
            if offset is not None:
                return self._line_column(offset)
            if not path:
                return (0, 0)
            path = path.rpartition("/")[0]
            name = False

    def _line_column(self, offset: int) -> tuple[int, int]:
        text = self.text
        line_start = text.rfind("\n", 0, offset) + 1
        column = len(text[line_start:offset].encode("utf-8", "surrogateescape")) + 1
        return text.count("\n", 0, offset) + 1, column


def _walk(
    value: Value, path: str, cursor: int, values: dict[str, int], names: dict[str, int]
) -> int:
    """Record ``value`` and its children; return the offset just after it."""
    cursor += len(value.before)
    values.setdefault(path, cursor)
    node = value.node
    if isinstance(node, Literal):
        cursor += len(node.raw)
    elif isinstance(node, Object):
        cursor += 1
        members = node.members
        for i, member in enumerate(members):
            child = f"{path}{pointer((member.name_str,))}"
            cursor += len(member.name.before)
            names.setdefault(child, cursor)
            assert isinstance(member.name.node, Literal)
            cursor += len(member.name.node.raw) + len(member.name.after) + 1  # the colon
            cursor = _walk(member.value, child, cursor, values, names)
            cursor += 1 if i < len(members) - 1 or node.trailing_comma else 0
        cursor += len(node.close) + 1
    elif isinstance(node, Array):
        cursor += 1
        elements = node.elements
        for i, element in enumerate(elements):
            cursor = _walk(element, f"{path}/{i}", cursor, values, names)
            cursor += 1 if i < len(elements) - 1 or node.trailing_comma else 0
        cursor += len(node.close) + 1
    return cursor + len(value.after)
