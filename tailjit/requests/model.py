"""The values of the request workflow: a `Request` and what happens to it.

Every value here is frozen. A transition (`tailjit.requests.transitions`) returns a new `Request`
with ``version`` one higher; the store uses the version to refuse a write based on a stale read.
Times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tailjit.errors import InvalidInput
from tailjit.ids import GrantId, Login, RequestId
from tailjit.requests.rules import Rules
from tailjit.targets import Target

__all__ = [
    "MAX_COMMENT",
    "SYSTEM",
    "Action",
    "Approval",
    "EventName",
    "Extension",
    "Origin",
    "Request",
    "State",
    "Step",
    "one_line",
    "require_utc",
]

MAX_COMMENT = 500
"""The longest reason or comment, in characters."""

SYSTEM = "tailjit"
"""The actor of what tailjit does by itself (lapse, expiry, auto-approval). Not a login: a login
always has an ``@``, so no user can be mistaken for it."""


class State(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    RELEASED = "released"
    DENIED = "denied"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"

    @property
    def final(self) -> bool:
        """Whether nothing can happen to a request in this state any more."""
        return self not in _LIVE


_LIVE = frozenset({State.PENDING, State.APPROVED, State.ACTIVE})


class Action(StrEnum):
    """The named transitions; `SUBMIT` creates a request."""

    SUBMIT = "submit"
    APPROVE = "approve"
    DENY = "deny"
    CANCEL = "cancel"
    LAPSE = "lapse"
    ACTIVATE = "activate"
    EXTEND = "extend"
    RELEASE = "release"
    REVOKE = "revoke"
    EXPIRE = "expire"


class Origin(StrEnum):
    """How a request came to be approved."""

    REQUESTED = "requested"
    """Through its approval stages."""
    AUTO = "auto"
    """By the eligibility's auto-approval conditions (``auto_approval`` says which held)."""
    ADMIN = "admin"
    """Granted directly by an admin, who is the creating actor."""
    BREAKGLASS = "breakglass"
    """Break-glass: no approval, always flagged and announced."""


class EventName(StrEnum):
    """The stable names of the audit events the workflow produces."""

    REQUEST_CREATED = "request.created"
    APPROVAL_RECORDED = "approval.recorded"
    """One approval that leaves the request pending (a stage, or the request, still needs more)."""
    REQUEST_APPROVED = "request.approved"
    REQUEST_DENIED = "request.denied"
    REQUEST_CANCELLED = "request.cancelled"
    REQUEST_LAPSED = "request.lapsed"
    GRANT_ACTIVATED = "grant.activated"
    GRANT_EXTENDED = "grant.extended"
    GRANT_RELEASED = "grant.released"
    GRANT_EXPIRED = "grant.expired"
    GRANT_REVOKED = "grant.revoked"
    BREAKGLASS_USED = "breakglass.used"


def one_line(field: str, text: str | None, limit: int) -> str | None:
    """Free text typed by a person (a reason, a ticket, a comment), stripped; None when empty.

    It must be one line of printable characters, at most ``limit`` long: it is shown in lists
    and logs, never written into the policy file.
    """
    if text is None:
        return None
    text = text.strip()
    if len(text) > limit or not text.isprintable():
        raise InvalidInput(field, text, f"one line of at most {limit} printable characters")
    return text or None


def require_utc(when: datetime, name: str = "now") -> datetime:
    """``when`` if it is aware and in UTC; a naive or offset time is a programming error."""
    if when.tzinfo is None or when.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be an aware UTC datetime, got {when!r}")
    return when.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Approval:
    """``approver`` approved stage ``stage`` (0-based) at ``at``."""

    approver: Login
    stage: int
    at: datetime
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """``actor`` extended the grant by ``by`` at ``at``."""

    actor: str
    by: timedelta
    at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """How a request left its live states (or, for approval, was decided): who, when, why."""

    actor: str
    at: datetime
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """An access request and, once active, its grant.

    ``duration`` is the length asked for; the grant's clock starts at activation, so
    ``expires_at = activated_at + duration + sum of extensions``. ``approved`` records when
    and by whom the request became approved (the last approver, an admin, or `SYSTEM`);
    ``ended`` when and by whom it reached a final state.
    """

    id: RequestId
    grant_id: GrantId
    requester: Login
    target: Target
    rules: Rules = field(repr=False)
    duration: timedelta
    reason: str
    ticket: str | None
    origin: Origin
    created: Step
    state: State = State.PENDING
    approvals: tuple[Approval, ...] = ()
    auto_approval: str | None = None
    approved: Step | None = None
    activated_at: datetime | None = None
    extensions: tuple[Extension, ...] = ()
    ended: Step | None = None
    version: int = 1

    @property
    def eligibility(self) -> str:
        return self.rules.eligibility

    @property
    def created_at(self) -> datetime:
        return self.created.at

    @property
    def lapses_at(self) -> datetime:
        """When a request still pending lapses."""
        return self.created.at + self.rules.pending_ttl

    @property
    def breakglass(self) -> bool:
        return self.origin is Origin.BREAKGLASS

    @property
    def max_duration(self) -> timedelta:
        """The longest the grant may run in total, extensions included."""
        if self.breakglass and self.rules.breakglass is not None:
            return self.rules.breakglass.max_duration
        return self.rules.max_duration

    @property
    def granted(self) -> timedelta:
        """The grant's total length: the duration asked for plus every extension."""
        return self.duration + sum((e.by for e in self.extensions), timedelta(0))

    @property
    def expires_at(self) -> datetime | None:
        """When an activated grant ends (None before activation)."""
        if self.activated_at is None:
            return None
        return self.activated_at + self.granted

    @property
    def approvers(self) -> tuple[Login, ...]:
        """Who approved, in order."""
        return tuple(a.approver for a in self.approvals)
