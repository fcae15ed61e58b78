"""Edits check their own output: a wrong value, a changed byte outside the edited container, text
that is not HuJSON and nesting too deep are refused; what passes is the tree a fresh parse of the
output would give."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailjit.hujson import Array, HuJSONError, Literal, Object, Value, _edit, _layout, parse
from tailjit.hujson._scan import decode
from tailjit.hujson._tree import source_of

POLICY = """// The policy.
{
\t"groups": {"group:ops": ["alice@example.com"]},
\t"grants": [
\t\t{"src": ["*"], "dst": ["*"], "ip": ["icmp:*"]}, // ping
\t\t{"src": ["group:ops"], "dst": ["tag:prod"], "ip": ["*"]},
\t],
}
"""
GRANT = {"src": ["bob@example.com"], "dst": ["tag:prod"], "ip": ["tcp:22"]}


def test_an_honest_edit_passes() -> None:
    edited = parse(POLICY).append("/grants", GRANT)
    assert edited.to_python()["grants"][-1] == GRANT  # type: ignore[index]


# --- refusals --------------------------------------------------------------------------------


def test_refuses_a_new_entry_with_the_wrong_value(monkeypatch: pytest.MonkeyPatch) -> None:
    render = _layout.render

    def wrong(value: Any, *args: Any, **kwargs: Any) -> str:
        return render({**value, "dst": ["*"]} if value == GRANT else value, *args, **kwargs)

    monkeypatch.setattr(_layout, "render", wrong)
    with pytest.raises(HuJSONError, match="does not have the intended value"):
        parse(POLICY).append("/grants", GRANT)


def test_refuses_an_edit_that_loses_a_sibling(monkeypatch: pytest.MonkeyPatch) -> None:
    insert_item = _edit._insert_item

    def dropping(node: Any, *args: Any) -> Any:
        new = insert_item(node, *args)
        return Array(new.elements[1:], trailing_comma=new.trailing_comma, close=new.close)

    monkeypatch.setattr(_edit, "_insert_item", dropping)
    with pytest.raises(HuJSONError, match="does not have the intended value"):
        parse(POLICY).append("/grants", GRANT)


@pytest.mark.parametrize(
    "touch",
    [
        lambda root: Value(root.before.replace("The", "the"), root.node, root.after),
        lambda root: Value(root.before, root.node, root.after + "\n"),
        lambda root: Value(root.before[:-1], root.node, root.after),
    ],
    ids=["a comment before", "a newline after", "one byte fewer before"],
)
def test_refuses_an_edit_that_changes_bytes_around_the_container(
    monkeypatch: pytest.MonkeyPatch, touch: Any
) -> None:
    replace_target = _edit._Path.replace_target
    monkeypatch.setattr(_edit._Path, "replace_target", lambda p, new: touch(replace_target(p, new)))
    with pytest.raises(HuJSONError, match="changed bytes outside the edited container"):
        parse(POLICY).append("/grants", GRANT)


def test_refuses_a_changed_sibling_even_with_the_same_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "groups" is respelled (same value, other bytes): only "grants" may change.
    replace_target = _edit._Path.replace_target

    def respelled(path: Any, new: Value) -> Value:
        root = replace_target(path, new)
        assert isinstance(root.node, Object)
        members = list(root.node.members)
        groups = members[0]
        spaced = Value(groups.value.before, parse('{ "group:ops": ["alice@example.com"] }').node)
        members[0] = type(groups)(groups.name, spaced)
        node = Object(members, trailing_comma=root.node.trailing_comma, close=root.node.close)
        return Value(root.before, node, root.after)

    monkeypatch.setattr(_edit._Path, "replace_target", respelled)
    with pytest.raises(HuJSONError, match="changed bytes outside the edited container"):
        parse(POLICY).append("/grants", GRANT)


@pytest.mark.parametrize("close", ["// no newline", "/* unterminated", ",,"])
def test_refuses_an_edit_whose_container_is_not_hujson(
    monkeypatch: pytest.MonkeyPatch, close: str
) -> None:
    insert_item = _edit._insert_item

    def breaking(node: Any, *args: Any) -> Any:
        new = insert_item(node, *args)
        return Array(new.elements, trailing_comma=new.trailing_comma, close=close)

    monkeypatch.setattr(_edit, "_insert_item", breaking)
    with pytest.raises(HuJSONError, match="produced invalid HuJSON"):
        parse(POLICY).append("/grants", GRANT)


def test_refuses_an_edit_that_nests_too_deep() -> None:
    # The edited container is parsed on its own, but at its depth: 998 arrays in an object.
    doc = parse('{"a": ' + "[" * 998 + "]" * 998 + "}")
    pointer = "/a" + "/0" * 997
    assert doc.append(pointer, []).text().count("[") == 999  # 1000 levels: allowed
    with pytest.raises(HuJSONError, match="nesting deeper than 1000 levels"):
        doc.append(pointer, [[]])  # 1001 levels


# --- what passes -----------------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@st.composite
def _policies(draw: Any) -> str:
    """A policy-like document: an indented object with a "list", line comments above some
    lines and at the end of others, and trailing commas."""
    value = draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), _VALUES, max_size=2))
    value["list"] = draw(st.lists(_VALUES, max_size=4))
    lines = json.dumps(value, indent="\t", ensure_ascii=False).split("\n")
    out = []
    for line in lines:
        if draw(st.integers(0, 3)) == 0:
            out.append(line[: len(line) - len(line.lstrip("\t"))] + "// note")
        out.append(line + (" // same line" if draw(st.integers(0, 4)) == 0 else ""))
    text = "\n".join(out) + "\n"
    if draw(st.booleans()):
        text = re.sub(r"([^\s\[{,])((?: // same line)?\n\s*(?:// note\n\s*)*[\]}])", r"\1,\2", text)
    return text


def _edits(draw: Any, tree: Value) -> tuple[Value, Any]:
    """One random edit of ``tree`` and the value it should give."""
    expected = tree.to_python()
    assert isinstance(expected, dict)
    size = len(expected["list"])
    kind = draw(st.sampled_from(["append", "insert", "set"] + (["remove", "replace"] * bool(size))))
    new = draw(_VALUES)
    if kind == "append":
        expected["list"].append(new)
        return tree.append("/list", new), expected
    if kind == "insert":
        at = draw(st.integers(0, size))
        expected["list"].insert(at, new)
        return tree.insert("/list", at, new), expected
    if kind == "set":
        name = draw(st.sampled_from(["a", "b", "d"]))
        expected[name] = new
        return tree.set_member("", name, new), expected
    at = draw(st.integers(0, size - 1))
    if kind == "remove":
        del expected["list"][at]
        return tree.remove(f"/list/{at}"), expected
    expected["list"][at] = new
    return tree.replace(f"/list/{at}", new), expected


def _assert_fresh(tree: Value) -> None:
    """``tree`` behaves as a fresh parse of its own text, down to what it caches."""
    text = tree.text()
    fresh = parse(text)
    assert [v.text() for v in tree.walk()] == [v.text() for v in fresh.walk()]
    source = source_of(tree, text)
    assert source is not None
    twin, value, _ = decode(text)
    assert [c.isspace() for c in source.std] == [c.isspace() for c in twin]
    assert [c for c in source.std if not c.isspace()] == [c for c in twin if not c.isspace()]
    if source.value is not None:
        assert source.value == value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_policies(), st.data())
def test_an_edited_tree_is_the_tree_of_its_text(text: str, data: st.DataObject) -> None:
    original = tree = parse(text)
    for _ in range(3):  # each edit starts from the tree the last one returned
        tree, expected = _edits(data.draw, tree)
        assert tree.to_python() == expected
        _assert_fresh(tree)
    _assert_fresh(original)  # and what it caches was not changed by the edits


def test_an_edit_under_a_repeated_name_is_refused() -> None:
    """A decoder keeps the last of two equal names, so which one to edit is ambiguous."""
    doc = parse('{"a": {"list": [1]}, "a": {"list": [2]}, "b": []}')
    for edit in (
        lambda: doc.append("/a/list", 3),
        lambda: doc.remove("/a"),
        lambda: doc.set_member("", "a", 1),
    ):
        with pytest.raises(HuJSONError, match="'a' appears more than once"):
            edit()
    assert doc.append("/b", 1).to_python() == {"a": {"list": [2]}, "b": [1]}


def test_a_tree_built_by_hand_is_checked_whole() -> None:
    tree = Value("", Array([Value("", Literal("1"))]))
    edited = tree.append("", 2)
    assert edited.to_python() == [1, 2]
    _assert_fresh(edited)
    with pytest.raises(HuJSONError, match="produced invalid HuJSON"):
        Value("", Array([Value("", Literal("01"))])).append("", 2)
