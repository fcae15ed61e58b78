"""Identity sources: verifying and parsing what identity providers and Tailscale send.

Pure (standard library and tailjit's leaves): signature and secret checks in constant time,
strict parsing into `IdentityEvent` values, SCIM resources and patches. The HTTP receivers in
`tailjit.api` call these; the daemon applies the events.
"""

from tailjit.identity.events import EventKind, IdentityEvent, Source

__all__ = ["EventKind", "IdentityEvent", "Source"]
