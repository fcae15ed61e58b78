"""One reconcile cycle (DESIGN.md §4): read, plan, write once under If-Match, verify.

`reconcile_once` is the single writer's step. It reads the policy and the attributes of the
devices concerned, plans with `tailjit.plan.plan` (and `tailjit.plan.plan_groups` for synced
groups), and writes the policy at most once per attempt, always with ``If-Match`` (when the
tailnet refuses a write that changes synced groups, it is made again without them); a
`Conflict` starts the attempt again from a fresh read (invariant 2), and after ``attempts`` of
them `ReconcileConflict` is raised. Attribute
operations follow the policy write, in one batch. Finally it reads everything back and
re-plans: the cycle is ``verified`` when nothing is left to do (invariant 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tailjit.errors import InvalidInput, TailjitError
from tailjit.hujson import Object, Value, parse
from tailjit.ids import GrantId
from tailjit.plan import (
    AddEntries,
    DeleteAttribute,
    DesiredGrant,
    GroupSync,
    Op,
    RemoveEntry,
    SetAttribute,
    SyncGroup,
    apply,
    collect_live,
    json_pointer,
    plan,
    plan_groups,
)
from tailjit.reconcile.ports import AttributeChange, Conflict, Refused, Tailnet

__all__ = ["CycleReport", "Finding", "ReconcileConflict", "plan_once", "reconcile_once"]

ATTRIBUTE_COMMENT = "tailjit: just-in-time grant"


class ReconcileConflict(TailjitError):
    """Every attempt of a cycle lost the race for the policy file to another writer."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"the policy file changed during each of {attempts} attempts to write it; "
            "another writer is busy: try the cycle again later"
        )
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class Finding:
    """Drift the cycle corrected: where (a JSON pointer, or ``device_id/key``) and why."""

    where: str
    reason: str
    grant_id: str | None = None


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle did.

    ``ops`` are the operations performed (policy ones only when their write succeeded),
    ``writes`` the successful policy writes (0 or 1), ``attempts`` the reads of the policy that
    were planned on (1 + the conflicts), ``verified`` whether the read-back needs no further
    operation, ``remaining`` the operations the read-back would still need, and ``findings``
    the marked entries removed, groups put back and attributes deleted, with their reasons;
    ``baselines`` the baseline of each synced group taken from the live file (`plan_groups`).
    """

    ops: tuple[Op, ...]
    writes: int
    attempts: int
    verified: bool
    findings: tuple[Finding, ...]
    remaining: tuple[Op, ...] = ()
    baselines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    refused: tuple[tuple[SyncGroup, ...], str] | None = None
    """The synced-group operations held back because the tailnet refused the policy with them
    (the rest was written without them), and the tailnet's reason."""
    unwritable: Mapping[GrantId, str] = field(default_factory=dict)
    """Desired grants whose destination the live policy no longer defines (a host alias or tag
    removed by hand), with why: the tailnet would refuse any policy holding their entries, so
    they were planned as absent and their entries removed. The caller ends them."""


def reconcile_once(
    tailnet: Tailnet,
    desired: Sequence[DesiredGrant],
    *,
    key: bytes,
    now: datetime,
    devices: Sequence[str] = (),
    groups: Sequence[GroupSync] = (),
    attempts: int = 5,
) -> CycleReport:
    """Bring ``tailnet`` to ``desired`` at ``now`` and verify it; see the module docstring.

    The attributes read are those of the desired grants' devices and of ``devices`` (the ones
    known to carry ``custom:tailjit_*`` attributes); ``groups`` are the synced groups, written
    in the same policy write. `InvalidInput` for ``attempts`` < 1,
    `ReconcileConflict` when every attempt met a `Conflict`.
    """
    if attempts < 1:
        raise InvalidInput("attempts", attempts, "a positive count")
    concerned = _devices(desired, devices)
    for attempt in range(1, attempts + 1):
        read = _read(tailnet, desired, concerned, groups, key=key, now=now)
        policy_ops = tuple(
            op for op in read.ops if isinstance(op, AddEntries | RemoveEntry | SyncGroup)
        )
        writes, refused = 0, None
        if policy_ops:
            try:
                writes, refused = _write(tailnet, read, policy_ops, key=key)
            except Conflict:
                continue
        _apply_attributes(tailnet, read.ops)
        remaining = _read(tailnet, desired, concerned, groups, key=key, now=now).ops
        held = refused[0] if refused else ()
        return CycleReport(
            ops=tuple(op for op in read.ops if op not in held),
            writes=writes,
            attempts=attempt,
            verified=not remaining,
            findings=tuple(_findings(read.ops)),
            remaining=remaining,
            baselines=read.baselines,
            refused=refused,
            unwritable=read.unwritable,
        )
    raise ReconcileConflict(attempts)


def plan_once(
    tailnet: Tailnet,
    desired: Sequence[DesiredGrant],
    *,
    key: bytes,
    now: datetime,
    devices: Sequence[str] = (),
    groups: Sequence[GroupSync] = (),
) -> tuple[Op, ...]:
    """What `reconcile_once` would do now, read but not applied (``tailjit plan``)."""
    return _read(tailnet, desired, _devices(desired, devices), groups, key=key, now=now).ops


def _write(
    tailnet: Tailnet, read: _Read, ops: tuple[Op, ...], *, key: bytes
) -> tuple[int, tuple[tuple[SyncGroup, ...], str] | None]:
    """Write ``ops`` on the policy ``read``: the writes made (0 or 1), and what was held back.

    When the tailnet refuses a policy that changes synced groups (their new members fail its
    ``tests``, say), each group change is validated on its own with the rest, and the rest is
    written with the ones the tailnet accepts, so grants still come and go and one group does not
    hold up another; the group operations held back and the tailnet's reasons are returned."""
    try:
        tailnet.set_policy(apply(parse(read.raw), ops, key=key).pack(), if_match=read.etag)
    except Refused as refusal:
        groups = tuple(op for op in ops if isinstance(op, SyncGroup))
        if not groups:
            raise
        rest = tuple(op for op in ops if not isinstance(op, SyncGroup))
        held, reasons = _refused_groups(tailnet, read, rest, groups, str(refusal), key=key)
        kept = (*rest, *(op for op in groups if op not in held))
        if kept:
            try:
                tailnet.set_policy(apply(parse(read.raw), kept, key=key).pack(), if_match=read.etag)
            except Refused as together:  # accepted one by one, refused together: hold them all
                if len(kept) == len(rest):
                    raise
                held, reasons = groups, [str(together)]
                if rest:
                    policy = apply(parse(read.raw), rest, key=key).pack()
                    tailnet.set_policy(policy, if_match=read.etag)
                kept = rest
        return int(bool(kept)), (held, "; ".join(dict.fromkeys(reasons)))
    return 1, None


def _refused_groups(
    tailnet: Tailnet,
    read: _Read,
    rest: tuple[Op, ...],
    groups: tuple[SyncGroup, ...],
    reason: str,
    *,
    key: bytes,
) -> tuple[tuple[SyncGroup, ...], list[str]]:
    """The group changes the tailnet refuses, each validated alone on top of ``rest`` (one
    change needs no validation: the refusal was its), and the tailnet's reasons."""
    if len(groups) == 1:
        return groups, [reason]
    held: list[SyncGroup] = []
    reasons: list[str] = []
    for op in groups:
        try:
            tailnet.validate(apply(parse(read.raw), (*rest, op), key=key).pack())
        except Refused as refusal:
            held.append(op)
            reasons.append(str(refusal))
    return tuple(held), reasons or [reason]


@dataclass(frozen=True, slots=True)
class _Read:
    raw: bytes
    etag: str
    ops: tuple[Op, ...]
    baselines: Mapping[str, tuple[str, ...]]
    unwritable: Mapping[GrantId, str]


def _read(
    tailnet: Tailnet,
    desired: Sequence[DesiredGrant],
    devices: Iterable[str],
    groups: Sequence[GroupSync],
    *,
    key: bytes,
    now: datetime,
) -> _Read:
    """A fresh read of the policy and attributes, and the plan from it to ``desired``."""
    raw, etag = tailnet.get_policy()
    tree = parse(raw)
    live = collect_live(tree, key=key, now=now)
    attributes: dict[str, Mapping[str, datetime | None]] = {
        device: tailnet.attributes(device) for device in devices
    }
    unwritable = _unwritable(tree, desired)
    writable = [grant for grant in desired if grant.grant_id not in unwritable]
    group_ops, baselines = plan_groups(tree, groups, key=key)
    ops = plan(writable, live, attributes, now=now) + group_ops
    return _Read(raw, etag, ops, baselines, unwritable)


def _unwritable(tree: Value, desired: Sequence[DesiredGrant]) -> dict[GrantId, str]:
    """The grants with policy entries whose destination ``tree`` does not define, and why."""
    names: dict[str, frozenset[str]] = {}
    for section in ("hosts", "tagOwners"):
        found = tree.find(json_pointer(section))
        node = None if found is None else found.node
        names[section] = frozenset(
            member.name_str for member in (node.members if isinstance(node, Object) else ())
        )
    return {
        grant.grant_id: missing
        for grant in desired
        if grant.writes_policy
        and (missing := grant.target.undefined_in(names["hosts"], names["tagOwners"]))
    }


def _devices(desired: Sequence[DesiredGrant], extra: Sequence[str]) -> tuple[str, ...]:
    """The devices whose attributes the cycle reads, each once, in a stable order."""
    found = {device for grant in desired for device in grant.device_ids}
    return tuple(sorted(found.union(extra)))


def _apply_attributes(tailnet: Tailnet, ops: Iterable[Op]) -> None:
    """Every attribute operation of ``ops`` in one batch (the adapter may split it)."""
    changes: dict[str, dict[str, AttributeChange | None]] = {}
    for op in ops:
        if isinstance(op, SetAttribute):
            changes.setdefault(op.device_id, {})[op.key] = (op.value, op.expiry)
        elif isinstance(op, DeleteAttribute):
            changes.setdefault(op.device_id, {})[op.key] = None
    if changes:
        tailnet.update_attributes(changes, comment=ATTRIBUTE_COMMENT)


def _findings(ops: Iterable[Op]) -> Iterable[Finding]:
    for op in ops:
        if isinstance(op, RemoveEntry):
            grant_id = None if op.grant_id is None else str(op.grant_id)
            yield Finding(op.pointer, op.reason, grant_id)
        elif isinstance(op, DeleteAttribute):
            yield Finding(f"{op.device_id}/{op.key}", op.reason)
        elif isinstance(op, SyncGroup) and op.reason == "altered":
            yield Finding(json_pointer("groups", op.name), "group edited by hand; put back")
