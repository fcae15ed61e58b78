"""What the identity sources tell tailjit, as one kind of value whatever the source.

Every receiver (Okta event hooks, SCIM, Standard Webhooks, Tailscale's own webhooks) turns an
authenticated delivery into `IdentityEvent` values; the daemon applies them (membership, user
lifecycle) and audits each with its delivery id. A group is named as the identity provider names
it (``group``: display name or id, as delivered); the daemon maps it to a tailnet
``group:<name>`` (see the daemon's configuration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["EventKind", "IdentityEvent", "Source"]


class Source(StrEnum):
    OKTA = "okta"
    SCIM = "scim"
    GENERIC = "generic"
    TAILSCALE = "tailscale"


class EventKind(StrEnum):
    MEMBER_ADDED = "group.member.added"
    MEMBER_REMOVED = "group.member.removed"
    USER_DEACTIVATED = "user.deactivated"
    """Deactivated, suspended or deleted: the user loses every grant and request."""
    USER_REACTIVATED = "user.reactivated"
    USER_ROLE_CHANGED = "user.role-changed"
    """Tailscale's userRoleUpdated: re-check the user's grants."""
    POLICY_UPDATED = "policy.updated"
    """Tailscale's policyUpdate: verify the policy now."""


@dataclass(frozen=True, slots=True)
class IdentityEvent:
    """One change: ``login`` (lowercase email/login) and, for membership, ``group``.

    ``delivery`` identifies the delivery (Okta ``eventId``, ``webhook-id``, SCIM request id)
    and ``event_id`` the event within it (Okta's per-event ``uuid``); deduplication uses
    ``(source, event_id or delivery)``. ``at`` is when the source says it happened.
    """

    source: Source
    kind: EventKind
    delivery: str
    login: str | None = None
    group: str | None = None
    event_id: str | None = None
    at: datetime | None = None

    @property
    def key(self) -> str:
        """The deduplication key within the source."""
        return self.event_id or self.delivery
