"""Planning a new request: duration, justification, and how it starts (pending or approved).

The eligibility policy has already decided that the requester may ask for the target and handed
over its `Rules`; what is checked here is everything about the request itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tailjit.durations import format_duration
from tailjit.errors import InvalidInput, TailjitError
from tailjit.ids import GrantId, Login, RequestId
from tailjit.requests.approvals import progress
from tailjit.requests.errors import (
    BreakGlassNotAllowed,
    DurationTooLong,
    JustificationMissing,
)
from tailjit.requests.model import (
    MAX_COMMENT,
    SYSTEM,
    Action,
    EventName,
    Origin,
    Request,
    State,
    Step,
    one_line,
    require_utc,
)
from tailjit.requests.plans import Plan
from tailjit.requests.rules import Directory, Rules, includes
from tailjit.requests.table import check
from tailjit.targets import Target

__all__ = ["MAX_TICKET", "Submission", "plan_submit", "submit"]

MAX_TICKET = 100
"""The longest ticket reference, in characters."""


@dataclass(frozen=True)
class Submission:
    """What a requester asks for. ``duration`` None means the eligibility's default."""

    requester: Login
    target: Target
    duration: timedelta | None = None
    reason: str = ""
    ticket: str | None = None
    breakglass: bool = False


def plan_submit(
    submission: Submission,
    *,
    rules: Rules,
    now: datetime,
    request_id: RequestId,
    grant_id: GrantId,
    directory: Directory,
    auto_approval: str | None = None,
    granted_by: Login | None = None,
) -> Plan:
    """Plan a new request under ``rules``.

    It starts pending, unless ``auto_approval`` says which auto-approval condition held, an
    admin ``granted_by`` grants it directly, or it is break-glass: those start approved.
    """
    now = require_utc(now)
    check(Action.SUBMIT, None)
    sources = [bool(auto_approval), granted_by is not None, submission.breakglass]
    if sum(sources) > 1:
        raise ValueError("auto-approval, an admin grant and break-glass exclude each other")
    actor = str(granted_by or submission.requester)
    try:
        auto_approval = one_line("auto-approval", auto_approval, MAX_COMMENT)
        duration, why = _duration(submission, rules)
        reason, ticket = _justification(submission, rules)
        if submission.breakglass:
            _breakglass(submission, rules, directory)
    except TailjitError as refusal:
        return Plan(Action.SUBMIT, actor, now, None, None, refusal=refusal)

    origin, events = Origin.REQUESTED, [EventName.REQUEST_CREATED]
    if submission.breakglass:
        origin = Origin.BREAKGLASS
        events.append(EventName.BREAKGLASS_USED)
        why.append("break-glass: no approval needed; flagged, audited and announced")
    elif granted_by is not None:
        origin = Origin.ADMIN
        events.append(EventName.REQUEST_APPROVED)
        why.append(f"granted directly by {granted_by}")
    elif auto_approval:
        origin = Origin.AUTO
        events.append(EventName.REQUEST_APPROVED)
        why.append(f"auto-approved: {auto_approval}")
    state = State.PENDING if origin is Origin.REQUESTED else State.APPROVED
    check(Action.SUBMIT, None, state)
    request = Request(
        id=request_id,
        grant_id=grant_id,
        requester=submission.requester,
        target=submission.target,
        rules=rules,
        duration=duration,
        reason=reason,
        ticket=ticket,
        origin=origin,
        created=Step(actor, now),
        state=state,
        auto_approval=auto_approval or None,
        approved=None if state is State.PENDING else Step(_approver(origin, actor), now),
    )
    if state is State.PENDING:
        why.append(
            f"{progress(request).describe()}; lapses if undecided within "
            f"{format_duration(rules.pending_ttl)}"
        )
    return Plan(Action.SUBMIT, actor, now, None, request, events=tuple(events), why=tuple(why))


def _approver(origin: Origin, actor: str) -> str:
    """Who approved a request that starts approved: tailjit for auto-approval, else the
    creating actor (the admin, or the requester using break-glass)."""
    return SYSTEM if origin is Origin.AUTO else actor


def submit(
    submission: Submission,
    *,
    rules: Rules,
    now: datetime,
    request_id: RequestId,
    grant_id: GrantId,
    directory: Directory,
    auto_approval: str | None = None,
    granted_by: Login | None = None,
) -> Request:
    """The new request; raises the refusal when `plan_submit` refuses."""
    return plan_submit(
        submission,
        rules=rules,
        now=now,
        request_id=request_id,
        grant_id=grant_id,
        directory=directory,
        auto_approval=auto_approval,
        granted_by=granted_by,
    ).execute()


def _duration(submission: Submission, rules: Rules) -> tuple[timedelta, list[str]]:
    maximum = rules.max_duration
    if submission.breakglass and rules.breakglass is not None:
        maximum = rules.breakglass.max_duration
    duration = submission.duration
    if duration is None:
        duration = min(rules.default_duration, maximum)
    if duration <= timedelta(0) or duration.microseconds:
        raise InvalidInput("duration", str(duration), "a positive whole number of seconds")
    if duration > maximum:
        raise DurationTooLong(
            f"{format_duration(duration)} is longer than the {format_duration(maximum)} "
            f"eligibility {rules.eligibility} allows"
        )
    return duration, [
        f"eligibility {rules.eligibility}: {format_duration(duration)} of at most "
        f"{format_duration(maximum)}, counted from activation"
    ]


def _justification(submission: Submission, rules: Rules) -> tuple[str, str | None]:
    reason = one_line("reason", submission.reason, MAX_COMMENT) or ""
    if not reason and (rules.reason_required or submission.breakglass):
        what = "break-glass" if submission.breakglass else f"eligibility {rules.eligibility}"
        raise JustificationMissing(f"{what} requires a reason")
    ticket = one_line("ticket", submission.ticket, MAX_TICKET)
    pattern = rules.ticket_regex
    if pattern is not None and (ticket is None or not pattern.fullmatch(ticket)):
        shown = "no ticket" if ticket is None else f"ticket {ticket!r}"
        raise JustificationMissing(
            f"eligibility {rules.eligibility} requires a ticket matching {pattern.pattern!r}; "
            f"got {shown}"
        )
    return reason, ticket


def _breakglass(submission: Submission, rules: Rules, directory: Directory) -> None:
    if rules.breakglass is None:
        raise BreakGlassNotAllowed(f"eligibility {rules.eligibility} has no break-glass")
    if not includes(rules.breakglass.users, submission.requester, directory):
        raise BreakGlassNotAllowed(
            f"{submission.requester} may not use break-glass under eligibility {rules.eligibility}"
        )
