"""Slack interactivity: the request-signing check and the button click it carries.

Slack signs every request to the app's Request URL: ``X-Slack-Request-Timestamp`` (unix
seconds) and ``X-Slack-Signature: v0=<hex>``, hex HMAC-SHA256 keyed by the app's signing secret
(as written, not decoded) over ``v0:<timestamp>:<raw body>``; the timestamp must be within 5
minutes of now (docs.slack.dev "Verifying requests from Slack").

The body is ``application/x-www-form-urlencoded`` with one ``payload`` parameter holding JSON;
tailjit accepts ``block_actions`` (a Block Kit button) and reads the first action. Slack's
``token`` field is deprecated and never trusted, and neither is ``value`` on its own: the
receiver checks the clicking user against the approver rules.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tailjit.errors import shown
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.wire import (
    DEFAULT_TOLERANCE,
    as_list,
    as_object,
    check_window,
    child,
    load_json,
    optional_object,
    optional_str,
    parse_unix,
    require_header,
    required_str,
    same_secret,
    secrets_of,
)

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Interaction",
    "parse_interaction",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"


@dataclass(frozen=True, slots=True)
class Interaction:
    """One click on a Block Kit element, as the approval flow needs it.

    ``value`` is the button's value (tailjit puts the request id there); ``channel_id`` and
    ``message_ts`` name the message to update (None for a Home tab click), ``response_url`` is
    where to reply (up to 5 times within 30 minutes). ``email`` is present only if the payload
    carries one (Slack's block_actions payloads usually do not: look it up by ``user_id``).
    """

    user_id: str
    action_id: str
    username: str | None = None
    email: str | None = None
    team_id: str | None = None
    block_id: str | None = None
    value: str | None = None
    response_url: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None

    @property
    def key(self) -> str:
        """Deduplicates a double click: the same user, message, action and value."""
        return f"{self.user_id}|{self.message_ts}|{self.action_id}|{self.value}"


def sign(signing_secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``v0=<hex>`` signature Slack sends for ``body`` at ``timestamp``."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    signing_secret: str | Sequence[str],
    now: datetime,
    tolerance: float = DEFAULT_TOLERANCE,
) -> None:
    """Check the signature, then the timestamp (``tolerance`` seconds either side of ``now``).

    Raises `DeliveryRejected`: ``missing-header``, ``malformed-header``, ``bad-signature`` or
    ``stale-timestamp``.
    """
    secrets = secrets_of(signing_secret, "slack signing secret")
    timestamp_text = require_header(headers, TIMESTAMP_HEADER)
    given = require_header(headers, SIGNATURE_HEADER)
    timestamp = parse_unix(timestamp_text, TIMESTAMP_HEADER)
    if not given.startswith("v0="):
        raise DeliveryRejected(Reason.MALFORMED_HEADER, f"{SIGNATURE_HEADER} is not v0=<hex>")
    # Every secret is compared, so the time taken does not say which one matched.
    if not sum(same_secret(given.lower(), sign(s, timestamp_text, body)) for s in secrets):
        raise DeliveryRejected(
            Reason.BAD_SIGNATURE, f"{SIGNATURE_HEADER} does not match the body and signing secret"
        )
    check_window(timestamp, now=now, tolerance=tolerance, header=TIMESTAMP_HEADER)


def parse_interaction(body: bytes) -> Interaction:
    """The click in a verified interaction request (form body, ``payload=<json>``)."""
    try:
        form = urllib.parse.parse_qs(
            body.decode("ascii"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY, "the body is not application/x-www-form-urlencoded"
        ) from exc
    payloads = form.get("payload", [])
    if len(payloads) != 1:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY,
            f"payload: expected one form parameter, got {len(payloads)}",
        )
    payload = as_object(load_json(payloads[0].encode(), "payload"), "payload")
    kind = required_str(payload, "type", "payload")
    if kind != "block_actions":
        raise DeliveryRejected(
            Reason.UNKNOWN_EVENT, f"payload.type {shown(kind)} is not block_actions"
        )
    user = as_object(child(payload, "user", "payload"), "payload.user")
    actions = as_list(child(payload, "actions", "payload"), "payload.actions")
    if not actions:
        raise DeliveryRejected(Reason.MALFORMED_BODY, "payload.actions: empty")
    action = as_object(actions[0], "payload.actions[0]")
    container = optional_object(payload, "container", "payload")
    channel = optional_object(payload, "channel", "payload")
    message = optional_object(payload, "message", "payload")
    team = optional_object(payload, "team", "payload")
    return Interaction(
        user_id=required_str(user, "id", "payload.user"),
        action_id=required_str(action, "action_id", "payload.actions[0]"),
        username=optional_str(user, "username", "payload.user"),
        email=optional_str(user, "email", "payload.user"),
        team_id=(
            optional_str(user, "team_id", "payload.user")
            or optional_str(team, "id", "payload.team")
        ),
        block_id=optional_str(action, "block_id", "payload.actions[0]"),
        value=optional_str(action, "value", "payload.actions[0]"),
        response_url=optional_str(payload, "response_url", "payload"),
        channel_id=(
            optional_str(container, "channel_id", "payload.container")
            or optional_str(channel, "id", "payload.channel")
        ),
        message_ts=(
            optional_str(container, "message_ts", "payload.container")
            or optional_str(message, "ts", "payload.message")
        ),
    )
