"""The fast scanner against the exact one: on documents full of adjacent comments, on mutated
texts, and with deliberately wrong guesses, which json must refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tailjit.hujson import HuJSONError, parse
from tailjit.hujson._scan import _confirm, blank, decode, scan_exact, scan_fast

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _exact(text: str) -> list[tuple[int, int]] | None:
    try:
        return scan_exact(text)
    except HuJSONError:
        return None


# --- tables ----------------------------------------------------------------------------------

ADJACENT = [
    ("null/**///\n", [(4, 8), (8, 11)]),  # a line comment right after '*/'
    ("[1/**//*x*/]", [(2, 6), (6, 11)]),  # a block comment right after '*/'
    ("1/***///x\n", [(1, 6), (6, 10)]),
    ("/**//**/1", [(0, 4), (4, 8)]),
    ("1//a\n//b\n", [(1, 5), (5, 9)]),
    ('{"a"/**/:/**/1/**/,/**/}', [(4, 8), (9, 13), (14, 18), (18, 19), (19, 23)]),
    ("[1,/**///\n]", [(2, 3), (3, 7), (7, 10)]),  # a trailing comma before both
    ("[true//\n,/**/]", [(5, 8), (8, 9), (9, 13)]),
    ('["//", "/*"]//"\n', [(12, 16)]),  # comment starts inside strings are not comments
    ('["a\\"//"]/*"*/', [(9, 14)]),  # nor after an escaped quote
]


@pytest.mark.parametrize(("text", "spans"), ADJACENT)
def test_scan_fast_finds_adjacent_comments(text: str, spans: list[tuple[int, int]]) -> None:
    assert scan_exact(text) == spans
    assert scan_fast(text) == spans


@pytest.mark.parametrize(
    "text",
    [
        '{"url": "https://example.com/a", "glob": "/api/*"} // note\n',
        '["a //b", "c /*d"] /* e */',  # '//' after a space in a string: the careful guess
        '{"path": "x,]", "list": [1,],}',  # a comma before a bracket in a string
        '[1 /* "quoted */ ]',
        '"[,]" // not an empty array with a comma\n',
    ],
)
def test_scan_fast_tells_strings_from_comments(text: str) -> None:
    assert scan_fast(text) == scan_exact(text)


@pytest.mark.parametrize(
    "text",
    [
        "[,]",
        "{,}",
        "[ /**/ , ]",
        "{\n// c\n,\n}",
        "null//",  # unterminated line comment
        "null/*",
        "null/*/",
        "1 /* x */ /* y",
        "[1,,]",
        "[1,]]",
        '"a/*"*/',
        "[1]//\r",  # a lone CR does not end a line comment
    ],
)
def test_scan_fast_defers_what_scan_exact_refuses(text: str) -> None:
    assert _exact(text) is None
    assert scan_fast(text) is None
    with pytest.raises(HuJSONError):
        parse(text)


# --- documents with comments everywhere, often touching --------------------------------------

_SCALARS = st.sampled_from(
    [
        *("null", "true", "false", "0", "-1.5e3", '""', '"a"', '"\\""', '"\\\\"', '"é"'),
        # strings that look like comments, or commas before brackets, in part or whole
        *('"//x"', '"/*"', '"*/"', '"/**/"', '" /*,]*/ "', '"[,]"', '"x,]"', '"https://a/b"'),
        '" // "',
    ]
)
# Comment bodies hold quotes, slashes, stars and brackets to mislead the guesses.
_BODY = st.text(st.sampled_from([*'ab "\\/*[]{},:\t', "é", "\r"]), max_size=6)
_COMMENTS = st.one_of(
    _BODY.map(lambda body: f"//{body}\n"),
    _BODY.filter(lambda body: "*/" not in body and not body.endswith("*")).map(
        lambda body: f"/*{body}*/"
    ),
)
# Gaps are mostly comments with nothing between them.
_GAPS = st.lists(_COMMENTS | st.sampled_from(["", " ", "\n", "\t"]), max_size=4).map("".join)


@st.composite
def _values(draw: Any, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["scalar", "array", "object"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return str(draw(_SCALARS))
    count = draw(st.integers(0, 3))
    items = []
    for _ in range(count):
        value = draw(_values(depth + 1))
        if kind == "object":
            name = draw(_SCALARS.filter(lambda s: s.startswith('"')))
            value = f"{name}{draw(_GAPS)}:{draw(_GAPS)}{value}"
        items.append(f"{draw(_GAPS)}{value}{draw(_GAPS)}")
    body = ",".join(items)
    if items and draw(st.booleans()):
        body += "," + draw(_GAPS)
    open_, close = ("[", "]") if kind == "array" else ("{", "}")
    return f"{open_}{body}{draw(_GAPS)}{close}"


DOCUMENTS = st.builds(lambda a, v, b: a + v + b, _GAPS, _values(), _GAPS)


@SETTINGS
@example("null/**///\n")
@given(DOCUMENTS)
def test_scan_fast_equals_scan_exact_on_documents(text: str) -> None:
    # The careful guess is exact on every valid document, so the fast scanner never defers here.
    assert scan_fast(text) == scan_exact(text)


@SETTINGS
@given(DOCUMENTS, st.data())
def test_scan_fast_never_accepts_what_scan_exact_refuses(text: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text)))
    char = data.draw(st.sampled_from(list(',{}[]"/*\n\r:a1\\ ')))
    kind = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    if kind == "insert":
        text = text[:pos] + char + text[pos:]
    else:
        text = text[:pos] + (char if kind == "replace" else "") + text[pos + 1 :]
    assert scan_fast(text) == _exact(text)


# --- any guess at all: json is the judge ---------------------------------------------------


def _guessed_parts(text: str, starts: list[int]) -> list[str] | None:
    """``text`` cut at comments guessed to start at ``starts`` (each one running to its first
    terminator, as the scanners' guesses do)."""
    parts, last = [], 0
    for start in sorted(starts):
        if start < last or text[start : start + 2] not in ("//", "/*"):
            continue
        closer = "\n" if text[start + 1] == "/" else "*/"
        end = text.find(closer, start + 2) + len(closer)
        if end < len(closer):
            return None
        parts += [text[last:start], text[start:end]]
        last = end
    return [*parts, text[last:]]


@SETTINGS
@given(DOCUMENTS, st.data())
def test_json_refuses_every_wrong_guess(text: str, data: st.DataObject) -> None:
    # The fast path's safety argument: whichever '//' and '/*' are taken for comments, and
    # whether or not commas in strings are, what json accepts is exactly what scan_exact finds.
    candidates = [i for i in range(len(text) - 1) if text[i : i + 2] in ("//", "/*")]
    starts = data.draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    parts = _guessed_parts(text, starts)
    if parts is None:
        return
    found = _confirm(parts, careful=data.draw(st.booleans()))
    if found is None:
        return
    exact = scan_exact(text)
    comments = [span for span in exact if span[1] - span[0] > 1 or text[span[0]] != ","]
    guessed, pos = [], 0
    for i, part in enumerate(found.parts):
        if i % 2:
            guessed.append((pos, pos + len(part)))
        pos += len(part)
    assert guessed == comments
    assert found.commas == [start for start, end in exact if (start, end) not in comments]
    assert found.value == json.loads(blank(text, exact))


@SETTINGS
@given(DOCUMENTS)
def test_decode_gives_a_twin_with_the_same_offsets(text: str) -> None:
    twin, value, ends = decode(text)
    std = blank(text, scan_exact(text))
    assert len(twin) == len(text)
    assert [c if c not in "\t\r\n " else " " for c in twin] == [
        c if c not in "\t\r\n " else " " for c in std
    ]
    assert value == json.loads(std)
    for start, end in ends.items():
        assert json.loads(twin[start:end]) == json.loads(std[start:end])
