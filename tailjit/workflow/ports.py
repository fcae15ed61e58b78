"""What the workflow service needs from the outside, as protocols the daemon fills in.

The service layer may not import adapters (DESIGN.md §5), so it states here the part of
`tailjit.store.Store` it uses; the real store satisfies it structurally, and so can a fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from tailjit.ids import GrantId, Login, RequestId
from tailjit.requests import Plan, Request, State

__all__ = ["Clock", "IdSource", "RequestStore"]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware UTC; read once per call of the service."""

IdSource = Callable[[], tuple[RequestId, GrantId]]
"""Returns a fresh, unused request id and grant id for a new request."""


class RequestStore(Protocol):
    """Durable requests with their audit trail (`tailjit.store.Store`)."""

    def commit(self, plan: Plan) -> Request:
        """Execute ``plan`` and store the result with its audit records, atomically; raises the
        plan's refusal, or a `tailjit.errors.TailjitError` if the request changed meanwhile."""
        ...

    def commit_all(self, plans: Sequence[Plan]) -> list[Request]:
        """`commit` several plans in one transaction: all or none."""
        ...

    def get(self, request_id: RequestId) -> Request:
        """The request with that id; raises a `tailjit.errors.TailjitError` if there is none."""
        ...

    def due(self, now: datetime) -> list[Request]:
        """Active grants whose time is up and pending requests past their lapse time."""
        ...

    def find(
        self, *, states: Iterable[State] | None = None, requester: Login | None = None
    ) -> list[Request]:
        """Requests in any of ``states`` (all when None) of ``requester`` (anyone's when None),
        oldest first."""
        ...
