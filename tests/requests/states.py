"""Requests in every state, reached through the real transitions at exact times.

A data module of the test suite (loaded with `tailjit.testing.load_module`, since importlib mode
puts nothing on sys.path).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from tailjit.requests import (
    Action,
    Plan,
    Request,
    State,
    activate,
    approve,
    cancel,
    deny,
    expire,
    lapse,
    plan_activate,
    plan_approve,
    plan_cancel,
    plan_deny,
    plan_expire,
    plan_extend,
    plan_lapse,
    plan_release,
    plan_revoke,
    release,
    revoke,
)
from tailjit.requests.testing import ALICE, BOB, CAROL, DIRECTORY, T0, new_request

APPROVED_AT = T0 + timedelta(minutes=5)
ACTIVATED_AT = T0 + timedelta(minutes=10)
EXPIRES_AT = ACTIVATED_AT + timedelta(hours=1)
LAPSES_AT = T0 + timedelta(days=1)


def in_state(state: State) -> Request:
    """A request with the default test rules, brought to ``state``."""
    pending = new_request()
    if state is State.PENDING:
        return pending
    if state is State.DENIED:
        return deny(pending, approver=BOB, now=APPROVED_AT, directory=DIRECTORY)
    if state is State.CANCELLED:
        return cancel(pending, actor=ALICE, now=APPROVED_AT)
    if state is State.LAPSED:
        return lapse(pending, now=LAPSES_AT)
    approved = approve(pending, approver=BOB, now=APPROVED_AT, directory=DIRECTORY)
    if state is State.APPROVED:
        return approved
    active = activate(approved, now=ACTIVATED_AT)
    return {
        State.ACTIVE: active,
        State.EXPIRED: expire(active, now=EXPIRES_AT),
        State.RELEASED: release(active, actor=ALICE, now=ACTIVATED_AT + timedelta(minutes=1)),
        State.REVOKED: revoke(active, actor=CAROL, now=ACTIVATED_AT + timedelta(minutes=1)),
    }[state]


PLANNERS: dict[Action, Callable[[Request, datetime], Plan]] = {
    Action.APPROVE: lambda r, now: plan_approve(r, approver=CAROL, now=now, directory=DIRECTORY),
    Action.DENY: lambda r, now: plan_deny(r, approver=CAROL, now=now, directory=DIRECTORY),
    Action.CANCEL: lambda r, now: plan_cancel(r, actor=ALICE, now=now),
    Action.LAPSE: lambda r, now: plan_lapse(r, now=now),
    Action.ACTIVATE: lambda r, now: plan_activate(r, now=now),
    Action.EXTEND: lambda r, now: plan_extend(r, by=timedelta(minutes=30), actor=ALICE, now=now),
    Action.RELEASE: lambda r, now: plan_release(r, actor=ALICE, now=now),
    Action.REVOKE: lambda r, now: plan_revoke(r, actor=CAROL, now=now),
    Action.EXPIRE: lambda r, now: plan_expire(r, now=now),
}
"""Every action on an existing request, planned with arguments that are otherwise valid."""
