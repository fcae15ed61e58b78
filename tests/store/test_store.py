"""The store: durable settings, one transaction per transition, stale writes refused, queries."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tailjit.ids import Login
from tailjit.requests import (
    BreakGlass,
    GrantMode,
    Request,
    Stage,
    State,
    Submission,
    activate,
    approve,
    extend,
    plan_activate,
    plan_approve,
    plan_expire,
    plan_extend,
    plan_release,
    plan_submit,
    revoke,
)
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DBA,
    DIRECTORY,
    T0,
    TARGET,
    FakeClock,
    Ids,
    make_rules,
    new_request,
)
from tailjit.store import StaleRequest, Store, StoreError, UnknownRequest
from tailjit.store.codec import dump_request, load_request

M = timedelta(minutes=1)


def submitted(
    store: Store, ids: Ids | None = None, *, requester: Login = ALICE, now: datetime = T0
) -> Request:
    """A new pending request (default test rules), committed."""
    request_id, grant_id = (ids or Ids()).next()
    plan = plan_submit(
        Submission(requester, TARGET, reason="INC-1"),
        rules=make_rules(),
        now=now,
        request_id=request_id,
        grant_id=grant_id,
        directory=DIRECTORY,
    )
    return store.commit(plan)


def test_the_database_is_wal_with_full_sync(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "tailjit.db"
    with Store.open(path, clock=clock) as store:
        conn = store._db.conn
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_committed_request_reads_back_equal(store: Store) -> None:
    request = submitted(store)

    assert store.get(request.id) == request
    assert store.by_grant(request.grant_id) == request


def test_every_field_survives_the_round_trip_at_every_step() -> None:
    rules = make_rules(
        stages=(Stage(frozenset({BOB, DBA}), required=2), Stage(frozenset({ALICE}))),
        mode=GrantMode.POSTURE,
        attribute="custom:db_access",
        self_approval=True,
        reason_required=False,
        ticket_pattern="INC-[0-9]+",
        breakglass=BreakGlass(frozenset({DBA, ALICE}), timedelta(minutes=45)),
        max_extensions=3,
    )
    request = new_request(rules, ticket="INC-7")
    steps = [request]
    for approver in (BOB, CAROL, ALICE):
        request = approve(request, approver=approver, now=T0 + M, directory=DIRECTORY)
        steps.append(request)
    request = activate(request, now=T0 + 2 * M)
    request = extend(request, by=M, actor=ALICE, now=T0 + 3 * M)
    steps += [request, revoke(request, actor=CAROL, now=T0 + 4 * M, comment="left the team")]

    assert steps[-1].state is State.REVOKED
    for step in steps:
        assert load_request(dump_request(step)) == step


def test_a_full_workflow_round_trips_through_the_store(store: Store, clock: FakeClock) -> None:
    request = submitted(store)
    request = store.commit(plan_approve(request, approver=BOB, now=T0 + M, directory=DIRECTORY))
    request = store.commit(plan_activate(request, now=T0 + 2 * M))
    request = store.commit(plan_extend(request, by=30 * M, actor=ALICE, now=T0 + 3 * M))

    assert store.get(request.id) == request
    assert request.expires_at == T0 + 92 * M


def test_a_refused_plan_writes_nothing(store: Store) -> None:
    request = submitted(store)
    plan = plan_approve(request, approver=ALICE, now=T0, directory=DIRECTORY)

    with pytest.raises(Exception, match="self-approval"):
        store.commit(plan)

    assert store.get(request.id) == request
    assert [r.event for r in store.audit.records()] == ["request.created"]


def test_a_write_based_on_a_stale_read_is_refused(store: Store) -> None:
    request = submitted(store)
    store.commit(plan_approve(request, approver=BOB, now=T0, directory=DIRECTORY))

    # A second approver planned against the version read before bob's approval.
    with pytest.raises(StaleRequest, match="changed since version 1"):
        store.commit(plan_approve(request, approver=CAROL, now=T0, directory=DIRECTORY))

    assert store.get(request.id).approvers == (BOB,)
    assert len(list(store.audit.records())) == 2


def test_the_state_change_and_its_audit_record_commit_together(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If appending the audit record fails, the transition is not stored either."""
    request = submitted(store)

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store.audit, "_append", broken)
    with pytest.raises(StoreError, match="disk I/O error"):
        store.commit(plan_approve(request, approver=BOB, now=T0, directory=DIRECTORY))
    monkeypatch.undo()

    assert store.get(request.id).state is State.PENDING
    assert len(list(store.audit.records())) == 1
    assert store.audit.verify().ok


def test_commit_all_is_all_or_nothing(store: Store) -> None:
    ids = Ids()
    first, second = submitted(store, ids), submitted(store, ids)
    good = plan_approve(first, approver=BOB, now=T0, directory=DIRECTORY)
    stale = plan_approve(second, approver=BOB, now=T0, directory=DIRECTORY)
    store.commit(plan_approve(second, approver=CAROL, now=T0, directory=DIRECTORY))

    with pytest.raises(StaleRequest):
        store.commit_all([good, stale])

    assert store.get(first.id).state is State.PENDING


def test_the_same_id_cannot_be_created_twice(store: Store) -> None:
    submitted(store)

    with pytest.raises(StoreError, match="already exists"):
        submitted(store)


def test_an_unknown_id_is_reported(store: Store) -> None:
    with pytest.raises(UnknownRequest, match="no request ZZZZZZZZ"):
        store.get("ZZZZZZZZ")  # type: ignore[arg-type]


def test_due_finds_expired_grants_and_lapsed_requests_at_exact_times(store: Store) -> None:
    ids = Ids()
    waiting = submitted(store, ids)  # lapses at T0 + 1d
    grant = submitted(store, ids)
    grant = store.commit(plan_approve(grant, approver=BOB, now=T0, directory=DIRECTORY))
    grant = store.commit(plan_activate(grant, now=T0 + M))  # expires at T0 + 61m

    assert store.due(T0 + 61 * M - timedelta(microseconds=1)) == []
    assert store.due(T0 + 61 * M) == [grant]
    assert store.due(T0 + timedelta(days=1)) == [grant, waiting]
    assert store.next_deadline() == T0 + 61 * M
    assert store.active() == [grant]

    store.commit(plan_expire(grant, now=T0 + 61 * M))
    assert store.next_deadline() == T0 + timedelta(days=1)


def test_find_filters_by_state_and_requester(store: Store) -> None:
    ids = Ids()
    mine = submitted(store, ids)
    theirs = submitted(store, ids, requester=CAROL)

    assert store.find() == [mine, theirs]
    assert store.find(requester=CAROL) == [theirs]
    assert store.find(states=[State.ACTIVE]) == []


def test_released_grants_leave_the_active_list(store: Store) -> None:
    grant = submitted(store)
    grant = store.commit(plan_approve(grant, approver=BOB, now=T0, directory=DIRECTORY))
    grant = store.commit(plan_activate(grant, now=T0))
    store.commit(plan_release(grant, actor=ALICE, now=T0 + M))

    assert store.active() == []


def test_audit_records_are_stamped_by_the_injected_clock(store: Store, clock: FakeClock) -> None:
    clock.advance(seconds=7)
    submitted(store)

    (record,) = store.audit.records()
    assert record.at == "2026-01-01T12:00:00.000000Z"
    assert record.recorded_at == "2026-01-01T12:00:07.000000Z"


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(StoreError, match=r"junk\.db"):
        Store.open(path, clock=clock)
