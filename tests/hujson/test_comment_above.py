"""`Value.comment_above`: one `//` line right above an entry, put, replaced or taken away, and
every other byte of the file left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit import hujson

MARKER = "// tailjit:test mark=1"
OTHER_MARKER = "// tailjit:test mark=2"

POLICY = """{
  // Humans wrote this file.
  "groups": {
    // the on-call rota
    "group:oncall": ["alice@example.com", "bob@example.com"],
    "group:eng": ["carol@example.com"], // eng, same line
    "group:ops": ["dave@example.com"],
  },
  "acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["*:*"]},
    /* a block comment
    // tailjit:test mark=0 */
    {"action": "accept", "src": ["group:ops"], "dst": ["*:22"]},
  ],
  "tagOwners": {"tag:a": ["group:eng"], "tag:b": ["group:ops"]},
}
"""


def is_marker(comment: str) -> bool:
    """Like the group marker's predicate: the kind, whatever follows."""
    return comment.startswith("// tailjit:test ")


def outside(text: str, container: str) -> tuple[str, str]:
    """The text before and after the container value ``container`` (its first occurrence)."""
    start = text.index(container)
    return text[:start], text[start + len(container) :]


# --- adding ------------------------------------------------------------------------------------


def test_adds_a_line_above_an_object_member_below_the_human_comment() -> None:
    edited = hujson.parse(POLICY).comment_above("/groups/group:oncall", MARKER)
    assert edited.text() == POLICY.replace(
        '    // the on-call rota\n    "group:oncall"',
        f'    // the on-call rota\n    {MARKER}\n    "group:oncall"',
    )


def test_adds_a_line_above_an_array_element_with_its_indentation() -> None:
    edited = hujson.parse(POLICY).comment_above("/acls/0", MARKER)
    assert edited.text() == POLICY.replace(
        '  "acls": [\n    {"action"', f'  "acls": [\n    {MARKER}\n    {{"action"', 1
    )


def test_adds_above_a_tab_indented_entry_with_tabs() -> None:
    source = '{\n\t"a": [\n\t\t1,\n\t\t2,\n\t],\n}\n'
    edited = hujson.parse(source).comment_above("/a/1", MARKER)
    assert edited.text() == f'{{\n\t"a": [\n\t\t1,\n\t\t{MARKER}\n\t\t2,\n\t],\n}}\n'


def test_the_value_is_unchanged_and_bytes_outside_the_container_too() -> None:
    """Only the container holding the entry changes, and only by the new line."""
    original = hujson.parse(POLICY)
    edited = original.comment_above("/groups/group:ops", MARKER)
    assert edited.to_python() == original.to_python()
    groups = original.find("/groups")
    assert groups is not None
    before, after = outside(POLICY, groups.text().strip())
    assert edited.text().startswith(before)
    assert edited.text().endswith(after)
    assert len(edited.text()) == len(POLICY) + len(f"    {MARKER}\n")
    assert original.text() == POLICY  # the input tree is not touched


# --- replacing ---------------------------------------------------------------------------------


def test_replaces_the_marker_and_leaves_the_human_comment_above_it() -> None:
    marked = hujson.parse(POLICY).comment_above("/groups/group:oncall", MARKER)
    edited = marked.comment_above("/groups/group:oncall", OTHER_MARKER, replaces=is_marker)
    assert edited.text() == marked.text().replace(MARKER, OTHER_MARKER)
    assert "// the on-call rota" in edited.text()


def test_a_comment_the_predicate_refuses_stays_and_the_new_one_goes_below() -> None:
    edited = hujson.parse(POLICY).comment_above("/groups/group:oncall", MARKER, replaces=is_marker)
    assert f'    // the on-call rota\n    {MARKER}\n    "group:oncall"' in edited.text()


def test_the_predicate_gets_the_comment_text_without_its_line_break() -> None:
    """``replaces`` sees the comment as written: ``// …``, no indentation and no line break."""
    seen: list[str] = []
    hujson.parse(POLICY).comment_above(
        "/groups/group:oncall", MARKER, replaces=lambda text: seen.append(text) or False
    )
    assert seen == ["// the on-call rota"]


def test_an_exact_match_predicate_replaces_the_comment() -> None:
    marked = hujson.parse(POLICY).comment_above("/groups/group:oncall", MARKER)
    edited = marked.comment_above(
        "/groups/group:oncall", OTHER_MARKER, replaces=lambda text: text == MARKER
    )
    assert MARKER not in edited.text()
    assert OTHER_MARKER in edited.text()


def test_the_same_line_comment_of_the_previous_entry_is_not_the_comment_above() -> None:
    """``// eng, same line`` ends group:eng's line; it belongs to group:eng, not group:ops."""
    seen: list[str] = []
    edited = hujson.parse(POLICY).comment_above(
        "/groups/group:ops", MARKER, replaces=lambda text: seen.append(text) or True
    )
    assert seen == []
    assert '"group:eng": ["carol@example.com"], // eng, same line\n' in edited.text()
    assert f'// eng, same line\n    {MARKER}\n    "group:ops"' in edited.text()


def test_removing_below_a_same_line_comment_removes_nothing() -> None:
    original = hujson.parse(POLICY)
    edited = original.comment_above("/groups/group:ops", None, replaces=lambda text: True)
    assert edited.pack() == original.pack()


def test_a_line_comment_inside_a_block_comment_is_not_replaced() -> None:
    """``// tailjit:test mark=0 */`` looks like a marker but is the end of a block comment."""
    original = hujson.parse(POLICY)
    edited = original.comment_above("/acls/1", MARKER, replaces=is_marker)
    assert edited.text() == POLICY.replace(
        "    // tailjit:test mark=0 */\n", f"    // tailjit:test mark=0 */\n    {MARKER}\n"
    )
    assert original.comment_above("/acls/1", None, replaces=is_marker).pack() == original.pack()


def test_a_multi_line_block_comment_ending_in_a_line_comment_line_is_kept() -> None:
    source = '{\n  "a": 1,\n  /*\n  // tailjit:test mark=0\n  */\n  "b": 2,\n}\n'
    edited = hujson.parse(source).comment_above("/b", None, replaces=is_marker)
    assert edited.text() == source


# --- removing ----------------------------------------------------------------------------------


def test_none_removes_only_the_matching_comment() -> None:
    marked = hujson.parse(POLICY).comment_above("/groups/group:oncall", MARKER)
    assert marked.comment_above("/groups/group:oncall", None, replaces=is_marker).text() == POLICY


def test_none_without_a_matching_comment_changes_nothing() -> None:
    original = hujson.parse(POLICY)
    edited = original.comment_above("/groups/group:oncall", None, replaces=is_marker)
    assert edited.pack() == original.pack()


@pytest.mark.parametrize(
    ("pointer"),
    ["/groups/group:oncall", "/groups/group:eng", "/groups/group:ops", "/acls/0", "/acls/1"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_add_then_remove_restores_the_exact_bytes(pointer: str, newline: str) -> None:
    data = POLICY.replace("\n", newline).encode()
    original = hujson.parse(data)
    marked = original.comment_above(pointer, MARKER, replaces=is_marker)
    assert marked.to_python() == original.to_python()
    assert marked.pack().count(b"\n") == marked.pack().count(newline.encode())
    assert f"{MARKER}{newline}".encode() in marked.pack()
    restored = marked.comment_above(pointer, None, replaces=is_marker)
    assert restored.pack() == data


def test_crlf_marker_is_replaced_in_place() -> None:
    data = POLICY.replace("\n", "\r\n")
    marked = hujson.parse(data).comment_above("/acls/0", MARKER)
    edited = marked.comment_above("/acls/0", OTHER_MARKER, replaces=is_marker)
    assert edited.text() == marked.text().replace(MARKER, OTHER_MARKER)


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pointer", ["/groups/group:eng", "/tagOwners/tag:b", "/tagOwners/tag:a"])
def test_an_entry_sharing_its_line_is_refused(pointer: str) -> None:
    source = (
        '{\n  "groups": {"group:x": ["x"], "group:eng": ["y"]},\n'
        '  "tagOwners": {"tag:a": []\n  , "tag:b": []},\n}\n'
    )
    with pytest.raises(hujson.HuJSONError, match="line of its own"):
        hujson.parse(source).comment_above(pointer, MARKER)


def test_a_one_line_file_is_refused() -> None:
    with pytest.raises(hujson.HuJSONError):
        hujson.parse('{"groups": {"group:a": ["x@y.com"]}}').comment_above(
            "/groups/group:a", MARKER
        )


def test_removing_above_an_entry_sharing_its_line_is_refused_too() -> None:
    with pytest.raises(hujson.HuJSONError):
        hujson.parse('{"a": 1, "b": 2}').comment_above("/b", None, replaces=is_marker)


@pytest.mark.parametrize("comment", ["/* tailjit:test */", "/* a\nb */", "// two\n// lines"])
def test_a_comment_that_is_not_one_line_comment_is_refused(comment: str) -> None:
    with pytest.raises(hujson.HuJSONError):
        hujson.parse(POLICY).comment_above("/groups/group:oncall", comment)


def test_the_root_is_refused() -> None:
    with pytest.raises(hujson.HuJSONError, match="root"):
        hujson.parse(POLICY).comment_above("", MARKER)


def test_a_missing_entry_is_refused() -> None:
    with pytest.raises(hujson.HuJSONError):
        hujson.parse(POLICY).comment_above("/groups/group:nobody", MARKER)


# --- the corpus --------------------------------------------------------------------------------


def _corpus(shared_dir: Path) -> list[tuple[str, bytes, hujson.Value]]:
    folder = shared_dir / "corpus" / "policies"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the policy corpus lives in ../shared/corpus/policies")
    parsed = []
    for path in sorted(folder.glob("*.hujson")):
        data = path.read_bytes()
        try:
            parsed.append((path.name, data, hujson.parse(data)))
        except hujson.HuJSONError:
            continue  # the corpus holds invalid files on purpose; test_corpus covers them
    return parsed


def _own_line_pointers(value: hujson.Value) -> list[str]:
    """Every member of ``groups`` and element of ``acls`` that starts a line of its own."""
    root = value.node
    assert isinstance(root, hujson.Object)
    pointers = []
    for name, kind in (("groups", hujson.Object), ("acls", hujson.Array)):
        found = root.get(name)
        if found is None or not isinstance(found.node, kind):
            continue
        items = (
            [(m.name_str, m.name) for m in found.node.members]
            if isinstance(found.node, hujson.Object)
            else [(str(i), e) for i, e in enumerate(found.node.elements)]
        )
        for token, item in items:
            gap = item.before.replace("\r\n", "\n")
            if "\n" in gap and not gap.rsplit("\n", 1)[1].strip(" \t") and "/*" not in gap:
                pointers.append(f"/{name}/" + token.replace("~", "~0").replace("/", "~1"))
    return pointers


def test_add_then_remove_a_marker_restores_every_corpus_file(shared_dir: Path) -> None:
    """For every own-line ``groups`` member and ``acls`` element of every valid corpus file."""
    corpus = _corpus(shared_dir)
    assert corpus, "no corpus file parsed"
    edits = 0
    for name, data, original in corpus:
        expected = original.to_python()
        for pointer in _own_line_pointers(original):
            marked = original.comment_above(pointer, MARKER, replaces=is_marker)
            assert hujson.parse(marked.pack()).to_python() == expected, (name, pointer)
            assert marked.pack().count(MARKER.encode()) == 1, (name, pointer)
            restored = marked.comment_above(pointer, None, replaces=is_marker)
            assert restored.pack() == data, (name, pointer)
            edits += 1
        assert original.pack() == data, name
    assert edits > 100  # the corpus has plenty of groups and acls: the loop really ran
