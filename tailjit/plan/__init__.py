"""Planning policy edits: what tailjit adds to and removes from the policy file.

Pure domain: `plan` turns (desired, live, now) into operations, `apply` performs the policy
ones on a tree. No I/O and no clock; ``now`` and the MAC key are passed in.
"""

from tailjit.plan.groups import (
    GROUP_MARKER_PREFIX,
    GroupSync,
    SyncGroup,
    apply_groups,
    desired_members,
    group_marker,
    plan_groups,
)
from tailjit.plan.live import LiveEntries, LiveEntry, LiveStatus, collect_live, json_pointer
from tailjit.plan.markers import (
    CONTAINER_MARKER,
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
    "GROUP_MARKER_PREFIX",
    "MAC_HEX_DIGITS",
    "MIN_KEY_BYTES",
    "TAILJIT_ATTRIBUTE_PREFIX",
    "AddEntries",
    "DeleteAttribute",
    "DesiredGrant",
    "GroupSync",
    "LiveEntries",
    "LiveEntry",
    "LiveStatus",
    "MalformedMarker",
    "Marker",
    "MarkerKind",
    "Op",
    "RemoveEntry",
    "SetAttribute",
    "SyncGroup",
    "apply",
    "apply_groups",
    "canonical_json",
    "collect_live",
    "desired_members",
    "grant_entry",
    "group_marker",
    "json_pointer",
    "parse_marker",
    "plan",
    "plan_groups",
    "posture_entry",
    "sign",
    "verify",
]
