"""The Slack tables: the messages posted about a request and who was asked, kept across a
restart, forgotten on request, and pruned by maintenance once their request has ended."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit.ids import RequestId
from tailjit.requests import Request, Submission, plan_approve, plan_deny, plan_submit
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DIRECTORY,
    T0,
    TARGET,
    FakeClock,
    Ids,
    make_rules,
)
from tailjit.store import Store

GHOST = RequestId("00000ZZZ")
"""A request id the store has no request for."""


@pytest.fixture
def ids() -> Ids:
    return Ids()


def submitted(store: Store, ids: Ids) -> Request:
    request_id, grant_id = ids.next()
    plan = plan_submit(
        Submission(ALICE, TARGET, reason="INC-1"),
        rules=make_rules(),
        now=T0,
        request_id=request_id,
        grant_id=grant_id,
        directory=DIRECTORY,
    )
    return store.commit(plan)


def test_messages_are_listed_per_request_in_the_order_posted(store: Store, ids: Ids) -> None:
    one, two = submitted(store, ids), submitted(store, ids)
    store.slack.remember(one.id, "C1", "1.000002")
    store.slack.remember(two.id, "C1", "1.000003")
    store.slack.remember(one.id, "DBOB", "1.000001")
    store.slack.remember(one.id, "C1", "1.000002")  # twice is once

    assert store.slack.messages(one.id) == [("C1", "1.000002"), ("DBOB", "1.000001")]
    assert store.slack.messages(two.id) == [("C1", "1.000003")]
    assert store.slack.messages(GHOST) == []


def test_a_login_is_asked_once_per_request(store: Store, ids: Ids) -> None:
    one, two = submitted(store, ids), submitted(store, ids)

    assert store.slack.ask(one.id, BOB) is True
    assert store.slack.ask(one.id, BOB) is False
    assert store.slack.ask(one.id, CAROL) is True
    assert store.slack.ask(two.id, BOB) is True
    assert store.slack.asked(one.id) == {BOB, CAROL}
    assert store.slack.asked(GHOST) == frozenset()


def test_forgetting_a_request_drops_its_messages_and_askees_only(store: Store, ids: Ids) -> None:
    one, two = submitted(store, ids), submitted(store, ids)
    for request in (one, two):
        store.slack.remember(request.id, "C1", f"1.{request.id}")
        store.slack.ask(request.id, BOB)

    store.slack.forget(one.id)

    assert store.slack.messages(one.id) == []
    assert store.slack.asked(one.id) == frozenset()
    assert store.slack.messages(two.id) == [("C1", f"1.{two.id}")]
    assert store.slack.asked(two.id) == {BOB}


def test_forgetting_who_was_asked_keeps_the_messages(store: Store, ids: Ids) -> None:
    one = submitted(store, ids)
    store.slack.remember(one.id, "C1", "1.1")
    store.slack.ask(one.id, BOB)

    store.slack.forget_asked(one.id)

    assert store.slack.asked(one.id) == frozenset()
    assert store.slack.messages(one.id) == [("C1", "1.1")]


def test_messages_and_askees_survive_reopening_the_database(
    path: Path, clock: FakeClock, ids: Ids
) -> None:
    with Store.open(path, clock=clock) as first:
        one = submitted(first, ids)
        first.slack.remember(one.id, "C1", "1.1")
        first.slack.remember(one.id, "DBOB", "1.2")
        first.slack.ask(one.id, BOB)

    with Store.open(path, clock=clock) as reopened:
        assert reopened.slack.messages(one.id) == [("C1", "1.1"), ("DBOB", "1.2")]
        assert reopened.slack.asked(one.id) == {BOB}
        assert reopened.slack.ask(one.id, BOB) is False


def test_maintenance_forgets_requests_ended_over_a_day_ago_and_unknown_ones(
    store: Store, ids: Ids, clock: FakeClock
) -> None:
    live, approved, ended, recent = (submitted(store, ids) for _ in range(4))
    store.commit(plan_approve(approved, approver=BOB, now=T0, directory=DIRECTORY))
    store.commit(plan_deny(ended, approver=BOB, now=T0, directory=DIRECTORY))
    clock.advance(days=1, minutes=1)
    store.commit(plan_deny(recent, approver=BOB, now=clock(), directory=DIRECTORY))
    for request_id in (live.id, approved.id, ended.id, recent.id, GHOST):
        store.slack.remember(request_id, "C1", f"1.{request_id}")
        store.slack.ask(request_id, CAROL)

    store.maintain()

    kept = {
        request_id
        for request_id in (live.id, approved.id, ended.id, recent.id, GHOST)
        if store.slack.messages(request_id) or store.slack.asked(request_id)
    }
    assert kept == {live.id, approved.id, recent.id}
    clock.advance(days=1, seconds=1)
    store.maintain()
    assert store.slack.messages(recent.id) == []
    assert store.slack.messages(live.id) == [("C1", f"1.{live.id}")]
    assert store.slack.asked(live.id) == {CAROL}
