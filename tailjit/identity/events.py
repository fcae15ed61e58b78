"""What the identity sources tell tailjit, as one kind of value whatever the source.

Every receiver (Okta event hooks, SCIM, Standard Webhooks, Tailscale's own webhooks) turns an
authenticated delivery into `IdentityEvent` values; the daemon applies them (membership, user
lifecycle) and audits each with its delivery id. A group is named as the identity provider names
it (``group``: display name or id, as delivered); the daemon maps it to a tailnet
``group:<name>`` (see the daemon's configuration).
"""

from __future__ import annotations

from collections.abc import Mapping
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

    def to_json(self) -> dict[str, str | None]:
        """The event as JSON (the daemon's inbox keeps events this way until applied)."""
        return {
            "source": str(self.source),
            "kind": str(self.kind),
            "delivery": self.delivery,
            "login": self.login,
            "group": self.group,
            "event_id": self.event_id,
            "at": None if self.at is None else self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str | None]) -> IdentityEvent:
        """The event `to_json` wrote; ValueError or KeyError for anything else."""
        at = data.get("at")
        return cls(
            source=Source(str(data["source"])),
            kind=EventKind(str(data["kind"])),
            delivery=str(data["delivery"]),
            login=data.get("login"),
            group=data.get("group"),
            event_id=data.get("event_id"),
            at=None if at is None else datetime.fromisoformat(at),
        )
