"""Identity events applied by the daemon: once each, mapped to tailnet groups, with the
requests that depended on them ended; the directory the workflow sees; SCIM persisted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tailjit.daemon.identity import (
    IdentityDirectory,
    IdentityService,
    ScimService,
    group_name,
    group_sync,
    save_baseline,
)
from tailjit.eligibility import load_policy
from tailjit.identity import EventKind, IdentityEvent, Source
from tailjit.ids import GroupName, Login
from tailjit.requests import State, StaticDirectory
from tailjit.requests.testing import Ids
from tailjit.sandbox import ManualClock
from tailjit.store import Store
from tailjit.targets import parse_target
from tailjit.workflow import Workflow

ALICE, CAROL = Login("alice@example.com"), Login("carol@example.com")
ONCALL = GroupName("group:oncall")
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
POLICY = b"""{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["carol@example.com"]},
  "eligibilities": [{
    "name": "oncall-db", "requesters": ["group:oncall"], "destinations": ["db-prod:5432"],
    "maxDuration": "4h", "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
  }],
}"""


@pytest.fixture
def workflow(store: Store, sandbox_clock: ManualClock) -> Workflow:
    directory = IdentityDirectory(store, StaticDirectory({ONCALL: frozenset({Login("x@y.z")})}))
    return Workflow(
        store=store,
        policy=load_policy(POLICY),
        directory=directory,
        ids=Ids().next,
        clock=sandbox_clock,
    )


@pytest.fixture
def service(store: Store, workflow: Workflow, sandbox_clock: ManualClock) -> IdentityService:
    return IdentityService(
        store=store,
        workflow=lambda: workflow,
        wake=lambda: None,
        verify_now=lambda: None,
        clock=sandbox_clock,
        groups={"On-call": "group:oncall"},
    )


def event(kind: EventKind, key: str, *, group: str | None = "On-call") -> IdentityEvent:
    return IdentityEvent(Source.OKTA, kind, f"delivery-{key}", "ALICE@example.com", group, key)


def test_group_names_map_through_the_table_or_become_group_names() -> None:
    assert group_name("On-call", {"On-call": "group:oncall"}) == "group:oncall"
    assert group_name("Site Reliability", {}) == "group:Site-Reliability"
    assert group_name("group:eng", {}) == "group:eng"
    assert group_name("!!!", {}) is None


def test_a_group_a_source_reports_replaces_the_tailnets_view_of_it(
    service: IdentityService, workflow: Workflow
) -> None:
    assert workflow.directory.members(ONCALL) == {Login("x@y.z")}  # the tailnet policy's

    assert service.apply(event(EventKind.MEMBER_ADDED, "e1"))

    assert workflow.directory.members(ONCALL) == {ALICE}


def test_an_event_is_applied_once_whatever_the_retries(
    service: IdentityService, store: Store
) -> None:
    assert service.apply(event(EventKind.MEMBER_ADDED, "e1"))
    assert not service.apply(event(EventKind.MEMBER_ADDED, "e1"))

    added = [r for r in store.audit.records() if r.event == "membership.added"]
    assert len(added) == 1
    assert (service.applied, service.duplicates) == (1, 1)


def test_a_removal_ends_the_grant_and_the_pending_request_it_allowed(
    service: IdentityService, workflow: Workflow, store: Store
) -> None:
    service.apply(event(EventKind.MEMBER_ADDED, "e1"))
    target = parse_target("tcp:db-prod:5432")
    granted = workflow.grant(CAROL, ALICE, target, timedelta(hours=1), reason="INC-1").request
    pending = workflow.request(ALICE, target, timedelta(hours=1), reason="more").request

    service.apply(event(EventKind.MEMBER_REMOVED, "e2"))

    assert store.get(granted.id).state is State.REVOKED
    assert store.get(pending.id).state is State.CANCELLED
    ended = store.get(granted.id).ended
    assert ended is not None
    assert ended.actor == "okta:delivery-e2"


def test_a_deactivation_ends_everything_and_a_policy_update_verifies_now(
    store: Store, workflow: Workflow, sandbox_clock: ManualClock
) -> None:
    verified: list[int] = []
    service = IdentityService(
        store=store,
        workflow=lambda: workflow,
        wake=lambda: None,
        verify_now=lambda: verified.append(1),
        clock=sandbox_clock,
    )
    service.apply(event(EventKind.MEMBER_ADDED, "e1", group="oncall"))
    target = parse_target("tcp:db-prod:5432")
    granted = workflow.grant(CAROL, ALICE, target, timedelta(hours=1), reason="INC-1").request

    service.apply(event(EventKind.USER_DEACTIVATED, "e2", group=None))
    service.apply(IdentityEvent(Source.TAILSCALE, EventKind.POLICY_UPDATED, "d3"))

    assert store.get(granted.id).state is State.REVOKED
    assert verified == [1]
    assert workflow.directory.members(ONCALL) == frozenset()


def test_the_scim_directory_survives_a_restart(store: Store, sandbox_clock: ManualClock) -> None:
    submitted: list[IdentityEvent] = []
    scim = ScimService(store=store, submit=submitted.extend, clock=sandbox_clock)
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "alice@example.com",
    }
    created = scim.handle("POST", "/Users", {}, json.dumps(user).encode())
    assert created.status == 201

    again = ScimService(store=store, submit=submitted.extend, clock=sandbox_clock)
    found = again.handle("GET", "/Users", {"filter": 'userName eq "alice@example.com"'}, b"")

    assert found.body is not None
    assert found.body["totalResults"] == 1


def test_a_deactivated_user_gets_no_new_access_and_approves_nothing(
    store: Store, sandbox_clock: ManualClock
) -> None:
    policy = load_policy(
        POLICY.replace(b'"group:oncall"]', b'"group:oncall", "alice@example.com"]').replace(
            b'["carol@example.com"]}]', b'["carol@example.com", "alice@example.com"]}]'
        )
    )
    workflow = Workflow(
        store=store,
        policy=policy,
        directory=StaticDirectory(),
        ids=Ids().next,
        clock=sandbox_clock,
        deactivated=store.identity.is_deactivated,
    )
    target = parse_target("tcp:db-prod:5432")
    pending = workflow.request(CAROL, target, timedelta(hours=1), reason="x", dry_run=True)
    assert not pending.allowed  # carol is no requester: the policy is what we think it is
    asked = workflow.request(ALICE, target, timedelta(hours=1), reason="x")
    store.identity.deactivate(ALICE, "okta", "d1", sandbox_clock())

    again = workflow.request(ALICE, target, timedelta(hours=1), reason="x", dry_run=True)
    approval = workflow.approve(asked.request.id, ALICE, dry_run=True)

    assert again.refusal is not None
    assert "deactivated" in str(again.refusal)
    assert approval.refusal is not None
    assert "deactivated" in str(approval.refusal)


def test_an_event_that_fails_half_way_is_applied_again_on_retry(
    service: IdentityService, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery key commits with the change: a failure rolls both back."""
    service.apply(event(EventKind.MEMBER_ADDED, "e1"))

    def broken(*args: object) -> None:
        raise RuntimeError("the workflow failed")

    monkeypatch.setattr(service, "_recheck", broken)
    with pytest.raises(RuntimeError):
        service.apply(event(EventKind.MEMBER_REMOVED, "e2"))
    assert not [r for r in store.audit.records() if r.event == "membership.removed"]
    monkeypatch.undo()

    assert service.apply(event(EventKind.MEMBER_REMOVED, "e2"))
    assert [r.event for r in store.audit.records()].count("membership.removed") == 1


def test_duplicates_are_counted(
    store: Store, workflow: Workflow, sandbox_clock: ManualClock
) -> None:
    counted: list[tuple[str, str]] = []
    service = IdentityService(
        store=store,
        workflow=lambda: workflow,
        wake=lambda: None,
        verify_now=lambda: None,
        clock=sandbox_clock,
        count=lambda source, outcome: counted.append((source, outcome)),
    )
    service.apply(event(EventKind.MEMBER_ADDED, "e1"))
    service.apply(event(EventKind.MEMBER_ADDED, "e1"))

    assert counted == [("okta", "duplicate")]


def test_events_acknowledged_before_a_crash_are_applied_after_the_restart(
    store: Store, workflow: Workflow, sandbox_clock: ManualClock
) -> None:
    def service() -> IdentityService:
        return IdentityService(
            store=store,
            workflow=lambda: workflow,
            wake=lambda: None,
            verify_now=lambda: None,
            clock=sandbox_clock,
            groups={"On-call": "group:oncall"},
        )

    service().submit([event(EventKind.MEMBER_ADDED, "e1")])  # no worker ran: a crash here
    assert store.identity.inbox()

    restarted = service()
    restarted.start()
    try:
        assert restarted.drain()
    finally:
        restarted.stop()

    assert workflow.directory.members(ONCALL) == {ALICE}
    assert not store.identity.inbox()


def test_an_event_that_cannot_be_applied_leaves_the_inbox_and_the_rest_go_on(
    service: IdentityService, store: Store, workflow: Workflow
) -> None:
    store.identity.enqueue([{"source": "okta", "kind": "no.such.kind", "delivery": "d"}], NOW)
    service.submit([event(EventKind.MEMBER_ADDED, "e1")])
    service.start()
    try:
        assert service.drain()
    finally:
        service.stop()

    assert workflow.directory.members(ONCALL) == {ALICE}


def test_a_synced_group_amends_its_baseline_with_what_sources_report(
    store: Store, sandbox_clock: ManualClock
) -> None:
    bob, dave = Login("bob@example.com"), Login("dave@example.com")
    tailnet = StaticDirectory({ONCALL: frozenset({ALICE, bob})})
    directory = IdentityDirectory(store, tailnet, synced=["group:oncall"])
    wakes: list[str] = []
    service = IdentityService(
        store=store,
        workflow=lambda: Workflow(
            store=store,
            policy=load_policy(POLICY),
            directory=directory,
            ids=Ids().next,
            clock=sandbox_clock,
        ),
        wake=lambda: wakes.append("wake"),
        verify_now=lambda: None,
        clock=sandbox_clock,
        groups={"On-call": "group:oncall"},
        synced=["group:oncall"],
    )

    # Before any report, and before tailjit kept a baseline: the tailnet's members.
    assert directory.members(ONCALL) == {ALICE, bob}
    save_baseline(store, "group:oncall", [ALICE, bob])
    saved_again = [dave]
    save_baseline(store, "group:oncall", saved_again)  # a baseline is kept once
    assert group_sync(store, ONCALL).baseline == (ALICE, bob)

    # A change-only source speaks about alice and dave: bob, never mentioned, stays.
    service.apply(event(EventKind.MEMBER_REMOVED, "e1"))
    service.apply(IdentityEvent(Source.OKTA, EventKind.MEMBER_ADDED, "d2", dave, "On-call", "e2"))
    assert directory.members(ONCALL) == {bob, dave}
    assert wakes == ["wake", "wake"]  # each change of a synced group wakes the loop

    # A deactivated member drops out of every synced group, and that wakes the loop too.
    service.apply(IdentityEvent(Source.OKTA, EventKind.USER_DEACTIVATED, "d3", dave, None, "e3"))
    assert directory.members(ONCALL) == {bob}
    assert len(wakes) == 3
