"""Tailscale's own webhooks: the ``Tailscale-Webhook-Signature`` check and the events.

The header is ``t=<unix seconds>,v1=<hex>``: comma-separated ``key=value`` pairs, possibly
several ``v1`` (any may match), unknown keys ignored. Each ``v1`` is hex HMAC-SHA256 keyed by the
webhook secret as written (``tskey-webhook-...``, not decoded) over ``<t>.<raw body>``
(tailscale/tailscale ``docs/webhooks/example.go``); ``t`` must be within 5 minutes of now.

The body is a JSON array of events ``{timestamp, version, type, tailnet, message, data}``.
tailjit acts on:

* ``policyUpdate``: verify the policy now (`EventKind.POLICY_UPDATED`, no login);
* ``userDeleted``, ``userSuspended``: the user loses everything (``USER_DEACTIVATED``);
* ``userRestored``: ``USER_REACTIVATED``;
* ``userRoleUpdated``: re-check the user's grants (``USER_ROLE_CHANGED``).

The user is ``data.user`` (what the sandbox sends; Tailscale's own ``data`` keys are not
documented). A user event without a usable ``data.user`` is skipped and the reason returned,
rather than refusing the batch: a refused delivery is retried and holds up every later event.
Other types (``nodeCreated``, ``userCreated``, ``userApproved``, ...) are ignored;
``userApproved`` lets a new user in and never follows a suspension, so it is not a
reactivation.

Tailscale sends no delivery or event id. `delivery_id` is a hash of the body, so a retry of the
same bytes is the same delivery whatever its signing time; each event's ``event_id`` is that
hash and the event's index in the array. Two distinct events are therefore never taken for
one (a suspend, restore and suspend within one second stay three events); an event re-sent in
a different batch would be applied again, which is harmless because every action above is
idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from tailjit.errors import InvalidInput, shown
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.wire import (
    DEFAULT_TOLERANCE,
    Parsed,
    as_list,
    as_object,
    check_window,
    instant,
    load_json,
    optional_object,
    optional_str,
    parse_unix,
    require_header,
    required_str,
    same_secret,
    secrets_of,
)
from tailjit.ids import Login

__all__ = ["KINDS", "SIGNATURE_HEADER", "delivery_id", "parse_events", "sign", "verify"]

SIGNATURE_HEADER = "Tailscale-Webhook-Signature"

KINDS: Mapping[str, EventKind] = {
    "policyUpdate": EventKind.POLICY_UPDATED,
    "userDeleted": EventKind.USER_DEACTIVATED,
    "userSuspended": EventKind.USER_DEACTIVATED,
    "userRestored": EventKind.USER_REACTIVATED,
    "userRoleUpdated": EventKind.USER_ROLE_CHANGED,
}
"""The Tailscale event types tailjit acts on, and what each means."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` signature of ``body`` signed at ``timestamp``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str | Sequence[str],
    now: datetime,
    tolerance: float = DEFAULT_TOLERANCE,
) -> int:
    """Check the signature, then ``t``; return ``t`` (unix seconds) for the log.

    ``secret`` may be several secrets during a rotation; ``tolerance`` is in seconds either side
    of ``now``. Raises `DeliveryRejected`: ``missing-header``, ``malformed-header``,
    ``bad-signature`` or ``stale-timestamp``.
    """
    secrets = secrets_of(secret, "tailscale webhook secret")
    header = require_header(headers, SIGNATURE_HEADER)
    timestamps: list[str] = []
    given: list[str] = []
    for piece in header.split(","):
        key, sep, value = piece.strip().partition("=")
        if not sep:
            raise DeliveryRejected(
                Reason.MALFORMED_HEADER, f"{SIGNATURE_HEADER} part {shown(piece)} is not key=value"
            )
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            given.append(value.lower())
    if len(timestamps) != 1 or not given:
        raise DeliveryRejected(
            Reason.MALFORMED_HEADER, f"{SIGNATURE_HEADER} needs one t= and at least one v1="
        )
    timestamp = parse_unix(timestamps[0], f"{SIGNATURE_HEADER} t")
    expected = [sign(s, timestamp, body) for s in secrets]
    # Every pair is compared, so the time taken does not say which one matched.
    if not sum(same_secret(g, e) for g in given for e in expected):
        raise DeliveryRejected(
            Reason.BAD_SIGNATURE,
            f"no {SIGNATURE_HEADER} v1 matches the body and a configured secret",
        )
    check_window(timestamp, now=now, tolerance=tolerance, header=f"{SIGNATURE_HEADER} t")
    return timestamp


def delivery_id(body: bytes) -> str:
    """The delivery id tailjit gives a Tailscale delivery: ``sha256:`` and 32 hex digits."""
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]


def parse_events(body: bytes, delivery: str) -> Parsed:
    """The events of a verified delivery (see the module docstring for the mapping)."""
    items = as_list(load_json(body), "the body")
    events: list[IdentityEvent] = []
    skipped: list[str] = []
    ignored: list[str] = []
    for index, item in enumerate(items):
        path = f"[{index}]"
        event = as_object(item, path)
        event_type = required_str(event, "type", path)
        kind = KINDS.get(event_type)
        if kind is None:
            ignored.append(event_type)
            continue
        at = instant(required_str(event, "timestamp", path), f"{path}.timestamp")
        login: Login | None = None
        if kind is not EventKind.POLICY_UPDATED:
            data = optional_object(event, "data", path)
            user = optional_str(data, "user", f"{path}.data")
            if user is None:
                skipped.append(f"{path} ({event_type}): data.user is missing")
                continue
            try:
                login = Login.parse(user)
            except InvalidInput:
                skipped.append(f"{path} ({event_type}): {shown(user)} is not a tailnet login")
                continue
        events.append(
            IdentityEvent(
                source=Source.TAILSCALE,
                kind=kind,
                delivery=delivery,
                login=login,
                event_id=f"{delivery}#{index}",
                at=at,
            )
        )
    return Parsed(tuple(events), tuple(skipped), tuple(ignored))
