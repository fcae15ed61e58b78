"""Identity sources: verifying and parsing what identity providers and Tailscale send.

Pure (standard library and tailjit's leaves): signature and secret checks in constant time,
strict parsing into `IdentityEvent` values, SCIM resources and patches. The HTTP receivers in
`tailjit.api` call these; the daemon applies the events.
"""

from tailjit.identity import okta, signed, slack, tailscale_events
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.slack import Interaction
from tailjit.identity.wire import MAX_BODY_BYTES, Parsed, check_size

__all__ = [
    "MAX_BODY_BYTES",
    "DeliveryRejected",
    "EventKind",
    "IdentityEvent",
    "Interaction",
    "Parsed",
    "Reason",
    "Source",
    "check_size",
    "okta",
    "signed",
    "slack",
    "tailscale_events",
]
