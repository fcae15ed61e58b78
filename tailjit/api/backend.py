"""What the HTTP API needs from the daemon, as a protocol the daemon fills in.

The API sits below the daemon (DESIGN.md §5), so it states here the part of the running daemon
it uses. The workflow service and the store are used as they are; the rest (waking the
reconcile loop, readiness, the tailnet's view of targets and access) goes through this port.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from tailjit.identity import IdentityEvent, Interaction
from tailjit.ids import Login
from tailjit.store import Store
from tailjit.targets import Target
from tailjit.workflow import Workflow

__all__ = ["Backend"]


class Backend(Protocol):
    """The running daemon, as the API sees it."""

    @property
    def workflow(self) -> Workflow:
        """Requests, approvals and grants (its methods raise the refusals the API maps)."""
        ...

    @property
    def store(self) -> Store:
        """Reading requests (`Store.get`, `Store.find`) and the audit trail (`Store.audit`)."""
        ...

    def wake(self) -> None:
        """Ask the reconcile loop to run a cycle now (after a change that the tailnet must
        reflect: approval, grant, revoke, extend, release). Returns at once."""
        ...

    def readiness(self) -> tuple[bool, str]:
        """(ready, why): ready once the first cycle has been verified; ``why`` is one line."""
        ...

    def resolve_target(self, text: str) -> Target:
        """A target the tailnet knows: ``[proto:]host:ports`` where host is a host alias or tag
        the live policy defines, an address, or a device name (replaced by its address).
        Raises `tailjit.errors.InvalidInput` naming ``target`` otherwise."""
        ...

    def opens(self, user: Login, target: Target) -> list[dict[str, Any]]:
        """What a grant of ``target`` to ``user`` would newly open in the live tailnet, as JSON
        objects (``{"src": login, "dst": "address:ports", "proto": ..., "text": ...}``); empty
        when nothing new opens (the user already has that access)."""
        ...

    def now(self) -> datetime:
        """The daemon's clock (webhook timestamps are checked against it)."""
        ...

    def identity(self, events: Sequence[IdentityEvent]) -> None:
        """Queue authenticated identity events for the daemon to apply; returns at once."""
        ...

    def count_webhook(self, source: str, outcome: str, reason: str = "") -> None:
        """Count a webhook delivery, ``accepted`` or ``rejected`` (with the reason)."""
        ...

    def scim(
        self, method: str, path: str, query: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, Any] | None]:
        """A SCIM request below ``/scim/v2`` (already authenticated): status and body."""
        ...

    def slack_click(self, click: Interaction) -> str:
        """A verified Slack button click: approve or deny as the mapped user; one line back."""
        ...

    def metrics(self) -> tuple[bytes, str]:
        """The Prometheus exposition of the daemon's metrics, and its content type."""
        ...

    def plan(self) -> Mapping[str, Any]:
        """The reconcile loop's plan against the live tailnet right now, nothing applied
        (``tailjit plan``): ``{"ops": [...], "summary": "..."}``."""
        ...
