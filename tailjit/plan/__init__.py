"""Planning policy edits: what tailjit adds to and removes from the policy file.

Pure domain: no I/O and no clock; ``now`` and the MAC key are passed in.
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

__all__ = [
    "MAC_HEX_DIGITS",
    "MIN_KEY_BYTES",
    "LiveEntries",
    "LiveEntry",
    "LiveStatus",
    "MalformedMarker",
    "Marker",
    "MarkerKind",
    "canonical_json",
    "collect_live",
    "json_pointer",
    "parse_marker",
    "sign",
    "verify",
]
