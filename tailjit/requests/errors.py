"""Why the workflow refuses something. Each refusal has a stable ``code`` for the API and CLI.

A plan (`tailjit.requests.plans.Plan`) carries its refusal instead of raising it, so ``--dry-run``
can show it; executing a refused plan raises it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from tailjit.errors import TailjitError

__all__ = [
    "AlreadyApproved",
    "BreakGlassNotAllowed",
    "DurationTooLong",
    "ExtensionsExhausted",
    "JustificationMissing",
    "NotAnApprover",
    "NotDue",
    "NotRequester",
    "PastDeadline",
    "SelfApprovalForbidden",
    "TransitionNotAllowed",
    "WorkflowRefused",
]


class WorkflowRefused(TailjitError):
    """The workflow refused an action; ``code`` says which rule, the message says why."""

    code: ClassVar[str] = "refused"


class TransitionNotAllowed(WorkflowRefused):
    """The action does not apply to a request in its current state (see the transition table)."""

    code = "transition-not-allowed"

    def __init__(self, action: str, state: str | None, sources: Iterable[str]) -> None:
        self.action = action
        self.state = state
        self.sources = frozenset(sources)
        where = (
            "a request that does not exist yet" if state is None else f"a request that is {state}"
        )
        allowed = " or ".join(sorted(self.sources)) or "new"
        super().__init__(f"cannot {action} {where}: {action} applies only to {allowed} requests")


class NotAnApprover(WorkflowRefused):
    """The person is not among the approvers of the stage (or, to deny, of any stage)."""

    code = "not-an-approver"


class SelfApprovalForbidden(WorkflowRefused):
    """The requester tried to approve their own request and the eligibility forbids it."""

    code = "self-approval-forbidden"


class AlreadyApproved(WorkflowRefused):
    """The person already approved this request; one person counts once per request."""

    code = "already-approved"


class NotRequester(WorkflowRefused):
    """Only the requester may cancel, extend or release their request."""

    code = "not-requester"


class DurationTooLong(WorkflowRefused):
    """The duration asked for, or the total after an extension, is above the maximum."""

    code = "duration-too-long"


class ExtensionsExhausted(WorkflowRefused):
    """The grant has been extended as many times as its eligibility allows."""

    code = "extensions-exhausted"


class NotDue(WorkflowRefused):
    """A lapse or expiry asked for before its time."""

    code = "not-due"


class PastDeadline(WorkflowRefused):
    """Too late: a pending request past its lapse time, or a grant past its expiry."""

    code = "past-deadline"


class JustificationMissing(WorkflowRefused):
    """The eligibility requires a reason or a ticket matching its pattern, and none was given."""

    code = "justification-missing"


class BreakGlassNotAllowed(WorkflowRefused):
    """The eligibility has no break-glass, or the requester is not among its users."""

    code = "breakglass-not-allowed"
