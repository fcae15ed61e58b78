"""The marker comment: signing, the exact line written, parsing, and forgery detection."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailjit.errors import InvalidInput
from tailjit.ids import CROCKFORD_ALPHABET, GrantId
from tailjit.plan import (
    MAC_HEX_DIGITS,
    MalformedMarker,
    Marker,
    MarkerKind,
    parse_marker,
    sign,
    verify,
)

KEY = b"k" * 32
OTHER_KEY = b"K" * 32
ID = GrantId.parse("G7KQ2M3X")
EXPIRES = datetime(2026, 11, 21, 15, 4, 5, tzinfo=UTC)
ENTRY: dict[str, Any] = {"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}


def signed(entry: object = ENTRY) -> Marker:
    return sign(MarkerKind.GRANT, ID, EXPIRES, entry, KEY)


def test_text_is_the_documented_line() -> None:
    """The marker line is the kind, id, UTC expiry and a 32-hex-digit MAC, nothing else."""
    text = signed().text()

    assert re.fullmatch(
        rf"// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=[0-9a-f]{{{MAC_HEX_DIGITS}}}",
        text,
    )


def test_posture_kind_is_spelled_posture() -> None:
    marker = sign(MarkerKind.POSTURE, ID, EXPIRES, {"posture:x": ["a == b"]}, KEY)

    assert marker.text().startswith("// tailjit:posture id=G7KQ2M3X ")


def test_round_trip_parse_then_verify() -> None:
    """A signed marker parses back to itself, byte for byte, and verifies against its entry."""
    marker = signed()

    parsed = parse_marker(marker.text())

    assert parsed == marker
    assert isinstance(parsed, Marker)
    assert parsed.text() == marker.text()
    assert verify(parsed, ENTRY, KEY)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_trailing_line_ending_is_the_files_not_the_markers(ending: str) -> None:
    marker = signed()

    assert parse_marker(marker.text() + ending) == marker


def test_signing_is_deterministic_and_ignores_key_order() -> None:
    """The MAC covers the canonical JSON, so member order in the file does not matter."""
    reordered = {"ip": ["tcp:5432"], "dst": ["tag:prod"], "src": ["alice@example.com"]}

    assert signed(reordered) == signed()
    assert verify(signed(), reordered, KEY)


def test_an_aware_expiry_in_another_zone_is_stored_in_utc() -> None:
    local = EXPIRES.astimezone(timezone(timedelta(hours=-5)))

    marker = sign(MarkerKind.GRANT, ID, local, ENTRY, KEY)

    assert marker.expires == EXPIRES
    assert marker.expires.tzinfo is UTC
    assert marker == signed()


@pytest.mark.parametrize(
    "comment",
    [
        "// allow the db team to reach prod",
        "// TODO tailjit should own this one day",
        "/* a block comment */",
        "//",
        "",
        "// tailjit grant id=G7KQ2M3X",  # no colon: prose about tailjit, not a marker
        "# tailjit:grant id=G7KQ2M3X",
    ],
)
def test_foreign_comments_are_not_markers(comment: str) -> None:
    assert parse_marker(comment) is None


@pytest.mark.parametrize(
    "comment",
    [
        "// tailjit:grant",
        "// tailjit:grant id=g7KQ2M3X exp=2026-11-21T15:04:05Z mac=5f0c1a2b9d8e",  # short mac
        "// tailjit:grant id=g7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32,  # lowercase id
        "// tailjit:grant id=G7KQ2M3I exp=2026-11-21T15:04:05Z mac=" + "a" * 32,  # I: not Crockford
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05+00:00 mac=" + "a" * 32,
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05.5Z mac=" + "a" * 32,
        "// tailjit:grant id=G7KQ2M3X exp=2026-02-30T15:04:05Z mac=" + "a" * 32,  # no such day
        "// tailjit:grant id=G7KQ2M3X exp=0000-01-01T00:00:00Z mac=" + "a" * 32,
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "A" * 32,  # uppercase hex
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 64,  # untruncated
        "// tailjit:grant  id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32,  # two spaces
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32 + " ",
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32 + " */",
        "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32 + "\n\n",
        "// tailjit:admin id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32,  # unknown kind
        "// tailjit:grant exp=2026-11-21T15:04:05Z id=G7KQ2M3X mac=" + "a" * 32,  # reordered
        "//tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32,  # near miss
        "// TailJIT:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32,
        "/* tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=" + "a" * 32 + " */",
    ],
)
def test_malformed_tailjit_comments_are_reported_not_trusted(comment: str) -> None:
    """Anything tailjit-looking that tailjit could not have written is a MalformedMarker."""
    result = parse_marker(comment)

    assert isinstance(result, MalformedMarker)
    assert result.comment == comment
    assert result.reason


def tampered(marker: Marker, **changes: Any) -> Marker:
    """``marker`` edited by hand, then read back as the loop would read it."""
    parsed = parse_marker(dataclasses.replace(marker, **changes).text())
    assert isinstance(parsed, Marker)
    return parsed


@pytest.mark.parametrize(
    "changes",
    [
        {"grant_id": GrantId.parse("G7KQ2M3Y")},
        {"expires": EXPIRES + timedelta(days=365)},
        {"expires": EXPIRES + timedelta(seconds=1)},
        {"kind": MarkerKind.POSTURE},
    ],
    ids=["id", "expiry-far-future", "expiry-one-second", "kind"],
)
def test_editing_a_marker_field_fails_verify(changes: dict[str, Any]) -> None:
    assert not verify(tampered(signed(), **changes), ENTRY, KEY)


@pytest.mark.parametrize(
    "entry",
    [
        {**ENTRY, "dst": ["*"]},
        {**ENTRY, "ip": ["*"]},
        {**ENTRY, "src": ["alice@example.com", "mallory@example.com"]},
        {**ENTRY, "srcPosture": []},
        {k: v for k, v in ENTRY.items() if k != "ip"},
        [ENTRY],
        None,
    ],
    ids=["dst-star", "ip-star", "src-added", "member-added", "member-removed", "wrapped", "null"],
)
def test_editing_the_entry_fails_verify(entry: object) -> None:
    assert not verify(signed(), entry, KEY)


def test_a_forged_mac_fails_verify() -> None:
    marker = signed()
    flipped = ("0" if marker.mac[0] != "0" else "1") + marker.mac[1:]

    assert not verify(tampered(marker, mac=flipped), ENTRY, KEY)
    assert not verify(tampered(marker, mac="0" * MAC_HEX_DIGITS), ENTRY, KEY)


def test_another_key_fails_verify() -> None:
    assert not verify(signed(), ENTRY, OTHER_KEY)
    assert not verify(sign(MarkerKind.GRANT, ID, EXPIRES, ENTRY, OTHER_KEY), ENTRY, KEY)


def test_an_entry_that_is_not_json_fails_verify_and_cannot_be_signed() -> None:
    assert not verify(signed(), {"dst": float("nan")}, KEY)
    with pytest.raises(InvalidInput, match="policy entry"):
        signed({"dst": {"a", "b"}})


def test_naive_expiry_is_refused() -> None:
    with pytest.raises(InvalidInput, match="naive"):
        sign(MarkerKind.GRANT, ID, EXPIRES.replace(tzinfo=None), ENTRY, KEY)


def test_fractional_expiry_is_refused() -> None:
    """Rounding either way would sign a time other than the one asked for."""
    with pytest.raises(InvalidInput, match="whole seconds"):
        sign(MarkerKind.GRANT, ID, EXPIRES.replace(microsecond=1), ENTRY, KEY)


@pytest.mark.parametrize("key", [b"", b"short"])
def test_a_short_key_is_refused_without_showing_it(key: bytes) -> None:
    with pytest.raises(InvalidInput, match=f"{len(key)} bytes") as caught:
        sign(MarkerKind.GRANT, ID, EXPIRES, ENTRY, key)
    assert "short" not in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"mac": "5f0c */ mallory"},
        {"mac": "a" * 31 + "\n"},
        {"grant_id": "G7KQ2M3X\n"},  # a plain str, not a parsed GrantId
        {"kind": "grant */"},
    ],
)
def test_fields_outside_their_grammar_are_refused(changes: dict[str, Any]) -> None:
    """Nothing that could close a comment or break a line gets into a Marker."""
    with pytest.raises(InvalidInput):
        dataclasses.replace(signed(), **changes)


def test_a_marker_is_never_longer_than_one_line_and_never_closes_a_comment() -> None:
    text = signed().text()

    assert "\n" not in text
    assert "\r" not in text
    assert "*/" not in text


grant_ids = st.text(alphabet=CROCKFORD_ALPHABET, min_size=8, max_size=8).map(GrantId.parse)
expiries = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
).map(lambda d: d.replace(microsecond=0))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=50, deadline=None)
@given(
    kind=st.sampled_from(MarkerKind),
    grant_id=grant_ids,
    expires=expiries,
    entry=json_values,
    key=st.binary(min_size=16, max_size=64),
)
def test_property_sign_text_parse_verify_round_trip(
    kind: MarkerKind, grant_id: GrantId, expires: datetime, entry: object, key: bytes
) -> None:
    marker = sign(kind, grant_id, expires, entry, key)
    text = marker.text()

    parsed = parse_marker(text)

    assert parsed == marker
    assert isinstance(parsed, Marker)
    assert parsed.text() == text
    assert verify(parsed, entry, key)
    assert "\n" not in text
    assert "*/" not in text
