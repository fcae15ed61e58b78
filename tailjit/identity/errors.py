"""`DeliveryRejected`: why a webhook delivery was refused, as a code and a message.

Every receiver (Okta, Standard Webhooks, Tailscale, Slack) raises this one error; ``reason`` is a
short stable code for metrics and the response body, ``str(error)`` names what was wrong (a
header, a field path such as ``data.events[0].uuid``) and never contains a secret or a
signature. The HTTP adapter chooses the status: a refusal from a ``verify``/``check_secret``
function is 401, from a ``parse_*`` function 400, ``too-large`` is 413.
"""

from __future__ import annotations

from enum import StrEnum

from tailjit.errors import TailjitError

__all__ = ["DeliveryRejected", "Reason"]


class Reason(StrEnum):
    """The codes of `DeliveryRejected`, one per kind of refusal."""

    MISSING_HEADER = "missing-header"
    MALFORMED_HEADER = "malformed-header"
    """A header is present but unreadable: a timestamp that is not an integer, no ``v1``."""
    BAD_SIGNATURE = "bad-signature"
    """No signature matches any configured secret (a wrong secret looks the same)."""
    WRONG_SECRET = "wrong-secret"
    """A shared-secret header (Okta) holds something other than the configured secret."""
    STALE_TIMESTAMP = "stale-timestamp"
    """The signed timestamp is outside the replay window (either side of now)."""
    TOO_LARGE = "too-large"
    MALFORMED_BODY = "malformed-body"
    UNKNOWN_EVENT = "unknown-event"
    """A format tailjit defines (or must act on) names an event type it does not know."""


class DeliveryRejected(TailjitError):
    """A delivery refused before it changed anything; ``reason`` says which check failed."""

    def __init__(self, reason: Reason, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")
