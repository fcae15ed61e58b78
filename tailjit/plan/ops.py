"""Planning the reconcile loop's edits, and applying the policy ones to a tree (DESIGN.md §4).

`plan` is a pure function of (desired grants, live marked entries, live attributes, ``now``): it
returns operations as data, so ``tailjit plan`` can print them and tests can assert on them.
`apply` performs the policy operations on a tree (edits return new trees, so the input is left
as it was); the attribute operations are for the API client and `apply` ignores them.

A desired grant whose expiry is not after ``now`` is no longer active and is treated as absent:
writing it would only make an entry the next cycle removes as expired.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from tailjit.errors import InvalidInput
from tailjit.hujson import JSON, Array, Object, Value
from tailjit.ids import GrantId, Login
from tailjit.plan.groups import SyncGroup, apply_groups
from tailjit.plan.live import LiveEntries, LiveEntry
from tailjit.plan.markers import CONTAINER_MARKER, MarkerKind, sign
from tailjit.requests import GrantMode
from tailjit.targets import Target

__all__ = [
    "TAILJIT_ATTRIBUTE_PREFIX",
    "AddEntries",
    "DeleteAttribute",
    "DesiredGrant",
    "Op",
    "RemoveEntry",
    "SetAttribute",
    "apply",
    "grant_entry",
    "plan",
    "posture_entry",
]

TAILJIT_ATTRIBUTE_PREFIX = "custom:tailjit_"
"""Attributes under this prefix are tailjit's: one no desired grant accounts for is deleted."""

AttributeValue: TypeAlias = str | int | bool
"""What a custom posture attribute holds: Tailscale allows strings, integers and booleans."""


@dataclass(frozen=True, slots=True)
class DesiredGrant:
    """An active grant as the store has it: who, what, until when, and how it reaches the tailnet.

    ``device_ids`` are the requester's devices that get the attribute (posture modes only);
    ``attribute`` is the static attribute key a `GrantMode.POSTURE` grant sets, None otherwise.
    """

    grant_id: GrantId
    login: Login
    target: Target
    expires: datetime
    mode: GrantMode
    device_ids: tuple[str, ...] = ()
    attribute: str | None = None

    def __post_init__(self) -> None:
        if self.expires.tzinfo is None or self.expires.utcoffset() is None:
            raise InvalidInput("grant expiry", self.expires.isoformat(), "an aware datetime")
        if self.mode is GrantMode.POSTURE and not self.attribute:
            raise InvalidInput("grant attribute", self.attribute, "an attribute key for posture")

    @property
    def writes_policy(self) -> bool:
        """Whether the grant has entries in the policy file (every mode but `posture`)."""
        return self.mode is not GrantMode.POSTURE

    @property
    def attribute_key(self) -> str | None:
        """The attribute set on the devices: per grant, static, or None in `policy` mode."""
        if self.mode is GrantMode.POLICY_POSTURE:
            return self.grant_id.attribute_key
        if self.mode is GrantMode.POSTURE:
            return self.attribute
        return None


@dataclass(frozen=True, slots=True)
class AddEntries:
    """Write the grant's ``grants`` entry, and its ``postures`` entry in `policy+posture` mode."""

    desired: DesiredGrant


@dataclass(frozen=True, slots=True)
class RemoveEntry:
    """Remove a marked entry and its marker; ``grant_id`` is None when the marker is unreadable."""

    pointer: str
    grant_id: GrantId | None
    reason: str


@dataclass(frozen=True, slots=True)
class SetAttribute:
    """Set a posture attribute on a device until ``expiry``, when Tailscale removes it itself."""

    device_id: str
    key: str
    value: AttributeValue
    expiry: datetime


@dataclass(frozen=True, slots=True)
class DeleteAttribute:
    """Delete a ``custom:tailjit_*`` attribute from a device."""

    device_id: str
    key: str
    reason: str


Op: TypeAlias = AddEntries | RemoveEntry | SetAttribute | DeleteAttribute | SyncGroup


def grant_entry(desired: DesiredGrant) -> dict[str, JSON]:
    """The ``grants`` entry of ``desired``: source login, destination host, ``ip`` and, in
    `policy+posture` mode, the grant's posture as ``srcPosture``."""
    target = desired.target
    ports = str(target.ports)
    entry: dict[str, JSON] = {
        "src": [str(desired.login)],
        "dst": [target.host_text],
        "ip": [f"{target.proto}:{ports}" if target.proto else ports],
    }
    if desired.mode is GrantMode.POLICY_POSTURE:
        entry["srcPosture"] = [desired.grant_id.posture_name]
    return entry


def posture_entry(desired: DesiredGrant) -> tuple[str, JSON]:
    """The ``postures`` member of ``desired``: its name and the rule that tests its attribute."""
    grant_id = desired.grant_id
    return grant_id.posture_name, [f"{grant_id.attribute_key} == true"]


def plan(
    desired: Sequence[DesiredGrant],
    live: LiveEntries,
    attributes: Mapping[str, Mapping[str, datetime | None]],
    *,
    now: datetime,
) -> tuple[Op, ...]:
    """The operations that bring the tailnet from ``live`` and ``attributes`` to ``desired``.

    ``attributes`` maps a device id to its attributes and their expiries (None: none). Order:
    removals in file order, additions by grant id, then attribute sets and deletions by device
    and key. `InvalidInput` when two desired grants share an id.
    """
    active = _active(desired, now)
    removals: list[RemoveEntry] = []
    kept: set[GrantId] = set()
    by_id: dict[GrantId, list[LiveEntry]] = {}
    for entry in live.entries:
        if entry.status == "expired":
            removals.append(RemoveEntry(entry.pointer, entry.grant_id, "expired"))
        elif entry.status == "forged":
            removals.append(RemoveEntry(entry.pointer, entry.grant_id, f"forged: {entry.reason}"))
        elif entry.grant_id is not None:
            by_id.setdefault(entry.grant_id, []).append(entry)
    for grant_id, entries in by_id.items():
        wanted = active.get(grant_id)
        needed = _entries_of(wanted) if wanted is not None and wanted.writes_policy else {}
        matching: dict[MarkerKind, LiveEntry] = {}
        for entry in entries:
            if entry.kind not in matching and _matches(entry, wanted, needed):
                matching[entry.kind] = entry
        complete = bool(needed) and matching.keys() == needed.keys()
        if complete:
            kept.add(grant_id)
        for entry in entries:
            if matching.get(entry.kind) is entry:
                if complete:
                    continue
                why = "incomplete: the grant's other entry is missing"
            else:
                why = _why_removed(entry, wanted)
            removals.append(RemoveEntry(entry.pointer, grant_id, why))
    order = {entry.pointer: index for index, entry in enumerate(live.entries)}
    removals.sort(key=lambda op: order[op.pointer])
    additions = [
        AddEntries(active[gid])
        for gid in sorted(active)
        if active[gid].writes_policy and gid not in kept
    ]
    sets, deletes = _attribute_ops(active.values(), attributes)
    return (*removals, *additions, *sets, *deletes)


def apply(tree: Value, ops: Iterable[Op], *, key: bytes) -> Value:
    """``tree`` with the policy operations of ``ops`` performed (attribute ones are ignored).

    Removals go first, one batch per container; then the additions append their grants
    (creating ``grants`` if absent) and their postures (creating ``postures``), each behind its
    signed marker, one batch per container: each container is laid out and checked once,
    however many entries change. Synced groups come last (`apply_groups`). `InvalidInput` when
    the root is not an object or ``grants``/``postures``/``groups`` has the wrong type.
    """
    ops = tuple(ops)
    removals: dict[str, list[str]] = {}
    for op in ops:
        if isinstance(op, RemoveEntry):
            removals.setdefault(op.pointer.rsplit("/", 1)[0], []).append(op.pointer)
    for pointers in removals.values():
        tree = tree.remove_all(pointers)
    tree = _drop_emptied_containers(tree)
    additions: dict[str, list[tuple[str | None, JSON, list[str]]]] = {}
    for op in ops:
        if not isinstance(op, AddEntries):
            continue
        desired = op.desired
        for kind, (name, value) in _entries_of(desired).items():
            marker = sign(kind, desired.grant_id, desired.expires, value, key).text()
            if kind is MarkerKind.GRANT:
                additions.setdefault("grants", []).append((None, value, [marker]))
            else:
                additions.setdefault("postures", []).append((name, value, [marker]))
    for container, entries in additions.items():
        tree = _ensure(tree, container, Array if container == "grants" else Object)
        tree = tree.add_all(f"/{container}", entries)
    return apply_groups(tree, (op for op in ops if isinstance(op, SyncGroup)), key=key)


def _active(desired: Sequence[DesiredGrant], now: datetime) -> dict[GrantId, DesiredGrant]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("now", now.isoformat(), "an aware datetime")
    active: dict[GrantId, DesiredGrant] = {}
    for grant in desired:
        if grant.grant_id in active:
            raise InvalidInput("desired grants", grant.grant_id, "one grant per grant id")
        if grant.expires > now:
            active[grant.grant_id] = grant
    return active


def _entries_of(desired: DesiredGrant) -> dict[MarkerKind, tuple[str, JSON]]:
    """What ``desired`` writes to the policy file: kind -> (posture name or "", value)."""
    written: dict[MarkerKind, tuple[str, JSON]] = {MarkerKind.GRANT: ("", grant_entry(desired))}
    if desired.mode is GrantMode.POLICY_POSTURE:
        written[MarkerKind.POSTURE] = posture_entry(desired)
    return written


def _matches(
    entry: LiveEntry,
    wanted: DesiredGrant | None,
    needed: Mapping[MarkerKind, tuple[str, JSON]],
) -> bool:
    if wanted is None or entry.kind not in needed or entry.expires != wanted.expires:
        return False
    return entry.value == needed[entry.kind][1]


def _why_removed(entry: LiveEntry, wanted: DesiredGrant | None) -> str:
    if wanted is None:
        return "not desired"
    if not wanted.writes_policy:
        return "grant is in posture mode"
    if entry.expires != wanted.expires:
        return "expiry changed"
    return "entry changed"


def _attribute_ops(
    active: Iterable[DesiredGrant], attributes: Mapping[str, Mapping[str, datetime | None]]
) -> tuple[list[SetAttribute], list[DeleteAttribute]]:
    # Two posture-mode grants may share a static attribute on a device: the later expiry wins.
    wanted: dict[tuple[str, str], datetime] = {}
    for grant in active:
        key = grant.attribute_key
        if key is None:
            continue
        for device in grant.device_ids:
            known = wanted.get((device, key))
            if known is None or grant.expires > known:
                wanted[(device, key)] = grant.expires
    sets = [
        SetAttribute(device, key, True, expiry)
        for (device, key), expiry in sorted(wanted.items())
        if attributes.get(device, {}).get(key, _MISSING) != expiry
    ]
    deletes = [
        DeleteAttribute(device, key, "no active grant")
        for device in sorted(attributes)
        for key in sorted(attributes[device])
        if key.startswith(TAILJIT_ATTRIBUTE_PREFIX) and (device, key) not in wanted
    ]
    return sets, deletes


_MISSING = object()


def _ensure(tree: Value, name: str, kind: type[Array] | type[Object]) -> Value:
    root = tree.node
    if not isinstance(root, Object):
        raise InvalidInput("policy", "root", "an object")
    found = root.get(name)
    if found is None:
        empty: JSON = [] if kind is Array else {}
        return tree.set_member("", name, empty, comments=[CONTAINER_MARKER])
    if not isinstance(found.node, kind):
        raise InvalidInput("policy", f"/{name}", f"an {'array' if kind is Array else 'object'}")
    return tree


def _drop_emptied_containers(tree: Value) -> Value:
    """``tree`` without the ``grants``/``postures`` members tailjit created (they carry
    `CONTAINER_MARKER`) that no longer hold an entry, so the file returns to its old bytes."""
    root = tree.node
    if not isinstance(root, Object):
        return tree
    for member in root.members:
        name = member.name_str
        if name not in ("grants", "postures") or CONTAINER_MARKER not in member.name.before:
            continue
        node = member.value.node
        if (isinstance(node, Array) and not node.elements) or (
            isinstance(node, Object) and not node.members
        ):
            return _drop_emptied_containers(tree.remove(f"/{name}"))
    return tree
