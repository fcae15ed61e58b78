"""Table tests from tailscale/hujson's own test vectors (tests/hujson/upstream_vectors.py).

Parse, Find, All and the parts of Patch that map onto our edit API. Our error messages are
upstream's without the "hujson: " prefix; the vector file already drops it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tailjit.hujson import HuJSONError, Value, parse
from tailjit.testing import load_module

V = load_module(Path(__file__).with_name("upstream_vectors.py"), "hujson_upstream_vectors")


def _as_bytes(data: str | bytes) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8")


# --- Parse (json_test.go `Test`) -----------------------------------------------------------

ACCEPTED = [pytest.param(c, id=f"parse-{i}") for i, c in enumerate(V.PARSE_CASES) if not c.error]
REJECTED = [pytest.param(c, id=f"parse-{i}") for i, c in enumerate(V.PARSE_CASES) if c.error]


@pytest.mark.parametrize("case", ACCEPTED)
def test_parse_accepted_packs_back_exactly(case: Any) -> None:
    assert parse(case.input).pack() == _as_bytes(case.input)


@pytest.mark.parametrize("case", ACCEPTED)
def test_parse_accepted_bytes_and_str_agree(case: Any) -> None:
    data = _as_bytes(case.input)
    assert parse(data).pack() == data
    assert parse(data.decode("utf-8")).pack() == data


@pytest.mark.parametrize("case", [p for p in ACCEPTED if p.values[0].standardized is not None])
def test_parse_standardize(case: Any) -> None:
    value = parse(case.input)
    assert value.standardize() == case.standardized.encode("utf-8")
    assert value.is_standard() is (case.input == case.standardized)
    # Standardizing keeps every byte offset, and the result is plain JSON with the same value.
    assert len(value.standardize()) == len(_as_bytes(case.input))
    assert json.loads(value.standardize()) == value.to_python()


@pytest.mark.parametrize("case", [p for p in ACCEPTED if p.values[0].offsets is not None])
def test_parse_top_level_offsets(case: Any) -> None:
    # Upstream's StartOffset/EndOffset of the root value, in UTF-8 bytes: the leading gap's
    # length and that plus the node's length.
    value = parse(case.input)
    start = len(value.before.encode("utf-8"))
    end = start + len(Value("", value.node, "").pack())
    assert (start, end) == case.offsets


@pytest.mark.parametrize("case", REJECTED)
def test_parse_rejected_error_message(case: Any) -> None:
    with pytest.raises(HuJSONError) as info:
        parse(case.input)
    assert str(info.value) == case.error
    match = re.match(r"line (\d+), column (\d+): ", case.error)
    assert match is not None
    assert (info.value.line, info.value.column) == (int(match[1]), int(match[2]))


@pytest.mark.parametrize("case", REJECTED)
def test_parse_rejected_bytes_and_str_agree(case: Any) -> None:
    # A str input holding undecodable bytes cannot be written; everything else must fail the
    # same way whether it arrives as str or as UTF-8 bytes.
    with pytest.raises(HuJSONError) as info:
        parse(_as_bytes(case.input))
    assert str(info.value) == case.error


# --- Find (find_test.go `TestFind`) ---------------------------------------------------------


def _node_text(found: Value) -> str:
    return Value("", found.node, "").text()


FOUND = [pytest.param(c, id=f"find-{c.pointer!r}") for c in V.FIND_CASES if c.expected]
NOT_FOUND = [
    pytest.param(c, id=f"find-{c.pointer!r}")
    for c in V.FIND_CASES
    if c.expected is None and c.pointer.startswith("/")
]
# Upstream's Find has no error result, so a pointer that is not "" and does not start with "/"
# gives nil there. Ours raises HuJSONError for a malformed pointer (the edits share the parser
# and must refuse it); a well-formed pointer to nothing gives None.
MALFORMED = [
    pytest.param(c, id=f"find-{c.pointer!r}")
    for c in V.FIND_CASES
    if c.expected is None and not (c.pointer == "" or c.pointer.startswith("/"))
]


def test_find_cases_are_all_classified() -> None:
    assert len(FOUND) + len(NOT_FOUND) + len(MALFORMED) == len(V.FIND_CASES)
    assert MALFORMED


def test_find_document_minimized_is_the_minimized_document() -> None:
    # The vectors' claim that FIND_DOCUMENT_MINIMIZED is FIND_DOCUMENT without whitespace.
    assert parse(V.FIND_DOCUMENT).to_python() == parse(V.FIND_DOCUMENT_MINIMIZED).to_python()
    assert re.sub(r"\s", "", V.FIND_DOCUMENT) == V.FIND_DOCUMENT_MINIMIZED.replace(" ", "")


@pytest.mark.parametrize("case", FOUND)
def test_find_on_minimized_document_exact_text(case: Any) -> None:
    # Upstream minimizes before Find, so the node found packs as exactly the expected text.
    found = parse(V.FIND_DOCUMENT_MINIMIZED).find(case.pointer)
    assert found is not None
    assert _node_text(found) == case.expected
    assert found.pack() == case.expected.encode("utf-8")


@pytest.mark.parametrize("case", FOUND)
def test_find_on_original_document(case: Any) -> None:
    # On the unminimized document the same node is found: the same value, and its node text is
    # the expected one up to the whitespace that Minimize would have removed.
    found = parse(V.FIND_DOCUMENT).find(case.pointer)
    assert found is not None
    assert found.to_python() == json.loads(case.expected)
    assert re.sub(r"\s", "", _node_text(found)) == case.expected.replace(" ", "")


@pytest.mark.parametrize("case", NOT_FOUND)
def test_find_nothing(case: Any) -> None:
    assert parse(V.FIND_DOCUMENT_MINIMIZED).find(case.pointer) is None
    assert parse(V.FIND_DOCUMENT).find(case.pointer) is None


@pytest.mark.parametrize("case", MALFORMED)
def test_find_malformed_pointer_raises(case: Any) -> None:
    with pytest.raises(HuJSONError, match="invalid JSON pointer"):
        parse(V.FIND_DOCUMENT).find(case.pointer)


@pytest.mark.parametrize("pointer", ["/~", "/a~2b", "/foo/~"])
def test_find_bad_escape_raises(pointer: str) -> None:
    with pytest.raises(HuJSONError, match="invalid JSON pointer"):
        parse(V.FIND_DOCUMENT).find(pointer)


def test_find_returns_member_value_not_name() -> None:
    found = parse(V.FIND_DOCUMENT_MINIMIZED).find("/m~0n")
    assert found is not None
    assert _node_text(found) == "8"


# --- All (types_test.go `TestAll`) ----------------------------------------------------------


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"all-{i}") for i, c in enumerate(V.ALL_CASES)]
)
def test_walk_order_and_text(case: Any) -> None:
    assert tuple(v.text() for v in parse(case.input).walk()) == case.nodes


# --- Patch (patch_test.go `TestPatch`), the operations our API offers ------------------------

_INVALID_UTF8_REASON = (
    "input holds invalid UTF-8 inside a string: we reject invalid UTF-8 everywhere, stricter "
    "than Go's json.Valid (which upstream's Parse relies on for string contents)"
)

# Where our blank-line cleanup makes a remove differ from upstream's exact text: we never leave
# two blank lines in a row nor a blank line right after an opening bracket. Indexes into
# PATCH_CASES; for these only the value and each `// CommentN`'s presence are compared.
# (Empty: every remove case in the vectors comes out byte-identical.)
_BLANK_LINE_CLEANUP: set[int] = set()


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _plan(case: Any) -> list[tuple[str, Any, ...]] | str:
    """The edits that do what the patch does, or the reason it cannot be expressed."""
    if isinstance(case.input, bytes):
        return _INVALID_UTF8_REASON
    try:
        ops = parse(case.patch).to_python()
    except HuJSONError:
        return "malformed patch document: patch parsing is not part of our API"
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        return "malformed patch document: patch parsing is not part of our API"
    if "duplicate" in str(case.error):
        return "patch document validation (duplicate names) is not part of our API"
    edits: list[tuple[str, Any, ...]] = []
    for op in ops:
        kind = op.get("op")
        needs = {"remove": ("path",), "move": ("path", "from"), "copy": ("path", "from")}
        if (
            kind not in ("add", "remove", "replace", "move", "copy", "test")
            or any(not isinstance(op.get(key), str) for key in needs.get(kind, ("path",)))
            or (kind in ("add", "replace", "test") and "value" not in op)
        ):
            return "malformed patch operation: patch parsing is not part of our API"
        if kind in ("move", "copy", "test"):
            return f"we offer no {kind!r} operation"
        path = op["path"]
        if kind == "remove":
            edits.append(("remove", path))
        elif kind == "replace" or path == "":
            edits.append(("replace", path, op["value"]))
        else:
            parent, _, last = path.rpartition("/")
            edits.append(("add", parent, _unescape(last), op["value"]))
    return edits


def _apply(doc: Value, edit: tuple[Any, ...]) -> Value:
    kind = edit[0]
    if kind == "remove":
        return doc.remove(edit[1])
    if kind == "replace":
        return doc.replace(edit[1], edit[2])
    _, parent, last, value = edit
    target = doc.find(parent)
    if target is not None and type(target.node).__name__ == "Array":
        if last == "-":
            return doc.append(parent, value)
        return doc.insert(parent, int(last), value)
    # An object member (new or existing), or a parent that is not there (set_member refuses).
    return doc.set_member(parent, last, value)


def _patch_params() -> list[Any]:
    params = []
    for i, case in enumerate(V.PATCH_CASES):
        plan = _plan(case)
        marks = [pytest.mark.skip(reason=plan)] if isinstance(plan, str) else []
        group = "ownership" if case.ownership else "patch"
        params.append(pytest.param(i, case, plan, id=f"{group}-{i}", marks=marks))
    return params


def _comments(text: str) -> list[str]:
    return re.findall(r"// Comment\d", text)


@pytest.mark.parametrize(("index", "case", "plan"), _patch_params())
def test_patch(index: int, case: Any, plan: list[tuple[Any, ...]]) -> None:
    doc = parse(case.input)
    before = doc.pack()
    if case.error:
        with pytest.raises(HuJSONError):  # noqa: PT012 - any operation of the patch may be the one
            for edit in plan:
                doc = _apply(doc, edit)
        assert parse(case.input).pack() == before  # nothing is edited in place
        if case.output is not None:
            assert before.decode("utf-8") == case.output
        return
    result = doc
    for edit in plan:
        result = _apply(result, edit)
    assert doc.pack() == before  # the original tree is left as it was
    if case.output is None:
        return
    expected = parse(case.output)
    assert result.to_python() == expected.to_python()
    only_removes = all(edit[0] == "remove" for edit in plan)
    scalar_replaces = all(
        edit[0] == "replace" and edit[1] and not isinstance(edit[2], dict | list) for edit in plan
    )
    if only_removes and index not in _BLANK_LINE_CLEANUP:
        # Comment ownership on remove is reproduced exactly.
        assert result.text() == case.output
    elif only_removes:
        assert _comments(result.text()) == _comments(case.output)
    elif scalar_replaces:
        # Replacing a member or element by a scalar involves no layout: the gaps and comments
        # around it stay, so the whole text is upstream's.
        assert result.text() == case.output


def test_patch_cases_mapped() -> None:
    # Guard against the classification silently skipping everything.
    plans = [_plan(case) for case in V.PATCH_CASES]
    mapped = [plan for plan in plans if not isinstance(plan, str)]
    ownership_mapped = [
        plan
        for plan, case in zip(plans, V.PATCH_CASES, strict=True)
        if case.ownership and not isinstance(plan, str)
    ]
    assert len(mapped) >= 15
    assert len(ownership_mapped) == sum(case.ownership for case in V.PATCH_CASES) - 2


def test_invalid_utf8_inside_string_is_rejected() -> None:
    # The upstream patch case skipped above: Go's json.Valid lets "\xff" through; we refuse it.
    (case,) = [c for c in V.PATCH_CASES if isinstance(c.input, bytes)]
    with pytest.raises(HuJSONError) as info:
        parse(case.input)
    assert str(info.value) == r'line 1, column 1: invalid literal: "\xff"'
