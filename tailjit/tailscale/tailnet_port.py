"""`TailscaleTailnet`: the reconcile service's `Tailnet` port over `TailscaleClient`.

The one place where the client's 412 (`PreconditionFailed`) becomes the service's `Conflict`,
and its 400 (`ValidationFailed`) the service's `Refused`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tailjit.reconcile.ports import AttributeChange, Conflict, Refused
from tailjit.tailscale._client import TailscaleClient
from tailjit.tailscale._errors import PreconditionFailed, UnexpectedResponse, ValidationFailed
from tailjit.tailscale._models import AttributeUpdate

__all__ = ["BATCH", "TailscaleTailnet"]

BATCH = 200
"""Attribute changes per batch request."""


class TailscaleTailnet:
    """A `tailjit.reconcile.Tailnet` backed by the Tailscale API (or the sandbox)."""

    def __init__(self, client: TailscaleClient) -> None:
        self.client = client

    def get_policy(self) -> tuple[bytes, str]:
        policy = self.client.get_policy()
        if policy.etag is None:
            # Without an ETag no write can be conditional, and tailjit never writes blind.
            raise UnexpectedResponse(200, "the policy file came without an ETag")
        return policy.raw, policy.etag

    def set_policy(self, policy: bytes, *, if_match: str) -> str | None:
        try:
            return self.client.set_policy(policy, if_match=if_match).etag
        except PreconditionFailed as error:
            raise Conflict("the policy file changed since it was read (412)") from error
        except ValidationFailed as error:
            raise _refused(error) from error

    def validate(self, policy: bytes) -> None:
        try:
            self.client.validate_policy(policy)
        except ValidationFailed as error:
            raise _refused(error) from error

    def attributes(self, device_id: str) -> dict[str, datetime | None]:
        found = self.client.get_posture_attributes(device_id).custom()
        return {key: attribute.expiry for key, attribute in found.items()}

    def update_attributes(
        self,
        changes: Mapping[str, Mapping[str, AttributeChange | None]],
        *,
        comment: str | None = None,
    ) -> None:
        """One batch PATCH per `BATCH` keys (a bound of ours: Tailscale documents none)."""
        pending: dict[str, dict[str, AttributeUpdate | None]] = {}
        count = 0
        for device, keys in changes.items():
            for key, change in keys.items():
                update = (
                    None if change is None else AttributeUpdate(value=change[0], expiry=change[1])
                )
                pending.setdefault(device, {})[key] = update
                count += 1
                if count == BATCH:
                    self.client.update_posture_attributes(pending, comment=comment)
                    pending, count = {}, 0
        if pending:
            self.client.update_posture_attributes(pending, comment=comment)


def _refused(error: ValidationFailed) -> Refused:
    """The tailnet's refusal, with each failing test's errors."""
    details = "; ".join(
        f"{user}: {', '.join(errors)}" if user else ", ".join(errors)
        for user, errors, _ in error.failures
        if errors
    )
    return Refused(f"{error}{f' ({details})' if details else ''}")
