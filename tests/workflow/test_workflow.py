"""The workflow service against the real SQLite store and the sandbox demo's eligibility policy:
every action planned, committed (or only planned, with ``dry_run``) and audited, at exact
fake-clock times."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.eligibility import EligibilityPolicy, load_policy
from tailjit.ids import GroupName, Login
from tailjit.requests import (
    BreakGlassNotAllowed,
    DurationTooLong,
    ExtensionsExhausted,
    JustificationMissing,
    NotRequester,
    Origin,
    Request,
    SelfApprovalForbidden,
    State,
    StaticDirectory,
)
from tailjit.requests.testing import T0, FakeClock, Ids
from tailjit.store import Store
from tailjit.targets import parse_target
from tailjit.workflow import (
    OVERRIDE_ELIGIBILITY,
    NotAnAdmin,
    NotEligible,
    RevokeNotAllowed,
    Workflow,
)

REPO = Path(__file__).resolve().parents[2]
ALICE, BOB, CAROL, ERIN = (
    Login(f"{name}@example.com") for name in ("alice", "bob", "carol", "erin")
)
ENG, DBA = GroupName("group:eng"), GroupName("group:dba")
DIRECTORY = StaticDirectory({ENG: frozenset({ALICE, BOB}), DBA: frozenset({CAROL})})
DB_PROD = parse_target("db-prod:5432")
WEB_STAGING = parse_target("web-staging:443")

# Auto-approval and break-glass, which the demo policy does not use.
EXTRA_POLICY = b"""{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["group:dba"]},
  "eligibilities": [
    {
      "name": "staging",
      "requesters": ["group:eng"],
      "destinations": ["web-staging:443"],
      "maxDuration": "2h",
      "reasonRequired": false,
      "approval": {
        "stages": [{"approvers": ["carol@example.com"]}],
        "autoApprove": [{"requesterIn": ["group:eng"]}],
      },
    },
    {
      "name": "db-prod",
      "requesters": ["group:eng"],
      "destinations": ["db-prod:5432"],
      "maxDuration": "4h",
      "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
      "breakGlass": {"users": ["alice@example.com"], "maxDuration": "30m"},
    },
  ],
}"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store.open(tmp_path / "tailjit.db", clock=clock)


def _workflow(policy: EligibilityPolicy, store: Store, clock: FakeClock) -> Workflow:
    return Workflow(store=store, policy=policy, directory=DIRECTORY, ids=Ids().next, clock=clock)


@pytest.fixture
def flow(store: Store, clock: FakeClock) -> Workflow:
    demo = load_policy((REPO / "policy" / "examples" / "sandbox-demo.hujson").read_bytes())
    return _workflow(demo, store, clock)


@pytest.fixture
def extra(store: Store, clock: FakeClock) -> Workflow:
    return _workflow(load_policy(EXTRA_POLICY), store, clock)


def _events(store: Store) -> list[str]:
    return [record.event for record in store.audit.records()]


def _pending(flow: Workflow) -> Request:
    return flow.request(ALICE, DB_PROD, reason="INC-123").request


def _active(flow: Workflow, clock: FakeClock) -> Request:
    request = _pending(flow)
    flow.approve(request.id, BOB)
    clock.advance(minutes=1)
    return flow.activate(request.id).request


# --- requests -----------------------------------------------------------------------------


def test_a_request_is_stored_pending_under_the_first_matching_eligibility(
    flow: Workflow, store: Store
) -> None:
    plan = flow.request(ALICE, DB_PROD, reason="INC-123")
    stored = store.get(plan.request.id)
    assert stored == plan.request
    assert (stored.state, stored.eligibility, stored.duration) == (
        State.PENDING,
        "db-prod",
        timedelta(hours=1),
    )
    assert stored.lapses_at == T0 + timedelta(hours=2)
    assert _events(store) == ["request.created"]


def test_a_request_no_eligibility_allows_is_refused_with_each_reason(flow: Workflow) -> None:
    with pytest.raises(NotEligible) as refused:
        flow.request(BOB, DB_PROD, reason="curious")
    message = str(refused.value)
    assert "no eligibility lets bob@example.com request" in message
    assert "db-prod: bob@example.com is not among the requesters" in message
    assert "web-staging:" in message
    assert "is not within any destination" in message


def test_a_dry_run_request_writes_nothing(flow: Workflow, store: Store) -> None:
    plan = flow.request(ALICE, DB_PROD, timedelta(hours=2), reason="INC-123", dry_run=True)
    assert plan.allowed
    assert plan.request.duration == timedelta(hours=2)
    assert "request.created" in plan.describe()
    assert _events(store) == []
    assert store.find() == []


def test_a_dry_run_returns_a_refused_plan_instead_of_raising(flow: Workflow, store: Store) -> None:
    plan = flow.request(ALICE, DB_PROD, timedelta(hours=5), reason="INC-1", dry_run=True)
    assert isinstance(plan.refusal, DurationTooLong)
    assert plan.to_dict()["refusal"]["code"] == "duration-too-long"
    assert _events(store) == []


def test_auto_approval_starts_a_request_approved_and_says_which_rule(
    extra: Workflow, store: Store
) -> None:
    plan = extra.request(BOB, WEB_STAGING, reason="")
    assert plan.request.state is State.APPROVED
    assert plan.request.origin is Origin.AUTO
    assert plan.request.auto_approval == "eligibility staging autoApprove entry 0"
    assert _events(store) == ["request.created", "request.approved"]


def test_explicit_groups_replace_the_directory_lookup(extra: Workflow) -> None:
    with pytest.raises(NotEligible):
        extra.request(BOB, WEB_STAGING, reason="", groups=[])


def test_break_glass_starts_approved_and_is_flagged(extra: Workflow, store: Store) -> None:
    plan = extra.request(ALICE, DB_PROD, timedelta(minutes=30), reason="db down", breakglass=True)
    assert plan.request.origin is Origin.BREAKGLASS
    assert plan.request.state is State.APPROVED
    assert _events(store) == ["request.created", "breakglass.used"]
    with pytest.raises(BreakGlassNotAllowed, match=r"bob@example\.com may not use break-glass"):
        extra.request(BOB, DB_PROD, reason="me too", breakglass=True)


# --- decisions ----------------------------------------------------------------------------


def test_approve_activate_and_expire_at_exact_times(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    request = _pending(flow)
    with pytest.raises(SelfApprovalForbidden):
        flow.approve(request.id, ALICE)
    clock.advance(minutes=5)
    assert flow.approve(request.id, BOB).request.state is State.APPROVED
    clock.advance(minutes=1)
    active = flow.activate(request.id).request
    assert active.expires_at == T0 + timedelta(minutes=6, hours=1)

    clock.now = active.expires_at - timedelta(seconds=1)
    assert flow.expire_due() == []
    clock.now = active.expires_at
    (plan,) = flow.expire_due()
    assert plan.request.state is State.EXPIRED
    assert store.get(request.id).ended is not None
    assert store.get(request.id).state is State.EXPIRED
    assert _events(store) == [
        "request.created",
        "request.approved",
        "grant.activated",
        "grant.expired",
    ]
    assert store.audit.verify().ok


def test_the_approvers_to_ask_leave_out_deactivated_logins(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    """db-prod is approved by bob or carol; carol is deactivated, so only bob is asked."""
    request = _pending(flow)
    assert flow.approvers_of(request) == {BOB, CAROL}

    deactivated = Workflow(
        store=store,
        policy=flow.policy,
        directory=DIRECTORY,
        ids=Ids().next,
        clock=clock,
        deactivated=lambda login: login == CAROL,
    )

    assert deactivated.approvers_of(request) == {BOB}


def test_an_approver_denies_and_only_the_requester_cancels(flow: Workflow, store: Store) -> None:
    denied = _pending(flow)
    assert flow.deny(denied.id, BOB, comment="not now").request.state is State.DENIED
    cancelled = _pending(flow)
    with pytest.raises(NotRequester, match=r"only alice@example\.com"):
        flow.cancel(cancelled.id, BOB)
    assert flow.cancel(cancelled.id, ALICE).request.state is State.CANCELLED
    assert store.get(cancelled.id).state is State.CANCELLED


def test_extend_within_the_maximum_then_release(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    active = _active(flow, clock)
    extended = flow.extend(active.id, timedelta(hours=2), ALICE).request
    assert extended.expires_at == clock.now + timedelta(hours=3)
    with pytest.raises(ExtensionsExhausted, match="1 of the 1 extension"):
        flow.extend(active.id, timedelta(hours=1), ALICE)
    clock.advance(minutes=10)
    released = flow.release(active.id, ALICE).request
    assert released.state is State.RELEASED
    assert _events(store)[-2:] == ["grant.extended", "grant.released"]


# --- admin grants -------------------------------------------------------------------------


def test_an_admin_grant_fits_an_eligibility_and_starts_approved(
    flow: Workflow, store: Store
) -> None:
    plan = flow.grant(CAROL, ALICE, DB_PROD, timedelta(hours=2), reason="INC-9")
    granted = store.get(plan.request.id)
    assert (granted.state, granted.origin, granted.eligibility) == (
        State.APPROVED,
        Origin.ADMIN,
        "db-prod",
    )
    assert granted.created.actor == CAROL
    assert _events(store) == ["request.created", "request.approved"]


def test_an_admin_grant_outside_every_eligibility_needs_an_override(
    flow: Workflow, store: Store
) -> None:
    ssh = parse_target("db-prod:22")
    with pytest.raises(NotEligible):
        flow.grant(CAROL, ALICE, ssh, timedelta(hours=1), reason="INC-9")

    plan = flow.grant(
        CAROL, ALICE, ssh, timedelta(hours=1), reason="INC-9", override="disk full, no rule yet"
    )
    granted = store.get(plan.request.id)
    assert granted.eligibility == OVERRIDE_ELIGIBILITY
    assert granted.origin is Origin.ADMIN
    assert granted.reason == "INC-9 [override: disk full, no rule yet]"
    assert plan.why[0] == (
        "OVERRIDE by carol@example.com: eligibility not checked (disk full, no rule yet)"
    )
    created = next(iter(store.audit.records()))
    assert "under eligibility (override)" in created.sentence


def test_an_override_grant_is_still_capped_by_the_global_maximum(flow: Workflow) -> None:
    with pytest.raises(DurationTooLong, match="longer than the 8h"):
        flow.grant(CAROL, ALICE, DB_PROD, timedelta(hours=9), reason="x", override="y")
    with pytest.raises(JustificationMissing, match="an override needs a reason"):
        flow.grant(CAROL, ALICE, DB_PROD, timedelta(hours=1), reason="x", override="  ")


def test_only_admins_grant(flow: Workflow, store: Store) -> None:
    with pytest.raises(NotAnAdmin, match=r"bob@example\.com may not grant.*carol@example\.com"):
        flow.grant(BOB, ALICE, DB_PROD, timedelta(hours=1), reason="INC-9")
    plan = flow.grant(BOB, ALICE, DB_PROD, timedelta(hours=1), reason="INC-9", dry_run=True)
    assert isinstance(plan.refusal, NotAnAdmin)
    assert _events(store) == []


def test_admins_are_found_through_the_directory(extra: Workflow, store: Store) -> None:
    plan = extra.grant(CAROL, BOB, DB_PROD, timedelta(hours=1), reason="INC-9")
    assert store.get(plan.request.id).origin is Origin.ADMIN


# --- revocation ---------------------------------------------------------------------------


def test_an_approver_of_the_eligibility_may_revoke(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    active = _active(flow, clock)
    for outsider in (ERIN, ALICE):
        with pytest.raises(RevokeNotAllowed, match="only an admin or an approver"):
            flow.revoke(active.id, outsider)
    assert store.get(active.id).state is State.ACTIVE
    revoked = flow.revoke(active.id, BOB, comment="done with it").request
    assert revoked.state is State.REVOKED
    assert _events(store)[-1] == "grant.revoked"


def test_an_admin_may_revoke_an_override_grant(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    plan = flow.grant(CAROL, ALICE, DB_PROD, timedelta(hours=1), reason="x", override="y")
    flow.activate(plan.request.id)
    with pytest.raises(RevokeNotAllowed):
        flow.revoke(plan.request.id, BOB)
    dry = flow.revoke(plan.request.id, CAROL, dry_run=True)
    assert dry.allowed
    assert store.get(plan.request.id).state is State.ACTIVE
    assert flow.revoke(plan.request.id, CAROL).request.state is State.REVOKED


# --- due work -----------------------------------------------------------------------------


def test_lapse_due_lapses_exactly_the_requests_past_their_deadline(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    first = _pending(flow)
    clock.advance(minutes=30)
    second = _pending(flow)
    clock.now = first.lapses_at
    assert flow.expire_due() == []

    dry = flow.lapse_due(dry_run=True)
    assert [p.request.id for p in dry] == [first.id]
    assert store.get(first.id).state is State.PENDING

    (plan,) = flow.lapse_due()
    assert plan.request.state is State.LAPSED
    assert store.get(first.id).state is State.LAPSED
    assert store.get(second.id).state is State.PENDING
    assert _events(store).count("request.lapsed") == 1


def test_expire_due_expires_every_due_grant_at_once_and_leaves_the_rest(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    short = flow.grant(CAROL, ALICE, DB_PROD, timedelta(hours=1), reason="a").request
    long = flow.grant(CAROL, ALICE, DB_PROD, timedelta(hours=3), reason="b").request
    flow.activate(short.id)
    flow.activate(long.id)
    clock.advance(hours=1)

    count = len(_events(store))
    assert [p.request.id for p in flow.expire_due(dry_run=True)] == [short.id]
    assert len(_events(store)) == count

    (plan,) = flow.expire_due()
    assert plan.at == T0 + timedelta(hours=1)
    assert store.get(short.id).state is State.EXPIRED
    assert store.get(long.id).state is State.ACTIVE
    assert flow.lapse_due() == []
