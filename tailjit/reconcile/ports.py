"""What the reconcile service needs from the tailnet, as a protocol an adapter fills in.

The service layer may not import adapters (DESIGN.md §5): `tailjit.tailscale.TailscaleTailnet`
implements `Tailnet` over the API client and translates its 412 into `Conflict`; tests may
hand in a fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from tailjit.errors import TailjitError
from tailjit.plan.ops import AttributeValue

AttributeChange = tuple[AttributeValue, datetime]
"""A value to set and the expiry Tailscale removes it at."""

__all__ = ["AttributeChange", "AttributeValue", "Conflict", "Refused", "Tailnet"]


class Conflict(TailjitError):
    """The policy changed since it was read (HTTP 412): read it again and re-plan."""


class Refused(TailjitError):
    """The tailnet refused the policy written (HTTP 400): it is invalid, or its own ``tests``
    fail with it. The message is the tailnet's."""


class Tailnet(Protocol):
    """The policy file and the posture attributes of one tailnet."""

    def get_policy(self) -> tuple[bytes, str]:
        """The policy file as HuJSON bytes, exactly as stored, with its ETag."""
        ...

    def set_policy(self, policy: bytes, *, if_match: str) -> str | None:
        """Replace the policy if its ETag is still ``if_match``; `Conflict` if it is not,
        `Refused` when the tailnet does not accept it. Returns the new ETag when the tailnet
        says it."""
        ...

    def validate(self, policy: bytes) -> None:
        """`Refused` when the tailnet would not accept ``policy`` (its tests run too); nothing
        is saved."""
        ...

    def attributes(self, device_id: str) -> Mapping[str, datetime | None]:
        """The device's custom posture attributes and their expiries (None: no expiry)."""
        ...

    def update_attributes(
        self,
        changes: Mapping[str, Mapping[str, AttributeChange | None]],
        *,
        comment: str | None = None,
    ) -> None:
        """Set or delete attributes on many devices at once: ``changes`` maps a device id to
        ``{key: (value, expiry)}`` to set ``key`` until ``expiry`` (when Tailscale removes it),
        or ``{key: None}`` to delete it."""
        ...
