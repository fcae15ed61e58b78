"""Separation of duties: self-approval, one person once, stages in order, denial by anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tailjit.ids import GroupName
from tailjit.requests import (
    AlreadyApproved,
    EventName,
    NotAnApprover,
    SelfApprovalForbidden,
    Stage,
    State,
    StaticDirectory,
    approve,
    approvers_now,
    deny,
    plan_approve,
    plan_deny,
    progress,
)
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DBA,
    DIRECTORY,
    ERIN,
    T0,
    make_rules,
    new_request,
)

ONCALL = GroupName("group:oncall")
TWO_STAGES = make_rules(
    stages=(Stage(frozenset({BOB, DBA}), required=2), Stage(frozenset({ONCALL}))),
)
DIRECTORY2 = StaticDirectory({DBA: frozenset({BOB, CAROL, DAVE}), ONCALL: frozenset({BOB, ERIN})})
LATER = T0 + timedelta(minutes=5)


def test_the_requester_cannot_approve_their_own_request_by_default() -> None:
    request = new_request(make_rules(stages=(Stage(frozenset({ALICE, BOB})),)))

    plan = plan_approve(request, approver=ALICE, now=LATER, directory=DIRECTORY)

    assert isinstance(plan.refusal, SelfApprovalForbidden)


def test_self_approval_counts_when_the_eligibility_allows_it() -> None:
    rules = make_rules(stages=(Stage(frozenset({ALICE})),), self_approval=True)

    approved = approve(new_request(rules), approver=ALICE, now=LATER, directory=DIRECTORY)

    assert approved.state is State.APPROVED
    assert approved.approvers == (ALICE,)


def test_self_approval_still_needs_the_requester_among_the_approvers() -> None:
    rules = make_rules(self_approval=True)

    plan = plan_approve(new_request(rules), approver=ALICE, now=LATER, directory=DIRECTORY)

    assert isinstance(plan.refusal, NotAnApprover)


def test_a_group_member_approves_through_the_directory() -> None:
    rules = make_rules(stages=(Stage(frozenset({DBA})),))

    approved = approve(new_request(rules), approver=DAVE, now=LATER, directory=DIRECTORY)

    assert approved.state is State.APPROVED


def test_an_unknown_group_has_no_members() -> None:
    rules = make_rules(stages=(Stage(frozenset({GroupName("group:ghosts")})),))

    plan = plan_approve(new_request(rules), approver=BOB, now=LATER, directory=DIRECTORY)

    assert isinstance(plan.refusal, NotAnApprover)


def test_one_person_counts_once_even_when_named_directly_and_through_a_group() -> None:
    request = new_request(TWO_STAGES)
    once = approve(request, approver=BOB, now=LATER, directory=DIRECTORY2)

    again = plan_approve(once, approver=BOB, now=LATER, directory=DIRECTORY2)

    assert isinstance(again.refusal, AlreadyApproved)
    assert progress(once).needed == 1
    assert progress(once).stage == 0


def test_one_person_cannot_approve_two_stages() -> None:
    """Bob is in stage 1 (directly) and in group:oncall (stage 2): his one approval counts for
    stage 1 only."""
    request = new_request(TWO_STAGES)
    request = approve(request, approver=BOB, now=LATER, directory=DIRECTORY2)
    request = approve(request, approver=CAROL, now=LATER, directory=DIRECTORY2)
    assert progress(request).stage == 1

    plan = plan_approve(request, approver=BOB, now=LATER, directory=DIRECTORY2)

    assert isinstance(plan.refusal, AlreadyApproved)


def test_stages_are_approved_in_order() -> None:
    request = new_request(TWO_STAGES)

    early = plan_approve(request, approver=ERIN, now=LATER, directory=DIRECTORY2)

    assert isinstance(early.refusal, NotAnApprover)
    assert "stage 1 of 2 needs 2 more approvals from bob@example.com or group:dba" in str(
        early.refusal
    )


def test_two_stages_walk_through_to_approved() -> None:
    request = new_request(TWO_STAGES)
    steps = []
    for approver in (CAROL, DAVE, ERIN):
        plan = plan_approve(request, approver=approver, now=LATER, directory=DIRECTORY2)
        steps.append((plan.events, plan.execute().state, progress(plan.execute()).stage))
        request = plan.execute()

    assert steps == [
        ((EventName.APPROVAL_RECORDED,), State.PENDING, 0),
        ((EventName.APPROVAL_RECORDED,), State.PENDING, 1),
        ((EventName.REQUEST_APPROVED,), State.APPROVED, None),
    ]
    assert [(a.approver, a.stage) for a in request.approvals] == [(CAROL, 0), (DAVE, 0), (ERIN, 1)]
    assert request.approved is not None
    assert request.approved.actor == ERIN


@pytest.mark.parametrize("denier", [BOB, DAVE, ERIN], ids=["stage 1", "stage 1 group", "stage 2"])
def test_a_denial_by_any_approver_of_any_stage_ends_the_request(denier: object) -> None:
    request = approve(new_request(TWO_STAGES), approver=CAROL, now=LATER, directory=DIRECTORY2)

    denied = deny(request, approver=denier, now=LATER, directory=DIRECTORY2)  # type: ignore[arg-type]

    assert denied.state is State.DENIED


def test_someone_who_already_approved_can_still_deny() -> None:
    request = approve(new_request(TWO_STAGES), approver=CAROL, now=LATER, directory=DIRECTORY2)

    assert deny(request, approver=CAROL, now=LATER, directory=DIRECTORY2).state is State.DENIED


def test_a_denial_by_someone_in_no_stage_is_refused() -> None:
    plan = plan_deny(new_request(TWO_STAGES), approver=ALICE, now=LATER, directory=DIRECTORY2)

    assert isinstance(plan.refusal, NotAnApprover)


def test_the_approvers_to_ask_are_the_current_stage_with_groups_expanded() -> None:
    """Stage 1 (bob and group:dba, two approvals) with bob's approval in: carol and dave."""
    request = approve(new_request(TWO_STAGES), approver=BOB, now=LATER, directory=DIRECTORY2)

    assert approvers_now(new_request(TWO_STAGES), DIRECTORY2) == {BOB, CAROL, DAVE}
    assert approvers_now(request, DIRECTORY2) == {CAROL, DAVE}


def test_the_requester_is_never_asked_even_with_self_approval() -> None:
    rules = make_rules(stages=(Stage(frozenset({ALICE, DBA})),), self_approval=True)

    assert approvers_now(new_request(rules), DIRECTORY) == {BOB, CAROL, DAVE}


def test_nobody_is_asked_about_a_request_no_longer_pending() -> None:
    denied = deny(new_request(), approver=BOB, now=LATER, directory=DIRECTORY)

    assert approvers_now(denied, DIRECTORY) == frozenset()
