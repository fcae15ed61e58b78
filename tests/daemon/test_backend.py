"""The daemon's side of the API: targets checked against the live tailnet, device names
resolved, and what a grant newly opens, from the evaluator on the live policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tailjit.daemon.backend import DaemonBackend
from tailjit.daemon.loop import ReconcileLoop
from tailjit.errors import InvalidInput
from tailjit.ids import Login
from tailjit.targets import parse_target

ALICE, BOB, CAROL = (Login(f"{n}@example.com") for n in ("alice", "bob", "carol"))


@pytest.fixture
def backend(loop: ReconcileLoop) -> DaemonBackend:
    loop.cycle()  # the backend answers from the tailnet as the loop last read it
    return DaemonBackend(loop, loop._workflow)


def test_targets_must_name_what_the_live_policy_defines(backend: DaemonBackend) -> None:
    assert str(backend.resolve_target("tcp:db-prod:5432")) == "tcp:db-prod:5432"
    assert str(backend.resolve_target("tcp:tag:prod:443")) == "tcp:tag:prod:443"
    with pytest.raises(InvalidInput, match=r"no host alias db-test in .* \(nor a device of"):
        backend.resolve_target("tcp:db-test:5432")
    with pytest.raises(InvalidInput, match="no tag tag:nope"):
        backend.resolve_target("tcp:tag:nope:443")


def test_a_device_name_becomes_its_address(backend: DaemonBackend) -> None:
    assert str(backend.resolve_target("tcp:bob-laptop:22")) == "tcp:100.64.0.3:22"
    assert str(backend.resolve_target("bob-laptop.sandbox.ts.net:22")) == "100.64.0.3:22"


def test_a_target_is_refused_before_the_first_read(make_loop: object, store: object) -> None:
    fresh = make_loop(store)  # type: ignore[operator]
    with pytest.raises(InvalidInput, match="has not read the tailnet policy yet"):
        DaemonBackend(fresh, fresh._workflow).resolve_target("tcp:db-prod:5432")


def test_opens_shows_new_access_and_nothing_for_access_already_held(
    backend: DaemonBackend,
) -> None:
    db = parse_target("tcp:db-prod:5432")
    assert [o["text"] for o in backend.opens(ALICE, db)] == ["100.64.0.5 tcp:5432"]
    assert backend.opens(CAROL, db) == []  # group:dba reaches it already


def test_other_users_grants_do_not_change_what_a_grant_opens(
    backend: DaemonBackend, loop: ReconcileLoop
) -> None:
    db = parse_target("tcp:db-prod:5432")
    before = backend.opens(BOB, db)
    loop._workflow().grant(CAROL, ALICE, db, timedelta(hours=1), reason="INC-1")
    loop.cycle()

    assert before == backend.opens(BOB, db) != []
