"""Access follows identity: `Workflow.end_ineligible` ends the live requests a user may no longer
have (a group left, or deactivation), as tailjit acting for the identity source, in one
transaction, against the real store and at fake-clock times."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tailjit.eligibility import load_policy
from tailjit.ids import GroupName, Login
from tailjit.requests import SYSTEM, Action, Plan, Request, State, StaticDirectory
from tailjit.requests.testing import FakeClock, Ids
from tailjit.store import StaleRequest, Store
from tailjit.targets import parse_target
from tailjit.workflow import OVERRIDE_ELIGIBILITY, Workflow

ALICE, CAROL = Login("alice@example.com"), Login("carol@example.com")
ONCALL, ENG, DBA = (GroupName(f"group:{name}") for name in ("oncall", "eng", "dba"))
DB_PROD, DB_REPLICA = parse_target("db-prod:5432"), parse_target("db-replica:5432")
WEB_STAGING, SSH = parse_target("web-staging:443"), parse_target("bastion:22")
ALICE_GROUPS = frozenset({ONCALL, ENG})

POLICY = b"""{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["group:dba"]},
  "eligibilities": [
    {
      "name": "oncall-db",
      "requesters": ["group:oncall"],
      "destinations": ["db-prod:5432", "db-replica:5432"],
      "maxDuration": "4h",
      "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
    },
    {
      "name": "eng-web",
      "requesters": ["group:eng"],
      "destinations": ["web-staging:443"],
      "maxDuration": "4h",
      "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
    },
  ],
}"""

REMOVED = "group.member.removed reported by okta:evt-1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store.open(tmp_path / "tailjit.db", clock=clock)


def _workflow(store: Any, clock: FakeClock) -> Workflow:
    return Workflow(
        store=store,
        policy=load_policy(POLICY),
        directory=StaticDirectory({DBA: frozenset({CAROL})}),
        ids=Ids().next,
        clock=clock,
    )


@pytest.fixture
def flow(store: Store, clock: FakeClock) -> Workflow:
    return _workflow(store, clock)


class Requests:
    """Alice's live requests: an active db-prod grant and a pending db-replica request (both
    through group:oncall), an active web-staging grant (through group:eng) and an active
    override grant (no eligibility)."""

    def __init__(self, flow: Workflow, clock: FakeClock) -> None:
        self.db = self._active(flow, clock, DB_PROD, "oncall-db")
        self.web = self._active(flow, clock, WEB_STAGING, "eng-web")
        self.pending = flow.request(ALICE, DB_REPLICA, reason="INC-2", groups=ALICE_GROUPS).request
        granted = flow.grant(
            CAROL, ALICE, SSH, timedelta(hours=1), reason="INC-3", override="bastion broken"
        ).request
        self.override = flow.activate(granted.id).request
        assert self.override.eligibility == OVERRIDE_ELIGIBILITY
        clock.advance(minutes=10)

    @staticmethod
    def _active(flow: Workflow, clock: FakeClock, target: Any, eligibility: str) -> Request:
        request = flow.request(ALICE, target, reason="INC-1", groups=ALICE_GROUPS).request
        assert request.eligibility == eligibility
        flow.approve(request.id, CAROL)
        clock.advance(minutes=1)
        return flow.activate(request.id).request


@pytest.fixture
def alice(flow: Workflow, clock: FakeClock) -> Requests:
    return Requests(flow, clock)


def _state(store: Store, request: Request) -> State:
    return store.get(request.id).state


def _outcome(plans: Sequence[Plan]) -> list[tuple[str, Action, State]]:
    return [(p.request.target.host, p.action, p.request.state) for p in plans]


def test_leaving_the_group_ends_what_it_allowed_and_keeps_the_rest(
    flow: Workflow, store: Store, alice: Requests
) -> None:
    plans = flow.end_ineligible(
        ALICE, groups={ENG}, deactivated=False, actor="okta:evt-1", reason=REMOVED
    )

    assert _outcome(plans) == [
        ("db-prod", Action.REVOKE, State.REVOKED),
        ("db-replica", Action.CANCEL, State.CANCELLED),
    ]
    assert _state(store, alice.db) is State.REVOKED
    assert _state(store, alice.pending) is State.CANCELLED
    assert _state(store, alice.web) is State.ACTIVE
    assert _state(store, alice.override) is State.ACTIVE
    assert plans[0].why[0].startswith("eligibility oncall-db no longer allows it: ")
    assert "alice@example.com is not among the requesters (group:oncall)" in plans[0].why[0]


def test_the_end_is_audited_with_the_sources_actor_and_reason(
    flow: Workflow, store: Store, clock: FakeClock, alice: Requests
) -> None:
    before = len(list(store.audit.records()))
    flow.end_ineligible(ALICE, groups={ENG}, deactivated=False, actor="okta:evt-1", reason=REMOVED)

    records = list(store.audit.records())[before:]
    assert [(r.event, r.actor, r.data["comment"]) for r in records] == [
        ("grant.revoked", "okta:evt-1", REMOVED),
        ("request.cancelled", "okta:evt-1", REMOVED),
    ]
    assert {r.at for r in records} == {"2026-01-01T12:12:00.000000Z"}
    assert records[0].sentence == (
        f"okta:evt-1 revoked grant {alice.db.grant_id} (alice@example.com -> db-prod:5432)"
    )
    assert (
        records[1].sentence
        == f"okta:evt-1 cancelled request {alice.pending.id} for db-replica:5432"
    )
    cancelled = store.get(alice.pending.id)
    assert cancelled.ended is not None
    assert (cancelled.ended.actor, cancelled.ended.at) == ("okta:evt-1", clock.now)
    assert store.audit.verify().ok


def test_the_delivery_joins_the_comment_unless_the_reason_names_it(
    flow: Workflow, store: Store, alice: Requests
) -> None:
    flow.end_ineligible(
        ALICE,
        groups={ENG},
        deactivated=False,
        actor=SYSTEM,
        reason="removed from group:oncall",
        delivery="msg_2KWPBgLlAfxdpx2AI54pPJ85f1W",
    )

    (revoked, cancelled) = list(store.audit.records())[-2:]
    assert revoked.actor == cancelled.actor == "tailjit"
    assert revoked.data["comment"] == (
        "removed from group:oncall (delivery msg_2KWPBgLlAfxdpx2AI54pPJ85f1W)"
    )


def test_deactivation_ends_everything_override_grants_included(
    flow: Workflow, store: Store, alice: Requests
) -> None:
    plans = flow.end_ineligible(
        ALICE,
        groups=ALICE_GROUPS,
        deactivated=True,
        actor="tailscale:evt-9",
        reason="user.deactivated reported by tailscale:evt-9",
    )

    assert sorted(_outcome(plans)) == [
        ("bastion", Action.REVOKE, State.REVOKED),
        ("db-prod", Action.REVOKE, State.REVOKED),
        ("db-replica", Action.CANCEL, State.CANCELLED),
        ("web-staging", Action.REVOKE, State.REVOKED),
    ]
    assert store.find(states=[State.PENDING, State.APPROVED, State.ACTIVE]) == []
    assert all(
        p.why[0] == "alice@example.com is deactivated: every request and grant ends" for p in plans
    )


def test_an_approved_request_not_yet_active_is_revoked(
    flow: Workflow, store: Store, clock: FakeClock
) -> None:
    request = flow.request(ALICE, DB_PROD, reason="INC-1", groups=ALICE_GROUPS).request
    flow.approve(request.id, CAROL)

    (plan,) = flow.end_ineligible(ALICE, groups=(), deactivated=False, actor=SYSTEM, reason="x")
    assert (plan.action, _state(store, request)) == (Action.REVOKE, State.REVOKED)


def test_nothing_ends_while_the_user_still_qualifies(
    flow: Workflow, store: Store, alice: Requests
) -> None:
    before = len(list(store.audit.records()))
    plans = flow.end_ineligible(
        ALICE, groups=ALICE_GROUPS, deactivated=False, actor="okta:evt-1", reason=REMOVED
    )
    assert plans == []
    assert len(list(store.audit.records())) == before


def test_a_dry_run_plans_the_same_and_commits_nothing(
    flow: Workflow, store: Store, alice: Requests
) -> None:
    before = list(store.audit.records())
    plans = flow.end_ineligible(
        ALICE, groups={ENG}, deactivated=False, actor="okta:evt-1", reason=REMOVED, dry_run=True
    )

    assert _outcome(plans) == [
        ("db-prod", Action.REVOKE, State.REVOKED),
        ("db-replica", Action.CANCEL, State.CANCELLED),
    ]
    assert all(p.actor == "okta:evt-1" for p in plans)
    assert _state(store, alice.db) is State.ACTIVE
    assert _state(store, alice.pending) is State.PENDING
    assert list(store.audit.records()) == before


def test_a_comment_the_transitions_would_refuse_still_ends_access(
    flow: Workflow, store: Store, alice: Requests
) -> None:
    """A reason or delivery id with a line break, or too long, is escaped and cut: a refused
    comment must never leave the user their access."""
    plans = flow.end_ineligible(
        ALICE,
        groups={ENG},
        deactivated=False,
        actor="generic:x",
        reason="removed\nforged " + "y" * 600,
        delivery="d\n1",
    )

    assert [p.request.state for p in plans] == [State.REVOKED, State.CANCELLED]
    comment = store.get(alice.db.id).ended.comment  # type: ignore[union-attr]
    assert comment is not None
    assert "\n" not in comment
    assert len(comment) == 500
    assert comment.startswith("removed\\nforged")


def test_a_request_that_changed_meanwhile_is_read_and_planned_again(
    store: Store, clock: FakeClock
) -> None:
    """The reconcile loop activates the approved request between the read and the commit: the
    stale plan is refused by the store, and the fresh one revokes the now active grant."""

    class Racing:
        def __init__(self, inner: Store, race: Callable[[], None]) -> None:
            self._inner, self._race, self.conflicts = inner, race, 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def commit_all(self, plans: Sequence[Plan]) -> list[Request]:
            race, self._race = self._race, lambda: None
            race()
            try:
                return self._inner.commit_all(plans)
            except StaleRequest:
                self.conflicts += 1
                raise

    setup = _workflow(store, clock)
    request = setup.request(ALICE, DB_PROD, reason="INC-1", groups=ALICE_GROUPS).request
    setup.approve(request.id, CAROL)
    racing = Racing(store, lambda: setup.activate(request.id) and None)

    (plan,) = _workflow(racing, clock).end_ineligible(
        ALICE, groups=(), deactivated=False, actor=SYSTEM, reason="left the group"
    )
    assert racing.conflicts == 1
    assert plan.before is not None
    assert plan.before.state is State.ACTIVE
    assert _state(store, request) is State.REVOKED
    assert [r.event for r in store.audit.records()][-2:] == ["grant.activated", "grant.revoked"]


def test_a_grant_under_an_eligibility_gone_from_the_policy_ends(
    store: Store, clock: FakeClock, flow: Workflow
) -> None:
    request = flow.request(ALICE, WEB_STAGING, reason="INC-1", groups=ALICE_GROUPS).request
    reloaded = Workflow(
        store=store,
        policy=load_policy(POLICY.replace(b'"eng-web"', b'"web"')),
        directory=flow.directory,
        ids=Ids().next,
        clock=clock,
    )

    (plan,) = reloaded.end_ineligible(
        ALICE, groups=ALICE_GROUPS, deactivated=False, actor=SYSTEM, reason="re-check"
    )
    assert plan.request.id == request.id
    assert plan.action is Action.CANCEL
    assert plan.why[0] == "eligibility eng-web is no longer in the policy"
