"""Generic signed webhooks: Standard Webhooks (v1) carrying one documented tailjit event.

For any identity provider or glue code that is not Okta or SCIM. The sender signs as Standard
Webhooks says (https://www.standardwebhooks.com):

* ``webhook-id``: a unique id per message, the same on every retry (tailjit deduplicates on it;
  printable ASCII, at most 256 characters);
* ``webhook-timestamp``: integer unix seconds of this attempt, within 5 minutes of tailjit's
  clock either way;
* ``webhook-signature``: space-separated ``v1,<base64>`` signatures, any of which may match
  (so a secret can be rotated); each is base64 of HMAC-SHA256 over
  ``<webhook-id>.<webhook-timestamp>.<raw body>``, keyed by the secret. A secret written
  ``whsec_<base64>`` is base64-decoded to get the key; any other secret is used as its UTF-8
  bytes. Other signature versions (``v1a``, ed25519) are not accepted.

The body is one JSON object (UTF-8, at most 1 MiB), one event per delivery::

    {
      "type": "group.member.added",
      "timestamp": "2026-01-01T12:00:00Z",
      "data": {"login": "alice@example.com", "group": "oncall"}
    }

``type`` is one of

* ``group.member.added``: ``data.login`` joined ``data.group``;
* ``group.member.removed``: ``data.login`` left ``data.group`` (grants that relied on it end);
* ``user.deactivated``: ``data.login`` loses every grant and pending request;
* ``user.reactivated``: ``data.login`` may request access again.

``timestamp`` (RFC 3339 with ``Z`` or an offset) is when the change happened. ``data.login`` is
a tailnet login (lowercased); ``data.group`` is the group as the identity provider names it,
required for the two membership types; tailjit maps it to a tailnet ``group:`` as configured.
Other keys are ignored, so a sender may add its own. Any other ``type`` is refused
(``unknown-event``), as is a body that is not exactly this shape (``malformed-body``, naming
the field).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from tailjit.errors import InvalidInput, shown
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.wire import (
    DEFAULT_TOLERANCE,
    as_object,
    check_window,
    child,
    instant,
    load_json,
    malformed,
    parse_unix,
    require_header,
    required_str,
    same_secret,
    secrets_of,
)
from tailjit.ids import Login

__all__ = [
    "ID_HEADER",
    "KINDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "key_of",
    "parse_event",
    "sign",
    "verify",
]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
_ID_MAX = 256
_SECRET_PREFIX = "whsec_"

KINDS: Mapping[str, EventKind] = {
    kind.value: kind
    for kind in (
        EventKind.MEMBER_ADDED,
        EventKind.MEMBER_REMOVED,
        EventKind.USER_DEACTIVATED,
        EventKind.USER_REACTIVATED,
    )
}
"""The event ``type`` values of the tailjit event body."""

_MEMBERSHIP = frozenset({EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED})


def key_of(secret: str) -> bytes:
    """The HMAC key of a secret: base64-decoded after ``whsec_``, else the secret's UTF-8 bytes."""
    if not secret.startswith(_SECRET_PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret[len(_SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        # Never show the secret itself.
        raise InvalidInput(
            "webhook secret", "whsec_...", "whsec_ followed by base64, or a raw secret"
        ) from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of ``body``, as a sender (and the tests) make it."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str | Sequence[str],
    now: datetime,
    tolerance: float = DEFAULT_TOLERANCE,
) -> str:
    """Check a delivery's signature, then its timestamp; return its ``webhook-id``.

    ``secret`` may be several secrets during a rotation; ``tolerance`` is in seconds either
    side of ``now``. The signature is checked first, so an unsigned request learns nothing
    about the clock. Raises `DeliveryRejected`: ``missing-header``, ``malformed-header``,
    ``bad-signature`` or ``stale-timestamp``.
    """
    secrets = secrets_of(secret, "webhook secret")
    msg_id = require_header(headers, ID_HEADER)
    timestamp_text = require_header(headers, TIMESTAMP_HEADER)
    signatures = require_header(headers, SIGNATURE_HEADER)
    if len(msg_id) > _ID_MAX or not (msg_id.isascii() and msg_id.isprintable()):
        raise DeliveryRejected(
            Reason.MALFORMED_HEADER,
            f"{ID_HEADER} {shown(msg_id)} is not printable ASCII of at most {_ID_MAX} characters",
        )
    timestamp = parse_unix(timestamp_text, TIMESTAMP_HEADER)
    given = [
        value
        for version, _, value in (s.partition(",") for s in signatures.split())
        if version == "v1"
    ]
    if not given:
        raise DeliveryRejected(
            Reason.MALFORMED_HEADER, f"{SIGNATURE_HEADER} holds no v1,<base64> signature"
        )
    expected = [sign(s, msg_id, timestamp, body).removeprefix("v1,") for s in secrets]
    # Every pair is compared, so the time taken does not say which one matched.
    if not sum(same_secret(g, e) for g in given for e in expected):
        raise DeliveryRejected(
            Reason.BAD_SIGNATURE, f"no {SIGNATURE_HEADER} matches the body and a configured secret"
        )
    check_window(timestamp, now=now, tolerance=tolerance, header=TIMESTAMP_HEADER)
    return msg_id


def parse_event(body: bytes, delivery: str) -> list[IdentityEvent]:
    """The one event of a verified delivery (the format is in the module docstring)."""
    message = as_object(load_json(body), "the body")
    event_type = required_str(message, "type", "")
    kind = KINDS.get(event_type)
    if kind is None:
        raise DeliveryRejected(
            Reason.UNKNOWN_EVENT,
            f"type {shown(event_type)} is not one of {', '.join(sorted(KINDS))}",
        )
    at = instant(required_str(message, "timestamp", ""), "timestamp")
    data = as_object(child(message, "data", ""), "data")
    login_text = required_str(data, "login", "data")
    try:
        login = Login.parse(login_text)
    except InvalidInput as exc:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY, f"data.login: {shown(login_text)} is not a tailnet login"
        ) from exc
    group: str | None = None
    if kind in _MEMBERSHIP:
        group = required_str(data, "group", "data")
        if not group.isprintable():
            raise malformed("data.group", "printable text", group)
    return [
        IdentityEvent(
            source=Source.GENERIC, kind=kind, delivery=delivery, login=login, group=group, at=at
        )
    ]
