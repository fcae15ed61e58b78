"""The entries tailjit finds in a live policy file, and whether it may trust them (DESIGN.md §3).

An entry is tailjit's when the last comment in the gap before it is a marker (`parse_marker`
gives a `Marker` or a `MalformedMarker`): an element of the top-level ``grants`` array, or a
member of the top-level ``postures`` object (its name's gap). Everything else is a human's.

Attachment follows `tailjit.hujson`'s comment ownership: a marker belongs to the entry when it
is a line of its own directly above it, which is how tailjit writes it. A marker on the line of
the entry before it (that entry's same-line comment), or with a blank line between it and the
entry (a floating paragraph), belongs to no entry: the entry after it is reported as forged with
reason ``"detached marker"``, because a comment that only looks attached is exactly what a hand
edit leaves behind. A floating marker followed by a human comment, or one before a closing
bracket, is not the last comment before any entry and is not reported here.

A posture's MAC covers the member's value; its name is checked separately: it must be
``posture:tailjit_<id>`` for the marker's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tailjit.errors import InvalidInput
from tailjit.hujson import JSON, Array, Object, Value
from tailjit.ids import GrantId
from tailjit.plan.markers import MalformedMarker, Marker, MarkerKind, parse_marker, verify

__all__ = ["LiveEntries", "LiveEntry", "LiveStatus", "collect_live", "json_pointer"]

LiveStatus = Literal["owned", "expired", "forged"]
"""``owned``: signed by tailjit and not yet expired; ``expired``: signed, ``expires <= now``;
``forged``: looks like tailjit's but is not exactly what tailjit signed."""

DETACHED = "detached marker"

# One piece of a gap: blanks, a line comment (to its line break, not included) or a block comment.
_GAP_PIECE = re.compile(r"[ \t\r\n]+|//[^\n]*|/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """One marked entry as found in the policy file.

    ``grant_id`` and ``expires`` come from the marker (None when it is malformed); for a forged
    entry they are what the marker claims, not facts. ``pointer`` is the RFC 6901 pointer of the
    entry (``/grants/3``, ``/postures/posture:tailjit_G7KQ2M3X``) and ``value`` its plain JSON.
    ``reason`` says why an entry is forged and is empty otherwise.
    """

    kind: MarkerKind
    grant_id: GrantId | None
    expires: datetime | None
    pointer: str
    value: JSON
    status: LiveStatus
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LiveEntries:
    """Every marked entry, in file order (grants first, then postures), and the human ones."""

    entries: tuple[LiveEntry, ...]
    human: tuple[str, ...]
    """Pointers of the unmarked entries of ``grants`` and ``postures``: never touched."""

    def with_status(self, status: LiveStatus) -> tuple[LiveEntry, ...]:
        """The entries of one status, in file order."""
        return tuple(entry for entry in self.entries if entry.status == status)


def json_pointer(*tokens: str | int) -> str:
    """The RFC 6901 pointer of ``tokens``: ``~`` is written ``~0`` and ``/`` is written ``~1``."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def collect_live(policy: Value, *, key: bytes, now: datetime) -> LiveEntries:
    """The marked entries of ``policy`` classified against ``key`` at ``now`` (aware).

    A policy whose root is not an object, or without a ``grants`` array or ``postures`` object,
    simply has fewer entries; validating the policy is not this function's job. `InvalidInput`
    for a naive ``now`` or (when there is an entry to check) a key that is too short.
    """
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("now", now, "an aware datetime")
    entries: list[LiveEntry] = []
    human: list[str] = []
    root = policy.node
    grants = root.get("grants") if isinstance(root, Object) else None
    if grants is not None and isinstance(grants.node, Array):
        for index, element in enumerate(grants.node.elements):
            pointer = json_pointer("grants", index)
            found = _marker_of(element.before)
            if found is None:
                human.append(pointer)
                continue
            value = element.to_python()
            entries.append(_classify(MarkerKind.GRANT, found, pointer, value, None, key, now))
    postures = root.get("postures") if isinstance(root, Object) else None
    if postures is not None and isinstance(postures.node, Object):
        for member in postures.node.members:
            name = member.name_str
            pointer = json_pointer("postures", name)
            found = _marker_of(member.name.before)
            if found is None:
                human.append(pointer)
                continue
            value = member.value.to_python()
            entries.append(_classify(MarkerKind.POSTURE, found, pointer, value, name, key, now))
    return LiveEntries(tuple(entries), tuple(human))


def _marker_of(gap: str) -> Marker | MalformedMarker | str | None:
    """The marker the last comment of ``gap`` spells, None if it is no marker, or
    `DETACHED` when it is a marker that is not a line of its own right above the entry."""
    pieces = [m[0] for m in _GAP_PIECE.finditer(gap)]
    last = next((i for i in range(len(pieces) - 1, -1, -1) if pieces[i][0] == "/"), None)
    if last is None:
        return None
    found = parse_marker(pieces[last])
    if found is None:
        return None
    before = pieces[last - 1] if last else ""
    after = pieces[last + 1] if last + 1 < len(pieces) else ""
    on_own_line = "\n" in before and before.rsplit("\n", 1)[1].strip(" \t") == ""
    right_above = after.count("\n") == 1
    if not (on_own_line and right_above):
        return DETACHED
    return found


def _classify(
    kind: MarkerKind,
    found: Marker | MalformedMarker | str,
    pointer: str,
    value: JSON,
    name: str | None,
    key: bytes,
    now: datetime,
) -> LiveEntry:
    if isinstance(found, str):
        return LiveEntry(kind, None, None, pointer, value, "forged", found)
    if isinstance(found, MalformedMarker):
        return LiveEntry(kind, None, None, pointer, value, "forged", found.reason)

    def forged(reason: str) -> LiveEntry:
        return LiveEntry(kind, found.grant_id, found.expires, pointer, value, "forged", reason)

    if found.kind is not kind:
        return forged(f"a {found.kind.value} marker on a {kind.value} entry")
    if name is not None and name != found.grant_id.posture_name:
        return forged(f"posture name does not match the marker's id {found.grant_id}")
    if not verify(found, value, key):
        return forged("MAC does not match the entry")
    status: LiveStatus = "expired" if found.expires <= now else "owned"
    return LiveEntry(kind, found.grant_id, found.expires, pointer, value, status)
