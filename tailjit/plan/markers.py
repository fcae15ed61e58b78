"""The marker line comment before every entry tailjit adds to the policy file (DESIGN.md §3).

A marker reads ``// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=<32 hex digits>``
(``tailjit:posture`` before a posture entry). It carries what the reconcile loop needs to expire
the entry without the database: the grant id and the expiry in UTC, to the second. The MAC ties
both to the entry itself, so a hand-made or hand-edited "tailjit" entry is detected as forged.

The MAC is HMAC-SHA256 under a key only tailjit holds, over the bytes of::

    tailjit-marker-v1 LF <kind> LF <grant id> LF <expiry> LF <entry's canonical JSON>

where the expiry is spelled as in the marker and the canonical JSON is
``json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``. The fields
before the JSON come from strict grammars without line breaks, and the JSON comes last, so the
message is unambiguous; the ``v1`` prefix separates it from any other use of the key. The digest
is cut to its first `MAC_HEX_DIGITS` hex digits (128 bits).

Every field written is drawn from a fixed alphabet (the kind from `MarkerKind`, the id from
`GrantId`'s grammar, the expiry as formatted here, the MAC as lowercase hex), so a marker can
never hold ``*/``, a quote or a line break. Parsing accepts exactly what `Marker.text` writes,
so ``parse_marker(m.text()) == m`` and ``parse_marker(c).text() == c`` for every marker ``c``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from tailjit.errors import InvalidInput
from tailjit.ids import CROCKFORD_ALPHABET, GrantId

__all__ = [
    "CONTAINER_MARKER",
    "MAC_HEX_DIGITS",
    "MIN_KEY_BYTES",
    "MalformedMarker",
    "Marker",
    "MarkerKind",
    "canonical_json",
    "parse_marker",
    "sign",
    "verify",
]

CONTAINER_MARKER = "// tailjit:container"
"""The comment before a ``grants``, ``postures`` or ``groups`` member that tailjit created in a
policy file without one: tailjit removes ``grants`` and ``postures`` again once empty. Anything
else in the file (a human's empty ``grants``, say) is never removed."""

MAC_HEX_DIGITS = 32
"""Hex digits of the HMAC-SHA256 digest kept in a marker: 32, that is 128 bits."""

MIN_KEY_BYTES = 16
"""The shortest MAC key accepted; an empty or tiny key is a configuration mistake, not a key."""

_DOMAIN = b"tailjit-marker-v1"
_EXPIRY_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_MAC = re.compile(f"[0-9a-f]{{{MAC_HEX_DIGITS}}}")
_MARKER = re.compile(
    r"// tailjit:(?P<kind>[a-z]+)"
    rf" id=(?P<id>[{CROCKFORD_ALPHABET}]{{8}})"
    r" exp=(?P<exp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"
    rf" mac=(?P<mac>[0-9a-f]{{{MAC_HEX_DIGITS}}})"
)
# What makes a comment "tailjit-looking": a line or block comment whose text starts with
# ``tailjit:`` in any case and spacing. A near miss is far more likely a hand-edited marker than
# a human's own note, so it is reported rather than silently treated as foreign.
_LOOKS_LIKE_TAILJIT = re.compile(r"/[/*][ \t]*tailjit:", re.IGNORECASE)
_LINE_END = re.compile(r"(?:\r\n|\r|\n)\Z")


class MarkerKind(enum.StrEnum):
    """What the marked entry is: a grant in ``grants`` or a posture in ``postures``."""

    GRANT = "grant"
    POSTURE = "posture"


@dataclass(frozen=True, slots=True)
class Marker:
    """One marker: kind, grant id, expiry (aware, UTC, whole seconds) and the MAC in hex.

    Construction validates every field and raises `InvalidInput` otherwise; an aware expiry in
    another zone is converted to UTC, a naive one or one with a fraction of a second is refused
    (rounding it either way would change what was signed).
    """

    kind: MarkerKind
    grant_id: GrantId
    expires: datetime
    mac: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, MarkerKind):
            raise InvalidInput("marker kind", self.kind, "one of: grant, posture")
        if not isinstance(self.grant_id, GrantId):
            raise InvalidInput("grant id", self.grant_id, "a GrantId (use GrantId.parse)")
        object.__setattr__(self, "expires", _utc_seconds(self.expires))
        if not isinstance(self.mac, str) or not _MAC.fullmatch(self.mac):
            raise InvalidInput("marker mac", self.mac, f"{MAC_HEX_DIGITS} lowercase hex digits")

    @property
    def expiry_text(self) -> str:
        """The expiry as the marker spells it: ``2026-11-21T15:04:05Z``."""
        return _format_expiry(self.expires)

    def text(self) -> str:
        """The comment line, without a line break: ``// tailjit:grant id=... exp=... mac=...``."""
        return (
            f"// tailjit:{self.kind.value} id={self.grant_id} exp={self.expiry_text} mac={self.mac}"
        )


@dataclass(frozen=True, slots=True)
class MalformedMarker:
    """A comment that looks like a tailjit marker but is not one tailjit could have written.

    `parse_marker` returns this rather than raising, so the reconcile loop can collect every
    such entry in one pass. The loop must treat the entry as forged: remove it and report it.
    ``comment`` is the text as found (it may hold anything; show it with `tailjit.errors.shown`)
    and ``reason`` says what is wrong.
    """

    comment: str
    reason: str


def canonical_json(entry: object) -> bytes:
    """The entry as the MAC sees it: sorted keys, no spaces, ASCII only, UTF-8 bytes.

    `InvalidInput` if the value is not JSON (NaN, infinities, sets, arbitrary objects, ...).
    """
    try:
        text = json.dumps(
            entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise InvalidInput("policy entry", entry, "a JSON value") from err
    return text.encode("ascii")


def sign(
    kind: MarkerKind, grant_id: GrantId, expires: datetime, entry: object, key: bytes
) -> Marker:
    """The marker for ``entry``, valid until ``expires``, with its MAC under ``key``.

    `InvalidInput` for a naive or fractional expiry, an entry that is not JSON, or a key shorter
    than `MIN_KEY_BYTES` (the error states the key's length, never its bytes).
    """
    probe = Marker(kind, grant_id, expires, "0" * MAC_HEX_DIGITS)  # validates the fields
    mac = _mac(probe.kind, probe.grant_id, probe.expiry_text, canonical_json(entry), key)
    return Marker(probe.kind, probe.grant_id, probe.expires, mac)


def verify(marker: Marker, entry: object, key: bytes) -> bool:
    """Whether ``marker`` was made by `sign` for exactly this entry under ``key``.

    Compared in constant time. An entry that is not JSON cannot have been signed: False.
    A key shorter than `MIN_KEY_BYTES` is a configuration mistake and raises `InvalidInput`.
    """
    try:
        body = canonical_json(entry)
    except InvalidInput:
        return False
    expected = _mac(marker.kind, marker.grant_id, marker.expiry_text, body, key)
    return hmac.compare_digest(expected, marker.mac)


def parse_marker(comment: str) -> Marker | MalformedMarker | None:
    """The marker ``comment`` spells, or None when it is not a tailjit comment at all.

    ``comment`` is one comment's text, ``//`` included; one trailing line ending (LF, CRLF or
    CR) is ignored, as it belongs to the file. A comment that starts like a tailjit one
    (``//`` or ``/*``, optional blanks, ``tailjit:`` in any case) but is not exactly what
    `Marker.text` writes gives a `MalformedMarker`. Nothing is raised, whatever the input.
    """
    if not isinstance(comment, str) or not _LOOKS_LIKE_TAILJIT.match(comment):
        return None
    text = _LINE_END.sub("", comment, count=1)
    found = _MARKER.fullmatch(text)
    if found is None:
        return MalformedMarker(
            comment,
            "not of the form '// tailjit:<kind> id=<grant id> exp=<YYYY-MM-DDTHH:MM:SSZ> "
            f"mac=<{MAC_HEX_DIGITS} lowercase hex digits>'",
        )
    try:
        kind = MarkerKind(found["kind"])
    except ValueError:
        return MalformedMarker(comment, f"unknown kind {found['kind']!r}: grant or posture")
    try:
        expires = datetime.strptime(found["exp"], _EXPIRY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return MalformedMarker(comment, f"no such time {found['exp']!r}")
    marker = Marker(kind, GrantId(found["id"]), expires, found["mac"])
    if marker.text() != text:  # e.g. a year below 1000 that strptime read another way
        return MalformedMarker(comment, "not spelled as tailjit writes it")
    return marker


def _utc_seconds(expires: object) -> datetime:
    allowed = "an aware datetime with whole seconds, such as 2026-11-21T15:04:05Z"
    if not isinstance(expires, datetime):
        raise InvalidInput("marker expiry", expires, allowed)
    if expires.tzinfo is None or expires.utcoffset() is None:
        raise InvalidInput("marker expiry", expires.isoformat(), allowed + " (this one is naive)")
    if expires.microsecond:
        raise InvalidInput("marker expiry", expires.isoformat(), allowed)
    return expires.astimezone(UTC)


def _format_expiry(expires: datetime) -> str:
    # isoformat pads the year to four digits; strftime's %Y does not on every platform.
    return expires.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _mac(kind: MarkerKind, grant_id: GrantId, expiry: str, body: bytes, key: bytes) -> str:
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        size = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
        raise InvalidInput("marker key", size, f"bytes, at least {MIN_KEY_BYTES} of them")
    fields = f"{kind.value}\n{grant_id}\n{expiry}".encode("ascii")
    message = b"\n".join([_DOMAIN, fields, body])
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:MAC_HEX_DIGITS]
