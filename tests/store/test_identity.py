"""The identity tables: deliveries deduplicated across restarts, membership and deactivation as
each source reports them, documents, and an audit record with the delivery id for each change."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.ids import Login
from tailjit.requests.testing import ALICE, BOB, T0, FakeClock
from tailjit.store import EVENTS, IDENTITY_EVENTS, Store, StoreError

ONCALL, DBA = "group:oncall", "group:dba"


def _events(store: Store) -> list[tuple[str, str, str]]:
    return [(r.event, r.actor, r.data["delivery"]) for r in store.audit.records()]


# --- deliveries ---------------------------------------------------------------------------


def test_a_delivery_is_new_once_per_source(store: Store) -> None:
    assert store.identity.first_delivery("okta", "evt-1", T0) is True
    assert store.identity.first_delivery("okta", "evt-1", T0 + timedelta(seconds=5)) is False
    assert store.identity.first_delivery("scim", "evt-1", T0) is True
    assert store.identity.first_delivery("okta", "evt-2", T0) is True


def test_a_delivery_seen_before_a_restart_is_still_a_repeat_after_it(
    path: Path, clock: FakeClock
) -> None:
    with Store.open(path, clock=clock) as first:
        assert first.identity.first_delivery("okta", "evt-1", T0)
    with Store.open(path, clock=clock) as reopened:
        assert not reopened.identity.first_delivery("okta", "evt-1", T0 + timedelta(hours=1))
        assert reopened.identity.first_delivery("okta", "evt-2", T0 + timedelta(hours=1))


def test_of_threads_racing_with_one_delivery_exactly_one_applies_it(store: Store) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        results.append(store.identity.first_delivery("generic", "msg_1", T0))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] * 7 + [True]


def test_pruning_forgets_only_deliveries_older_than_the_cutoff(store: Store) -> None:
    store.identity.first_delivery("okta", "old", T0)
    store.identity.first_delivery("okta", "new", T0 + timedelta(days=2))

    assert store.identity.prune_deliveries(T0 + timedelta(days=1)) == 1
    assert store.identity.first_delivery("okta", "old", T0 + timedelta(days=3))
    assert not store.identity.first_delivery("okta", "new", T0 + timedelta(days=3))


# --- membership ---------------------------------------------------------------------------


def test_members_and_groups_follow_adds_and_removes(store: Store) -> None:
    identity = store.identity
    assert identity.add_member(ONCALL, ALICE, "okta", "evt-1", T0)
    assert identity.add_member(ONCALL, BOB, "okta", "evt-2", T0)
    assert identity.add_member(DBA, ALICE, "scim", "req-1", T0)

    assert identity.members(ONCALL) == {ALICE, BOB}
    assert identity.groups_of(ALICE) == {ONCALL, DBA}
    assert all(isinstance(login, Login) for login in identity.members(ONCALL))

    assert identity.remove_member(ONCALL, ALICE, "okta", "evt-3", T0 + timedelta(minutes=1))
    assert identity.members(ONCALL) == {BOB}
    assert identity.groups_of(ALICE) == {DBA}
    assert identity.members("group:unknown") == frozenset()


def test_a_report_that_changes_nothing_returns_false_and_is_not_audited(store: Store) -> None:
    identity = store.identity
    identity.add_member(ONCALL, ALICE, "okta", "evt-1", T0)

    assert not identity.add_member(ONCALL, ALICE, "okta", "evt-1-retry-as-new-id", T0)
    assert identity.remove_member(ONCALL, ALICE, "okta", "evt-2", T0)
    assert not identity.remove_member(ONCALL, ALICE, "okta", "evt-3", T0)
    assert [e for e, _, _ in _events(store)] == ["membership.added", "membership.removed"]


def test_a_member_stays_while_any_source_still_reports_them(store: Store) -> None:
    identity = store.identity
    identity.add_member(ONCALL, ALICE, "okta", "evt-1", T0)
    identity.add_member(ONCALL, ALICE, "scim", "req-1", T0)

    identity.remove_member(ONCALL, ALICE, "okta", "evt-2", T0)
    assert identity.members(ONCALL) == {ALICE}
    identity.remove_member(ONCALL, ALICE, "scim", "req-2", T0)
    assert identity.members(ONCALL) == frozenset()


def test_a_group_is_managed_once_any_source_reports_it_even_by_a_removal_alone(
    store: Store,
) -> None:
    identity = store.identity
    assert identity.managed_groups() == frozenset()
    identity.add_member(DBA, BOB, "scim", "req-1", T0)
    # The tailnet policy may list alice in group:oncall; the source has only ever removed her.
    assert identity.remove_member(ONCALL, ALICE, "okta", "evt-1", T0)

    assert identity.managed_groups() == {ONCALL, DBA}
    assert identity.members(ONCALL) == frozenset()
    identity.remove_member(DBA, BOB, "scim", "req-2", T0)
    assert identity.managed_groups() == {ONCALL, DBA}


# --- user lifecycle -----------------------------------------------------------------------


def test_a_user_is_deactivated_until_every_source_that_said_so_reactivates_them(
    store: Store,
) -> None:
    identity = store.identity
    assert not identity.is_deactivated(ALICE)
    assert identity.deactivate(ALICE, "okta", "evt-1", T0)
    assert not identity.deactivate(ALICE, "okta", "evt-2", T0)
    assert identity.deactivate(ALICE, "tailscale", "ts-1", T0)
    assert identity.is_deactivated(ALICE)
    assert not identity.is_deactivated(BOB)

    assert identity.reactivate(ALICE, "okta", "evt-3", T0)
    assert identity.is_deactivated(ALICE)
    assert identity.reactivate(ALICE, "tailscale", "ts-2", T0)
    assert not identity.is_deactivated(ALICE)
    assert not identity.reactivate(ALICE, "tailscale", "ts-3", T0)


def test_deactivation_survives_a_restart(path: Path, clock: FakeClock) -> None:
    with Store.open(path, clock=clock) as first:
        first.identity.deactivate(ALICE, "okta", "evt-1", T0)
        first.identity.add_member(ONCALL, BOB, "okta", "evt-2", T0)
    with Store.open(path, clock=clock) as reopened:
        assert reopened.identity.is_deactivated(ALICE)
        assert reopened.identity.members(ONCALL) == {BOB}


# --- documents ----------------------------------------------------------------------------


def test_a_document_round_trips_and_is_replaced_by_name(path: Path, clock: FakeClock) -> None:
    directory = {"users": {"u1": {"userName": "alice@example.com", "active": True}}, "n": 1}
    with Store.open(path, clock=clock) as first:
        assert first.identity.load_document("scim") is None
        first.identity.save_document("scim", directory)
        first.identity.save_document("other", {"ünïcode": ["ok", None, 2]})
    with Store.open(path, clock=clock) as reopened:
        assert reopened.identity.load_document("scim") == directory
        assert reopened.identity.load_document("other") == {"ünïcode": ["ok", None, 2]}
        reopened.identity.save_document("scim", {"users": {}})
        assert reopened.identity.load_document("scim") == {"users": {}}


def test_a_document_that_is_not_json_is_refused_before_anything_is_written(store: Store) -> None:
    with pytest.raises(ValueError, match="document 'scim' is not JSON-ready"):
        store.identity.save_document("scim", {"at": T0})
    assert store.identity.load_document("scim") is None


def test_a_stored_document_that_is_not_an_object_is_a_store_error(store: Store) -> None:
    with store._db.transaction() as conn:
        conn.execute(
            "INSERT INTO identity_documents (name, body, updated_at) VALUES ('x', '[1]', 'now')"
        )
    with pytest.raises(StoreError, match=r"document 'x' .* is not a JSON object"):
        store.identity.load_document("x")


# --- audit --------------------------------------------------------------------------------


def test_every_change_is_audited_with_its_source_and_delivery_and_the_chain_verifies(
    store: Store, clock: FakeClock
) -> None:
    identity = store.identity
    clock.advance(seconds=1)
    identity.add_member(ONCALL, ALICE, "okta", "evt-1", T0)
    identity.remove_member(ONCALL, ALICE, "scim", "req-7", T0 + timedelta(minutes=1))
    identity.deactivate(BOB, "generic", "msg_2", T0 + timedelta(minutes=2))
    identity.reactivate(BOB, "generic", "msg_3", T0 + timedelta(minutes=3))

    records = list(store.audit.records())
    assert [(r.event, r.actor, r.subject, r.at) for r in records] == [
        ("membership.added", "okta", "user:alice@example.com", "2026-01-01T12:00:00.000000Z"),
        ("membership.removed", "scim", "user:alice@example.com", "2026-01-01T12:01:00.000000Z"),
        ("user.deactivated", "generic", "user:bob@example.com", "2026-01-01T12:02:00.000000Z"),
        ("user.reactivated", "generic", "user:bob@example.com", "2026-01-01T12:03:00.000000Z"),
    ]
    assert {r.recorded_at for r in records} == {"2026-01-01T12:00:01.000000Z"}
    assert [r.sentence for r in records] == [
        "okta added alice@example.com to group:oncall (delivery evt-1)",
        "scim removed alice@example.com from group:oncall (delivery req-7)",
        "generic deactivated bob@example.com (delivery msg_2)",
        "generic reactivated bob@example.com (delivery msg_3)",
    ]
    assert records[0].data == {
        "group": ONCALL,
        "login": "alice@example.com",
        "source": "okta",
        "delivery": "evt-1",
    }
    assert records[2].data == {"login": "bob@example.com", "source": "generic", "delivery": "msg_2"}
    assert {r.event for r in records} == IDENTITY_EVENTS <= EVENTS
    verification = store.audit.verify()
    assert verification.ok
    assert verification.records == 4


def test_an_odd_delivery_id_cannot_break_the_sentence_and_is_kept_whole_in_data(
    store: Store,
) -> None:
    delivery = "evt\nforged line " + "x" * 200
    store.identity.add_member(ONCALL, ALICE, "okta", delivery, T0)

    (record,) = store.audit.records()
    assert "\n" not in record.sentence
    assert record.sentence.endswith("...)")
    assert record.data["delivery"] == delivery
    assert store.audit.verify().ok


def test_a_change_and_its_audit_record_commit_together(store: Store) -> None:
    """A failure inside the transaction (here: the audit log refusing the append) leaves the
    membership unchanged."""
    with store._db.transaction() as conn:
        conn.execute(
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit"
            " BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
        )
    with pytest.raises(StoreError, match="audit refused"):
        store.identity.add_member(ONCALL, ALICE, "okta", "evt-1", T0)
    assert store.identity.members(ONCALL) == frozenset()
    assert store.identity.managed_groups() == frozenset()
