"""Plans: what ``--dry-run`` prints, and that planning changes nothing."""

from __future__ import annotations

from datetime import timedelta

from tailjit.ids import GroupName
from tailjit.requests import (
    Stage,
    StaticDirectory,
    Submission,
    plan_approve,
    plan_submit,
)
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DBA,
    DIRECTORY,
    ERIN,
    T0,
    TARGET,
    Ids,
    make_rules,
    new_request,
)

ONCALL = GroupName("group:oncall")
TWO_STAGES = make_rules(
    stages=(Stage(frozenset({BOB, DBA})), Stage(frozenset({ONCALL}), required=2)),
)
DIRECTORY2 = StaticDirectory({DBA: frozenset({BOB, CAROL}), ONCALL: frozenset({ERIN})})
LATER = T0 + timedelta(minutes=5)


def test_a_submission_plan_says_which_eligibility_and_which_stage_is_next() -> None:
    request_id, grant_id = Ids().next()
    plan = plan_submit(
        Submission(ALICE, TARGET, reason="INC-1"),
        rules=TWO_STAGES,
        now=T0,
        request_id=request_id,
        grant_id=grant_id,
        directory=DIRECTORY2,
    )

    assert plan.describe() == "\n".join(
        [
            "submit request 00000001 by alice@example.com at 2026-01-01T12:00:00Z: allowed",
            "  eligibility db-prod (policy+posture): alice@example.com -> db-prod:5432",
            "  state: (new) -> pending",
            "  approvals: stage 1 of 2 needs 1 more approval from bob@example.com or group:dba",
            "  why: eligibility db-prod: 1h of at most 4h, counted from activation",
            "  why: stage 1 of 2 needs 1 more approval from bob@example.com or group:dba; "
            "lapses if undecided within 1d",
            "  audit: request.created",
        ]
    )


def test_an_approval_plan_names_the_missing_approvals() -> None:
    request = new_request(TWO_STAGES)

    plan = plan_approve(request, approver=CAROL, now=LATER, directory=DIRECTORY2)

    assert plan.to_dict() == {
        "action": "approve",
        "actor": "carol@example.com",
        "at": "2026-01-01T12:05:00Z",
        "allowed": True,
        "refusal": None,
        "request": "00000001",
        "eligibility": "db-prod",
        "state": {"before": "pending", "after": "pending"},
        "approvals": {
            "next_stage": 2,
            "stages": 2,
            "missing": 2,
            "approvers": ["group:oncall"],
            "approved_by": ["carol@example.com"],
        },
        "expires_at": None,
        "events": ["approval.recorded"],
        "why": [
            "carol@example.com approves stage 1; "
            "stage 2 of 2 needs 2 more approvals from group:oncall"
        ],
    }


def test_a_refused_plan_shows_the_refusal_and_the_unchanged_state() -> None:
    request = new_request(TWO_STAGES)

    text = plan_approve(request, approver=ALICE, now=LATER, directory=DIRECTORY2).describe()

    assert text.splitlines()[:2] == [
        "approve request 00000001 by alice@example.com at 2026-01-01T12:05:00Z: "
        "REFUSED (self-approval-forbidden)",
        "  refused: alice@example.com made request 00000001 and cannot approve it: "
        "eligibility db-prod does not allow self-approval",
    ]
    assert "  state: pending (unchanged)" in text


def test_planning_changes_nothing() -> None:
    request = new_request()

    plan_approve(request, approver=BOB, now=LATER, directory=DIRECTORY)

    assert request == new_request()
