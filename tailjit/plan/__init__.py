"""Planning policy edits: what tailjit adds to and removes from the policy file.

Pure domain: `plan` turns (desired, live, now) into operations, `apply` performs the policy
ones on a tree. No I/O and no clock; ``now`` and the MAC key are passed in.
"""

from tailjit.plan.live import LiveEntries, LiveEntry, LiveStatus, collect_live, json_pointer
from tailjit.plan.markers import (
    MAC_HEX_DIGITS,
    MIN_KEY_BYTES,
    MalformedMarker,
    Marker,
    MarkerKind,
    canonical_json,
    parse_marker,
    sign,
    verify,
)
from tailjit.plan.ops import (
    CONTAINER_MARKER,
    TAILJIT_ATTRIBUTE_PREFIX,
    AddEntries,
    DeleteAttribute,
    DesiredGrant,
    Op,
    RemoveEntry,
    SetAttribute,
    apply,
    grant_entry,
    plan,
    posture_entry,
)

__all__ = [
    "CONTAINER_MARKER",
    "MAC_HEX_DIGITS",
    "MIN_KEY_BYTES",
    "TAILJIT_ATTRIBUTE_PREFIX",
    "AddEntries",
    "DeleteAttribute",
    "DesiredGrant",
    "LiveEntries",
    "LiveEntry",
    "LiveStatus",
    "MalformedMarker",
    "Marker",
    "MarkerKind",
    "Op",
    "RemoveEntry",
    "SetAttribute",
    "apply",
    "canonical_json",
    "collect_live",
    "grant_entry",
    "json_pointer",
    "parse_marker",
    "plan",
    "posture_entry",
    "sign",
    "verify",
]
