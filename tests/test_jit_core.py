"""The JIT core end to end, with no network: the sandbox demo's eligibility policy, the request
workflow, the SQLite store and the audit chain working together (issue 5)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.eligibility import EligibilityPolicy, load_policy
from tailjit.ids import GrantId, GroupName, Login, RequestId
from tailjit.requests import (
    NotAnApprover,
    SelfApprovalForbidden,
    State,
    StaticDirectory,
    Submission,
    expire,
    plan_activate,
    plan_approve,
    plan_submit,
)
from tailjit.requests.testing import FakeClock
from tailjit.store import Store
from tailjit.targets import parse_target

REPO = Path(__file__).resolve().parent.parent
ALICE, BOB, CAROL = (Login(f"{name}@example.com") for name in ("alice", "bob", "carol"))
ENG = GroupName("group:eng")
DIRECTORY = StaticDirectory({ENG: frozenset({ALICE, BOB}), GroupName("group:dba"): {CAROL}})


@pytest.fixture
def demo() -> EligibilityPolicy:
    return load_policy((REPO / "policy" / "examples" / "sandbox-demo.hujson").read_bytes())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store.open(tmp_path / "tailjit.db", clock=clock)


def test_alice_gets_db_prod_for_an_hour_after_bob_approves(
    demo: EligibilityPolicy, store: Store, clock: FakeClock
) -> None:
    target = parse_target("db-prod:5432")
    matches = [m for m in demo.match(ALICE, [ENG], target, now=clock.now) if m.allowed]
    assert [m.eligibility.name for m in matches] == ["db-prod"]
    eligibility = matches[0].eligibility
    assert not matches[0].auto.approved

    plan = plan_submit(
        Submission(ALICE, target, reason="INC-123"),
        rules=eligibility.rules(),
        now=clock.now,
        request_id=RequestId("R0000001"),
        grant_id=GrantId("G0000001"),
        directory=DIRECTORY,
    )
    request = store.commit(plan)
    assert request.state is State.PENDING

    # alice may not approve her own request, erin approves nothing; bob is an approver.
    refusals = [
        plan_approve(request, approver=who, now=clock.now, directory=DIRECTORY).refusal
        for who in (ALICE, Login("erin@example.com"))
    ]
    assert [type(refusal) for refusal in refusals] == [SelfApprovalForbidden, NotAnApprover]
    clock.now += timedelta(minutes=5)
    approved = store.commit(plan_approve(request, approver=BOB, now=clock.now, directory=DIRECTORY))
    assert approved.state is State.APPROVED

    clock.now += timedelta(minutes=1)  # the grant's hour starts when it becomes active
    active = store.commit(plan_activate(approved, now=clock.now))
    assert active.expires_at == clock.now + timedelta(hours=1)

    clock.now = active.expires_at
    assert [r.id for r in store.due(clock.now)] == [active.id]
    ended = expire(active, now=clock.now)
    assert ended.state is State.EXPIRED

    events = [record.event for record in store.audit.records()]
    assert events == ["request.created", "request.approved", "grant.activated"]
    assert store.audit.verify().ok


def test_alice_may_approve_her_own_web_staging_request(
    demo: EligibilityPolicy, store: Store, clock: FakeClock
) -> None:
    target = parse_target("web-staging:443")
    (match,) = [m for m in demo.match(ALICE, [ENG], target, now=clock.now) if m.allowed]
    request = store.commit(
        plan_submit(
            Submission(ALICE, target),
            rules=match.eligibility.rules(),
            now=clock.now,
            request_id=RequestId("R0000002"),
            grant_id=GrantId("G0000002"),
            directory=DIRECTORY,
        )
    )
    approved = store.commit(
        plan_approve(request, approver=ALICE, now=clock.now, directory=DIRECTORY)
    )
    assert approved.state is State.APPROVED
    assert approved.rules.max_duration == timedelta(hours=1)


def test_a_request_wider_than_any_eligibility_matches_none(
    demo: EligibilityPolicy, clock: FakeClock
) -> None:
    wider = parse_target("db-prod:5000-6000")
    assert not any(m.allowed for m in demo.match(ALICE, [ENG], wider, now=clock.now))
    assert not any(
        m.allowed for m in demo.match(BOB, [ENG], parse_target("db-prod:5432"), now=clock.now)
    )
