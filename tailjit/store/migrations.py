"""The store's schema, as numbered migrations.

The database's ``PRAGMA user_version`` is the number of the last migration applied (0 for a new
file). Opening a store applies every later migration in order, each in its own transaction
together with the new ``user_version``, so a crash leaves the database at one version or the
next, never between. A database newer than this tailjit is refused rather than guessed at.

Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tailjit.store._db import Database, StoreError

__all__ = ["LATEST", "MIGRATIONS", "Migration", "migrate", "schema_version"]


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "requests, and the hash-chained audit log with its head",
        (
            # `body` is the whole request as JSON (store/codec.py); the other columns are
            # copies that queries need.
            """CREATE TABLE requests (
                id TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL UNIQUE,
                requester TEXT NOT NULL,
                target TEXT NOT NULL,
                eligibility TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at TEXT NOT NULL,
                lapses_at TEXT NOT NULL,
                expires_at TEXT,
                version INTEGER NOT NULL,
                body TEXT NOT NULL
            )""",
            # The hash construction is documented in store/audit.py.
            """CREATE TABLE audit (
                seq INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                event TEXT NOT NULL,
                actor TEXT NOT NULL,
                subject TEXT NOT NULL,
                sentence TEXT NOT NULL,
                data TEXT NOT NULL,
                prev TEXT NOT NULL,
                hash TEXT NOT NULL
            )""",
            # The last record's seq and hash, written with every append: without it, deleting
            # the newest records would leave a chain that still verifies.
            """CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq INTEGER NOT NULL,
                hash TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "the audit log is append-only: triggers refuse UPDATE and DELETE",
        (
            """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
            """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        ),
    ),
    Migration(
        3,
        "indexes for the reconcile loop: live requests by deadline, and by requester",
        (
            "CREATE INDEX requests_by_expiry ON requests (state, expires_at)",
            "CREATE INDEX requests_by_lapse ON requests (state, lapses_at)",
            "CREATE INDEX requests_by_requester ON requests (requester, state)",
        ),
    ),
    Migration(
        4,
        "identity sources: deliveries seen, group membership, deactivated users, documents",
        (
            # One row per delivery (or event within one) applied, so a retry or a restart never
            # applies it twice; `received_at` lets old rows be pruned.
            """CREATE TABLE identity_deliveries (
                source TEXT NOT NULL,
                key TEXT NOT NULL,
                received_at TEXT NOT NULL,
                PRIMARY KEY (source, key)
            )""",
            "CREATE INDEX identity_deliveries_by_time ON identity_deliveries (received_at)",
            # Membership as each source reports it. A removal keeps its row with `member` = 0,
            # so a group whose only news was a removal still counts as reported by a source.
            """CREATE TABLE identity_members (
                grp TEXT NOT NULL,
                login TEXT NOT NULL,
                source TEXT NOT NULL,
                member INTEGER NOT NULL CHECK (member IN (0, 1)),
                updated_at TEXT NOT NULL,
                delivery TEXT NOT NULL,
                PRIMARY KEY (grp, login, source)
            )""",
            "CREATE INDEX identity_members_by_login ON identity_members (login, member)",
            # A user any source says is deactivated (suspended, deleted) until that source
            # reactivates them.
            """CREATE TABLE identity_deactivated (
                login TEXT NOT NULL,
                source TEXT NOT NULL,
                at TEXT NOT NULL,
                delivery TEXT NOT NULL,
                PRIMARY KEY (login, source)
            )""",
            # Opaque JSON documents by name (the SCIM directory is one).
            """CREATE TABLE identity_documents (
                name TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        5,
        "identity inbox: events received and answered, not yet applied",
        (
            # A receiver stores the events of a delivery here before it answers; the worker
            # deletes each in the transaction that applies it, so a crash loses none.
            """CREATE TABLE identity_inbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                body TEXT NOT NULL,
                received_at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        6,
        "Slack: the messages posted about each live request, and the approvers sent one",
        (
            # What `chat.update` needs to update a message later: its channel and timestamp.
            # Rows are read in insertion (rowid) order.
            """CREATE TABLE slack_messages (
                request_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                ts TEXT NOT NULL,
                PRIMARY KEY (request_id, channel, ts)
            )""",
            # Who was sent a direct message about a pending request, so no one is asked twice.
            """CREATE TABLE slack_asked (
                request_id TEXT NOT NULL,
                login TEXT NOT NULL,
                PRIMARY KEY (request_id, login)
            )""",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version
"""The schema version this tailjit writes."""


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(db: Database, *, target: int = LATEST) -> list[int]:
    """Apply the migrations after the database's version, up to ``target``; return their numbers.

    Raises `StoreError` for a database newer than this tailjit.
    """
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        with db.transaction() as conn:
            current = schema_version(conn)
            if current > LATEST:
                raise StoreError(
                    f"database {db.path} has schema version {current}, newer than the "
                    f"{LATEST} this tailjit knows; upgrade tailjit"
                )
            if migration.version <= current:
                continue
            if migration.version != current + 1:  # pragma: no cover - MIGRATIONS is contiguous
                raise AssertionError(f"migration {migration.version} follows {current}")
            try:
                for statement in migration.statements:
                    conn.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"database {db.path}: migration {migration.version} failed: {exc}"
                ) from exc
            conn.execute(f"PRAGMA user_version = {migration.version}")
            applied.append(migration.version)
    return applied
