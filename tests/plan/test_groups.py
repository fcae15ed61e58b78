"""Group sync: who belongs, the group marker, planning against the live file, and applying."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailjit.errors import InvalidInput
from tailjit.hujson import Value, parse
from tailjit.ids import GrantId, GroupName, Login
from tailjit.plan import (
    CONTAINER_MARKER,
    GROUP_MARKER_PREFIX,
    MAC_HEX_DIGITS,
    AddEntries,
    DesiredGrant,
    GroupSync,
    MarkerKind,
    RemoveEntry,
    SyncGroup,
    apply,
    apply_groups,
    collect_live,
    desired_members,
    grant_entry,
    group_marker,
    plan,
    plan_groups,
)
from tailjit.requests import GrantMode
from tailjit.targets import parse_target

KEY = b"k" * 32
OTHER_KEY = b"K" * 32
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
ONCALL = GroupName("group:oncall")
ENG = GroupName("group:eng")
NEW = GroupName("group:new")
ALICE, BOB, CAROL, DAVE, MALLORY = (
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "mallory@example.com",
)

HUMAN = """{
  // Humans wrote this file.
  "groups": {
    // the on-call rota
    // (ask #ops before editing)
    "group:oncall": ["bob@example.com", "alice@example.com"],
    "group:eng": ["carol@example.com"], // eng, same line
  },
  "acls": [],
}
"""


def owned(
    name: str, members: Sequence[str], *, key: bytes = KEY, mac_over: Sequence[str] | None = None
) -> str:
    """HUMAN with group ``name`` holding ``members`` behind a marker signed over ``mac_over``
    (default: the members themselves), below its human comments."""
    marker = group_marker(name, members if mac_over is None else mac_over, key)
    entry = ", ".join(f'"{m}"' for m in members)
    if name == ONCALL:
        return HUMAN.replace(
            '    "group:oncall": ["bob@example.com", "alice@example.com"],',
            f'    {marker}\n    "group:oncall": [{entry}],',
        )
    return HUMAN.replace("  },\n", f'    {marker}\n    "{name}": [{entry}],\n  }},\n')


def sync(
    name: GroupName = ONCALL,
    reported: Mapping[str, bool] | None = None,
    *,
    deactivated: Sequence[str] = (),
    baseline: Sequence[str] | None = None,
) -> GroupSync:
    return GroupSync(
        name,
        dict(reported or {}),
        frozenset(deactivated),
        None if baseline is None else tuple(baseline),
    )


def planned(source: str | Value, *synced: GroupSync) -> tuple[SyncGroup, ...]:
    tree = parse(source) if isinstance(source, str) else source
    return plan_groups(tree, synced, key=KEY)[0]


def synced_once(source: str, *synced: GroupSync) -> Value:
    tree = parse(source)
    return apply_groups(tree, planned(tree, *synced), key=KEY)


# --- desired_members ---------------------------------------------------------------------------


def test_desired_keeps_the_baseline_order_and_sorts_the_newcomers() -> None:
    got = desired_members([BOB, ALICE], {DAVE: True, CAROL: True, ALICE: True})
    assert got == (BOB, ALICE, CAROL, DAVE)


def test_desired_drops_who_was_reported_out_and_keeps_the_unreported() -> None:
    assert desired_members([BOB, ALICE, CAROL], {ALICE: False}) == (BOB, CAROL)


def test_desired_drops_the_deactivated_from_baseline_and_newcomers() -> None:
    got = desired_members([BOB, ALICE], {CAROL: True, DAVE: True}, deactivated={ALICE, DAVE})
    assert got == (BOB, CAROL)


def test_desired_lists_each_member_once() -> None:
    assert desired_members([BOB, ALICE, BOB], {ALICE: True, CAROL: True}) == (BOB, ALICE, CAROL)


def test_desired_of_nothing_is_no_one() -> None:
    assert desired_members([], {ALICE: False}) == ()


@settings(max_examples=100, deadline=None)
@given(
    baseline=st.lists(st.sampled_from([ALICE, BOB, CAROL, DAVE, MALLORY])),
    reported=st.dictionaries(st.sampled_from([ALICE, BOB, CAROL, DAVE, MALLORY]), st.booleans()),
    deactivated=st.sets(st.sampled_from([ALICE, BOB, CAROL, DAVE, MALLORY])),
)
def test_desired_is_exactly_who_should_belong(
    baseline: list[str], reported: dict[str, bool], deactivated: set[str]
) -> None:
    got = desired_members(baseline, reported, deactivated)
    assert len(got) == len(set(got))
    expected = (
        {m for m in baseline if reported.get(m, True)} | {m for m, v in reported.items() if v}
    ) - deactivated
    assert set(got) == expected


# --- the marker --------------------------------------------------------------------------------


def test_marker_is_the_documented_line() -> None:
    marker = group_marker(ONCALL, [ALICE, BOB], KEY)
    assert marker.startswith(GROUP_MARKER_PREFIX)
    assert re.fullmatch(rf"// tailjit:group mac=[0-9a-f]{{{MAC_HEX_DIGITS}}}", marker)
    assert marker == group_marker(ONCALL, (ALICE, BOB), KEY)


@pytest.mark.parametrize(
    ("name", "members", "key"),
    [
        (ENG, [ALICE, BOB], KEY),  # another group
        (ONCALL, [BOB, ALICE], KEY),  # the order matters
        (ONCALL, [ALICE, CAROL], KEY),  # a member changed
        (ONCALL, [ALICE], KEY),  # a member less
        (ONCALL, [ALICE, BOB, CAROL], KEY),  # a member more
        (ONCALL, [ALICE, BOB], OTHER_KEY),  # another key
    ],
)
def test_marker_differs_for_anything_else(name: str, members: list[str], key: bytes) -> None:
    assert group_marker(name, members, key) != group_marker(ONCALL, [ALICE, BOB], KEY)


def test_marker_refuses_a_short_key() -> None:
    with pytest.raises(InvalidInput):
        group_marker(ONCALL, [ALICE], b"short")


# --- plan_groups -------------------------------------------------------------------------------


def test_an_absent_group_with_a_kept_baseline_was_deleted_by_hand() -> None:
    ops = planned(HUMAN, sync(NEW, {CAROL: True}, baseline=[DAVE]))
    assert ops == (SyncGroup(NEW, (DAVE, CAROL), "deleted", None, (DAVE,)),)


def test_an_absent_group_with_members_is_missing() -> None:
    ops, baselines = plan_groups(parse(HUMAN), [sync(NEW, {ALICE: True})], key=KEY)
    assert ops == (SyncGroup(NEW, (ALICE,), "missing", None, ()),)
    assert baselines == {}


@pytest.mark.parametrize("source", [HUMAN, '{\n  "acls": [],\n}\n'])
def test_an_absent_group_with_no_members_is_left_absent(source: str) -> None:
    assert planned(source, sync(NEW, {ALICE: False}), sync(GroupName("group:x"))) == ()


def test_a_hand_written_group_is_adopted_with_its_members_as_baseline() -> None:
    ops, baselines = plan_groups(parse(HUMAN), [sync(ONCALL, {CAROL: True})], key=KEY)
    assert ops == (SyncGroup(ONCALL, (BOB, ALICE, CAROL), "adopted", (BOB, ALICE), (BOB, ALICE)),)
    assert baselines == {ONCALL: (BOB, ALICE)}


def test_adopting_drops_who_was_reported_out_and_keeps_the_unreported() -> None:
    ops = planned(HUMAN, sync(ONCALL, {BOB: False}))
    assert ops == (SyncGroup(ONCALL, (ALICE,), "adopted", (BOB, ALICE), (BOB, ALICE)),)


def test_an_unchanged_hand_written_group_is_still_adopted() -> None:
    """Adopting writes the marker even when the members stay the same."""
    assert planned(HUMAN, sync(ONCALL)) == (
        SyncGroup(ONCALL, (BOB, ALICE), "adopted", (BOB, ALICE), (BOB, ALICE)),
    )


def test_an_owned_group_with_the_same_members_needs_nothing() -> None:
    ops, baselines = plan_groups(parse(owned(ONCALL, [BOB, ALICE])), [sync(ONCALL)], key=KEY)
    assert ops == ()
    assert baselines == {ONCALL: (BOB, ALICE)}


def test_an_owned_group_in_unsorted_file_order_does_not_churn() -> None:
    """The sources report the same people; the file's order (not sorted) stands."""
    source = owned(ONCALL, [DAVE, BOB, ALICE])
    reported = {ALICE: True, BOB: True, DAVE: True}
    assert planned(source, sync(ONCALL, reported)) == ()
    assert planned(source, sync(ONCALL, reported, baseline=[])) == ()
    assert planned(source, sync(ONCALL, reported, baseline=[ALICE])) == ()


def test_a_new_reported_member_changes_an_owned_group() -> None:
    ops = planned(owned(ONCALL, [BOB, ALICE]), sync(ONCALL, {CAROL: True}))
    assert ops == (SyncGroup(ONCALL, (BOB, ALICE, CAROL), "changed", (BOB, ALICE), (BOB, ALICE)),)


def test_a_member_reported_out_changes_an_owned_group() -> None:
    ops = planned(owned(ONCALL, [BOB, ALICE]), sync(ONCALL, {BOB: False}))
    assert ops == (SyncGroup(ONCALL, (ALICE,), "changed", (BOB, ALICE), (BOB, ALICE)),)


def test_a_hand_added_member_is_altered_back_to_the_stored_baseline() -> None:
    """The marker was signed over [alice]; someone added mallory by hand."""
    source = owned(ONCALL, [ALICE, MALLORY], mac_over=[ALICE])
    ops = planned(source, sync(ONCALL, {BOB: True}, baseline=[ALICE]))
    assert ops == (SyncGroup(ONCALL, (ALICE, BOB), "altered", (ALICE, MALLORY), (ALICE,)),)


def test_an_altered_group_with_no_stored_baseline_starts_from_no_one() -> None:
    """Fail closed: the edited entry is not trusted as a baseline."""
    source = owned(ONCALL, [ALICE, MALLORY], mac_over=[ALICE])
    ops, baselines = plan_groups(parse(source), [sync(ONCALL, {BOB: True})], key=KEY)
    assert ops == (SyncGroup(ONCALL, (BOB,), "altered", (ALICE, MALLORY), ()),)
    assert baselines == {ONCALL: ()}
    assert planned(source, sync(ONCALL)) == (
        SyncGroup(ONCALL, (), "altered", (ALICE, MALLORY), ()),
    )


@pytest.mark.parametrize(
    "source",
    [
        owned(ONCALL, [BOB, ALICE], key=OTHER_KEY),  # signed with another key
        owned(ONCALL, [BOB, ALICE], mac_over=[ALICE, BOB]),  # signed over another order
        HUMAN.replace(  # not a MAC at all
            '    "group:oncall"', '    // tailjit:group mac=nothex\n    "group:oncall"'
        ),
    ],
)
def test_a_marker_that_fails_is_altered(source: str) -> None:
    ops = planned(source, sync(ONCALL, baseline=[BOB]))
    assert [(op.name, op.reason, op.members) for op in ops] == [(ONCALL, "altered", (BOB,))]


@pytest.mark.parametrize("value", ['"alice@example.com"', '["alice@example.com", 1]', "{}", "null"])
def test_a_marked_value_that_is_not_a_list_of_strings_is_altered(value: str) -> None:
    marker = group_marker(ONCALL, [ALICE], KEY)
    source = HUMAN.replace(
        '    "group:oncall": ["bob@example.com", "alice@example.com"],',
        f'    {marker}\n    "group:oncall": {value},',
    )
    ops = planned(source, sync(ONCALL, {CAROL: True}))
    assert ops == (SyncGroup(ONCALL, (CAROL,), "altered", None, ()),)
    tree = apply_groups(parse(source), ops, key=KEY)
    assert tree.to_python()["groups"][ONCALL] == [CAROL]  # type: ignore[index, call-overload]
    assert planned(tree, sync(ONCALL, {CAROL: True})) == ()


def test_a_marked_group_no_longer_synced_is_released() -> None:
    ops = planned(owned(ONCALL, [BOB, ALICE]))
    assert ops == (SyncGroup(ONCALL, None, "released", (BOB, ALICE)),)


def test_an_altered_group_no_longer_synced_is_released_too() -> None:
    source = owned(ONCALL, [ALICE, MALLORY], mac_over=[ALICE])
    assert [op.reason for op in planned(source, sync(ENG))] == ["adopted", "released"]


def test_a_marker_line_that_ends_a_block_comment_is_not_a_marker() -> None:
    """The line above is the tail of ``/* … */``: the group is a human's, adopted, not altered
    (the same reading as `Value.comment_above`, which will not replace that line)."""
    source = HUMAN.replace(
        "    // (ask #ops before editing)\n",
        f"    /* retired:\n    {group_marker(ONCALL, [BOB, ALICE], KEY)} */\n",
    )
    ops = planned(source, sync(ONCALL, {CAROL: True}))
    assert ops == (SyncGroup(ONCALL, (BOB, ALICE, CAROL), "adopted", (BOB, ALICE), (BOB, ALICE)),)


def test_a_hand_written_group_not_synced_is_left_alone() -> None:
    assert planned(HUMAN, sync(NEW)) == ()


def test_ops_follow_the_given_order_then_the_releases() -> None:
    source = owned(NEW, [DAVE])
    ops = planned(source, sync(ENG, {DAVE: True}), sync(GroupName("group:zz"), {ALICE: True}))
    assert [(op.name, op.reason) for op in ops] == [
        (ENG, "adopted"),
        ("group:zz", "missing"),
        (NEW, "released"),
    ]


# --- apply_groups ------------------------------------------------------------------------------


def test_adopting_keeps_the_comments_and_the_position_of_the_group() -> None:
    tree = synced_once(HUMAN, sync(ONCALL, {BOB: False, CAROL: True}))
    marker = group_marker(ONCALL, [ALICE, CAROL], KEY)
    assert tree.text() == HUMAN.replace(
        '    "group:oncall": ["bob@example.com", "alice@example.com"],',
        f'    {marker}\n    "group:oncall": ["alice@example.com", "carol@example.com"],',
    )


def test_changing_an_owned_group_replaces_its_marker_in_place() -> None:
    tree = synced_once(owned(ONCALL, [BOB, ALICE]), sync(ONCALL, {CAROL: True}))
    assert tree.text() == owned(ONCALL, [BOB, ALICE, CAROL])
    assert tree.text().count(GROUP_MARKER_PREFIX) == 1


def test_a_missing_group_is_appended_to_groups_behind_its_marker() -> None:
    tree = synced_once(HUMAN, sync(NEW, {DAVE: True}))
    assert tree.text() == owned(NEW, [DAVE])


def test_a_missing_groups_object_is_created_behind_the_container_marker() -> None:
    source = '{\n  // no groups yet\n  "acls": [],\n}\n'
    tree = synced_once(source, sync(NEW, {DAVE: True, ALICE: True}))
    assert tree.to_python() == {"acls": [], "groups": {NEW: [ALICE, DAVE]}}
    text = tree.text()
    assert text.startswith('{\n  // no groups yet\n  "acls": [],\n')
    assert f'  {CONTAINER_MARKER}\n  "groups": {{' in text
    assert f'{group_marker(NEW, [ALICE, DAVE], KEY)}\n    "group:new": [' in text


def test_release_removes_only_the_marker_and_keeps_the_members() -> None:
    source = owned(ONCALL, [BOB, ALICE])
    tree = synced_once(source)
    assert tree.text() == HUMAN
    assert planned(tree) == ()  # a human's group again


def test_apply_leaves_its_input_tree_alone() -> None:
    original = parse(HUMAN)
    apply_groups(original, planned(original, sync(ONCALL, {CAROL: True})), key=KEY)
    assert original.text() == HUMAN


@pytest.mark.parametrize(
    "source",
    [
        '{"groups": {"group:oncall": ["bob@example.com"]}}',
        '{\n  "groups": {"group:oncall": ["bob@example.com"], "group:eng": []},\n}\n',
        '{\n  "groups": {\n    "group:eng": [], "group:oncall": ["bob@example.com"],\n  },\n}\n',
    ],
)
def test_a_group_sharing_its_line_is_written_with_a_marker(source: str) -> None:
    synced = sync(ONCALL, {CAROL: True})
    tree = synced_once(source, synced)
    expected = parse(source).to_python()
    expected["groups"][ONCALL] = [BOB, CAROL]  # type: ignore[index, call-overload]
    assert tree.to_python() == expected
    assert group_marker(ONCALL, [BOB, CAROL], KEY) in tree.text()
    assert planned(tree, synced) == ()


SCENARIOS = [
    (HUMAN, [sync(ONCALL, {BOB: False, CAROL: True}, deactivated=[ALICE])]),
    (HUMAN, [sync(NEW, {DAVE: True}), sync(ENG, {CAROL: False})]),
    ('{\n  "acls": [],\n}\n', [sync(NEW, {DAVE: True})]),
    (owned(ONCALL, [BOB, ALICE]), [sync(ONCALL, {CAROL: True, BOB: False})]),
    (owned(ONCALL, [BOB, ALICE]), [sync(ENG, {DAVE: True})]),
    (owned(ONCALL, [ALICE, MALLORY], mac_over=[ALICE]), [sync(ONCALL, baseline=[ALICE])]),
    (owned(ONCALL, [ALICE, MALLORY], mac_over=[ALICE]), [sync(ONCALL, {BOB: True})]),
    ('{"groups": {"group:oncall": ["x@y.com"]}}', [sync(ONCALL, {BOB: True})]),
    (HUMAN.replace("\n", "\r\n"), [sync(ONCALL, {CAROL: True}), sync(NEW, {DAVE: True})]),
]


@pytest.mark.parametrize(("source", "synced"), SCENARIOS)
def test_plan_of_applied_plan_is_a_fixpoint(source: str, synced: list[GroupSync]) -> None:
    tree = synced_once(source, *synced)
    assert planned(tree, *synced) == ()


@pytest.mark.parametrize(("source", "synced"), SCENARIOS)
def test_the_returned_baselines_fed_back_need_nothing_more(
    source: str, synced: list[GroupSync]
) -> None:
    """The caller stores the baselines and passes them next time: still nothing to do."""
    tree = parse(source)
    ops, baselines = plan_groups(tree, synced, key=KEY)
    tree = apply_groups(tree, ops, key=KEY)
    again = [
        GroupSync(g.name, g.reported, g.deactivated, baselines.get(g.name, g.baseline))
        for g in synced
    ]
    assert planned(tree, *again) == ()


def test_crlf_file_gets_crlf_markers() -> None:
    tree = synced_once(HUMAN.replace("\n", "\r\n"), sync(ONCALL, {CAROL: True}))
    data = tree.pack()
    assert data.count(b"\n") == data.count(b"\r\n")


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.dictionaries(st.sampled_from([ALICE, BOB, CAROL, DAVE]), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_successive_syncs_each_reach_a_fixpoint(steps: list[dict[str, bool]]) -> None:
    tree = parse(HUMAN)
    baseline: tuple[str, ...] | None = None
    for reported in steps:
        group = GroupSync(ONCALL, reported, frozenset(), baseline)
        ops, baselines = plan_groups(tree, [group], key=KEY)
        tree = apply_groups(tree, ops, key=KEY)
        baseline = baselines.get(ONCALL, baseline)
        group = GroupSync(ONCALL, reported, frozenset(), baseline)
        assert planned(tree, group) == ()
        members = tree.to_python()["groups"][ONCALL]  # type: ignore[index, call-overload]
        assert set(members) == set(desired_members(baseline or (), reported))
    assert "// the on-call rota\n    // (ask #ops before editing)\n" in tree.text()


# --- tailjit.plan.apply with grants and groups -------------------------------------------------


PROD_GRANT = DesiredGrant(
    GrantId.parse("G7KQ2M3X"),
    Login(ALICE),
    parse_target("tag:prod:443"),
    NOW + timedelta(hours=1),
    GrantMode.POLICY,
)
"""A grant in ``policy`` mode: its ``grants`` entry is all it writes."""


def test_apply_performs_grant_and_group_operations_together() -> None:
    source = HUMAN.replace('  "acls": [],\n', '  "acls": [],\n  "grants": [],\n')
    tree = parse(source)
    grant = PROD_GRANT
    grant_ops = plan([grant], collect_live(tree, key=KEY, now=NOW), {}, now=NOW)
    assert grant_ops == (AddEntries(grant),)
    group_ops = planned(tree, sync(ONCALL, {CAROL: True}), sync(NEW, {DAVE: True}))

    result = apply(tree, [*group_ops, *grant_ops], key=KEY)

    value = result.to_python()
    assert isinstance(value, dict)
    assert value["grants"] == [grant_entry(grant)]
    assert value["groups"] == {ONCALL: [BOB, ALICE, CAROL], ENG: [CAROL], NEW: [DAVE]}
    live = collect_live(result, key=KEY, now=NOW)
    assert [(e.kind, e.status) for e in live.entries] == [(MarkerKind.GRANT, "owned")]
    assert plan([grant], live, {}, now=NOW) == ()
    assert planned(result, sync(ONCALL, {CAROL: True}), sync(NEW, {DAVE: True})) == ()


def test_apply_removes_a_grant_and_releases_a_group_in_one_call() -> None:
    source = owned(ONCALL, [BOB, ALICE])
    grant = PROD_GRANT
    with_grant = apply(parse(source), [AddEntries(grant)], key=KEY)
    ops = [*plan([], collect_live(with_grant, key=KEY, now=NOW), {}, now=NOW), *planned(with_grant)]
    assert [type(op) for op in ops] == [RemoveEntry, SyncGroup]

    result = apply(with_grant, ops, key=KEY)

    assert result.text() == HUMAN  # grants (tailjit's container) gone, the group a human's
