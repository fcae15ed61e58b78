"""Collecting tailjit's marked entries from a live policy file and deciding which to trust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tailjit.errors import InvalidInput
from tailjit.hujson import Value, parse
from tailjit.ids import GrantId
from tailjit.plan import LiveEntries, MarkerKind, collect_live, json_pointer, sign

KEY = b"k" * 32
OTHER_KEY = b"K" * 32
ID = GrantId.parse("G7KQ2M3X")
OTHER_ID = GrantId.parse("H8MR3N4Y")
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
GRANT: dict[str, Any] = {"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}
POSTURE = [f"{ID.attribute_key} == true"]

BASE = """{
  // humans wrote this
  "grants": [
    {"src": ["group:eng"], "dst": ["tag:dev"], "ip": ["*"]},
  ],
  "postures": {
    "posture:latest": ["node:tsReleaseTrack == 'stable'"],
  },
}
"""


def grant_marker(entry: object = GRANT, expires: datetime = LATER, key: bytes = KEY) -> str:
    return sign(MarkerKind.GRANT, ID, expires, entry, key).text()


def with_grant(policy: Value, entry: object = GRANT, expires: datetime = LATER) -> Value:
    return policy.append("/grants", entry, comments=[grant_marker(entry, expires)])


def collect(policy: Value | str) -> LiveEntries:
    tree = parse(policy) if isinstance(policy, str) else policy
    return collect_live(tree, key=KEY, now=NOW)


def test_appended_grant_is_owned() -> None:
    """A grant tailjit appended with its marker is found, verified and not yet expired."""
    live = collect(with_grant(parse(BASE)))

    (entry,) = live.entries
    assert (entry.kind, entry.grant_id, entry.expires) == (MarkerKind.GRANT, ID, LATER)
    assert (entry.pointer, entry.status, entry.reason) == ("/grants/1", "owned", "")
    assert entry.value == GRANT
    assert live.human == ("/grants/0", "/postures/posture:latest")


def test_grant_expiring_now_is_expired() -> None:
    """``expires <= now`` is expired: the boundary itself counts."""
    live = collect(with_grant(parse(BASE), expires=NOW))

    assert [e.status for e in live.entries] == ["expired"]


def test_appended_posture_is_owned() -> None:
    marker = sign(MarkerKind.POSTURE, ID, LATER, POSTURE, KEY).text()
    policy = parse(BASE).set_member("/postures", ID.posture_name, POSTURE, comments=[marker])

    (entry,) = collect(policy).entries

    assert entry.kind is MarkerKind.POSTURE
    assert entry.pointer == "/postures/posture:tailjit_G7KQ2M3X"
    assert (entry.status, entry.value) == ("owned", POSTURE)


def test_posture_under_another_name_is_forged() -> None:
    """The MAC covers the posture's value only, so its name must match the marker's id."""
    marker = sign(MarkerKind.POSTURE, ID, LATER, POSTURE, KEY).text()
    name = OTHER_ID.posture_name
    policy = parse(BASE).set_member("/postures", name, POSTURE, comments=[marker])

    (entry,) = collect(policy).entries

    assert entry.status == "forged"
    assert "posture name" in entry.reason


def test_grant_marker_on_a_posture_is_forged() -> None:
    marker = sign(MarkerKind.GRANT, ID, LATER, POSTURE, KEY).text()
    policy = parse(BASE).set_member("/postures", ID.posture_name, POSTURE, comments=[marker])

    assert [e.status for e in collect(policy).entries] == ["forged"]


def test_widened_entry_is_forged() -> None:
    """Editing a signed entry by hand (dst widened to "*") breaks its MAC."""
    policy = with_grant(parse(BASE))
    policy = policy.replace("/grants/1/dst", ["*"])

    (entry,) = collect(policy).entries

    assert entry.status == "forged"
    assert entry.reason == "MAC does not match the entry"
    assert entry.value == {**GRANT, "dst": ["*"]}


def test_far_future_expiry_with_wrong_mac_is_forged_not_owned() -> None:
    """A hand-made "tailjit" entry that claims to last forever is never trusted."""
    far = datetime(2999, 1, 1, tzinfo=UTC)
    policy = parse(BASE).append(
        "/grants", GRANT, comments=[grant_marker(expires=far, key=OTHER_KEY)]
    )

    (entry,) = collect(policy).entries

    assert (entry.status, entry.expires) == ("forged", far)


def test_marker_copied_onto_another_expiry_is_forged() -> None:
    """Changing only the marker's expiry (keeping its MAC) is caught too."""
    text = grant_marker().replace("exp=2026-11-21T13:00:00Z", "exp=2999-01-01T00:00:00Z")
    policy = parse(BASE).append("/grants", GRANT, comments=[text])

    assert [e.status for e in collect(policy).entries] == ["forged"]


@pytest.mark.parametrize(
    "comment",
    [
        "// tailjit:grant id=G7KQ2M3X exp=2999-01-01T00:00:00Z mac=nope",
        "// TAILJIT:grant id=G7KQ2M3X",
        "/* tailjit:grant whatever */",
        "// tailjit:revoke id=G7KQ2M3X exp=2999-01-01T00:00:00Z mac=" + "0" * 32,
    ],
)
def test_malformed_marker_is_forged(comment: str) -> None:
    policy = parse(BASE).append("/grants", GRANT, comments=[comment])

    (entry,) = collect(policy).entries

    assert (entry.status, entry.grant_id, entry.expires) == ("forged", None, None)
    assert entry.reason


def test_human_entries_and_comments_are_ignored() -> None:
    text = """{
  "grants": [
    // a human's note
    {"src": ["a@example.com"], "dst": ["tag:x"], "ip": ["*"]},
    /* another */ {"src": ["b@example.com"], "dst": ["tag:y"], "ip": ["*"]},
    {"src": ["c@example.com"], "dst": ["tag:z"], "ip": ["*"]}, // a tailjit-ish word
  ],
}"""
    live = collect(text)

    assert live.entries == ()
    assert live.human == ("/grants/0", "/grants/1", "/grants/2")


def test_marker_followed_by_a_human_comment_is_not_attached() -> None:
    """Only the last comment above an entry can mark it."""
    text = f"""{{
  "grants": [
    {grant_marker()}
    // a human's note
    {{"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}},
  ],
}}"""
    live = collect(text)

    assert (live.entries, live.human) == ((), ("/grants/0",))


def test_text_policy_with_marker_is_owned() -> None:
    text = f"""{{
  "grants": [
    {grant_marker()}
    {{
      "src": ["alice@example.com"],
      "dst": ["tag:prod"],
      "ip":  ["tcp:5432"],
    }},
  ],
}}"""
    assert [(e.pointer, e.status) for e in collect(text).entries] == [("/grants/0", "owned")]


@pytest.mark.parametrize(
    "gap",
    [
        pytest.param("\n    {marker}\n\n    ", id="blank line below"),
        pytest.param(" {marker}\n    ", id="same line as the previous entry"),
    ],
)
def test_detached_marker_is_forged(gap: str) -> None:
    """A marker that does not sit on its own line right above the entry belongs to no entry."""
    entry = '{"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}'
    human = '{"src": ["group:eng"], "dst": ["tag:dev"], "ip": ["*"]}'
    text = '{"grants": [\n    ' + human + "," + gap.format(marker=grant_marker()) + entry + "\n]}"

    live = collect(text)

    (found,) = live.entries
    assert (found.pointer, found.status, found.reason) == ("/grants/1", "forged", "detached marker")
    assert live.human == ("/grants/0",)


@pytest.mark.parametrize(
    "text",
    ["{}", '{"acls": []}', '{"grants": {}, "postures": []}', "[]", '"grants"', "{\n  // c\n}"],
)
def test_no_grants_or_postures_means_no_entries(text: str) -> None:
    assert collect(text) == LiveEntries((), ())


def test_crlf_file() -> None:
    """Markers in a CRLF file are read without the CR and still verify."""
    text = f"""{{
  "grants": [
    {{"src": ["group:eng"], "dst": ["tag:dev"], "ip": ["*"]}},
    {grant_marker()}
    {{"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}},
  ],
  "postures": {{
    {sign(MarkerKind.POSTURE, ID, LATER, POSTURE, KEY).text()}
    "{ID.posture_name}": ["{ID.attribute_key} == true"],
  }},
}}
""".replace("\n", "\r\n")
    live = collect(text)

    assert [(e.pointer, e.status) for e in live.entries] == [
        ("/grants/1", "owned"),
        ("/postures/posture:tailjit_G7KQ2M3X", "owned"),
    ]
    assert live.human == ("/grants/0",)


def test_appended_to_crlf_file() -> None:
    policy = with_grant(parse(BASE.replace("\n", "\r\n")))

    assert [e.status for e in collect(policy).entries] == ["owned"]


def test_entries_are_in_file_order() -> None:
    policy = with_grant(parse(BASE))
    policy = policy.append("/grants", {"src": ["x@example.com"], "dst": ["*"], "ip": ["*"]})
    policy = with_grant(policy, expires=NOW - timedelta(days=1))

    live = collect(policy)

    assert [(e.pointer, e.status) for e in live.entries] == [
        ("/grants/1", "owned"),
        ("/grants/3", "expired"),
    ]
    assert live.with_status("expired") == (live.entries[1],)
    assert live.human == ("/grants/0", "/grants/2", "/postures/posture:latest")


def test_pointer_escapes_per_rfc_6901() -> None:
    assert json_pointer("postures", "a/b~c", 3) == "/postures/a~1b~0c/3"


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInput):
        collect_live(parse(BASE), key=KEY, now=NOW.replace(tzinfo=None))
