"""Every transition with exact times, and every refusal with its code.

The default test rules (`tailjit.requests.testing.make_rules`): one approval from bob or carol,
1h by default, at most 4h, 2 extensions, a day to decide, a reason required, break-glass for
group:dba up to 30m.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.errors import InvalidInput
from tailjit.requests import (
    SYSTEM,
    EventName,
    Origin,
    Plan,
    Request,
    Stage,
    State,
    Submission,
    activate,
    approve,
    extend,
    plan_activate,
    plan_approve,
    plan_cancel,
    plan_deny,
    plan_expire,
    plan_extend,
    plan_lapse,
    plan_release,
    plan_revoke,
    plan_submit,
)
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DIRECTORY,
    ERIN,
    T0,
    TARGET,
    Ids,
    make_rules,
    new_request,
)
from tailjit.testing import load_module

S = load_module(Path(__file__).with_name("states.py"), "request_states")
M = timedelta(minutes=1)
H = timedelta(hours=1)


def submit_plan(submission: Submission, *, rules: object = None, **kwargs: object) -> Plan:
    request_id, grant_id = Ids().next()
    return plan_submit(
        submission,
        rules=rules or make_rules(),  # type: ignore[arg-type]
        now=T0,
        request_id=request_id,
        grant_id=grant_id,
        directory=DIRECTORY,
        **kwargs,  # type: ignore[arg-type]
    )


# --- submission -------------------------------------------------------------------------------


def test_a_request_starts_pending_with_the_default_duration() -> None:
    plan = submit_plan(Submission(ALICE, TARGET, reason="INC-1"))

    request = plan.execute()
    assert request.state is State.PENDING
    assert request.origin is Origin.REQUESTED
    assert request.duration == H
    assert request.created_at == T0
    assert request.lapses_at == T0 + timedelta(days=1)
    assert request.expires_at is None
    assert request.version == 1
    assert plan.events == (EventName.REQUEST_CREATED,)


@pytest.mark.parametrize(
    ("kwargs", "breakglass", "origin", "events", "approved_by"),
    [
        (
            {"auto_approval": "requester is in group:dba"},
            False,
            Origin.AUTO,
            (EventName.REQUEST_CREATED, EventName.REQUEST_APPROVED),
            SYSTEM,
        ),
        (
            {"granted_by": CAROL},
            False,
            Origin.ADMIN,
            (EventName.REQUEST_CREATED, EventName.REQUEST_APPROVED),
            CAROL,
        ),
        ({}, True, Origin.BREAKGLASS, (EventName.REQUEST_CREATED, EventName.BREAKGLASS_USED), DAVE),
    ],
)
def test_auto_admin_and_breakglass_requests_start_approved(
    kwargs: dict[str, object],
    breakglass: bool,
    origin: Origin,
    events: tuple[EventName, ...],
    approved_by: str,
) -> None:
    plan = submit_plan(Submission(DAVE, TARGET, reason="outage", breakglass=breakglass), **kwargs)

    request = plan.execute()
    assert request.state is State.APPROVED
    assert request.origin is origin
    assert request.approved is not None
    assert (request.approved.actor, request.approved.at) == (approved_by, T0)
    assert request.approvals == ()
    assert plan.events == events
    assert request.breakglass is breakglass


def test_breakglass_defaults_to_its_own_shorter_maximum() -> None:
    request = submit_plan(Submission(DAVE, TARGET, reason="outage", breakglass=True)).execute()

    assert request.duration == timedelta(minutes=30)
    assert request.max_duration == timedelta(minutes=30)


@dataclass(frozen=True)
class Refused:
    name: str
    submission: Submission
    code: str
    message: str
    rules: dict[str, object] | None = None


SUBMIT_REFUSALS = [
    Refused(
        "longer than the maximum",
        Submission(ALICE, TARGET, 4 * H + timedelta(seconds=1), reason="x"),
        "duration-too-long",
        "4h1s is longer than the 4h eligibility db-prod allows",
    ),
    Refused(
        "break-glass longer than its maximum",
        Submission(DAVE, TARGET, H, reason="x", breakglass=True),
        "duration-too-long",
        "1h is longer than the 30m",
    ),
    Refused(
        "no reason",
        Submission(ALICE, TARGET, reason="   "),
        "justification-missing",
        "eligibility db-prod requires a reason",
    ),
    Refused(
        "break-glass always needs a reason",
        Submission(DAVE, TARGET, breakglass=True),
        "justification-missing",
        "break-glass requires a reason",
        {"reason_required": False},
    ),
    Refused(
        "no ticket",
        Submission(ALICE, TARGET, reason="x"),
        "justification-missing",
        "requires a ticket matching 'INC-[0-9]+'; got no ticket",
        {"ticket_pattern": "INC-[0-9]+"},
    ),
    Refused(
        "a ticket that does not match in full",
        Submission(ALICE, TARGET, reason="x", ticket="INC-12x"),
        "justification-missing",
        "got ticket 'INC-12x'",
        {"ticket_pattern": "INC-[0-9]+"},
    ),
    Refused(
        "a reason of two lines",
        Submission(ALICE, TARGET, reason="one\ntwo"),
        "invalid-reason",
        "one line of at most 500 printable characters",
    ),
    Refused(
        "a reason too long",
        Submission(ALICE, TARGET, reason="x" * 501),
        "invalid-reason",
        "(501 characters)",
    ),
    Refused(
        "break-glass by someone not allowed",
        Submission(ALICE, TARGET, reason="x", breakglass=True),
        "breakglass-not-allowed",
        "alice@example.com may not use break-glass under eligibility db-prod",
    ),
    Refused(
        "break-glass where there is none",
        Submission(DAVE, TARGET, reason="x", breakglass=True),
        "breakglass-not-allowed",
        "eligibility db-prod has no break-glass",
        {"breakglass": None},
    ),
]


@pytest.mark.parametrize("case", SUBMIT_REFUSALS, ids=lambda c: c.name)
def test_a_submission_is_refused(case: Refused) -> None:
    plan = submit_plan(case.submission, rules=make_rules(**(case.rules or {})))

    assert not plan.allowed
    assert plan.after is None
    assert plan.to_dict()["refusal"]["code"] == case.code
    assert case.message in str(plan.refusal)
    with pytest.raises(type(plan.refusal)):
        plan.execute()


def test_a_matching_ticket_is_kept() -> None:
    plan = submit_plan(
        Submission(ALICE, TARGET, reason="x", ticket=" INC-42 "),
        rules=make_rules(ticket_pattern="INC-[0-9]+"),
    )

    assert plan.execute().ticket == "INC-42"


# --- transitions of an existing request -------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    start: State
    plan: Callable[[Request], Plan]
    state: State
    event: EventName
    check: Callable[[Request], object]


CASES = [
    Case(
        "the only approval approves",
        State.PENDING,
        lambda r: plan_approve(r, approver=BOB, now=T0 + 5 * M, directory=DIRECTORY),
        State.APPROVED,
        EventName.REQUEST_APPROVED,
        lambda r: r.approvers == (BOB,) and r.approved.at == T0 + 5 * M,
    ),
    Case(
        "a denial ends it",
        State.PENDING,
        lambda r: plan_deny(
            r, approver=CAROL, now=T0 + 5 * M, directory=DIRECTORY, comment="not now"
        ),
        State.DENIED,
        EventName.REQUEST_DENIED,
        lambda r: (r.ended.actor, r.ended.at, r.ended.comment) == (CAROL, T0 + 5 * M, "not now"),
    ),
    Case(
        "the requester cancels while pending",
        State.PENDING,
        lambda r: plan_cancel(r, actor=ALICE, now=T0 + M),
        State.CANCELLED,
        EventName.REQUEST_CANCELLED,
        lambda r: (r.ended.actor, r.ended.at) == (ALICE, T0 + M),
    ),
    Case(
        "the requester cancels once approved",
        State.APPROVED,
        lambda r: plan_cancel(r, actor=ALICE, now=T0 + 6 * M),
        State.CANCELLED,
        EventName.REQUEST_CANCELLED,
        lambda r: r.activated_at is None,
    ),
    Case(
        "it lapses exactly at its lapse time",
        State.PENDING,
        lambda r: plan_lapse(r, now=T0 + timedelta(days=1)),
        State.LAPSED,
        EventName.REQUEST_LAPSED,
        lambda r: (r.ended.actor, r.ended.at) == (SYSTEM, T0 + timedelta(days=1)),
    ),
    Case(
        "the clock starts at activation",
        State.APPROVED,
        lambda r: plan_activate(r, now=T0 + 3 * H),
        State.ACTIVE,
        EventName.GRANT_ACTIVATED,
        lambda r: (r.activated_at, r.expires_at) == (T0 + 3 * H, T0 + 4 * H),
    ),
    Case(
        "an extension moves the expiry",
        State.ACTIVE,
        lambda r: plan_extend(r, by=30 * M, actor=ALICE, now=S.ACTIVATED_AT + 50 * M),
        State.ACTIVE,
        EventName.GRANT_EXTENDED,
        lambda r: r.expires_at == S.EXPIRES_AT + 30 * M and len(r.extensions) == 1,
    ),
    Case(
        "the requester releases early",
        State.ACTIVE,
        lambda r: plan_release(r, actor=ALICE, now=S.ACTIVATED_AT + 20 * M),
        State.RELEASED,
        EventName.GRANT_RELEASED,
        lambda r: (r.ended.actor, r.ended.at) == (ALICE, S.ACTIVATED_AT + 20 * M),
    ),
    Case(
        "an admin revokes an active grant",
        State.ACTIVE,
        lambda r: plan_revoke(r, actor=CAROL, now=S.ACTIVATED_AT + M, comment="left team"),
        State.REVOKED,
        EventName.GRANT_REVOKED,
        lambda r: (r.ended.actor, r.ended.comment) == (CAROL, "left team"),
    ),
    Case(
        "an admin revokes before activation",
        State.APPROVED,
        lambda r: plan_revoke(r, actor=CAROL, now=S.APPROVED_AT + M),
        State.REVOKED,
        EventName.GRANT_REVOKED,
        lambda r: r.activated_at is None,
    ),
    Case(
        "it expires exactly at its expiry",
        State.ACTIVE,
        lambda r: plan_expire(r, now=S.EXPIRES_AT),
        State.EXPIRED,
        EventName.GRANT_EXPIRED,
        lambda r: (r.ended.actor, r.ended.at, r.expires_at) == (SYSTEM, S.EXPIRES_AT, S.EXPIRES_AT),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_transition(case: Case) -> None:
    before = S.in_state(case.start)

    plan = case.plan(before)
    after = plan.execute()

    assert after.state is case.state
    assert plan.events == (case.event,)
    assert after.version == before.version + 1
    assert case.check(after)
    assert (after.id, after.grant_id, after.requester) == (before.id, before.grant_id, ALICE)


@dataclass(frozen=True)
class Refusal:
    name: str
    start: State
    plan: Callable[[Request], Plan]
    code: str
    message: str


REFUSALS = [
    Refusal(
        "approval at the lapse time",
        State.PENDING,
        lambda r: plan_approve(r, approver=BOB, now=S.LAPSES_AT, directory=DIRECTORY),
        "past-deadline",
        "lapsed at 2026-01-02T12:00:00Z",
    ),
    Refusal(
        "self-approval",
        State.PENDING,
        lambda r: plan_approve(r, approver=ALICE, now=T0, directory=DIRECTORY),
        "self-approval-forbidden",
        "does not allow self-approval",
    ),
    Refusal(
        "approval by someone who is no approver",
        State.PENDING,
        lambda r: plan_approve(r, approver=ERIN, now=T0, directory=DIRECTORY),
        "not-an-approver",
        "stage 1 of 1 needs 1 more approval from bob@example.com or carol@example.com",
    ),
    Refusal(
        "denial by someone who is no approver",
        State.PENDING,
        lambda r: plan_deny(r, approver=ERIN, now=T0, directory=DIRECTORY),
        "not-an-approver",
        "only its approvers (bob@example.com or carol@example.com) can",
    ),
    Refusal(
        "denial by the requester",
        State.PENDING,
        lambda r: plan_deny(r, approver=ALICE, now=T0, directory=DIRECTORY),
        "not-an-approver",
        "cancel it instead",
    ),
    Refusal(
        "a comment of two lines",
        State.PENDING,
        lambda r: plan_deny(r, approver=BOB, now=T0, directory=DIRECTORY, comment="a\nb"),
        "invalid-comment",
        "one line",
    ),
    Refusal(
        "cancel by someone else",
        State.PENDING,
        lambda r: plan_cancel(r, actor=BOB, now=T0),
        "not-requester",
        "only alice@example.com, who made request 00000001, may cancel it",
    ),
    Refusal(
        "lapse a second early",
        State.PENDING,
        lambda r: plan_lapse(r, now=S.LAPSES_AT - timedelta(seconds=1)),
        "not-due",
        "lapses at 2026-01-02T12:00:00Z, not before",
    ),
    Refusal(
        "expire a second early",
        State.ACTIVE,
        lambda r: plan_expire(r, now=S.EXPIRES_AT - timedelta(seconds=1)),
        "not-due",
        "runs until 2026-01-01T13:10:00Z",
    ),
    Refusal(
        "extend past the maximum",
        State.ACTIVE,
        lambda r: plan_extend(r, by=3 * H + M, actor=ALICE, now=S.ACTIVATED_AT),
        "duration-too-long",
        "would make it 4h1m, above the maximum of 4h",
    ),
    Refusal(
        "extend at the expiry",
        State.ACTIVE,
        lambda r: plan_extend(r, by=M, actor=ALICE, now=S.EXPIRES_AT),
        "past-deadline",
        "ended at 2026-01-01T13:10:00Z",
    ),
    Refusal(
        "extend by someone else",
        State.ACTIVE,
        lambda r: plan_extend(r, by=M, actor=BOB, now=S.ACTIVATED_AT),
        "not-requester",
        "may extend it",
    ),
    Refusal(
        "extend by nothing",
        State.ACTIVE,
        lambda r: plan_extend(r, by=timedelta(0), actor=ALICE, now=S.ACTIVATED_AT),
        "invalid-extension",
        "a positive whole number of seconds",
    ),
    Refusal(
        "release by someone else",
        State.ACTIVE,
        lambda r: plan_release(r, actor=CAROL, now=S.ACTIVATED_AT),
        "not-requester",
        "may release it",
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c.name)
def test_a_refusal(case: Refusal) -> None:
    before = S.in_state(case.start)

    plan = case.plan(before)

    assert not plan.allowed
    assert plan.after is None
    assert plan.request == before
    assert plan.events == ()
    assert plan.to_dict()["refusal"]["code"] == case.code
    assert case.message in str(plan.refusal)
    with pytest.raises(type(plan.refusal)):
        plan.execute()


def test_extensions_stop_at_the_count() -> None:
    grant = S.in_state(State.ACTIVE)
    for minute in (1, 2):
        grant = extend(grant, by=M, actor=ALICE, now=S.ACTIVATED_AT + minute * M)

    plan = plan_extend(grant, by=M, actor=ALICE, now=S.ACTIVATED_AT + 3 * M)

    assert plan.to_dict()["refusal"]["code"] == "extensions-exhausted"
    assert "has had 2 of the 2 extension(s)" in str(plan.refusal)
    assert grant.expires_at == S.EXPIRES_AT + 2 * M


def test_extensions_may_reach_the_maximum_exactly() -> None:
    grant = extend(S.in_state(State.ACTIVE), by=3 * H, actor=ALICE, now=S.ACTIVATED_AT)

    assert grant.granted == grant.max_duration == 4 * H
    assert grant.expires_at == S.ACTIVATED_AT + 4 * H


def test_overlapping_grants_keep_their_own_ids_and_expiries() -> None:
    ids = Ids()
    first = new_request(ids=ids)
    second = new_request(ids=ids, duration=2 * H, now=T0 + 10 * M)
    first = activate(approve(first, approver=BOB, now=T0, directory=DIRECTORY), now=T0 + M)
    second = activate(
        approve(second, approver=CAROL, now=T0 + 10 * M, directory=DIRECTORY), now=T0 + 11 * M
    )

    assert first.grant_id != second.grant_id
    assert (first.expires_at, second.expires_at) == (T0 + 61 * M, T0 + 131 * M)
    # Ending one leaves the other exactly as it was.
    released = plan_release(first, actor=ALICE, now=T0 + 20 * M).execute()
    assert released.state is State.RELEASED
    assert second.state is State.ACTIVE
    assert second.expires_at == T0 + 131 * M


def test_times_must_be_aware_utc() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        plan_lapse(new_request(), now=T0.replace(tzinfo=None))


def test_rules_refuse_an_empty_stage_and_a_default_above_the_maximum() -> None:
    with pytest.raises(ValueError, match="at least one approver"):
        Stage(frozenset())
    with pytest.raises(ValueError, match="default duration <= maximum"):
        make_rules(default_duration=5 * H)
    with pytest.raises(ValueError, match="at least one approval stage"):
        make_rules(stages=())


def test_a_bad_duration_is_invalid_input_naming_the_field() -> None:
    plan = submit_plan(Submission(ALICE, TARGET, timedelta(seconds=-1), reason="x"))

    assert isinstance(plan.refusal, InvalidInput)
    assert plan.refusal.field == "duration"
