"""The HuJSON syntax tree: values with the whitespace and comments around them.

The model is tailscale/hujson's (``Value`` = gap before + node + gap after; ``Object`` and
``Array`` hold their children and the gap before their closing bracket), with the trailing comma
as an explicit flag. Trees are built lazily: a parsed object or array keeps a reference to the
source text and expands into children only when they are asked for, skipping nested values with
the C JSON scanner. Unexpanded nodes pack back as slices of the source, which is what makes a
1 MB policy cheap to parse, edit in one place and write back.

Nodes are not changed in place once built; edits (``_edit``) copy the path they change and share
everything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union

from tailjit.hujson._errors import HuJSONError
from tailjit.hujson._scan import (
    check_text,
    decode,
    deep_recursion,
    loads,
    scan_exact,
    scan_once,
)

GAP = re.compile(r"(?:[ \t\r\n]+|//[^\n]*\n|/\*[\s\S]*?\*/)*")
_BLANKS = re.compile(r"[ \t\r\n]*")
_SEPARATOR = re.compile(r"[ \t\r\n]*(?:(,)[ \t\r\n]*)?")
_STRING_END = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_LITERAL_END = re.compile(r"[-+.a-zA-Z0-9]+")

JSON = Union[None, bool, int, float, str, list["JSON"], dict[str, "JSON"]]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class Source:
    """A validated text and what validating it found (see ``_scan.Decoded``)."""

    text: str
    std: str
    """The JSON twin of ``text``."""
    value: Any
    """The decoded document (None if not known), for checking edits: never handed out, never
    changed."""
    ends: dict[int, int]
    """Where some values end, by where they start (saves decoding them again to find out)."""


Origin = tuple[Source, int, int]
"""Where a parsed node came from: its source and its span there, valid for the node's life."""


def _child(source: Source, pos: int) -> tuple[Node, int]:
    """The node that starts at ``pos`` in a validated source, and where it ends."""
    text = source.text
    ch = text[pos]
    if ch in "{[":
        end = source.ends.get(pos, -1)
        if end < 0:
            try:
                end = scan_once(source.std, pos)[1]
            except RecursionError:
                with deep_recursion():
                    end = scan_once(source.std, pos)[1]
        return (Object if ch == "{" else Array)(_origin=(source, pos, end)), end
    pattern = _STRING_END if ch == '"' else _LITERAL_END
    end = pattern.match(text, pos).end()  # type: ignore[union-attr]
    return Literal(text[pos:end]), end


def _gap_end(text: str, pos: int) -> int:
    return GAP.match(text, pos).end()  # type: ignore[union-attr]


def _blanks_end(std: str, pos: int) -> int:
    """Where the gap at ``pos`` ends, found in the JSON twin, where gaps are plain whitespace.

    A gap that runs up to a closing bracket may hide a trailing comma (blanked as well): see
    ``_trailing_comma``.
    """
    return _BLANKS.match(std, pos).end()  # type: ignore[union-attr]


def _trailing_comma(text: str, end: int) -> int:
    """Where the trailing comma after the last value (which ends at ``end``) is, or -1."""
    comma = _gap_end(text, end)
    return comma if text[comma] == "," else -1


class Literal:
    """A string, number, ``true``, ``false`` or ``null``, kept exactly as written."""

    __slots__ = ("raw",)

    def __init__(self, raw: str) -> None:
        self.raw = raw

    @classmethod
    def from_python(cls, value: str | int | float | bool | None) -> Literal:
        """A literal for a Python scalar (strings escaped as RFC 8785 does)."""
        if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
            raise HuJSONError(f"{value!r} has no JSON spelling")
        return cls(json.dumps(value, ensure_ascii=False))

    @property
    def kind(self) -> str:
        """``string``, ``number``, ``true``, ``false`` or ``null``."""
        first = self.raw[0]
        if first == '"':
            return "string"
        return self.raw if first in "tfn" else "number"

    def to_python(self) -> JSON:
        value: JSON = json.loads(self.raw)
        return value

    def __repr__(self) -> str:
        return f"Literal({self.raw!r})"


class _Container:
    """What objects and arrays share: children, trailing comma, closing gap, laziness.

    A parsed container keeps its ``_origin`` for life (nodes never change in place), so packing
    or decoding it is a slice of the source, expanded or not; its children are found only when
    first asked for.
    """

    __slots__ = ("_close", "_items", "_origin", "_trailing")
    open: str = ""
    close_bracket: str = ""

    def __init__(
        self,
        items: list[Any] | None = None,
        *,
        trailing_comma: bool = False,
        close: str = "",
        _origin: Origin | None = None,
    ) -> None:
        self._origin = _origin
        self._items: list[Any] | None = items if items is not None or _origin else []
        self._trailing = trailing_comma
        self._close = close

    def _expand(self, origin: Origin) -> tuple[list[Any], bool, str]:
        raise NotImplementedError

    def _expanded(self) -> list[Any]:
        if self._items is None:
            assert self._origin is not None
            self._items, self._trailing, self._close = self._expand(self._origin)
        return self._items

    @property
    def trailing_comma(self) -> bool:
        """Whether a comma follows the last member or element."""
        self._expanded()
        return self._trailing

    @property
    def close(self) -> str:
        """The gap (whitespace and comments) just before the closing bracket."""
        self._expanded()
        return self._close

    def __len__(self) -> int:
        return len(self._expanded())

    def origin_text(self) -> str | None:
        """The source text of a parsed node (None for a node an edit built)."""
        if self._origin is None:
            return None
        source, start, end = self._origin
        return source.text[start:end]

    def origin_std(self) -> str | None:
        """The JSON twin of a parsed node's source text (None for a node an edit built)."""
        if self._origin is None:
            return None
        source, start, end = self._origin
        return source.std[start:end]


class Object(_Container):
    """An object: members in source order (duplicate names are kept)."""

    __slots__ = ()
    open = "{"
    close_bracket = "}"

    @property
    def members(self) -> list[Member]:
        return self._expanded()

    def _expand(self, origin: Origin) -> tuple[list[Any], bool, str]:
        source, start, _ = origin
        text, std = source.text, source.std
        members: list[Member] = []
        pos = start + 1
        while True:
            gap = _blanks_end(std, pos)
            if text[gap] == "}":  # only ever an empty object: see the trailing comma below
                return members, False, text[pos:gap]
            name_end = _STRING_END.match(text, gap).end()  # type: ignore[union-attr]
            colon = _blanks_end(std, name_end)
            name = Value(text[pos:gap], Literal(text[gap:name_end]), text[name_end:colon])
            value_pos = _blanks_end(std, colon + 1)
            node, end = _child(source, value_pos)
            after = _blanks_end(std, end)
            if text[after] == ",":
                members.append(
                    Member(name, Value(text[colon + 1 : value_pos], node, text[end:after]))
                )
                pos = after + 1
                continue
            comma = _trailing_comma(text, end)
            before = text[colon + 1 : value_pos]
            if comma < 0:
                members.append(Member(name, Value(before, node, "")))
                return members, False, text[end:after]
            members.append(Member(name, Value(before, node, text[end:comma])))
            return members, True, text[comma + 1 : after]

    def get(self, name: str) -> Value | None:
        """The value of the first member called ``name`` (as tailscale/hujson's Find does)."""
        for member in self.members:
            if member.name_str == name:
                return member.value
        return None

    def __repr__(self) -> str:
        return f"Object({self.members!r}, trailing_comma={self.trailing_comma})"


class Array(_Container):
    """An array of values."""

    __slots__ = ()
    open = "["
    close_bracket = "]"

    @property
    def elements(self) -> list[Value]:
        return self._expanded()

    def _expand(self, origin: Origin) -> tuple[list[Any], bool, str]:
        source, start, _ = origin
        text, std = source.text, source.std
        elements: list[Value] = []
        pos = start + 1
        gap = _blanks_end(std, pos)
        if text[gap] == "]":
            return elements, False, text[pos:gap]
        while True:
            node, end = _child(source, gap)
            # One match for the gap after the value, the comma and the gap before the next.
            separator = _SEPARATOR.match(std, end)
            comma = separator.start(1)  # type: ignore[union-attr]
            if comma >= 0:
                elements.append(Value(text[pos:gap], node, text[end:comma]))
                pos, gap = comma + 1, separator.end()  # type: ignore[union-attr]
                continue
            after = separator.end()  # type: ignore[union-attr]
            comma = _trailing_comma(text, end)
            if comma < 0:
                elements.append(Value(text[pos:gap], node, ""))
                return elements, False, text[end:after]
            elements.append(Value(text[pos:gap], node, text[end:comma]))
            return elements, True, text[comma + 1 : after]

    def __repr__(self) -> str:
        return f"Array({self.elements!r}, trailing_comma={self.trailing_comma})"


Node = Union[Literal, Object, Array]  # noqa: UP007


class Member:
    """An object member: its name (a string literal with its gaps) and its value."""

    __slots__ = ("name", "value")

    def __init__(self, name: Value, value: Value) -> None:
        self.name = name
        self.value = value

    @property
    def name_str(self) -> str:
        """The decoded member name."""
        assert isinstance(self.name.node, Literal)
        decoded = self.name.node.to_python()
        assert isinstance(decoded, str)
        return decoded

    def __repr__(self) -> str:
        return f"Member({self.name!r}, {self.value!r})"


class Value:
    """A JSON value with the gap (whitespace and comments) before and after it.

    For the last member or element of a container without a trailing comma, ``after`` is empty:
    the gap before the closing bracket belongs to the container (``close``).
    """

    __slots__ = ("after", "before", "node")

    def __init__(self, before: str, node: Node, after: str = "") -> None:
        self.before = before
        self.node = node
        self.after = after

    def __repr__(self) -> str:
        return f"Value({self.before!r}, {self.node!r}, {self.after!r})"

    # -- output ---------------------------------------------------------------------------

    def text(self) -> str:
        """The HuJSON text of this value with its gaps, as a str."""
        pieces: list[str] = []
        with deep_recursion():
            _pack_value(self, pieces)
        return "".join(pieces)

    def pack(self) -> bytes:
        """The HuJSON text as UTF-8 bytes: for a parsed, unedited value, exactly the input."""
        return self.text().encode("utf-8", "surrogateescape")

    def __str__(self) -> str:
        return self.text()

    def standardize(self) -> bytes:
        """Standard JSON with every byte offset kept: each comment byte and trailing comma becomes
        a space (tabs, CRs and LFs stay), as tailscale/hujson's Standardize does."""
        text = self.text()
        out: list[bytes] = []
        pos = 0
        for start, end in scan_exact(text):
            out.append(text[pos:start].encode())
            out.append(text[start:end].encode().translate(_BLANK_BYTES))  # a space per byte
            pos = end
        out.append(text[pos:].encode())
        return b"".join(out)

    def is_standard(self) -> bool:
        """True when the text has no comments and no trailing commas."""
        return not scan_exact(self.text())

    def to_python(self) -> JSON:
        """The plain Python value (dicts, lists, str, int, float, bool, None)."""
        with deep_recursion():
            return _decode(self.node)

    # -- navigation -----------------------------------------------------------------------

    def find(self, pointer: str) -> Value | None:
        """The value at an RFC 6901 JSON Pointer, or None when there is none.

        ``~1`` and ``~0`` are unescaped; array indices must not have leading zeros; ``-`` finds
        nothing; names match exactly and the first duplicate wins.
        """
        found = self
        for token in parse_pointer(pointer):
            node = found.node
            if isinstance(node, Object):
                child = node.get(token)
            elif isinstance(node, Array):
                index = array_index(token)
                child = node.elements[index] if index is not None and index < len(node) else None
            else:
                child = None
            if child is None:
                return None
            found = child
        return found

    # -- edits: each returns a new, verified tree and leaves this one as it was ---------------

    def insert(
        self, pointer: str, index: int, value: JSON, *, comments: Sequence[str] = ()
    ) -> Value:
        """Insert ``value`` into the array at ``pointer`` before position ``index``.

        ``comments`` (each a ``// line`` or a ``/* block */``) go on the lines above it.
        """
        from tailjit.hujson import _edit

        return _edit.insert(self, pointer, index, value, comments)

    def append(self, pointer: str, value: JSON, *, comments: Sequence[str] = ()) -> Value:
        """Append ``value`` to the array at ``pointer``, before any floating comment paragraphs
        at its end, laid out like the elements already there."""
        from tailjit.hujson import _edit

        return _edit.insert(self, pointer, None, value, comments)

    def set_member(
        self, pointer: str, name: str, value: JSON, *, comments: Sequence[str] = ()
    ) -> Value:
        """Add member ``name`` at the end of the object at ``pointer``, or replace its value."""
        from tailjit.hujson import _edit

        return _edit.set_member(self, pointer, name, value, comments)

    def remove(self, pointer: str) -> Value:
        """Remove the element or member at ``pointer`` with the comments that belong to it."""
        from tailjit.hujson import _edit

        return _edit.remove(self, pointer)

    def remove_all(self, pointers: Sequence[str]) -> Value:
        """Remove several elements or members of one container at once: the same result as
        `remove` on each, last first, laid out and checked once."""
        from tailjit.hujson import _edit

        return _edit.remove_all(self, pointers)

    def add_all(
        self, pointer: str, entries: Sequence[tuple[str | None, JSON, Sequence[str]]]
    ) -> Value:
        """Append ``(name, value, comments)`` entries to the array (name None) or object (new
        names) at ``pointer``: the same result as `append` or `set_member` on each, checked
        once."""
        from tailjit.hujson import _edit

        return _edit.add_all(self, pointer, entries)

    def replace(self, pointer: str, value: JSON) -> Value:
        """Replace the value at ``pointer``, keeping the comments and whitespace around it."""
        from tailjit.hujson import _edit

        return _edit.replace(self, pointer, value)

    def comment_above(
        self,
        pointer: str,
        comment: str | None,
        *,
        replaces: Callable[[str], bool] = lambda found: False,
    ) -> Value:
        """Put the ``// line`` ``comment`` right above the entry at ``pointer``, replacing the
        line comment there when ``replaces`` accepts its text (None: only remove that one)."""
        from tailjit.hujson import _edit

        return _edit.comment_above(self, pointer, comment, replaces)

    def walk(self) -> Iterator[Value]:
        """Every value depth-first, this one first; object names are yielded before their values."""
        stack: list[Value] = [self]
        while stack:
            value = stack.pop()
            yield value
            node = value.node
            if isinstance(node, Object):
                for member in reversed(node.members):
                    stack.append(member.value)
                    stack.append(member.name)
            elif isinstance(node, Array):
                stack.extend(reversed(node.elements))


_BLANK_BYTES = bytes(b if b in b"\t\r\n" else 0x20 for b in range(256))


def _decode(node: Node) -> JSON:
    if isinstance(node, Literal):
        return node.to_python()
    std = node.origin_std()
    if std is not None:
        value: JSON = loads(std)
        return value
    if isinstance(node, Object):
        return {member.name_str: _decode(member.value.node) for member in node.members}
    return [_decode(element.node) for element in node.elements]


def _pack_value(value: Value, out: list[str]) -> None:
    out.append(value.before)
    _pack_node(value.node, out)
    out.append(value.after)


def _pack_node(node: Node, out: list[str]) -> None:
    if isinstance(node, Literal):
        out.append(node.raw)
        return
    if node._origin is not None:  # unchanged since parsed: a slice of the source
        source, start, end = node._origin
        out.append(source.text[start:end])
        return
    append = out.append
    append(node.open)
    items: list[Any] = node._expanded()
    last = len(items) - 1
    for i, item in enumerate(items):
        if isinstance(item, Member):
            _pack_value(item.name, out)
            append(":")
            item = item.value
        append(item.before)
        inner = item.node
        if isinstance(inner, Literal):  # the common children, without a call each
            append(inner.raw)
        elif inner._origin is not None:
            source, start, end = inner._origin
            append(source.text[start:end])
        else:
            _pack_node(inner, out)
        append(item.after)
        if i < last or node.trailing_comma:
            append(",")
    append(node.close)
    append(node.close_bracket)


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON Pointer."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise HuJSONError(f"invalid JSON pointer {pointer!r}: must be empty or start with '/'")
    tokens = pointer[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise HuJSONError(f"invalid JSON pointer {pointer!r}: '~' must be followed by 0 or 1")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def array_index(token: str) -> int | None:
    """The array index a pointer token names, or None (``-``, leading zeros, not a number)."""
    if token == "0" or re.fullmatch(r"[1-9][0-9]*", token):
        return int(token)
    return None


def parse(data: str | bytes) -> Value:
    """Parse HuJSON text into a Value that packs back to exactly the same bytes.

    Accepts exactly what tailscale/hujson accepts (JSON with ``//`` and ``/* */`` comments and one
    optional trailing comma per object or array), and raises HuJSONError with its message, line
    and column for anything else. Nesting deeper than 1000 levels is refused.
    """
    text = check_text(data)
    return from_source(Source(text, *decode(text)))


def parse_and_decode(data: str | bytes) -> tuple[Value, JSON]:
    """``parse``, and the plain Python value of the document."""
    tree = parse(data)
    return tree, tree.to_python()


def from_source(source: Source) -> Value:
    """The tree of a validated text."""
    text, std = source.text, source.std
    start = _blanks_end(std, 0)
    end = len(std.rstrip(" \t\r\n"))  # comments are blanks in std: this is where the value ends
    node: Node
    if text[start] in "{[":
        node = (Object if text[start] == "{" else Array)(_origin=(source, start, end))
    else:
        node = Literal(text[start:end])
    return Value(text[:start], node, text[end:])


def source_of(root: Value, text: str) -> Source | None:
    """The source of ``root`` if it was parsed from ``text`` (and is not a bare literal)."""
    node = root.node
    if isinstance(node, Literal) or node._origin is None:
        return None
    source = node._origin[0]
    return source if source.text == text else None
