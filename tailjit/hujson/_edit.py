"""Edits: insert, append, remove, set a member, replace; each returns a new, verified tree.

An edit copies the containers on the path from the root to the place it changes and shares
everything else, so the original tree is never touched and a failed edit leaves nothing behind.
Before returning, every edit packs its result, parses it again and checks that the value is the
intended one and that every byte outside the edited container is the original byte.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

from tailjit.hujson import _layout
from tailjit.hujson._errors import HuJSONError
from tailjit.hujson._layout import Shape, Style
from tailjit.hujson._scan import decode_nested
from tailjit.hujson._tree import (
    JSON,
    Array,
    Literal,
    Member,
    Node,
    Object,
    Source,
    Value,
    array_index,
    from_source,
    parse,
    parse_and_decode,
    parse_pointer,
    source_of,
)

_LINE_COMMENT = re.compile(r"//[^\n\r]*\Z")
_BLOCK_COMMENT = re.compile(r"/\*(?:[^*]|\*(?!/))*\*/\Z")

Item = Value | Member


def _before(item: Item) -> str:
    return item.name.before if isinstance(item, Member) else item.before


def _with_before(item: Item, gap: str) -> Item:
    if isinstance(item, Member):
        return Member(Value(gap, item.name.node, item.name.after), item.value)
    return Value(gap, item.node, item.after)


def _with_after(item: Item, gap: str) -> Item:
    if isinstance(item, Member):
        return Member(item.name, Value(item.value.before, item.value.node, gap))
    return Value(item.before, item.node, gap)


def _item_node(item: Item) -> Node:
    return item.value.node if isinstance(item, Member) else item.node


def _after(item: Item) -> str:
    return item.value.after if isinstance(item, Member) else item.after


def _items(node: Object | Array) -> list[Any]:
    return list(node.members if isinstance(node, Object) else node.elements)


def _rebuild(node: Object | Array, items: list[Any], trailing: bool, close: str) -> Object | Array:
    trailing = trailing and bool(items)
    return type(node)(items, trailing_comma=trailing, close=close)


# --- finding the place ---------------------------------------------------------------------


class _Path:
    """The chain of values from the root to a target, and the indentation of each line."""

    def __init__(self, root: Value, tokens: list[str], pointer: str) -> None:
        self.values = [root]
        self.slots: list[int] = []
        indent = _layout.line_indent(root.before) or ""
        self.indents = [indent]
        for token in tokens:
            node = self.values[-1].node
            if isinstance(node, Object):
                slots = [i for i, m in enumerate(node.members) if m.name_str == token]
                if len(slots) > 1:
                    # A decoder (Tailscale's among them) keeps the last of two equal names, so
                    # an edit of either could be silently ignored or overridden.
                    raise HuJSONError(
                        f"{pointer}: member {token!r} appears more than once in its object; "
                        "refusing to edit under an ambiguous name"
                    )
                slot = slots[0] if slots else -1
                child = node.members[slot].value if slot >= 0 else None
                gap = node.members[slot].name.before if slot >= 0 else ""
            elif isinstance(node, Array):
                index = array_index(token)
                slot = index if index is not None and index < len(node) else -1
                child = node.elements[slot] if slot >= 0 else None
                gap = child.before if child is not None else ""
            else:
                child = None
            if child is None:
                raise HuJSONError(f"{pointer}: nothing at {token!r}")
            self.slots.append(slot)
            self.values.append(child)
            found = _layout.line_indent(gap)
            indent = found if found is not None else indent
            self.indents.append(indent)

    def parent(self) -> _Path:
        """The path to the container of the target."""
        parent = copy.copy(self)
        parent.values, parent.slots, parent.indents = (
            self.values[:-1],
            self.slots[:-1],
            self.indents[:-1],
        )
        return parent

    @property
    def target(self) -> Value:
        return self.values[-1]

    def replace_target(self, new: Value) -> Value:
        """A new root with the target replaced, copying only the containers on the path."""
        for parent, slot in zip(reversed(self.values[:-1]), reversed(self.slots), strict=True):
            node = parent.node
            assert isinstance(node, Object | Array)
            items = _items(node)
            if isinstance(node, Object):
                items[slot] = Member(items[slot].name, new)
            else:
                items[slot] = new
            rebuilt = _rebuild(node, items, node.trailing_comma, node.close)
            new = Value(parent.before, rebuilt, parent.after)
        return new


def _style(root: Value, text: str) -> Style:
    """The document's newline, indent unit, trailing-comma habit and value alignment."""
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    unit = "\t"
    node = root.node
    trailing = True
    if isinstance(node, Object | Array) and len(node):
        first = _before(_items(node)[0])
        found = _layout.line_indent(first)
        unit = found if found is not None else unit
        trailing = node.trailing_comma
    align = bool(re.search(r'"[^"\n]*":  +\S', text))
    return Style(newline=newline, unit=unit, trailing_comma=trailing, align=align)


def _shape(node: Node) -> Shape | None:
    """A sibling's layout: which of its containers are written one entry per line."""
    if isinstance(node, Literal) or not len(node):
        return None
    items = _items(node)
    gaps = [_before(item) for item in items] + [node.close]
    children: dict[str, Shape] = {}
    for item in items:
        if isinstance(item, Member):
            shape = _shape(item.value.node)
            if shape is not None:
                children.setdefault(item.name_str, shape)
        else:
            shape = _shape(item.node)
            if shape is not None:
                children.setdefault("*", shape)
    unit = ""
    last_line = Value("", node, "").text().rsplit("\n", 1)
    own = _layout.line_indent(gaps[0])
    if own is not None and len(last_line) == 2:  # the indent step from its closing line inward
        closing = last_line[1][: len(last_line[1]) - len(last_line[1].lstrip(" \t"))]
        unit = own[len(closing) :] if own.startswith(closing) else ""
    return Shape(expanded=any(map(_layout.breaks_line, gaps)), children=children, unit=unit)


def _check_comments(comments: Sequence[str]) -> list[str]:
    for comment in comments:
        if not (_LINE_COMMENT.match(comment) or _BLOCK_COMMENT.match(comment)):
            raise HuJSONError(
                f"comment {comment!r} must be one line starting with '//', or '/* … */' "
                "with no '*/' inside"
            )
    return list(comments)


# --- the edits -----------------------------------------------------------------------------


def insert(
    root: Value, pointer: str, index: int | None, value: JSON, comments: Sequence[str] = ()
) -> Value:
    """Insert ``value`` into the array at ``pointer`` before ``index`` (None: append)."""
    notes = _check_comments(comments)
    tokens = parse_pointer(pointer)
    path = _Path(root, tokens, pointer)
    array = path.target.node
    if not isinstance(array, Array):
        raise HuJSONError(f"{pointer}: not an array")
    size = len(array)
    at = size if index is None else index
    if not 0 <= at <= size:
        raise HuJSONError(f"{pointer}: index {at} is outside 0..{size}")
    text = root.text()
    style = _style(root, text)
    new_array = _insert_item(array, at, value, notes, path.indents[-1], style, None)
    result = path.replace_target(Value(path.target.before, new_array, path.target.after))
    return _verified(root, text, result, path, lambda v: _py_insert(v, tokens, at, value))


def set_member(
    root: Value, pointer: str, name: str, value: JSON, comments: Sequence[str] = ()
) -> Value:
    """Add member ``name`` at the end of the object at ``pointer``, or replace its value."""
    notes = _check_comments(comments)
    tokens = parse_pointer(pointer)
    path = _Path(root, tokens, pointer)
    obj = path.target.node
    if not isinstance(obj, Object):
        raise HuJSONError(f"{pointer}: not an object")
    if obj.get(name) is not None:
        if notes:
            raise HuJSONError(f"{pointer}: member {name!r} exists; comments go with new members")
        escaped = name.replace("~", "~0").replace("/", "~1")
        return replace(root, f"{pointer}/{escaped}", value)
    text = root.text()
    style = _style(root, text)
    new_obj = _insert_item(obj, len(obj), value, notes, path.indents[-1], style, name)
    result = path.replace_target(Value(path.target.before, new_obj, path.target.after))
    return _verified(root, text, result, path, lambda v: _py_set(v, tokens, name, value))


def replace(root: Value, pointer: str, value: JSON) -> Value:
    """Replace the value at ``pointer``, keeping the comments and whitespace around it."""
    tokens = parse_pointer(pointer)
    path = _Path(root, tokens, pointer)
    text = root.text()
    style = _style(root, text)
    old = path.target
    shape = _shape(old.node)
    rendered = _layout.render(value, path.indents[-1], style, shape, expand=False)
    new = Value(old.before, parse(rendered).node, old.after)
    if not tokens:
        return _verified(root, text, new, path, lambda v: copy.deepcopy(value))
    result = path.replace_target(new)
    return _verified(root, text, result, path.parent(), lambda v: _py_replace(v, tokens, value))


def remove(root: Value, pointer: str) -> Value:
    """Remove the array element or object member at ``pointer`` with the comments it owns."""
    tokens = parse_pointer(pointer)
    if not tokens:
        raise HuJSONError("cannot remove the root value")
    path = _Path(root, tokens, pointer)
    parent = path.parent()
    container = parent.target.node
    assert isinstance(container, Object | Array)
    new_container = _remove_item(container, path.slots[-1])
    result = parent.replace_target(Value(parent.target.before, new_container, parent.target.after))
    return _verified(root, root.text(), result, parent, lambda v: _py_remove(v, tokens))


def remove_all(root: Value, pointers: Sequence[str]) -> Value:
    """Remove several elements or members of one container, with the comments each owns.

    The same document as removing them one at a time, last first, but the container is laid
    out and checked once, not once per removal.
    """
    if not pointers:
        return root
    token_lists = [parse_pointer(pointer) for pointer in pointers]
    if any(not tokens for tokens in token_lists):
        raise HuJSONError("cannot remove the root value")
    if len({tuple(tokens[:-1]) for tokens in token_lists}) != 1:
        raise HuJSONError("the pointers of one removal must share their container")
    parent_tokens = token_lists[0][:-1]
    parent = _Path(root, parent_tokens, pointers[0].rsplit("/", 1)[0])
    node = parent.target.node
    if not isinstance(node, Object | Array):
        raise HuJSONError(f"{pointers[0]}: nothing at {token_lists[0][-1]!r}")
    keys = _slots_of(node, [tokens[-1] for tokens in token_lists], pointers)
    for slot in sorted(set(keys.values()), reverse=True):
        node = _remove_item(node, slot)
    result = parent.replace_target(Value(parent.target.before, node, parent.target.after))

    def edit(doc: Any) -> Any:
        container = _walk(doc, parent_tokens)
        for key in sorted(keys, key=lambda k: (isinstance(k, int), k), reverse=True):
            del container[key]
        return doc

    return _verified(root, root.text(), result, parent, edit)


def _slots_of(
    node: Object | Array, tokens: list[str], pointers: Sequence[str]
) -> dict[str | int, int]:
    """Each token's key (a name, or an index) and slot in ``node``, looked up in one pass."""
    found: dict[str | int, int] = {}
    if isinstance(node, Array):
        for token, pointer in zip(tokens, pointers, strict=True):
            index = array_index(token)
            if index is None or index >= len(node):
                raise HuJSONError(f"{pointer}: nothing at {token!r}")
            found[index] = index
        return found
    slots: dict[str, list[int]] = {}
    for slot, member in enumerate(node.members):
        slots.setdefault(member.name_str, []).append(slot)
    for token, pointer in zip(tokens, pointers, strict=True):
        where = slots.get(token, [])
        if not where:
            raise HuJSONError(f"{pointer}: nothing at {token!r}")
        if len(where) > 1:
            raise HuJSONError(
                f"{pointer}: member {token!r} appears more than once in its object; "
                "refusing to edit under an ambiguous name"
            )
        found[token] = where[0]
    return found


def add_all(
    root: Value,
    pointer: str,
    entries: Sequence[tuple[str | None, JSON, Sequence[str]]],
) -> Value:
    """Append several entries to the array or object at ``pointer``, each ``(name, value,
    comments)`` (``name`` None for an array element; a member's name must be new), laid out
    like their siblings. The same document as adding them one at a time, checked once."""
    if not entries:
        return root
    tokens = parse_pointer(pointer)
    path = _Path(root, tokens, pointer)
    node = path.target.node
    if not isinstance(node, Object | Array):
        raise HuJSONError(f"{pointer}: not an object or array")
    text = root.text()
    style = _style(root, text)
    names: set[str] = set()
    for name, value, comments in entries:
        if isinstance(node, Array) != (name is None):
            raise HuJSONError(f"{pointer}: array elements have no name, members need one")
        if isinstance(node, Object) and name is not None:
            if name in names or node.get(name) is not None:
                raise HuJSONError(f"{pointer}: member {name!r} exists; add_all adds new members")
            names.add(name)
        notes = _check_comments(comments)
        node = _insert_item(node, len(node), value, notes, path.indents[-1], style, name)
    result = path.replace_target(Value(path.target.before, node, path.target.after))

    def edit(doc: Any) -> Any:
        container = _walk(doc, tokens)
        for name, value, _ in entries:
            if name is None:
                container.append(copy.deepcopy(value))
            else:
                container[name] = copy.deepcopy(value)
        return doc

    return _verified(root, text, result, path, edit)


def comment_above(
    root: Value, pointer: str, comment: str | None, replaces: Callable[[str], bool]
) -> Value:
    """Put ``comment`` on a line of its own right above the entry at ``pointer``, in place of
    the comment already there when ``replaces`` accepts it; ``comment`` None only removes that
    one. The entry's other comments, its value and every other byte stay as they were.

    The entry must start a line of its own (`HuJSONError` otherwise): a comment line cannot be
    put above an entry that shares its line with the one before it without re-laying out the
    container."""
    notes = [] if comment is None else _check_comments([comment])
    if notes and not notes[0].startswith("//"):
        raise HuJSONError("the comment above an entry must be a '//' line comment")
    tokens = parse_pointer(pointer)
    if not tokens:
        raise HuJSONError("the root value has no entry above it")
    path = _Path(root, tokens, pointer)
    parent = path.parent()
    container = parent.target.node
    assert isinstance(container, Object | Array)
    items = _items(container)
    slot = path.slots[-1]
    gap = _before(items[slot])
    indent = _layout.line_indent(gap)
    if indent is None:
        raise HuJSONError(f"{pointer}: the entry does not start a line of its own")
    head = gap[: len(gap) - len(indent)]  # up to and including the last line break
    newline = "\r\n" if head.endswith("\r\n") else "\n"
    last = _comment_line_above(head)
    if last is not None and replaces(head[last[0] : last[1]].strip()):
        head = head[: last[0]]
    if notes:
        head += indent + notes[0] + newline
    items[slot] = _with_before(items[slot], head + indent)
    rebuilt = _rebuild(container, items, container.trailing_comma, container.close)
    result = parent.replace_target(Value(parent.target.before, rebuilt, parent.target.after))
    return _verified(root, root.text(), result, parent, lambda doc: doc)


def line_comment_above(gap: str) -> str | None:
    """The text of the ``//`` comment on the line right above an entry whose gap before it is
    ``gap``, without its line break; None when there is none (a comment on the previous entry's
    line, a ``//`` inside a block comment, or an entry that does not start a line)."""
    indent = _layout.line_indent(gap)
    if indent is None:
        return None
    head = gap[: len(gap) - len(indent)]
    span = _comment_line_above(head)
    return None if span is None else head[span[0] : span[1]].strip()


def _comment_line_above(head: str) -> tuple[int, int] | None:
    """The span of the line comment ``head`` (a gap up to its last line break) ends with, from
    the start of its line to the end of its line break, when it is a line of its own."""
    masked = _layout.code(head[: len(head) - (2 if head.endswith("\r\n") else 1)])
    start = masked.rfind("\n") + 1
    if not start or not masked[start:].lstrip(" \t").startswith("//"):
        return None  # no comment there, or one on the line of what comes before
    return start, len(head)


# --- layout of one container ---------------------------------------------------------------


def _new_item(
    value: JSON,
    name: str | None,
    before: str,
    indent: str,
    style: Style,
    shape: Shape | None,
    expand: bool,
) -> Item:
    if name is not None:  # a member's value: objects one member per line, lists on one line
        expand = expand and isinstance(value, dict)
    if shape is not None and shape.unit:
        style = dataclasses.replace(style, unit=shape.unit)
    rendered = _layout.render(value, indent, style, shape, expand=expand)
    node = parse(rendered).node
    if name is None:
        return Value(before, node, "")
    label = Literal.from_python(name)
    return Member(Value(before, label, ""), Value(" ", node, ""))


def _insert_item(
    node: Object | Array,
    at: int,
    value: JSON,
    notes: list[str],
    indent: str,
    style: Style,
    name: str | None,
) -> Object | Array:
    items = _items(node)
    trailing, close = node.trailing_comma, node.close
    gaps = [_before(item) for item in items] + [close]
    expanded = any(map(_layout.breaks_line, gaps))
    sibling = items[at - 1] if at else (items[0] if items else None)
    shape = _shape(sibling.node) if isinstance(sibling, Value) and name is None else None
    if not items:
        renders_multiline = isinstance(value, dict | list) and bool(value) and name is None
        expanded = expanded or bool(notes) or renders_multiline or isinstance(node, Object)
        trailing = style.trailing_comma
    if not expanded and any(note.startswith("//") for note in notes):
        # A list that hugs its brackets (`[{` … `}]`): the new entry gets lines of its own.
        if at < len(items):
            raise HuJSONError("a line comment can only be appended to a one-line object or array")
        last_line = Value("", _item_node(items[-1]), "").text().rsplit("\n", 1)[-1]
        inner = last_line[: len(last_line) - len(last_line.lstrip(" \t"))]
        lead = "".join(note + style.newline + inner for note in notes)
        items.append(
            _new_item(value, name, style.newline + inner + lead, inner, style, shape, True)
        )
        return _rebuild(node, items, trailing, close)
    if not expanded:
        lead = "".join(note + " " for note in notes)
        separator = _spaces(_before(items[1])) if len(items) > 1 else " "
        if at == 0 and items:  # the space after `[ ` goes first; the entry keeps its comments
            first = _before(items[0])
            new = _new_item(value, name, _spaces(first) + lead, indent, style, shape, False)
            items[0] = _with_before(items[0], separator + first.lstrip(" \t"))
        elif items:
            new = _new_item(value, name, separator + lead, indent, style, shape, False)
        else:  # `[]` stays tight, `[ ]` gets a space on both sides
            spaced = close if close.strip(" \t") == "" else ""
            new = _new_item(value, name, spaced + lead, indent, style, shape, False)
        items.insert(at, new)
        return _rebuild(node, items, trailing, close)
    inner = _sibling_indent(gaps, at) or indent + style.unit
    lead = "".join(note + style.newline + inner for note in notes)
    if at < len(items):
        gap = _before(items[at])
        point = _layout.next_owned_start(gap)
        if point:
            new = _new_item(value, name, gap[:point] + inner + lead, inner, style, shape, True)
            items[at] = _with_before(items[at], style.newline + gap[point:])
        else:  # the entry there shares the previous entry's line: give the new one its own
            new = _new_item(value, name, style.newline + inner + lead, inner, style, shape, True)
    else:
        point = _layout.append_point(close)
        if point:
            head, close = close[:point], style.newline + close[point:]
        else:  # the closing bracket shares the last entry's line, or the container is empty
            head = close.rstrip(" \t") + style.newline
            close = "" if items else style.newline + indent
        new = _new_item(value, name, head + inner + lead, inner, style, shape, True)
    items.insert(at, new)
    return _rebuild(node, items, trailing, close)


def _sibling_indent(gaps: list[str], at: int) -> str | None:
    """The indentation of the entries nearest ``at`` that start on a line of their own."""
    befores = gaps[:-1]
    nearest = [i for i in (at, at - 1) if 0 <= i < len(befores)]
    for i in [*nearest, *range(len(befores))]:
        found = _layout.line_indent(befores[i])
        if found is not None:
            return found
    return None


def _spaces(gap: str) -> str:
    """The blanks a one-line gap starts with."""
    return gap[: len(gap) - len(gap.lstrip(" \t"))]


def _remove_item(node: Object | Array, slot: int) -> Object | Array:
    items = _items(node)
    trailing, close = node.trailing_comma, node.close
    gone = items[slot]
    left_gap = _before(gone)
    left = left_gap[: _layout.next_owned_start(left_gap)]
    last = slot == len(items) - 1
    right_gap = close if last else _before(items[slot + 1])
    right = right_gap[_layout.previous_owned_end(right_gap) :]
    if not _layout.breaks_line(left_gap) and not _layout.breaks_line(right_gap):
        left, right = "", right_gap  # one-line container: the gap before the entry goes with it
        if slot == 0 and not last:  # but the space after an opening `[ ` stays
            right = _spaces(left_gap) + right_gap.lstrip(" \t")
    elif not _layout.breaks_line(right_gap):
        left = _layout.keep_with_closer(left)  # what follows hugs the removed entry (`}]`)
    # (an emptied container keeps what it had before its first entry came)
    joined = _layout.join_gaps(left, right, after_open=slot == 0 and len(items) > 1)
    del items[slot]
    if not items and joined.strip(" \t\r\n") == "":
        joined = ""  # an emptied container closes up, as hujsonfmt writes it
    if last:
        if items and not trailing:
            joined = _after(items[-1]) + joined
            items[-1] = _with_after(items[-1], "")
        close = joined
    else:
        items[slot] = _with_before(items[slot], joined)
    return _rebuild(node, items, trailing, close)


# --- verification --------------------------------------------------------------------------


def _verified(root: Value, old_text: str, result: Value, path: _Path, edit: Any) -> Value:
    """Return ``result``, parsed again, after checking it against the intended value and the
    untouched bytes.

    Only the edited container is parsed again. Every byte around it must be the old byte, and the
    old text was valid HuJSON with a value there, so the new text is valid exactly when the new
    container is a valid value at the same depth. Its value must be ``edit`` applied to the
    container's old value, as decoded from the old text (not from the tree).
    """
    new_text = result.text()
    start, end = _span(path)
    new_end = len(new_text) - (len(old_text) - end)
    if (
        new_end < start
        or new_text[:start] != old_text[:start]
        or new_text[new_end:] != old_text[end:]
    ):
        raise HuJSONError("internal error: the edit changed bytes outside the edited container")
    keys = _keys(path)
    source = source_of(root, old_text)
    document = source.value if source is not None else None  # as decoded when it was parsed
    try:
        std, value = decode_nested(new_text[start:new_end], len(keys))
        if source is None:  # a tree not parsed from old_text: nothing is known valid, check all
            reparsed = parse_and_decode(new_text)[0]
        else:
            twin = source.std[:start] + std + source.std[end:]
            new_document = None if document is None else _with_value(document, keys, value)
            reparsed = from_source(Source(new_text, twin, new_document, {}))
    except HuJSONError as exc:
        raise HuJSONError(f"internal error: the edit produced invalid HuJSON ({exc})") from exc
    if document is None:
        old = path.target.to_python()
    else:
        old = document
        for key in keys:
            old = old[key]
    if value != _intended(keys, copy.copy(old), edit):
        raise HuJSONError("internal error: the edited document does not have the intended value")
    return reparsed


def _keys(path: _Path) -> list[str | int]:
    """The names and indices that lead to the target of ``path`` (each name is unique there)."""
    keys: list[str | int] = []
    for value, slot in zip(path.values, path.slots, strict=False):
        node = value.node
        keys.append(node.members[slot].name_str if isinstance(node, Object) else slot)
    return keys


def _intended(keys: list[str | int], old: Any, edit: Any) -> Any:
    """``edit`` (which takes a whole document) applied to ``old``, the edited container's value,
    inside a skeleton of the containers above it; ``edit`` may change the container itself, and
    nothing it holds."""
    doc = old
    for key in reversed(keys):
        doc = {key: doc} if isinstance(key, str) else [*[None] * key, doc]
    doc = edit(doc)
    for key in keys:
        doc = doc[key]
    return doc


def _with_value(document: Any, keys: list[str | int], value: Any) -> Any:
    """``document`` with the value at ``keys`` replaced, copying only the containers on the way."""
    if not keys:
        return value
    top = node = copy.copy(document)
    for key in keys[:-1]:
        node[key] = copy.copy(node[key])
        node = node[key]
    node[keys[-1]] = value
    return top


def _span(path: _Path) -> tuple[int, int]:
    """The offsets of the target container's brackets in the old text."""
    offset = 0
    for value, slot in zip(path.values, [*path.slots, None], strict=True):
        offset += len(value.before)
        if slot is None:
            return offset, offset + _length(value.node)
        node = value.node
        assert isinstance(node, Object | Array)
        offset += 1
        for i, item in enumerate(_items(node)):
            if i == slot:
                if isinstance(item, Member):
                    offset += _value_length(item.name) + 1
                break
            offset += _item_length(item) + 1
    raise AssertionError("unreachable")


def _length(node: Node) -> int:
    if isinstance(node, Literal):
        return len(node.raw)
    origin = node.origin_text()
    return len(origin) if origin is not None else len(Value("", node, "").text())


def _value_length(value: Value) -> int:
    return len(value.before) + _length(value.node) + len(value.after)


def _item_length(item: Item) -> int:
    if isinstance(item, Member):
        return _value_length(item.name) + 1 + _value_length(item.value)
    return _value_length(item)


# --- the same edits on plain Python values ------------------------------------------------


def _walk(value: Any, tokens: list[str]) -> Any:
    for token in tokens:
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


def _py_insert(doc: Any, tokens: list[str], at: int, value: JSON) -> Any:
    _walk(doc, tokens).insert(at, copy.deepcopy(value))
    return doc


def _py_set(doc: Any, tokens: list[str], name: str, value: JSON) -> Any:
    _walk(doc, tokens)[name] = copy.deepcopy(value)
    return doc


def _py_replace(doc: Any, tokens: list[str], value: JSON) -> Any:
    parent = _walk(doc, tokens[:-1])
    key: Any = int(tokens[-1]) if isinstance(parent, list) else tokens[-1]
    parent[key] = copy.deepcopy(value)
    return doc


def _py_remove(doc: Any, tokens: list[str]) -> Any:
    parent = _walk(doc, tokens[:-1])
    key: Any = int(tokens[-1]) if isinstance(parent, list) else tokens[-1]
    del parent[key]
    return doc
