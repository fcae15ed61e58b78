"""Edits: layout like the siblings, comments staying with their entries, and nothing else moving."""

from __future__ import annotations

import pytest

from tailjit import hujson

POLICY = """{
\t// Access rules.
\t"grants": [
\t\t// Everyone may ping.
\t\t{"src": ["*"], "dst": ["*"], "ip": ["icmp:*"]}, // same-line note
\t\t{"src": ["group:ops"], "dst": ["tag:prod"], "ip": ["*"]},

\t\t// {"src": ["group:dev"], "dst": ["tag:dev"], "ip": ["*"]},
\t\t// {"src": ["group:qa"], "dst": ["tag:qa"], "ip": ["*"]},
\t],
\t"tags": ["tag:a", "tag:b"],
}
"""
NEW = {"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}


def test_append_goes_on_its_own_line_before_the_commented_out_rules() -> None:
    edited = hujson.parse(POLICY).append("/grants", NEW, comments=["// tailjit:grant id=x"])
    assert edited.text() == POLICY.replace(
        '["*"]},\n\n',
        '["*"]},\n\t\t// tailjit:grant id=x\n'
        '\t\t{"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]},\n\n',
    )


def test_insert_at_the_front_keeps_the_leading_comment_with_its_entry() -> None:
    edited = hujson.parse(POLICY).insert("/grants", 0, "x")
    assert '[\n\t\t"x",\n\t\t// Everyone may ping.\n\t\t{"src": ["*"]' in edited.text()


def test_remove_takes_the_entry_with_its_own_comments_only() -> None:
    edited = hujson.parse(POLICY).remove("/grants/0")
    text = edited.text()
    assert "Everyone may ping" not in text
    assert "same-line note" not in text
    assert "// Access rules." in text
    assert '// {"src": ["group:qa"]' in text
    assert text.startswith('{\n\t// Access rules.\n\t"grants": [\n\t\t{"src": ["group:ops"]')


def test_one_line_array_stays_on_one_line() -> None:
    edited = hujson.parse(POLICY).append("/tags", "tag:c")
    assert '"tags": ["tag:a", "tag:b", "tag:c"],' in edited.text()
    assert '"tags": ["tag:b"],' in hujson.parse(POLICY).remove("/tags/0").text()


def test_one_line_insert_keeps_each_block_comment_with_its_own_entry() -> None:
    doc = hujson.parse("[ /*a*/ 1, /*b*/ 2 ]")
    assert doc.insert("", 0, 0).text() == "[ 0, /*a*/ 1, /*b*/ 2 ]"
    assert doc.insert("", 1, 0).text() == "[ /*a*/ 1, 0, /*b*/ 2 ]"
    assert doc.append("", 3).text() == "[ /*a*/ 1, /*b*/ 2, 3 ]"
    assert doc.remove("/0").text() == "[ /*b*/ 2 ]"


def test_a_multi_line_block_comment_does_not_make_a_line_break() -> None:
    doc = hujson.parse('{"list": [1 /* first\n   note */]}')
    assert doc.append("/list", 2).text() == '{"list": [1, 2 /* first\n   note */]}'


def test_emptying_a_list_keeps_the_blank_line_and_comment_it_had() -> None:
    doc = hujson.parse('{"list": [\n\n\t// later\n]}')
    appended = doc.append("/list", 1)
    assert appended.text() == '{"list": [\n\t1\n\n\t// later\n]}'
    assert appended.remove("/list/0").pack() == doc.pack()


def test_array_without_trailing_comma_gets_none_and_the_previous_entry_gets_one() -> None:
    doc = hujson.parse('{\n  "a": [\n    1,\n    2\n  ]\n}\n')
    assert doc.append("/a", 3).text() == '{\n  "a": [\n    1,\n    2,\n    3\n  ]\n}\n'
    assert doc.remove("/a/1").text() == '{\n  "a": [\n    1\n  ]\n}\n'


def test_empty_array_gets_an_expanded_entry_indented_one_step_in() -> None:
    doc = hujson.parse('{\n\t"grants": [],\n}\n')
    edited = doc.append("/grants", {"src": ["*"]}, comments=["// m"])
    assert (
        edited.text() == '{\n\t"grants": [\n\t\t// m\n\t\t{\n\t\t\t"src": ["*"],\n\t\t},\n\t],\n}\n'
    )
    assert edited.remove("/grants/0").pack() == doc.pack()


def test_new_member_is_added_at_the_end_of_an_object() -> None:
    doc = hujson.parse('{\n  "a": 1, // one\n  "b": 2\n}')
    assert doc.set_member("", "c", [3]).text() == '{\n  "a": 1, // one\n  "b": 2,\n  "c": [3]\n}'
    assert doc.set_member("", "a", 5).text() == '{\n  "a": 5, // one\n  "b": 2\n}'


def test_replace_keeps_the_comments_around_the_value() -> None:
    doc = hujson.parse('{"a": /* x */ 1 /* y */, "b": 2}')
    assert doc.replace("/a", "z").text() == '{"a": /* x */ "z" /* y */, "b": 2}'


def test_removing_between_blank_lines_leaves_one_blank_line() -> None:
    doc = hujson.parse("[\n  1,\n\n  2,\n\n  3,\n]")
    assert doc.remove("/1").text() == "[\n  1,\n\n  3,\n]"
    assert hujson.parse("[\n  1,\n\n  2,\n]").remove("/0").text() == "[\n  2,\n]"


def test_a_failed_edit_leaves_the_original_untouched() -> None:
    doc = hujson.parse(POLICY)
    with pytest.raises(hujson.HuJSONError, match="outside"):
        doc.insert("/grants", 9, 1)
    with pytest.raises(hujson.HuJSONError, match="nothing at"):
        doc.remove("/grants/7")
    with pytest.raises(hujson.HuJSONError, match="not an array"):
        doc.append("/tags/0", 1)
    assert doc.pack() == POLICY.encode()


@pytest.mark.parametrize(
    "comment", ["no slashes", "// two\nlines", "// cr\r", "/* nested */ */", "/* open"]
)
def test_a_comment_that_could_break_the_file_is_refused(comment: str) -> None:
    with pytest.raises(hujson.HuJSONError, match="comment"):
        hujson.parse(POLICY).append("/grants", NEW, comments=[comment])


def test_values_without_a_json_spelling_are_refused() -> None:
    with pytest.raises((hujson.HuJSONError, ValueError)):
        hujson.parse(POLICY).append("/tags", float("nan"))


def test_find_follows_json_pointer_rules() -> None:
    doc = hujson.parse('{"a/b": {"~": [10, 20]}, "a": 1, "a": 2}')
    found = doc.find("/a~1b/~0/1")
    assert found is not None
    assert found.to_python() == 20
    assert doc.find("/a") is not None
    assert doc.find("/a").to_python() == 1
    assert doc.find("/a~1b/~0/01") is None
    assert doc.find("/a~1b/~0/-") is None
    with pytest.raises(hujson.HuJSONError):
        doc.find("a")
