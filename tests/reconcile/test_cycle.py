"""One reconcile cycle against the real sandbox over loopback, and its attempts bound."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tailjit.errors import InvalidInput
from tailjit.hujson import parse
from tailjit.ids import GrantId, GroupName, Login
from tailjit.plan import (
    AddEntries,
    DeleteAttribute,
    DesiredGrant,
    GroupSync,
    SetAttribute,
    SyncGroup,
    collect_live,
)
from tailjit.reconcile import (
    AttributeChange,
    Conflict,
    ReconcileConflict,
    Refused,
    reconcile_once,
)
from tailjit.requests import GrantMode
from tailjit.sandbox import SandboxHandle
from tailjit.tailscale import TailscaleTailnet
from tailjit.targets import parse_target

KEY = b"k" * 32
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)  # the sandbox clock's start
ID = GrantId.parse("G7KQ2M3X")


def grant(device: str, *, expires: datetime = NOW + timedelta(hours=1)) -> DesiredGrant:
    return alice(ID, "tcp:web-staging:8080", GrantMode.POLICY_POSTURE, device, expires=expires)


def alice(
    grant_id: GrantId,
    target: str,
    mode: GrantMode,
    *devices: str,
    expires: datetime = NOW + timedelta(hours=1),
) -> DesiredGrant:
    """A grant of ``target`` to alice, for an hour unless ``expires`` says otherwise."""
    return DesiredGrant(
        grant_id, Login("alice@example.com"), parse_target(target), expires, mode, devices
    )


def policy_writes(sandbox: SandboxHandle) -> int:
    return sum(1 for r in sandbox.requests() if r.method == "POST" and r.path.endswith("/acl"))


def owned(policy: bytes, now: datetime = NOW) -> list[str]:
    live = collect_live(parse(policy), key=KEY, now=now)
    return [entry.pointer for entry in live.with_status("owned")]


def test_a_desired_grant_becomes_marked_entries_and_an_attribute(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    laptop = sandbox.device_id("alice-laptop")

    report = reconcile_once(tailnet, [grant(laptop)], key=KEY, now=NOW)

    assert (report.writes, report.attempts, report.verified) == (1, 1, True)
    assert [type(op) for op in report.ops] == [AddEntries, SetAttribute]
    assert owned(sandbox.policy()) == ["/grants/3", "/postures/posture:tailjit_G7KQ2M3X"]
    assert tailnet.attributes(laptop) == {ID.attribute_key: NOW + timedelta(hours=1)}
    assert policy_writes(sandbox) == 1


def test_a_second_cycle_writes_nothing(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    desired = [grant(sandbox.device_id("alice-laptop"))]
    reconcile_once(tailnet, desired, key=KEY, now=NOW)
    sandbox.reset_requests()

    report = reconcile_once(tailnet, desired, key=KEY, now=NOW + timedelta(minutes=1))

    assert (report.ops, report.writes, report.verified) == ((), 0, True)
    assert policy_writes(sandbox) == 0
    assert all(r.method == "GET" for r in sandbox.requests())


def test_an_expired_grant_is_removed_and_the_policy_is_the_original_again(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    laptop = sandbox.device_id("alice-laptop")
    reconcile_once(tailnet, [grant(laptop)], key=KEY, now=NOW)
    later = NOW + timedelta(hours=2)

    report = reconcile_once(tailnet, [], key=KEY, now=later, devices=[laptop])

    assert (report.writes, report.verified) == (1, True)
    assert sandbox.policy() == original
    assert {f.reason for f in report.findings} == {"expired", "no active grant"}
    assert DeleteAttribute(laptop, ID.attribute_key, "no active grant") in report.ops
    assert tailnet.attributes(laptop) == {}


def test_a_human_edit_between_read_and_write_costs_one_attempt_and_is_kept(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    sandbox.set_faults(human_edits=1)

    report = reconcile_once(tailnet, [grant(sandbox.device_id("alice-laptop"))], key=KEY, now=NOW)

    policy = sandbox.policy()
    assert (report.attempts, report.writes, report.verified) == (2, 1, True)
    human_line, rest = policy.split(b"\n", 1)
    assert human_line.startswith(b"// Edited by a human in the admin console")
    assert rest.startswith(original[: original.index(b'\t"grants"')])
    assert len(owned(policy)) == 2
    assert policy_writes(sandbox) == 2  # the 412 and the write that won


def test_a_hand_edited_entry_is_removed_as_forged_and_written_again(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    desired = [grant(sandbox.device_id("alice-laptop"))]
    reconcile_once(tailnet, desired, key=KEY, now=NOW)
    signed = sandbox.policy()
    forged = signed.replace(b'"tcp:8080"', b'"tcp:1-65535"', 1)
    assert forged != signed
    tailnet.set_policy(forged, if_match=sandbox.etag())

    report = reconcile_once(tailnet, desired, key=KEY, now=NOW)

    assert (report.writes, report.verified) == (1, True)
    found = {(finding.where, finding.reason) for finding in report.findings}
    assert ("/grants/3", "forged: MAC does not match the entry") in found
    assert b"1-65535" not in sandbox.policy()
    assert len(owned(sandbox.policy())) == 2


# --- the attempts bound, with a fake tailnet ----------------------------------------------------


@dataclass
class LosingTailnet:
    """A tailnet whose policy changes between every read and write."""

    reads: int = 0
    if_matches: list[str] = field(default_factory=list)

    def get_policy(self) -> tuple[bytes, str]:
        self.reads += 1
        return b'{"hosts": {"web-staging": "100.64.0.9"}, "grants": []}', f'"etag-{self.reads}"'

    def set_policy(self, policy: bytes, *, if_match: str) -> None:
        self.if_matches.append(if_match)
        raise Conflict("changed")

    def attributes(self, device_id: str) -> Mapping[str, datetime | None]:
        return {}

    def update_attributes(
        self,
        changes: Mapping[str, Mapping[str, AttributeChange | None]],
        *,
        comment: str | None = None,
    ) -> None:
        raise AssertionError("no attribute changes before the policy write succeeds")


def test_every_attempt_losing_the_race_raises_a_typed_conflict() -> None:
    tailnet = LosingTailnet()

    with pytest.raises(ReconcileConflict) as raised:
        reconcile_once(tailnet, [grant("n1")], key=KEY, now=NOW, attempts=3)

    assert raised.value.attempts == 3
    assert tailnet.reads == 3
    assert tailnet.if_matches == ['"etag-1"', '"etag-2"', '"etag-3"']


def test_attempts_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="attempts"):
        reconcile_once(LosingTailnet(), [], key=KEY, now=NOW, attempts=0)


# --- synced groups -----------------------------------------------------------------------------


def eng(policy: bytes) -> list[str]:
    groups = parse(policy).to_python()["groups"]  # type: ignore[index,call-overload]
    return list(groups["group:eng"])


def test_a_synced_group_is_written_in_the_same_write_as_the_grants(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    sync = GroupSync(GroupName("group:eng"), reported={"dave@example.com": True})

    report = reconcile_once(
        tailnet, [grant(sandbox.device_id("alice-laptop"))], key=KEY, now=NOW, groups=[sync]
    )

    assert (report.writes, report.verified) == (1, True)
    assert [op.reason for op in report.ops if isinstance(op, SyncGroup)] == ["adopted"]
    assert report.baselines == {"group:eng": ("alice@example.com", "bob@example.com")}
    assert eng(sandbox.policy()) == ["alice@example.com", "bob@example.com", "dave@example.com"]
    assert b"// tailjit:group mac=" in sandbox.policy()
    assert policy_writes(sandbox) == 1


def test_a_group_change_the_tailnet_refuses_is_held_back_and_the_grants_are_written(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    # The demo policy's tests need alice to reach tag:staging:22, through group:eng.
    sync = GroupSync(GroupName("group:eng"), reported={"alice@example.com": False})

    report = reconcile_once(
        tailnet, [grant(sandbox.device_id("alice-laptop"))], key=KEY, now=NOW, groups=[sync]
    )

    assert report.refused is not None
    held, reason = report.refused
    assert [(op.name, op.members) for op in held] == [("group:eng", ("bob@example.com",))]
    assert "test" in reason
    assert not any(isinstance(op, SyncGroup) for op in report.ops)
    assert report.writes == 1
    assert not report.verified  # the group change is still to do
    assert owned(sandbox.policy()) == ["/grants/3", "/postures/posture:tailjit_G7KQ2M3X"]
    assert eng(sandbox.policy()) == ["alice@example.com", "bob@example.com"]
    assert b"tailjit:group" not in sandbox.policy()


def test_a_refused_group_change_alone_writes_nothing_and_a_refused_grant_still_raises(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    sync = GroupSync(GroupName("group:eng"), reported={"alice@example.com": False})

    report = reconcile_once(tailnet, [], key=KEY, now=NOW, groups=[sync])

    assert (report.writes, report.refused is not None) == (0, True)
    assert sandbox.policy() == original
    # The demo policy's tests deny alice db-prod:5432, which a posture-less grant would open.
    refused = alice(ID, "tcp:db-prod:5432", GrantMode.POLICY)
    with pytest.raises(Refused, match="test"):
        reconcile_once(tailnet, [refused], key=KEY, now=NOW)
    assert sandbox.policy() == original


def test_a_grant_whose_destination_the_policy_does_not_define_is_left_out_and_reported(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    laptop = sandbox.device_id("alice-laptop")
    gone = alice(GrantId.parse("G0NE0000"), "tcp:db-test:5432", GrantMode.POLICY_POSTURE, laptop)
    untagged = alice(GrantId.parse("TAG00000"), "tcp:tag:nope:22", GrantMode.POLICY)

    report = reconcile_once(tailnet, [grant(laptop), gone, untagged], key=KEY, now=NOW)

    assert report.unwritable == {
        gone.grant_id: "no host alias db-test in the tailnet policy's hosts",
        untagged.grant_id: "no tag tag:nope in the tailnet policy's tagOwners",
    }
    assert (report.writes, report.verified) == (1, True)
    assert owned(sandbox.policy()) == ["/grants/3", "/postures/posture:tailjit_G7KQ2M3X"]
    assert gone.attribute_key not in tailnet.attributes(laptop)


def test_one_refused_group_change_does_not_hold_up_another(
    sandbox: SandboxHandle, tailnet: TailscaleTailnet, original: bytes
) -> None:
    eng = GroupSync(GroupName("group:eng"), reported={"alice@example.com": False})
    dba = GroupSync(GroupName("group:dba"), reported={"dave@example.com": True})

    report = reconcile_once(
        tailnet, [grant(sandbox.device_id("alice-laptop"))], key=KEY, now=NOW, groups=[eng, dba]
    )

    assert report.refused is not None
    held, reason = report.refused
    assert [op.name for op in held] == ["group:eng"]
    assert "test" in reason
    assert [op.name for op in report.ops if isinstance(op, SyncGroup)] == ["group:dba"]
    groups = parse(sandbox.policy()).to_python()["groups"]  # type: ignore[index,call-overload]
    assert groups["group:dba"] == ["carol@example.com", "dave@example.com"]
    assert groups["group:eng"] == ["alice@example.com", "bob@example.com"]
    assert owned(sandbox.policy()) == ["/grants/3", "/postures/posture:tailjit_G7KQ2M3X"]
    assert policy_writes(sandbox) == 2  # the refused one, then the grant with group:dba
