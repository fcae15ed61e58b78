"""One SQLite connection, set up for durability, and the one way to write: a transaction.

- ``journal_mode=WAL``: readers (``tailjit audit verify``) never block the writer.
- ``synchronous=FULL``: a commit returns only once the WAL is on disk, so a committed
  transition survives a power cut as well as a killed process.
- Transactions start with ``BEGIN IMMEDIATE``: the write lock is taken before anything is read,
  so the audit chain's head cannot change between reading it and appending to it.

`Database.transaction` nests: an inner one joins the outer, and only the outermost commits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tailjit.errors import TailjitError

__all__ = ["BUSY_TIMEOUT_MS", "Database", "StoreError"]

BUSY_TIMEOUT_MS = 5000
"""How long (milliseconds) to wait for another process's write lock before failing."""


class StoreError(TailjitError):
    """The store cannot do what was asked: unreadable file, newer schema, conflicting write."""


class Database:
    """A connection with tailjit's settings, shared by threads under one lock."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        try:
            if read_only:
                uri = Path(path).resolve().as_uri() + "?mode=ro"
                self.conn = sqlite3.connect(
                    uri, uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                self.conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not read_only:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self.lock = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; commits when the outermost block ends, rolls back on error."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException as exc:
                self._depth -= 1
                if outer:
                    self.conn.rollback()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"database {self.path}: {exc}") from exc
                raise
            self._depth -= 1
            if outer:
                self._execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads; a read of several statements sees one snapshot."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._execute("BEGIN")
            self._depth += 1
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise StoreError(f"database {self.path}: {exc}") from exc
            finally:
                self._depth -= 1
                if outer:
                    self.conn.rollback()

    def _execute(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: {exc}") from exc
