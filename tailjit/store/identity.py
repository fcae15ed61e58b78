"""What identity sources have told tailjit, kept in the store so a restart forgets none of it.

- **Deliveries seen**: `IdentityStore.first_delivery` records ``(source, key)`` and says whether
  it is new, in one ``INSERT OR IGNORE``, so of two threads (or a retry after a restart) handed
  the same delivery exactly one applies it.
- **Group membership, per source**: a login is a member of a group while any source reports it
  so. A removal is kept (as a row no longer a member), so a group whose only news so far was a
  removal still counts among `IdentityStore.managed_groups`.
- **Deactivated users, per source**: deactivated while any source says so, until that source
  reactivates them.
- **Documents**: opaque JSON objects by name (the SCIM directory is one).

Every change of membership or activation is audited in the same transaction, naming its source
and delivery id; a report that changes nothing (a member added twice) writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tailjit.ids import Login
from tailjit.instants import format_exact
from tailjit.store._db import Database, StoreError
from tailjit.store.audit import AuditTrail, Clock

__all__ = ["IdentityStore"]


class IdentityStore:
    """The identity tables of one store (`Store.identity`); safe to share between threads."""

    def __init__(self, db: Database, audit: AuditTrail, clock: Clock) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock

    # --- deliveries -----------------------------------------------------------------------

    def first_delivery(self, source: str, key: str, at: datetime) -> bool:
        """Record that ``source``'s delivery (or event) ``key`` arrived at ``at``; True the
        first time, False for a repeat, however long ago (restarts included) the first was."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO identity_deliveries (source, key, received_at)"
                " VALUES (?, ?, ?)",
                (str(source), key, format_exact(at)),
            )
            return cursor.rowcount == 1

    @contextmanager
    def once(self, source: str, key: str, at: datetime) -> Iterator[bool]:
        """A transaction that records ``key`` as `first_delivery` does and yields whether it is
        new; what the block writes commits with the key, and an error in the block rolls both
        back, so a retry of a delivery that failed half-way is applied again, not dropped."""
        with self._db.transaction():
            yield self.first_delivery(source, key, at)

    # --- the inbox ----------------------------------------------------------------------------

    def enqueue(self, events: Sequence[Mapping[str, Any]], at: datetime) -> None:
        """Keep ``events`` (JSON objects) until `done` is called on each, in one transaction."""
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO identity_inbox (body, received_at) VALUES (?, ?)",
                [(json.dumps(event, sort_keys=True), format_exact(at)) for event in events],
            )

    def inbox(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """The oldest events not yet done, with their sequence numbers."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT seq, body FROM identity_inbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [(int(seq), dict(json.loads(body))) for seq, body in rows]

    def done(self, seq: int) -> None:
        """Remove event ``seq`` from the inbox (inside the transaction that applied it)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM identity_inbox WHERE seq = ?", (seq,))

    def prune_deliveries(self, before: datetime) -> int:
        """Forget the deliveries received before ``before`` (older than any source retries);
        return how many."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM identity_deliveries WHERE received_at < ?", (format_exact(before),)
            )
            return cursor.rowcount

    # --- membership -----------------------------------------------------------------------

    def add_member(
        self, group: str, login: Login, source: str, delivery: str, at: datetime
    ) -> bool:
        """``source`` reports ``login`` a member of ``group``; True if that is news."""
        return self._set_member(group, login, source, delivery, at, member=True)

    def remove_member(
        self, group: str, login: Login, source: str, delivery: str, at: datetime
    ) -> bool:
        """``source`` reports ``login`` not a member of ``group``; True if that is news."""
        return self._set_member(group, login, source, delivery, at, member=False)

    def _set_member(
        self, group: str, login: Login, source: str, delivery: str, at: datetime, *, member: bool
    ) -> bool:
        group, login, source = str(group), Login(login), str(source)
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT member FROM identity_members WHERE grp = ? AND login = ? AND source = ?",
                (group, login, source),
            ).fetchone()
            if row is not None and bool(row[0]) is member:
                return False
            conn.execute(
                "INSERT INTO identity_members (grp, login, source, member, updated_at, delivery)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (grp, login, source) DO UPDATE SET"
                " member = excluded.member, updated_at = excluded.updated_at,"
                " delivery = excluded.delivery",
                (group, login, source, int(member), format_exact(at), delivery),
            )
            record = self._audit.membership_added if member else self._audit.membership_removed
            record(group, login, source=source, delivery=delivery, at=at)
        return True

    def members(self, group: str) -> frozenset[Login]:
        """Who any source reports a member of ``group`` (deactivated users included)."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT DISTINCT login FROM identity_members WHERE grp = ? AND member = 1",
                (str(group),),
            ).fetchall()
        return frozenset(Login(login) for (login,) in rows)

    def reported(self, group: str) -> dict[Login, bool]:
        """Every login a source has spoken about in ``group``: whether any source reports it
        a member now."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT login, MAX(member) FROM identity_members WHERE grp = ? GROUP BY login",
                (str(group),),
            ).fetchall()
        return {Login(login): bool(member) for login, member in rows}

    def groups_of(self, login: Login) -> frozenset[str]:
        """The groups any source reports ``login`` a member of."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT DISTINCT grp FROM identity_members WHERE login = ? AND member = 1",
                (str(login),),
            ).fetchall()
        return frozenset(group for (group,) in rows)

    def managed_groups(self) -> frozenset[str]:
        """Every group any source has reported a membership change of, removals included."""
        with self._db.reading() as conn:
            rows = conn.execute("SELECT DISTINCT grp FROM identity_members").fetchall()
        return frozenset(group for (group,) in rows)

    # --- user lifecycle -------------------------------------------------------------------

    def deactivate(self, login: Login, source: str, delivery: str, at: datetime) -> bool:
        """``source`` reports ``login`` deactivated (suspended, deleted); True if that is news
        from this source."""
        login, source = Login(login), str(source)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO identity_deactivated (login, source, at, delivery)"
                " VALUES (?, ?, ?, ?)",
                (login, source, format_exact(at), delivery),
            )
            if cursor.rowcount != 1:
                return False
            self._audit.user_deactivated(login, source=source, delivery=delivery, at=at)
        return True

    def reactivate(self, login: Login, source: str, delivery: str, at: datetime) -> bool:
        """``source`` reports ``login`` active again; True if this source had deactivated them.
        Another source's deactivation still stands."""
        login, source = Login(login), str(source)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM identity_deactivated WHERE login = ? AND source = ?", (login, source)
            )
            if cursor.rowcount != 1:
                return False
            self._audit.user_reactivated(login, source=source, delivery=delivery, at=at)
        return True

    def deactivated(self) -> frozenset[Login]:
        """Every login a source reports deactivated."""
        with self._db.reading() as conn:
            rows = conn.execute("SELECT DISTINCT login FROM identity_deactivated").fetchall()
        return frozenset(Login(login) for (login,) in rows)

    def is_deactivated(self, login: Login) -> bool:
        """Whether any source reports ``login`` deactivated."""
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT 1 FROM identity_deactivated WHERE login = ? LIMIT 1", (str(login),)
            ).fetchone()
        return row is not None

    # --- documents ------------------------------------------------------------------------

    def load_document(self, name: str) -> dict[str, Any] | None:
        """The JSON object saved as ``name``, or None if there is none."""
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT body FROM identity_documents WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            return None
        try:
            document = json.loads(row[0])
        except ValueError as exc:
            raise StoreError(f"document {name!r} in {self._db.path} does not load: {exc}") from exc
        if not isinstance(document, dict):
            raise StoreError(f"document {name!r} in {self._db.path} is not a JSON object")
        return document

    def save_document(self, name: str, doc: Mapping[str, Any]) -> None:
        """Save ``doc`` (a JSON-ready object) as ``name``, replacing what was there."""
        try:
            body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"document {name!r} is not JSON-ready: {exc}") from exc
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO identity_documents (name, body, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET body = excluded.body,"
                " updated_at = excluded.updated_at",
                (name, body, format_exact(self._clock())),
            )
