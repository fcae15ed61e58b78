"""Random sequences of requests, approvals, denials, extensions, releases, revocations and clock
moves, through the real store, never break the workflow's promises:

- no grant is ever activated without the approvals its rules require (or a permitted
  break-glass);
- no grant runs longer than its maximum duration;
- no requester approves their own request where the rules forbid it, and nobody counts twice;
- the audit chain always verifies, with one record per version of each request.
"""

from __future__ import annotations

import collections
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from tailjit.errors import TailjitError
from tailjit.ids import GroupName, Login, RequestId
from tailjit.requests import (
    Origin,
    Request,
    Rules,
    Stage,
    StaticDirectory,
    Submission,
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
    progress,
)
from tailjit.requests.plans import Plan
from tailjit.requests.rules import includes
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DBA,
    ERIN,
    TARGET,
    FakeClock,
    Ids,
    make_rules,
)
from tailjit.store import Store

ONCALL = GroupName("group:oncall")
DIRECTORY = StaticDirectory({DBA: frozenset({BOB, CAROL, DAVE}), ONCALL: frozenset({ALICE, ERIN})})
PEOPLE = [ALICE, BOB, CAROL, DAVE, ERIN]
RULES = [
    make_rules(),
    make_rules(
        eligibility="two-stage",
        stages=(Stage(frozenset({BOB, DBA}), required=2), Stage(frozenset({ONCALL}))),
        max_extensions=1,
        pending_ttl=timedelta(hours=2),
    ),
    make_rules(
        eligibility="self-service",
        stages=(Stage(frozenset({ONCALL, CAROL})),),
        self_approval=True,
        max_duration=timedelta(hours=1),
        default_duration=timedelta(minutes=30),
    ),
]


def approvals_suffice(request: Request) -> bool:
    """Recomputed from the rules, independently of tailjit.requests.approvals."""
    rules: Rules = request.rules
    approvers = [a.approver for a in request.approvals]
    if len(set(approvers)) != len(approvers):
        return False
    if request.requester in approvers and not rules.self_approval:
        return False
    for index, stage in enumerate(rules.stages):
        eligible = {
            a.approver
            for a in request.approvals
            if a.stage == index and includes(stage.approvers, a.approver, DIRECTORY)
        }
        if len(eligible) < stage.required:
            return False
    return True


class Workflow(RuleBasedStateMachine):
    requests = Bundle("requests")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.store = Store.open(":memory:", clock=self.clock)
        self.ids = Ids()
        self.created = 0

    def teardown(self) -> None:
        self.store.close()

    def attempt(self, plan: Plan) -> None:
        """Commit the plan if it is allowed; a refusal must leave the store as it was."""
        if plan.allowed:
            self.store.commit(plan)
            return
        assert isinstance(plan.refusal, TailjitError)
        if plan.before is not None:
            assert self.store.get(plan.before.id) == plan.before

    def current(self, request_id: RequestId) -> Request:
        return self.store.get(request_id)

    @precondition(lambda self: self.created < 3)
    @rule(
        target=requests,
        requester=st.sampled_from(PEOPLE),
        rules=st.sampled_from(RULES),
        minutes=st.sampled_from([None, 1, 30, 60, 240, 241]),
        breakglass=st.booleans(),
    )
    def request(
        self, requester: Login, rules: Rules, minutes: int | None, breakglass: bool
    ) -> object:
        request_id, grant_id = self.ids.next()
        plan = plan_submit(
            Submission(
                requester,
                TARGET,
                None if minutes is None else timedelta(minutes=minutes),
                reason="INC-1",
                breakglass=breakglass,
            ),
            rules=rules,
            now=self.clock(),
            request_id=request_id,
            grant_id=grant_id,
            directory=DIRECTORY,
        )
        if not plan.allowed:
            return multiple()
        self.store.commit(plan)
        self.created += 1
        return request_id

    @rule(request_id=requests, data=st.data())
    def approve_as_someone_eligible(self, request_id: RequestId, data: st.DataObject) -> None:
        """An approval from someone the stage lists (the requester included): any refusal
        then comes from separation of duties, not from a stranger."""
        request = self.current(request_id)
        if request.state != "pending":
            return
        stage = progress(request).approvers
        eligible = sorted(p for p in PEOPLE if includes(stage, p, DIRECTORY))
        approver = data.draw(st.sampled_from(eligible))
        self.attempt(
            plan_approve(request, approver=approver, now=self.clock(), directory=DIRECTORY)
        )

    @rule(request_id=requests, approver=st.sampled_from(PEOPLE))
    def approve(self, request_id: RequestId, approver: Login) -> None:
        request = self.current(request_id)
        if request.state == "pending":
            self.attempt(
                plan_approve(request, approver=approver, now=self.clock(), directory=DIRECTORY)
            )

    # Denials, cancellations and revocations end a request at once: they act one time in four,
    # so that sequences also reach activation, extension and expiry.
    @rule(request_id=requests, approver=st.sampled_from(PEOPLE), act=st.integers(0, 3))
    def deny(self, request_id: RequestId, approver: Login, act: int) -> None:
        request = self.current(request_id)
        if request.state == "pending" and act == 0:
            self.attempt(
                plan_deny(request, approver=approver, now=self.clock(), directory=DIRECTORY)
            )

    @rule(request_id=requests, actor=st.sampled_from(PEOPLE), act=st.integers(0, 3))
    def cancel(self, request_id: RequestId, actor: Login, act: int) -> None:
        request = self.current(request_id)
        if request.state in ("pending", "approved") and act == 0:
            self.attempt(plan_cancel(request, actor=actor, now=self.clock()))

    @rule(request_id=requests)
    def activate(self, request_id: RequestId) -> None:
        request = self.current(request_id)
        if request.state == "approved":
            self.attempt(plan_activate(request, now=self.clock()))

    @rule(
        request_id=requests,
        other=st.none() | st.sampled_from(PEOPLE),
        minutes=st.sampled_from([1, 10, 30, 60, 180, 240]),
    )
    def extend(self, request_id: RequestId, other: Login | None, minutes: int) -> None:
        """The requester (``other`` None) or someone else extends."""
        request = self.current(request_id)
        if request.state == "active":
            by, actor = timedelta(minutes=minutes), other or request.requester
            self.attempt(plan_extend(request, by=by, actor=actor, now=self.clock()))

    @rule(request_id=requests, other=st.none() | st.sampled_from(PEOPLE))
    def release(self, request_id: RequestId, other: Login | None) -> None:
        request = self.current(request_id)
        if request.state == "active":
            actor = other or request.requester
            self.attempt(plan_release(request, actor=actor, now=self.clock()))

    @rule(request_id=requests, act=st.integers(0, 3))
    def revoke(self, request_id: RequestId, act: int) -> None:
        request = self.current(request_id)
        if request.state in ("approved", "active") and act == 0:
            self.attempt(plan_revoke(request, actor=CAROL, now=self.clock()))

    @rule(minutes=st.sampled_from([1, 29, 30, 61, 240, 1440]))
    def advance(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule()
    def tick(self) -> None:
        """What the reconcile loop does: expire and lapse everything due."""
        now = self.clock()
        plans = [
            plan_expire(r, now=now) if r.state == "active" else plan_lapse(r, now=now)
            for r in self.store.due(now)
        ]
        self.store.commit_all(plans)

    @invariant()
    def grants_have_their_approvals_and_stay_within_the_maximum(self) -> None:
        for request in self.store.find():
            approvers = request.approvers
            assert len(set(approvers)) == len(approvers), "one person counts once"
            assert request.requester not in approvers or request.rules.self_approval
            if request.approved is None:
                assert request.activated_at is None
                continue
            if request.origin is Origin.BREAKGLASS:
                glass = request.rules.breakglass
                assert glass is not None
                assert includes(glass.users, request.requester, DIRECTORY)
            else:
                assert request.origin is Origin.REQUESTED
                assert approvals_suffice(request), request
            assert request.granted <= request.max_duration
            if request.expires_at is not None and request.state == "active":
                assert request.expires_at <= request.activated_at + request.max_duration  # type: ignore[operator]

    @invariant()
    def the_audit_chain_verifies_with_one_record_per_event(self) -> None:
        verification = self.store.audit.verify()
        assert verification.ok, verification.describe()
        counts = collections.Counter(r.data["request"] for r in self.store.audit.records())
        for request in self.store.find():
            # Break-glass submissions write two records (created, breakglass.used).
            extra = 1 if request.origin is Origin.BREAKGLASS else 0
            assert counts[request.id] == request.version + extra


Workflow.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestWorkflow = Workflow.TestCase
