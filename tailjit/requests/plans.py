"""A decision, planned before it is made: what would happen to a request, and why.

Every workflow action is planned first (`tailjit.requests.transitions.plan_approve`, ...). A
`Plan` holds the request before and after, the audit events it would record, the approval
progress, one line per reason, and, when the action is refused, the refusal instead of a result.
Nothing happens until the plan is executed (or handed to the store, which commits it with its
audit records); ``--dry-run`` prints `Plan.describe` and stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tailjit.durations import format_duration
from tailjit.errors import TailjitError
from tailjit.instants import format_instant
from tailjit.requests.approvals import Progress, progress
from tailjit.requests.model import Action, EventName, Request, State

__all__ = ["Plan"]


@dataclass(frozen=True)
class Plan:
    """What ``action`` by ``actor`` at ``at`` would do.

    Exactly one of ``after`` and ``refusal`` is set. ``before`` is None for a submission.
    """

    action: Action
    actor: str
    at: datetime
    before: Request | None
    after: Request | None
    refusal: TailjitError | None = field(default=None, compare=False)
    events: tuple[EventName, ...] = ()
    why: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.after is None) == (self.refusal is None):
            raise ValueError("a plan has either a result or a refusal")

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def request(self) -> Request:
        """The request as it would be after the action (as it is, when refused)."""
        found = self.after or self.before
        if found is None:  # pragma: no cover - a refused submission has neither
            raise ValueError("a refused submission has no request")
        return found

    @property
    def progress(self) -> Progress | None:
        """The approval progress after the action (None for a refused submission)."""
        found = self.after or self.before
        return None if found is None else progress(found)

    def execute(self) -> Request:
        """The request after the action; raises the refusal if the plan is refused."""
        if self.refusal is not None:
            raise self.refusal
        assert self.after is not None
        return self.after

    def describe(self) -> str:
        """The plan as ``--dry-run`` prints it: a headline, then indented facts and reasons."""
        subject = self._subject()
        verdict = "allowed" if self.allowed else f"REFUSED ({_code(self.refusal)})"
        lines = [f"{self.action} {subject} by {self.actor} at {format_instant(self.at)}: {verdict}"]
        if self.refusal is not None:
            lines.append(f"  refused: {self.refusal}")
        request = self.after or self.before
        if request is not None:
            lines.append(
                f"  eligibility {request.eligibility} ({request.rules.mode}): "
                f"{request.requester} -> {request.target}"
            )
            before = self.before.state if self.before else "(new)"
            after = self.after.state if self.after else before
            change = f"{before} -> {after}" if self.after else f"{before} (unchanged)"
            lines.append(f"  state: {change}")
            if after in (State.PENDING, State.APPROVED) or self.action is Action.APPROVE:
                lines.append(f"  approvals: {progress(request).describe()}")
            if self.after is not None and self.after.expires_at is not None:
                lines.append(
                    f"  grant {self.after.grant_id}: {format_duration(self.after.granted)}, "
                    f"until {format_instant(self.after.expires_at)}"
                )
        lines.extend(f"  why: {reason}" for reason in self.why)
        if self.events:
            lines.append(f"  audit: {', '.join(self.events)}")
        return "\n".join(lines)

    def _subject(self) -> str:
        request = self.after or self.before
        return f"request {request.id}" if request else "a new request"

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data, for ``--dry-run --json``."""
        request = self.after or self.before
        current = progress(request) if request else None
        return {
            "action": str(self.action),
            "actor": self.actor,
            "at": format_instant(self.at),
            "allowed": self.allowed,
            "refusal": None
            if self.refusal is None
            else {"code": _code(self.refusal), "message": str(self.refusal)},
            "request": None if request is None else str(request.id),
            "eligibility": None if request is None else request.eligibility,
            "state": {
                "before": None if self.before is None else str(self.before.state),
                "after": None if self.after is None else str(self.after.state),
            },
            "approvals": None
            if current is None
            else {
                "next_stage": None if current.stage is None else current.stage + 1,
                "stages": current.stages,
                "missing": current.needed,
                "approvers": sorted(current.approvers),
                "approved_by": list(current.approved_by),
            },
            "expires_at": None
            if self.after is None or self.after.expires_at is None
            else format_instant(self.after.expires_at),
            "events": [str(e) for e in self.events],
            "why": list(self.why),
        }


def _code(error: TailjitError | None) -> str:
    code = getattr(error, "code", None)
    if isinstance(code, str):
        return code
    field_name = getattr(error, "field", None)
    return f"invalid-{field_name}".replace(" ", "-") if field_name else "invalid"
