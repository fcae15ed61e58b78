"""The store (SQLite): requests, and their append-only, hash-chained audit trail.

`Store.open(path, clock=...)` opens (and migrates) a database; `Store.commit(plan)` writes a
planned transition and its audit records in one durable transaction; `Store.audit` is the
`AuditTrail`, with one method per event, `verify()` and `export_jsonl()`; `Store.identity` is
the `IdentityStore` (what identity sources reported); `Store.slack` is the `SlackStore` (the Slack
messages posted about live requests). `open_audit` reads the
trail of a database without writing to it, for ``tailjit audit verify|export``.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tailjit.store._db import Database, StoreError
from tailjit.store._store import StaleRequest, Store, UnknownRequest
from tailjit.store.audit import (
    DAEMON_EVENTS,
    DRIFT_DETECTED,
    EVENTS,
    IDENTITY_EVENTS,
    AuditTrail,
    Clock,
)
from tailjit.store.chain import AuditRecord, Verification, verify_chain
from tailjit.store.identity import IdentityStore
from tailjit.store.migrations import LATEST, migrate, schema_version
from tailjit.store.slack import SlackStore

__all__ = [
    "DAEMON_EVENTS",
    "DRIFT_DETECTED",
    "EVENTS",
    "IDENTITY_EVENTS",
    "LATEST",
    "AuditRecord",
    "AuditTrail",
    "Clock",
    "Database",
    "IdentityStore",
    "SlackStore",
    "StaleRequest",
    "Store",
    "StoreError",
    "UnknownRequest",
    "Verification",
    "migrate",
    "open_audit",
    "schema_version",
    "verify_chain",
]


def _no_clock() -> datetime:
    raise StoreError("the audit trail was opened read-only")


@contextmanager
def open_audit(path: Path | str) -> Iterator[AuditTrail]:
    """The audit trail of the database at ``path``, opened read-only (never created or
    migrated), for the duration of a ``with`` block.

    Raises `StoreError` if there is no such file or it is not a tailjit database.
    """
    if not Path(path).is_file():
        raise StoreError(f"no database at {path}")
    db = Database(path, read_only=True)
    try:
        try:
            version = schema_version(db.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a tailjit database: {exc}") from exc
        if version < 1:
            raise StoreError(f"{path} is not a tailjit database (schema version {version})")
        yield AuditTrail(db, _no_clock)
    finally:
        db.close()
