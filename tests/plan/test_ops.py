"""Planning the reconcile loop's operations and applying the policy ones to a tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailjit.errors import InvalidInput
from tailjit.hujson import Value, parse
from tailjit.ids import GrantId, Login
from tailjit.plan import (
    CONTAINER_MARKER,
    AddEntries,
    DeleteAttribute,
    DesiredGrant,
    LiveEntries,
    MarkerKind,
    Op,
    RemoveEntry,
    SetAttribute,
    apply,
    collect_live,
    grant_entry,
    plan,
    posture_entry,
    sign,
)
from tailjit.requests import GrantMode
from tailjit.targets import parse_target

KEY = b"k" * 32
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
IN_1H = NOW + timedelta(hours=1)
IN_2H = NOW + timedelta(hours=2)
ID_A = GrantId.parse("G7KQ2M3X")
ID_B = GrantId.parse("H8MR3N4Y")
ID_C = GrantId.parse("J9NS4P5Z")
ALICE = Login("alice@example.com")

POLICY = """{
  // Humans wrote this; tailjit must leave every byte of it alone.
  "grants": [
    // engineers reach dev
    {"src": ["group:eng"], "dst": ["tag:dev"], "ip": ["*"]},
  ],
  /* postures, also by hand */
  "postures": {
    "posture:latest": ["node:tsReleaseTrack == 'stable'"], // keep current
  },
}
"""

Attributes = Mapping[str, Mapping[str, datetime | None]]


def desired(
    grant_id: GrantId = ID_A,
    *,
    mode: GrantMode = GrantMode.POLICY_POSTURE,
    target: str = "tcp:db-prod:5432",
    expires: datetime = IN_1H,
    devices: tuple[str, ...] = ("n1",),
    attribute: str | None = None,
) -> DesiredGrant:
    return DesiredGrant(grant_id, ALICE, parse_target(target), expires, mode, devices, attribute)


def live_of(tree: Value, now: datetime = NOW) -> LiveEntries:
    return collect_live(tree, key=KEY, now=now)


def applied(grants: Sequence[DesiredGrant], tree: Value | None = None) -> Value:
    """``tree`` (default POLICY) with ``grants`` written by plan and apply."""
    tree = parse(POLICY) if tree is None else tree
    return apply(tree, plan(grants, live_of(tree), {}, now=NOW), key=KEY)


def policy_ops(ops: Sequence[Op]) -> list[Op]:
    return [op for op in ops if isinstance(op, AddEntries | RemoveEntry)]


# --- entries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "ip"),
    [
        ("tcp:db-prod:5432", "tcp:5432"),
        ("tcp:tag:prod:8000-8100", "tcp:8000-8100"),
        ("db-prod:5432", "5432"),
        ("10.0.0.0/24:*", "*"),
        ("udp:[fd7a::1]:53", "udp:53"),
        ("icmp:db-prod:*", "icmp:*"),
    ],
)
def test_grant_entry_ip_follows_the_grants_grammar(target: str, ip: str) -> None:
    """``ip`` is ``proto:ports`` with a protocol, bare ports without, ``*`` for every port."""
    assert grant_entry(desired(target=target))["ip"] == [ip]


def test_grant_entry_in_policy_posture_mode_requires_the_grants_posture() -> None:
    assert grant_entry(desired()) == {
        "src": ["alice@example.com"],
        "dst": ["db-prod"],
        "ip": ["tcp:5432"],
        "srcPosture": ["posture:tailjit_G7KQ2M3X"],
    }


def test_grant_entry_in_policy_mode_has_no_posture() -> None:
    entry = grant_entry(desired(mode=GrantMode.POLICY, target="tag:prod:443"))
    assert entry == {"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["443"]}


def test_posture_entry_tests_the_grants_attribute() -> None:
    assert posture_entry(desired()) == (
        "posture:tailjit_G7KQ2M3X",
        ["custom:tailjit_G7KQ2M3X == true"],
    )


def test_posture_mode_needs_an_attribute() -> None:
    with pytest.raises(InvalidInput):
        desired(mode=GrantMode.POSTURE)


# --- plan ---------------------------------------------------------------------------------------


def test_plan_adds_a_missing_grant_and_sets_its_attribute() -> None:
    grant = desired()
    ops = plan([grant], live_of(parse(POLICY)), {}, now=NOW)
    assert ops == (AddEntries(grant), SetAttribute("n1", ID_A.attribute_key, True, IN_1H))


def test_plan_keeps_what_is_already_there() -> None:
    grant = desired()
    tree = applied([grant])
    attributes = {"n1": {ID_A.attribute_key: IN_1H}}
    assert plan([grant], live_of(tree), attributes, now=NOW) == ()


def test_plan_removes_expired_entries_at_their_expiry() -> None:
    """At exactly the expiry the grant is no longer active and both entries go, grant first."""
    grant = desired()
    tree = applied([grant])
    ops = plan([grant], live_of(tree, IN_1H), {}, now=IN_1H)
    assert ops == (
        RemoveEntry("/grants/1", ID_A, "expired"),
        RemoveEntry("/postures/posture:tailjit_G7KQ2M3X", ID_A, "expired"),
    )


def test_plan_one_second_before_expiry_keeps_the_entries() -> None:
    grant = desired()
    tree = applied([grant])
    just_before = IN_1H - timedelta(seconds=1)
    attributes = {"n1": {ID_A.attribute_key: IN_1H}}
    assert plan([grant], live_of(tree, just_before), attributes, now=just_before) == ()


def test_plan_removes_a_forged_entry() -> None:
    """A tailjit-looking entry whose MAC does not match is removed, whatever it claims."""
    forged = {"src": ["mallory@example.com"], "dst": ["*"], "ip": ["*"]}
    marker = sign(MarkerKind.GRANT, ID_B, IN_2H, grant_entry(desired(ID_B)), KEY).text()
    tree = parse(POLICY).append("/grants", forged, comments=[marker])
    ops = plan([desired(ID_B)], live_of(tree), {}, now=NOW)
    assert ops[0] == RemoveEntry("/grants/1", ID_B, "forged: MAC does not match the entry")
    assert ops[1] == AddEntries(desired(ID_B))


def test_plan_removes_entries_of_grants_no_longer_desired() -> None:
    tree = applied([desired(ID_A), desired(ID_B, mode=GrantMode.POLICY)])
    ops = plan([desired(ID_A)], live_of(tree), {"n1": {ID_A.attribute_key: IN_1H}}, now=NOW)
    assert ops == (RemoveEntry("/grants/2", ID_B, "not desired"),)


def test_plan_replaces_entries_whose_expiry_changed() -> None:
    """An extended grant is removed and written again with its new expiry and attribute."""
    tree = applied([desired()])
    extended = desired(expires=IN_2H)
    ops = plan([extended], live_of(tree), {"n1": {ID_A.attribute_key: IN_1H}}, now=NOW)
    assert ops == (
        RemoveEntry("/grants/1", ID_A, "expiry changed"),
        RemoveEntry("/postures/posture:tailjit_G7KQ2M3X", ID_A, "expiry changed"),
        AddEntries(extended),
        SetAttribute("n1", ID_A.attribute_key, True, IN_2H),
    )


def test_plan_rewrites_a_grant_whose_posture_entry_is_missing() -> None:
    tree = applied([desired()]).remove("/postures/posture:tailjit_G7KQ2M3X")
    ops = plan([desired()], live_of(tree), {"n1": {ID_A.attribute_key: IN_1H}}, now=NOW)
    assert ops == (
        RemoveEntry("/grants/1", ID_A, "incomplete: the grant's other entry is missing"),
        AddEntries(desired()),
    )


def test_plan_deletes_orphan_tailjit_attributes_only() -> None:
    """A ``custom:tailjit_*`` attribute no active grant accounts for is deleted; others stay."""
    attributes = {
        "n2": {ID_C.attribute_key: IN_1H, "custom:team": None},
        "n1": {ID_B.attribute_key: None},
    }
    ops = plan([], live_of(parse(POLICY)), attributes, now=NOW)
    assert ops == (
        DeleteAttribute("n1", ID_B.attribute_key, "no active grant"),
        DeleteAttribute("n2", ID_C.attribute_key, "no active grant"),
    )


def test_posture_mode_writes_no_entries_only_the_static_attribute() -> None:
    grant = desired(mode=GrantMode.POSTURE, devices=("n2", "n1"), attribute="custom:jit_db")
    ops = plan([grant], live_of(parse(POLICY)), {"n1": {"custom:jit_db": IN_1H}}, now=NOW)
    assert ops == (SetAttribute("n2", "custom:jit_db", True, IN_1H),)


def test_policy_mode_sets_no_attribute() -> None:
    grant = desired(mode=GrantMode.POLICY)
    assert plan([grant], live_of(parse(POLICY)), {}, now=NOW) == (AddEntries(grant),)


def test_a_desired_grant_past_its_expiry_is_not_written() -> None:
    grant = desired(expires=NOW)
    assert plan([grant], live_of(parse(POLICY)), {}, now=NOW) == ()


def test_plan_refuses_two_desired_grants_with_one_id() -> None:
    with pytest.raises(InvalidInput):
        plan([desired(), desired(expires=IN_2H)], live_of(parse(POLICY)), {}, now=NOW)


def test_plan_does_not_depend_on_the_order_of_desired_grants() -> None:
    grants = [desired(ID_C), desired(ID_A, devices=("n2",)), desired(ID_B, mode=GrantMode.POLICY)]
    live = live_of(parse(POLICY))
    assert plan(grants, live, {}, now=NOW) == plan(grants[::-1], live, {}, now=NOW)


# --- apply --------------------------------------------------------------------------------------


def test_applied_entries_are_collected_as_exactly_the_desired_grants() -> None:
    grants = [desired(ID_A), desired(ID_B, mode=GrantMode.POLICY, target="tag:prod:22")]
    live = live_of(applied(grants))

    assert all(entry.status == "owned" for entry in live.entries)
    found = {(e.kind, e.grant_id, e.expires, str(e.value)) for e in live.entries}
    assert found == {
        (MarkerKind.GRANT, ID_A, IN_1H, str(grant_entry(grants[0]))),
        (MarkerKind.POSTURE, ID_A, IN_1H, str(posture_entry(grants[0])[1])),
        (MarkerKind.GRANT, ID_B, IN_1H, str(grant_entry(grants[1]))),
    }
    assert live.human == ("/grants/0", "/postures/posture:latest")


def test_add_then_remove_restores_the_original_bytes() -> None:
    original = parse(POLICY)
    added = applied([desired(ID_A), desired(ID_B, mode=GrantMode.POLICY)], original)
    assert added.pack() != original.pack()

    removed = apply(added, plan([], live_of(added), {}, now=NOW), key=KEY)
    assert removed.pack() == POLICY.encode()


def test_apply_leaves_its_input_tree_alone() -> None:
    original = parse(POLICY)
    applied([desired()], original)
    assert original.pack() == POLICY.encode()


def test_many_adds_in_one_apply() -> None:
    ids = [GrantId.parse(f"A{n:07d}") for n in range(12)]
    grants = [desired(gid, expires=IN_1H + timedelta(minutes=n)) for n, gid in enumerate(ids)]
    tree = applied(grants)

    live = live_of(tree)
    assert len(live.with_status("owned")) == 24
    assert [e.grant_id for e in live.entries if e.kind is MarkerKind.GRANT] == ids
    attributes = {"n1": {gid.attribute_key: g.expires for gid, g in zip(ids, grants, strict=True)}}
    assert plan(grants, live, attributes, now=NOW) == ()


def test_apply_creates_grants_and_postures_when_absent() -> None:
    tree = applied([desired()], parse('{\n  // no grants yet\n  "acls": [],\n}\n'))
    live = live_of(tree)
    assert [(e.pointer, e.status) for e in live.entries] == [
        ("/grants/0", "owned"),
        ("/postures/posture:tailjit_G7KQ2M3X", "owned"),
    ]
    assert tree.pack().startswith(b'{\n  // no grants yet\n  "acls": [],\n')


@pytest.mark.parametrize(
    "source",
    [
        '{\n  // no grants yet\n  "acls": [],\n}\n',
        '{"acls":[]}',
        '{\n\t"hosts": {"db-prod": "100.64.0.5"}, // hand\n}\n',
    ],
)
def test_containers_tailjit_created_go_when_their_last_entry_goes(source: str) -> None:
    added = applied([desired(), desired(ID_B, mode=GrantMode.POLICY)], parse(source))
    assert added.pack().count(CONTAINER_MARKER.encode()) == 2

    removed = apply(added, plan([], live_of(added), {}, now=NOW), key=KEY)
    assert removed.pack() == source.encode()


def test_a_human_container_stays_when_emptied() -> None:
    source = '{\n  "grants": [],\n  "postures": {},\n}\n'
    added = applied([desired()], parse(source))
    assert CONTAINER_MARKER.encode() not in added.pack()
    assert apply(added, plan([], live_of(added), {}, now=NOW), key=KEY).pack() == source.encode()


def test_a_tailjit_container_a_human_added_to_stays() -> None:
    added = applied([desired(mode=GrantMode.POLICY)], parse('{"acls": []}'))
    mine = added.append("/grants", {"src": ["bob@example.com"], "dst": ["tag:dev"], "ip": ["*"]})
    removed = apply(mine, plan([], live_of(mine), {}, now=NOW), key=KEY)
    assert removed.find("/grants/0") is not None
    assert "bob@example.com" in removed.pack().decode()


def test_apply_removes_many_entries_keeping_indices_valid() -> None:
    """Removals run last index first, so removing /grants/1 never shifts /grants/3."""
    grants = [desired(ID_A), desired(ID_B), desired(ID_C)]
    tree = applied(grants)
    ops = plan([grants[1]], live_of(tree), {}, now=NOW)
    live = live_of(apply(tree, ops, key=KEY))
    assert {e.grant_id for e in live.entries} == {ID_B}


def test_apply_refuses_a_grants_member_that_is_not_an_array() -> None:
    with pytest.raises(InvalidInput):
        applied([desired()], parse('{"grants": {}}'))


def test_apply_ignores_attribute_operations() -> None:
    tree = parse(POLICY)
    ops = [SetAttribute("n1", "custom:x", True, IN_1H), DeleteAttribute("n1", "custom:y", "r")]
    assert apply(tree, ops, key=KEY).pack() == POLICY.encode()


# --- fixpoint -----------------------------------------------------------------------------------

_IDS = [ID_A, ID_B, ID_C, GrantId.parse("K0PT5Q6A")]
_TARGETS = ["tcp:db-prod:5432", "tag:prod:8000-8100", "10.0.0.0/24:*", "udp:[fd7a::1]:53"]


@st.composite
def desired_sets(draw: st.DrawFn) -> list[DesiredGrant]:
    ids = draw(st.lists(st.sampled_from(_IDS), unique=True, max_size=4))
    grants = []
    for gid in ids:
        mode = draw(st.sampled_from(list(GrantMode)))
        grants.append(
            desired(
                gid,
                mode=mode,
                target=draw(st.sampled_from(_TARGETS)),
                expires=NOW + timedelta(minutes=draw(st.integers(-5, 120))),
                devices=tuple(draw(st.lists(st.sampled_from(["n1", "n2"]), unique=True))),
                attribute="custom:jit_static" if mode is GrantMode.POSTURE else None,
            )
        )
    return grants


def _with_attribute_ops(attributes: Attributes, ops: Sequence[Op]) -> Attributes:
    result = {device: dict(keys) for device, keys in attributes.items()}
    for op in ops:
        if isinstance(op, SetAttribute):
            result.setdefault(op.device_id, {})[op.key] = op.expiry
        elif isinstance(op, DeleteAttribute):
            del result[op.device_id][op.key]
    return result


@settings(max_examples=60, deadline=None)
@given(before=desired_sets(), after=desired_sets(), minutes=st.integers(0, 130))
def test_plan_of_applied_plan_is_a_fixpoint(
    before: list[DesiredGrant], after: list[DesiredGrant], minutes: int
) -> None:
    """From any state tailjit wrote earlier, one plan+apply reaches the desired state: planning
    again (same inputs, same ``now``) finds nothing left to do, for the policy or attributes."""
    start_ops = plan(before, live_of(parse(POLICY)), {}, now=NOW)
    tree = apply(parse(POLICY), start_ops, key=KEY)
    attributes = _with_attribute_ops({}, start_ops)

    now = NOW + timedelta(minutes=minutes)
    later = [replace(g, expires=g.expires + timedelta(minutes=minutes)) for g in after]
    ops = plan(later, live_of(tree, now), attributes, now=now)
    tree = apply(tree, ops, key=KEY)
    attributes = _with_attribute_ops(attributes, ops)

    again = plan(later, live_of(tree, now), attributes, now=now)
    assert policy_ops(again) == []
    assert again == ()
    assert live_of(tree, now).human == ("/grants/0", "/postures/posture:latest")
