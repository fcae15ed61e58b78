"""The audit trail: event names and sentences, the hash chain, and tampering with any one row."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest

from tailjit.requests import (
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
)
from tailjit.requests.testing import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DIRECTORY,
    T0,
    TARGET,
    FakeClock,
    Ids,
    make_rules,
)
from tailjit.store import (
    DAEMON_EVENTS,
    EVENTS,
    IDENTITY_EVENTS,
    AuditRecord,
    Store,
    open_audit,
    verify_chain,
)
from tailjit.store.chain import GENESIS, canonical

M = timedelta(minutes=1)
COLUMNS = ("at", "recorded_at", "event", "actor", "subject", "sentence", "data", "prev", "hash")


def populate(store: Store) -> None:
    """Every event the trail knows, through the real workflow: 14 records."""
    ids = Ids()

    def new(requester=ALICE, **kwargs):  # type: ignore[no-untyped-def]
        request_id, grant_id = ids.next()
        breakglass = kwargs.pop("breakglass", False)
        return store.commit(
            plan_submit(
                Submission(requester, TARGET, reason="INC-1", breakglass=breakglass),
                rules=make_rules(),
                now=T0,
                request_id=request_id,
                grant_id=grant_id,
                directory=DIRECTORY,
                **kwargs,
            )
        )

    def approved(request):  # type: ignore[no-untyped-def]
        return store.commit(plan_approve(request, approver=BOB, now=T0, directory=DIRECTORY))

    grant = store.commit(plan_activate(approved(new()), now=T0 + M))
    grant = store.commit(plan_extend(grant, by=M, actor=ALICE, now=T0 + 2 * M))
    store.commit(plan_expire(grant, now=T0 + 62 * M))
    store.commit(plan_deny(new(), approver=CAROL, now=T0, directory=DIRECTORY))
    store.commit(plan_cancel(new(), actor=ALICE, now=T0))
    store.commit(plan_lapse(new(), now=T0 + timedelta(days=1)))
    released = store.commit(plan_activate(new(granted_by=CAROL), now=T0))
    store.commit(plan_release(released, actor=ALICE, now=T0 + M))
    glass = store.commit(plan_activate(new(DAVE, breakglass=True), now=T0))
    store.commit(plan_revoke(glass, actor=CAROL, now=T0 + M))
    store.audit.drift_detected(
        kind="hand-edit", subject="policy", summary="a marked entry was edited", at=T0
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tailjit.db"
    with Store.open(path, clock=FakeClock()) as store:
        populate(store)
    return path


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with Store.open(db, clock=FakeClock()) as opened:
        yield opened


def verify(db: Path):  # type: ignore[no-untyped-def]
    with open_audit(db) as trail:
        return trail.verify()


def tamper(db: Path, *statements: str) -> None:
    """Edit the database as an attacker with file access would: drop the triggers first."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.close()


def test_every_event_is_recorded_with_a_one_line_sentence(store: Store) -> None:
    records = list(store.audit.records())

    assert [r.event for r in records] == [
        "request.created",
        "request.approved",
        "grant.activated",
        "grant.extended",
        "grant.expired",
        "request.created",
        "request.denied",
        "request.created",
        "request.cancelled",
        "request.created",
        "request.lapsed",
        "request.created",
        "request.approved",
        "grant.activated",
        "grant.released",
        "request.created",
        "breakglass.used",
        "grant.activated",
        "grant.revoked",
        "drift.detected",
    ]
    assert {r.event for r in records} | {"approval.recorded"} | DAEMON_EVENTS | IDENTITY_EVENTS == (
        EVENTS
    )
    assert all("\n" not in r.sentence and r.sentence for r in records)
    assert records[0].sentence == (
        "alice@example.com requested db-prod:5432 for 1h under eligibility db-prod "
        "(request 00000001, pending approval)"
    )
    assert records[2].sentence == (
        "grant G0000001 is active: alice@example.com may reach db-prod:5432 until "
        "2026-01-01T13:01:00Z"
    )
    assert records[16].sentence == (
        "BREAK-GLASS: dave@example.com opened db-prod:5432 for 30m without approval "
        "(request 00000006, grant G0000006)"
    )
    assert (records[2].actor, records[2].subject) == ("tailjit", "grant:G0000001")
    assert (records[6].actor, records[6].subject) == ("carol@example.com", "request:00000002")


def test_typed_text_stays_out_of_sentences(store: Store) -> None:
    created = next(store.audit.records())

    assert created.data["reason"] == "INC-1"
    assert "INC-1" not in created.sentence


def test_the_hash_is_sha256_of_the_canonical_payload(store: Store) -> None:
    """The documented construction, recomputed independently of the code under test."""
    records = list(store.audit.records())
    prev = "0" * 64
    for record in records:
        payload = {k: v for k, v in record.to_dict().items() if k != "hash"}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert record.prev == prev
        assert record.hash == hashlib.sha256(text.encode()).hexdigest()
        assert payload["v"] == 1
        prev = record.hash


def test_an_untouched_log_verifies_and_names_its_head(db: Path) -> None:
    result = verify(db)

    assert result.ok
    assert result.records == 20
    assert result.describe() == f"audit log OK: 20 records, head {result.head}"


def test_the_database_refuses_updates_and_deletes_of_audit_rows(db: Path) -> None:
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'mallory@example.com' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq = 3")
    conn.close()


SEQS = range(1, 21)


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("seq", [1, 7, 20])
def test_editing_any_field_of_any_record_is_named(db: Path, column: str, seq: int) -> None:
    value = {
        "data": '{"kind":"nothing to see"}',
        "prev": GENESIS if seq != 1 else "f" * 64,
        "hash": "e" * 64,
    }.get(column, "2000-01-01T00:00:00.000000Z" if column.endswith("at") else "mallory")
    tamper(db, f"UPDATE audit SET {column} = '{value}' WHERE seq = {seq}")

    result = verify(db)

    assert not result.ok
    assert result.first_bad == seq
    assert result.describe().startswith(f"audit log BROKEN at record #{seq}: ")


@pytest.mark.parametrize("seq", SEQS)
def test_deleting_any_record_is_named(db: Path, seq: int) -> None:
    tamper(db, f"DELETE FROM audit WHERE seq = {seq}")

    result = verify(db)

    assert (result.ok, result.first_bad) == (False, seq)
    assert "missing" in (result.problem or "")


@pytest.mark.parametrize("seq", SEQS[:-1])
def test_swapping_any_two_neighbours_is_named(db: Path, seq: int) -> None:
    tamper(
        db,
        f"UPDATE audit SET seq = -1 WHERE seq = {seq}",
        f"UPDATE audit SET seq = {seq} WHERE seq = {seq + 1}",
        f"UPDATE audit SET seq = {seq + 1} WHERE seq = -1",
    )

    result = verify(db)

    assert (result.ok, result.first_bad) == (False, seq)


@pytest.mark.parametrize("seq", [1, 10])
def test_moving_a_record_to_the_end_is_named(db: Path, seq: int) -> None:
    tamper(db, f"UPDATE audit SET seq = 21 WHERE seq = {seq}")

    assert verify(db).first_bad == seq


@pytest.mark.parametrize("seq", [1, 10, 19])
def test_an_edit_with_its_hash_recomputed_is_caught_at_the_next_record(db: Path, seq: int) -> None:
    with Store.open(db, clock=FakeClock()) as store:
        original = list(store.audit.records())[seq - 1]
    forged = AuditRecord(**{**original.__dict__, "actor": "mallory@example.com"})
    digest = hashlib.sha256(canonical(forged.payload())).hexdigest()
    tamper(
        db,
        f"UPDATE audit SET actor = 'mallory@example.com', hash = '{digest}' WHERE seq = {seq}",
    )

    result = verify(db)

    assert result.first_bad == seq + 1
    assert f"does not follow #{seq}" in (result.problem or "")


def test_cutting_off_the_newest_record_is_caught_by_the_head(db: Path) -> None:
    tamper(db, "DELETE FROM audit WHERE seq = 20")

    result = verify(db)

    assert (result.first_bad, result.problem) == (
        20,
        "missing: the log ends at #19, its head at #20",
    )


def test_replacing_the_newest_record_is_caught_by_the_head(db: Path) -> None:
    with Store.open(db, clock=FakeClock()) as store:
        last = list(store.audit.records())[-1]
    forged = AuditRecord(**{**last.__dict__, "sentence": "nothing happened"})
    digest = hashlib.sha256(canonical(forged.payload())).hexdigest()
    tamper(db, f"UPDATE audit SET sentence = 'nothing happened', hash = '{digest}' WHERE seq = 20")

    assert verify(db).first_bad == 20


def test_the_export_is_one_verifiable_record_per_line(store: Store) -> None:
    out = StringIO()

    assert store.audit.export_jsonl(out) == 20
    lines = out.getvalue().splitlines()
    records = [AuditRecord.from_dict(json.loads(line)) for line in lines]
    assert len(lines) == 20
    assert records == list(store.audit.records())
    assert verify_chain(records).ok
    assert verify_chain(records[:3] + records[4:]).first_bad == 4


def test_drift_is_recorded_with_its_kind_and_detail(store: Store) -> None:
    record = store.audit.drift_detected(
        kind="forged-entry",
        subject="grant:G0000009",
        summary="a marked entry's MAC does not verify; removed",
        detail={"line": 42},
        at=T0 + M,
    )

    assert record.seq == 21
    assert record.event == "drift.detected"
    assert record.sentence == (
        "drift (forged-entry) on grant:G0000009: a marked entry's MAC does not verify; removed"
    )
    assert record.data == {"kind": "forged-entry", "detail": {"line": 42}}
    assert store.audit.verify().ok


def test_daemon_events_are_recorded_and_unknown_ones_refused(store: Store) -> None:
    record = store.audit.daemon_event(
        "reconcile.conflict",
        subject="policy",
        summary="the policy file changed during each of 5 attempts",
        detail={"attempts": 5},
        at=T0 + M,
    )

    assert (record.event, record.actor, record.data) == (
        "reconcile.conflict",
        "tailjit",
        {"detail": {"attempts": 5}},
    )
    assert record.sentence.startswith("reconcile.conflict (policy): the policy file changed")
    with pytest.raises(ValueError, match=r"unknown daemon event 'daemon\.exploded'"):
        store.audit.daemon_event("daemon.exploded", subject="daemon", summary="x", at=T0)
    assert store.audit.verify().ok


def test_data_without_a_canonical_form_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match=r"data\.detail\.ratio: float"):
        store.audit.drift_detected(
            kind="x", subject="policy", summary="x", detail={"ratio": 0.5}, at=T0
        )
    assert store.audit.verify().records == 20


def test_records_stream_in_chunks_and_let_writers_in_between(store: Store) -> None:
    for n in range(2100):
        store.audit.drift_detected(kind="test", subject=f"n{n}", summary="filler", at=T0)
    seen = []

    for record in store.audit.records():
        seen.append(record.seq)
        if record.seq == 1500:  # a write in the middle of reading does not deadlock
            store.audit.drift_detected(kind="test", subject="late", summary="filler", at=T0)

    assert seen == list(range(1, 2122))
    assert store.audit.verify().records == 2121
