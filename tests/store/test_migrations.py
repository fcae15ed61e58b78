"""Numbered migrations: a new database gets them all, an older one is upgraded with its data."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.ids import RequestId
from tailjit.requests import State, plan_expire
from tailjit.requests.testing import T0, FakeClock
from tailjit.store import LATEST, Database, Store, StoreError, migrate, schema_version

V1_DUMP = Path(__file__).with_name("v1_database.sql")


def v1_database(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_DUMP.read_text())
    conn.close()
    return path


def names(conn: sqlite3.Connection, kind: str) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def test_a_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "new.db")

    assert migrate(db) == list(range(1, LATEST + 1))
    assert migrate(db) == []
    assert schema_version(db.conn) == LATEST == 6
    db.close()


def test_an_older_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = v1_database(tmp_path)
    conn = sqlite3.connect(path)
    assert schema_version(conn) == 1
    assert names(conn, "trigger") == set()
    conn.close()

    with Store.open(path, clock=FakeClock()) as store:
        assert schema_version(store._db.conn) == LATEST
        assert [(r.id, r.state) for r in store.find()] == [
            ("00000001", State.ACTIVE),
            ("00000002", State.PENDING),
            ("00000003", State.DENIED),
        ]
        assert store.audit.verify().records == 7
        # The upgraded store carries on: the chain grows from the old head.
        grant = store.get(RequestId("00000001"))
        assert grant.expires_at == T0 + timedelta(hours=1, minutes=2)
        store.commit(plan_expire(grant, now=T0 + timedelta(hours=2)))
        assert store.audit.verify().records == 8
        conn = store._db.conn
        assert names(conn, "trigger") == {"audit_no_update", "audit_no_delete"}
        assert {"requests_by_expiry", "requests_by_lapse"} <= names(conn, "index")
        assert {"slack_messages", "slack_asked"} <= names(conn, "table")
        with pytest.raises(StoreError, match="append-only"), store._db.transaction() as tx:
            tx.execute("DELETE FROM audit WHERE seq = 1")


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()

    with pytest.raises(StoreError, match="schema version 99, newer than the 6 this tailjit"):
        Store.open(path, clock=FakeClock())


def test_a_failed_migration_leaves_the_previous_version_whole(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    db = Database(path)
    migrate(db, target=2)
    # Something in the way of migration 3's second index.
    db.conn.execute("CREATE TABLE requests_by_lapse (x)")
    db.close()

    with pytest.raises(StoreError, match="migration 3 failed"):
        Store.open(path, clock=FakeClock())

    conn = sqlite3.connect(path)
    assert schema_version(conn) == 2
    assert "requests_by_expiry" not in names(conn, "index")
    conn.close()


def test_a_version_5_database_gains_the_slack_tables_and_keeps_its_requests(
    tmp_path: Path,
) -> None:
    path = v1_database(tmp_path)
    db = Database(path)
    assert migrate(db, target=5) == [2, 3, 4, 5]
    assert "slack_messages" not in names(db.conn, "table")
    db.close()

    with Store.open(path, clock=FakeClock()) as store:
        assert schema_version(store._db.conn) == 6
        assert len(store.find()) == 3
        store.slack.remember(RequestId("00000002"), "C1", "1.000001")
        assert store.slack.messages(RequestId("00000002")) == [("C1", "1.000001")]
