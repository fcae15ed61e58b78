"""The named transitions of an existing request, each planned first.

``plan_<action>(request, *, now=..., <actor>=...)`` returns a `Plan`; ``<action>(...)`` is the
same call executed, returning the new `Request` or raising the refusal. Every function checks
the transition table (`tailjit.requests.table`) before anything else and its result after.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from tailjit.durations import format_duration
from tailjit.errors import InvalidInput, TailjitError
from tailjit.ids import Login
from tailjit.instants import format_instant
from tailjit.requests.approvals import approval_refusal, denial_refusal, progress
from tailjit.requests.errors import (
    DurationTooLong,
    ExtensionsExhausted,
    NotDue,
    NotRequester,
    PastDeadline,
)
from tailjit.requests.model import (
    MAX_COMMENT,
    SYSTEM,
    Action,
    Approval,
    EventName,
    Extension,
    Request,
    State,
    Step,
    one_line,
    require_utc,
)
from tailjit.requests.plans import Plan
from tailjit.requests.rules import Directory
from tailjit.requests.table import check

__all__ = [
    "activate",
    "approve",
    "cancel",
    "deny",
    "expire",
    "extend",
    "lapse",
    "plan_activate",
    "plan_approve",
    "plan_cancel",
    "plan_deny",
    "plan_expire",
    "plan_extend",
    "plan_lapse",
    "plan_release",
    "plan_revoke",
    "release",
    "revoke",
]


def _plan(
    action: Action,
    request: Request,
    actor: str,
    now: datetime,
    refusal: TailjitError | None,
    event: EventName,
    why: str,
    **changes: Any,
) -> Plan:
    """A refused plan, or the plan of ``request`` with ``changes`` and a version one higher."""
    if refusal is not None:
        return Plan(action, actor, now, request, None, refusal=refusal)
    after = replace(request, version=request.version + 1, **changes)
    check(action, request.state, after.state)
    return Plan(action, actor, now, request, after, events=(event,), why=(why,))


def _start(action: Action, request: Request, now: datetime) -> datetime:
    check(action, request.state)
    return require_utc(now)


def _comment(comment: str | None) -> tuple[str | None, TailjitError | None]:
    try:
        return one_line("comment", comment, MAX_COMMENT), None
    except InvalidInput as refusal:
        return None, refusal


def _requester_only(action: Action, request: Request, actor: str) -> NotRequester | None:
    if actor == request.requester:
        return None
    return NotRequester(f"only {request.requester}, who made request {request.id}, may {action} it")


def plan_approve(
    request: Request,
    *,
    approver: Login,
    now: datetime,
    directory: Directory,
    comment: str | None = None,
) -> Plan:
    """``approver`` approves the first unfinished stage; the last approval approves the request."""
    now = _start(Action.APPROVE, request, now)
    comment, refusal = _comment(comment)
    if now >= request.lapses_at:
        refusal = refusal or PastDeadline(
            f"request {request.id} lapsed at {format_instant(request.lapses_at)}; "
            "it can no longer be approved"
        )
    refusal = refusal or approval_refusal(request, approver, directory)
    stage = progress(request).stage or 0
    approvals = (*request.approvals, Approval(approver, stage, now, comment))
    done = progress(replace(request, approvals=approvals))
    if done.complete:
        event, state, approved = EventName.REQUEST_APPROVED, State.APPROVED, Step(approver, now)
        why = f"{approver} gives the last approval needed; the grant can be activated"
    else:
        event, state, approved = EventName.APPROVAL_RECORDED, State.PENDING, None
        why = f"{approver} approves stage {stage + 1}; {done.describe()}"
    return _plan(
        Action.APPROVE,
        request,
        approver,
        now,
        refusal,
        event,
        why,
        approvals=approvals,
        state=state,
        approved=approved,
    )


def plan_deny(
    request: Request,
    *,
    approver: Login,
    now: datetime,
    directory: Directory,
    comment: str | None = None,
) -> Plan:
    """Any approver of any stage ends the request."""
    now = _start(Action.DENY, request, now)
    comment, refusal = _comment(comment)
    refusal = refusal or denial_refusal(request, approver, directory)
    why = f"{approver} is an approver of eligibility {request.eligibility}; a denial ends it"
    return _plan(
        Action.DENY,
        request,
        approver,
        now,
        refusal,
        EventName.REQUEST_DENIED,
        why,
        state=State.DENIED,
        ended=Step(approver, now, comment),
    )


def plan_cancel(
    request: Request,
    *,
    actor: Login | str,
    now: datetime,
    on_behalf: bool = False,
    comment: str | None = None,
) -> Plan:
    """The requester withdraws a pending (or approved, not yet active) request; with
    ``on_behalf``, ``actor`` (tailjit, acting on an identity source's report) ends it for them."""
    now = _start(Action.CANCEL, request, now)
    refusal = None if on_behalf else _requester_only(Action.CANCEL, request, actor)
    why = f"{actor} withdraws their request" if not on_behalf else f"{actor} ends the request"
    return _plan(
        Action.CANCEL,
        request,
        actor,
        now,
        refusal,
        EventName.REQUEST_CANCELLED,
        why,
        state=State.CANCELLED,
        ended=Step(actor, now, comment),
    )


def plan_lapse(request: Request, *, now: datetime) -> Plan:
    """A pending request nobody decided within its pending TTL lapses."""
    now = _start(Action.LAPSE, request, now)
    refusal = None
    if now < request.lapses_at:
        refusal = NotDue(
            f"request {request.id} lapses at {format_instant(request.lapses_at)}, not before"
        )
    why = f"undecided for {format_duration(request.rules.pending_ttl)}"
    return _plan(
        Action.LAPSE,
        request,
        SYSTEM,
        now,
        refusal,
        EventName.REQUEST_LAPSED,
        why,
        state=State.LAPSED,
        ended=Step(SYSTEM, now),
    )


def plan_activate(request: Request, *, now: datetime, actor: str = SYSTEM) -> Plan:
    """The grant is in place: its clock starts now."""
    now = _start(Action.ACTIVATE, request, now)
    why = f"the clock starts now: {format_duration(request.granted)} until " + format_instant(
        now + request.granted
    )
    return _plan(
        Action.ACTIVATE,
        request,
        actor,
        now,
        None,
        EventName.GRANT_ACTIVATED,
        why,
        state=State.ACTIVE,
        activated_at=now,
    )


def plan_extend(request: Request, *, by: timedelta, actor: Login, now: datetime) -> Plan:
    """The requester extends an active grant, within the maximum duration and extension count."""
    now = _start(Action.EXTEND, request, now)
    assert request.expires_at is not None
    refusal: TailjitError | None = _requester_only(Action.EXTEND, request, actor)
    total, maximum = request.granted + by, request.max_duration
    count, allowed = len(request.extensions), request.rules.max_extensions
    if by <= timedelta(0) or by.microseconds:
        refusal = refusal or InvalidInput(
            "extension", str(by), "a positive whole number of seconds"
        )
    if now >= request.expires_at:
        refusal = refusal or PastDeadline(
            f"grant {request.grant_id} ended at {format_instant(request.expires_at)}; "
            "request access again instead"
        )
    if count >= allowed:
        refusal = refusal or ExtensionsExhausted(
            f"grant {request.grant_id} has had {count} of the {allowed} extension(s) "
            f"eligibility {request.eligibility} allows"
        )
    if total > maximum:
        refusal = refusal or DurationTooLong(
            f"extending grant {request.grant_id} by {format_duration(by)} would make it "
            f"{format_duration(total)}, above the maximum of {format_duration(maximum)}"
        )
    why = f"extension {count + 1} of {allowed}: {format_duration(total)} of at most " + (
        format_duration(maximum)
    )
    return _plan(
        Action.EXTEND,
        request,
        actor,
        now,
        refusal,
        EventName.GRANT_EXTENDED,
        why,
        extensions=(*request.extensions, Extension(actor, by, now)),
    )


def plan_release(request: Request, *, actor: Login, now: datetime) -> Plan:
    """The requester is done early; the grant ends now."""
    now = _start(Action.RELEASE, request, now)
    return _plan(
        Action.RELEASE,
        request,
        actor,
        now,
        _requester_only(Action.RELEASE, request, actor),
        EventName.GRANT_RELEASED,
        f"{actor} is done early",
        state=State.RELEASED,
        ended=Step(actor, now),
    )


def plan_revoke(request: Request, *, actor: str, now: datetime, comment: str | None = None) -> Plan:
    """An admin (or tailjit, say when the requester leaves a group) ends the grant now.

    Who may revoke is the caller's decision; the workflow records who did.
    """
    now = _start(Action.REVOKE, request, now)
    comment, refusal = _comment(comment)
    return _plan(
        Action.REVOKE,
        request,
        actor,
        now,
        refusal,
        EventName.GRANT_REVOKED,
        f"revoked by {actor}",
        state=State.REVOKED,
        ended=Step(actor, now, comment),
    )


def plan_expire(request: Request, *, now: datetime) -> Plan:
    """An active grant whose time is up expires."""
    now = _start(Action.EXPIRE, request, now)
    assert request.expires_at is not None
    refusal = None
    if now < request.expires_at:
        refusal = NotDue(
            f"grant {request.grant_id} runs until {format_instant(request.expires_at)}"
        )
    why = f"its time was up at {format_instant(request.expires_at)}"
    return _plan(
        Action.EXPIRE,
        request,
        SYSTEM,
        now,
        refusal,
        EventName.GRANT_EXPIRED,
        why,
        state=State.EXPIRED,
        ended=Step(SYSTEM, now),
    )


def approve(
    request: Request,
    *,
    approver: Login,
    now: datetime,
    directory: Directory,
    comment: str | None = None,
) -> Request:
    return plan_approve(
        request, approver=approver, now=now, directory=directory, comment=comment
    ).execute()


def deny(
    request: Request,
    *,
    approver: Login,
    now: datetime,
    directory: Directory,
    comment: str | None = None,
) -> Request:
    return plan_deny(
        request, approver=approver, now=now, directory=directory, comment=comment
    ).execute()


def cancel(request: Request, *, actor: Login, now: datetime) -> Request:
    return plan_cancel(request, actor=actor, now=now).execute()


def lapse(request: Request, *, now: datetime) -> Request:
    return plan_lapse(request, now=now).execute()


def activate(request: Request, *, now: datetime, actor: str = SYSTEM) -> Request:
    return plan_activate(request, now=now, actor=actor).execute()


def extend(request: Request, *, by: timedelta, actor: Login, now: datetime) -> Request:
    return plan_extend(request, by=by, actor=actor, now=now).execute()


def release(request: Request, *, actor: Login, now: datetime) -> Request:
    return plan_release(request, actor=actor, now=now).execute()


def revoke(request: Request, *, actor: str, now: datetime, comment: str | None = None) -> Request:
    return plan_revoke(request, actor=actor, now=now, comment=comment).execute()


def expire(request: Request, *, now: datetime) -> Request:
    return plan_expire(request, now=now).execute()
