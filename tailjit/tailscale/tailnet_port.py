"""`TailscaleTailnet`: the reconcile service's `Tailnet` port over `TailscaleClient`.

The one place where the client's 412 (`PreconditionFailed`) becomes the service's `Conflict`.
"""

from __future__ import annotations

from datetime import datetime

from tailjit.reconcile.ports import AttributeValue, Conflict
from tailjit.tailscale._client import TailscaleClient
from tailjit.tailscale._errors import PreconditionFailed, UnexpectedResponse

__all__ = ["TailscaleTailnet"]


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

    def attributes(self, device_id: str) -> dict[str, datetime | None]:
        found = self.client.get_posture_attributes(device_id).custom()
        return {key: attribute.expiry for key, attribute in found.items()}

    def set_attribute(
        self,
        device_id: str,
        key: str,
        value: AttributeValue,
        *,
        expiry: datetime,
        comment: str | None = None,
    ) -> None:
        self.client.set_posture_attribute(device_id, key, value, expiry=expiry, comment=comment)

    def delete_attribute(self, device_id: str, key: str) -> None:
        self.client.delete_posture_attribute(device_id, key)
