"""Named ``group:`` entries of the policy file that tailjit keeps in sync (opt-in).

For a tailnet whose groups are not provisioned by its identity provider, tailjit can keep chosen
members of the policy's ``groups`` object equal to what the identity sources report. Each such
member carries a marker of its own kind on the line above it::

    // tailjit:group mac=<32 hex digits>
    "group:oncall": ["alice@example.com", "bob@example.com"],

The MAC is HMAC-SHA256 under the marker key over ``tailjit-group-v1 LF <group name> LF <members'
canonical JSON>``, cut to 128 bits like the grant markers': a group edited by hand fails it and
is written again. A group has no expiry; the marker says only that the entry is tailjit's.

Who belongs to a synced group (`desired_members`): the *baseline* (the members the entry had when
tailjit took it over), less everyone an identity source has since reported out of it, plus
everyone a source reports in, less deactivated users. Sources that only send changes (Okta event
hooks, signed webhooks) therefore never empty a group they have not spoken about.

`plan_groups` compares the synced groups with the live file and returns `SyncGroup` operations;
`apply_groups` performs them. A named group written by hand is *adopted* (its members become the
baseline and it gets a marker, its own comments stay); a marked group no longer named in the
setting is *released*: its marker goes and its members stay, the humans' again. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tailjit.errors import InvalidInput
from tailjit.hujson import JSON, HuJSONError, Object, Value, line_comment_above
from tailjit.ids import GroupName
from tailjit.plan.live import json_pointer
from tailjit.plan.markers import CONTAINER_MARKER, MAC_HEX_DIGITS, MIN_KEY_BYTES, canonical_json

__all__ = [
    "GROUP_MARKER_PREFIX",
    "GroupSync",
    "SyncGroup",
    "apply_groups",
    "desired_members",
    "group_marker",
    "plan_groups",
]

GROUP_MARKER_PREFIX = "// tailjit:group "
_DOMAIN = b"tailjit-group-v1"
_GROUP_MARKER = re.compile(rf"// tailjit:group mac=(?P<mac>[0-9a-f]{{{MAC_HEX_DIGITS}}})")


@dataclass(frozen=True, slots=True)
class GroupSync:
    """One group to keep in sync, as the identity sources see it.

    ``reported`` maps each login a source has spoken about to whether a source reports it a
    member; ``deactivated`` are the logins of these that are deactivated. ``baseline`` is the
    members the entry had when tailjit adopted it (kept by the caller), or None when not yet
    known: then the live entry's members are the baseline if it is a human's or carries a valid
    marker, and no one otherwise.
    """

    name: GroupName
    reported: Mapping[str, bool] = field(default_factory=dict)
    deactivated: frozenset[str] = frozenset()
    baseline: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SyncGroup:
    """Write group ``name`` with ``members`` behind a fresh marker, or (``members`` None)
    release it: drop its marker and leave its members to the humans.

    ``reason`` is one of ``missing`` (never written), ``deleted`` (written, then deleted by
    hand), ``changed`` (the sources changed it), ``altered`` (edited by hand or a forged
    marker), ``adopted`` (a hand-written group taken over) and ``released``;
    ``found`` is what the file held (None when absent), ``baseline`` what ``members`` was
    computed from.
    """

    name: str
    members: tuple[str, ...] | None
    reason: str
    found: tuple[str, ...] | None = None
    baseline: tuple[str, ...] = ()


def desired_members(
    baseline: Iterable[str], reported: Mapping[str, bool], deactivated: Collection[str] = ()
) -> tuple[str, ...]:
    """The baseline less who was reported out, plus who is reported in, less the deactivated:
    the baseline's members in their order, then the newcomers sorted, each once."""
    kept = [login for login in dict.fromkeys(baseline) if reported.get(login, True)]
    new = sorted(login for login, member in reported.items() if member and login not in kept)
    return tuple(login for login in [*kept, *new] if login not in deactivated)


def group_marker(name: str, members: Sequence[str], key: bytes) -> str:
    """The marker line for group ``name`` holding ``members`` (in that order)."""
    return f"{GROUP_MARKER_PREFIX}mac={_mac(name, list(members), key)}"


def plan_groups(
    policy: Value, synced: Sequence[GroupSync], *, key: bytes
) -> tuple[tuple[SyncGroup, ...], dict[str, tuple[str, ...]]]:
    """The operations that bring the policy's synced groups to what ``synced`` says, and the
    baseline each synced group was computed from when it came from the live file (the caller
    keeps it). Groups are taken in the order given, then the releases in file order."""
    live = _live_groups(policy, key)
    ops: list[SyncGroup] = []
    baselines: dict[str, tuple[str, ...]] = {}
    names: set[str] = set()
    for group in synced:
        name = str(group.name)
        names.add(name)
        found, status = live.get(name, (None, "absent"))
        baseline = group.baseline
        if baseline is None:
            baseline = found if status in ("human", "owned") and found is not None else ()
            if status != "absent":
                baselines[name] = baseline
        members = desired_members(baseline, group.reported, group.deactivated)
        if found is not None and set(found) == set(members):
            members = tuple(dict.fromkeys(found))  # the same people: keep the file's order
        if status == "absent":
            if members:  # a kept baseline means tailjit had written it: deleted by hand
                why = "missing" if group.baseline is None else "deleted"
                ops.append(SyncGroup(name, members, why, None, baseline))
        elif status == "human":
            ops.append(SyncGroup(name, members, "adopted", found, baseline))
        elif status != "owned":
            ops.append(SyncGroup(name, members, "altered", found, baseline))
        elif found != members:
            ops.append(SyncGroup(name, members, "changed", found, baseline))
    for name, (found, status) in live.items():
        if name not in names and status not in ("human", "absent"):
            ops.append(SyncGroup(name, None, "released", found))
    return tuple(ops), baselines


def apply_groups(tree: Value, ops: Iterable[SyncGroup], *, key: bytes) -> Value:
    """``tree`` with ``ops`` performed: values replaced in place (their comments kept) and
    markers set or dropped; a missing group is appended to ``groups``, created if absent."""
    for op in ops:
        pointer = json_pointer("groups", op.name)
        if op.members is None:
            tree = tree.comment_above(pointer, None, replaces=_is_group_marker)
            continue
        members: list[JSON] = list(op.members)
        marker = group_marker(op.name, op.members, key)
        if tree.find(pointer) is None:
            tree = _ensure_groups(tree).add_all("/groups", [(op.name, members, [marker])])
            continue
        tree = tree.replace(pointer, members)
        try:
            tree = tree.comment_above(pointer, marker, replaces=_is_group_marker)
        except HuJSONError:  # the entry shares a line: it moves to a line of its own, last
            tree = tree.remove(pointer).add_all("/groups", [(op.name, members, [marker])])
    return tree


def _is_group_marker(comment: str) -> bool:
    return comment.lower().replace(" ", "").startswith("//tailjit:group")


def _live_groups(policy: Value, key: bytes) -> dict[str, tuple[tuple[str, ...] | None, str]]:
    """Each member of ``groups``: its members (None when not a list of strings) and status:
    ``human`` (no marker), ``owned`` (a valid marker) or ``altered`` (a marker that fails)."""
    root = policy.node
    groups = root.get("groups") if isinstance(root, Object) else None
    if groups is None or not isinstance(groups.node, Object):
        return {}
    found: dict[str, tuple[tuple[str, ...] | None, str]] = {}
    for member in groups.node.members:
        name = member.name_str
        value = member.value.to_python()
        members: tuple[str, ...] | None = None
        if isinstance(value, list):
            strings = tuple(v for v in value if isinstance(v, str))
            members = strings if len(strings) == len(value) else None
        comment = line_comment_above(member.name.before)
        if comment is None or not _is_group_marker(comment):
            found[name] = (members, "human")
            continue
        matched = _GROUP_MARKER.fullmatch(comment)
        valid = (
            matched is not None
            and members is not None
            and hmac.compare_digest(matched["mac"], _mac(name, list(members), key))
        )
        found[name] = (members, "owned" if valid else "altered")
    return found


def _ensure_groups(tree: Value) -> Value:
    root = tree.node
    if not isinstance(root, Object):
        raise InvalidInput("policy", "root", "an object")
    found = root.get("groups")
    if found is None:
        return tree.set_member("", "groups", {}, comments=[CONTAINER_MARKER])
    if not isinstance(found.node, Object):
        raise InvalidInput("policy", "/groups", "an object")
    return tree


def _mac(name: str, members: list[str], key: bytes) -> str:
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        size = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
        raise InvalidInput("marker key", size, f"bytes, at least {MIN_KEY_BYTES} of them")
    message = b"\n".join([_DOMAIN, name.encode("utf-8"), canonical_json(members)])
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:MAC_HEX_DIGITS]
