"""remove_all and add_all: the same bytes as the one-at-a-time edits, checked once."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailjit.hujson import HuJSONError, parse

DOCUMENTS = [
    '{\n  "grants": [\n    // one\n    {"a": 1},\n    // two\n    {"b": 2}, // trailing\n'
    '    {"c": 3},\n    /* four */ {"d": 4},\n  ],\n  "postures": {\n    // p\n'
    '    "posture:x": ["a"],\n    "posture:y": ["b"],\n    "posture:z": ["c"]\n  }\n}\n',
    '{"grants": [1, 2, /* c */ 3, 4], "postures": {"a": 1, "b": 2, "c": 3}}',
    '{\n\t"grants": [\n\t\t{"a": 1},\n\t\t{"b": 2}\n\t],\n\t"postures": {"a": 1,\n\t"b": 2},\n}',
    '{"grants": [{"a": 1}, {"b": 2}, {"c": 3}], "postures": {}}',
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_removing_any_subset_at_once_gives_the_bytes_of_removing_one_at_a_time(text: str) -> None:
    tree = parse(text)
    grants = [f"/grants/{i}" for i in range(len(tree.to_python()["grants"]))]
    postures = [f"/postures/{name}" for name in tree.to_python()["postures"]]
    for pointers in (grants, postures):
        for size in range(1, len(pointers) + 1):
            for chosen in itertools.combinations(pointers, size):
                expected = parse(text)
                for pointer in sorted(chosen, key=lambda p: p, reverse=True):
                    expected = expected.remove(pointer)
                assert tree.remove_all(list(chosen)).pack() == expected.pack(), chosen


@pytest.mark.parametrize("text", DOCUMENTS)
def test_adding_several_at_once_gives_the_bytes_of_adding_one_at_a_time(text: str) -> None:
    tree = parse(text)
    elements = [{"src": ["alice@example.com"], "n": n} for n in range(3)]
    expected = tree
    for n, element in enumerate(elements):
        expected = expected.append("/grants", element, comments=[f"// marker {n}"])
    batch = [(None, element, [f"// marker {n}"]) for n, element in enumerate(elements)]
    assert tree.add_all("/grants", batch).pack() == expected.pack()

    members = [(f"posture:new{n}", [f"custom:k{n} == true"], [f"// m {n}"]) for n in range(3)]
    expected = tree
    for name, value, comments in members:
        expected = expected.set_member("/postures", name, value, comments=comments)
    assert tree.add_all("/postures", members).pack() == expected.pack()


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=12),
    data=st.data(),
    one_line=st.booleans(),
)
def test_remove_all_matches_sequential_removal_on_generated_lists(
    size: int, data: st.DataObject, one_line: bool
) -> None:
    items = [f'{{"id": {n}}}' for n in range(size)]
    if one_line:
        text = '{"grants": [' + ", ".join(items) + "]}"
    else:
        text = '{\n  "grants": [\n' + "".join(
            f"    // {n}\n    {i},\n" for n, i in enumerate(items)
        )
        text += "  ],\n}\n"
    chosen = data.draw(st.sets(st.integers(min_value=0, max_value=size - 1), min_size=1))
    pointers = [f"/grants/{i}" for i in chosen]
    expected = parse(text)
    for index in sorted(chosen, reverse=True):
        expected = expected.remove(f"/grants/{index}")
    assert parse(text).remove_all(pointers).pack() == expected.pack()


def test_pointers_of_different_containers_are_refused() -> None:
    with pytest.raises(HuJSONError, match="share their container"):
        parse(DOCUMENTS[1]).remove_all(["/grants/0", "/postures/a"])


def test_an_existing_or_repeated_member_name_is_refused() -> None:
    tree = parse(DOCUMENTS[1])
    with pytest.raises(HuJSONError, match="exists"):
        tree.add_all("/postures", [("a", 1, [])])
    with pytest.raises(HuJSONError, match="exists"):
        tree.add_all("/postures", [("n", 1, []), ("n", 2, [])])
