"""The request store: requests and their audit trail in one SQLite file.

`Store.commit` takes a `Plan` (tailjit.requests), executes it, and writes the new request and
every audit record the plan names in one transaction: either all of it is on disk when
``commit`` returns, or none of it is. A write based on a stale read (the request's ``version``
moved on since) is refused with `StaleRequest` rather than overwriting the newer state.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from tailjit.ids import GrantId, Login, RequestId
from tailjit.instants import format_exact
from tailjit.requests.model import Request, State
from tailjit.requests.plans import Plan
from tailjit.store._db import Database, StoreError
from tailjit.store.audit import AuditTrail, Clock
from tailjit.store.codec import dump_request, dumps, load_request
from tailjit.store.identity import IdentityStore
from tailjit.store.migrations import migrate
from tailjit.store.slack import SLACK_KEPT, SlackStore

__all__ = ["StaleRequest", "Store", "UnknownRequest"]


class UnknownRequest(StoreError, LookupError):
    """No request (or grant) with that id is in the store."""


class StaleRequest(StoreError):
    """The request changed since it was read; read it again and re-plan."""


_COLUMNS = (
    "id, grant_id, requester, target, eligibility, state, created_at, lapses_at, expires_at,"
    " version, body"
)


def _row(request: Request) -> tuple[str | int | None, ...]:
    expires = request.expires_at
    return (
        request.id,
        request.grant_id,
        request.requester,
        str(request.target),
        request.eligibility,
        str(request.state),
        format_exact(request.created_at),
        format_exact(request.lapses_at),
        None if expires is None else format_exact(expires),
        request.version,
        dumps(dump_request(request)),
    )


class Store:
    """Requests and the audit trail, in the SQLite file at ``path`` (``:memory:`` for tests).

    Opening applies any pending migrations. ``clock`` stamps when audit records are stored; the
    time of each transition comes from its plan. Safe to share between threads.
    """

    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.audit = AuditTrail(db, clock)

    @classmethod
    def open(cls, path: Path | str, *, clock: Clock) -> Store:
        db = Database(path)
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
        return cls(db, clock=clock)

    @property
    def identity(self) -> IdentityStore:
        """What identity sources have reported: deliveries seen, membership, deactivations."""
        return IdentityStore(self._db, self.audit, self.audit._clock)

    @property
    def slack(self) -> SlackStore:
        """The Slack messages posted about live requests, and who was asked about them."""
        return SlackStore(self._db)

    @property
    def path(self) -> str:
        return self._db.path

    def close(self) -> None:
        self._db.close()

    def maintain(self) -> None:
        """Periodic upkeep: forget the Slack messages of requests that ended more than
        `SLACK_KEPT` ago, refresh the query planner's statistics and fold the write-ahead log
        back into the database file, so it does not grow without bound."""
        self.slack.prune(self._clock() - SLACK_KEPT)
        with self._db.lock:
            self._db.conn.execute("PRAGMA optimize")
            self._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- writing --------------------------------------------------------------------------

    def commit(self, plan: Plan) -> Request:
        """Execute ``plan`` and store its result with its audit records, in one transaction.

        Raises the plan's refusal if it is refused, `StaleRequest` if the request changed since
        the plan was made.
        """
        return self.commit_all([plan])[0]

    def commit_all(self, plans: Sequence[Plan]) -> list[Request]:
        """`commit` several plans (for different requests) in one transaction: all or none."""
        results = [plan.execute() for plan in plans]
        with self._db.transaction() as conn:
            for plan, after in zip(plans, results, strict=True):
                self._write(conn, plan.before, after)
                for event in plan.events:
                    self.audit.record(event, after, actor=plan.actor, at=plan.at)
        return results

    def _write(self, conn: sqlite3.Connection, before: Request | None, after: Request) -> None:
        row = _row(after)
        if before is None:
            try:
                conn.execute(
                    f"INSERT INTO requests ({_COLUMNS}) VALUES ({', '.join('?' * 11)})", row
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(
                    f"request {after.id} or grant {after.grant_id} already exists"
                ) from exc
            return
        if before.id != after.id:  # pragma: no cover - plans never change a request's id
            raise ValueError("a plan changed the request's id")
        updated = conn.execute(
            "UPDATE requests SET state = ?, expires_at = ?, version = ?, body = ?"
            " WHERE id = ? AND version = ?",
            (row[5], row[8], row[9], row[10], after.id, before.version),
        )
        if updated.rowcount != 1:
            raise StaleRequest(
                f"request {after.id} changed since version {before.version} was read; "
                "read it again and retry"
            )

    # --- reading --------------------------------------------------------------------------

    def get(self, request_id: RequestId) -> Request:
        return self._one("id", request_id)

    def by_grant(self, grant_id: GrantId) -> Request:
        return self._one("grant_id", grant_id)

    def grant_states(self, grant_ids: Iterable[GrantId]) -> dict[GrantId, State]:
        """The state of each grant the store knows among ``grant_ids``, in one query."""
        wanted = sorted({str(grant_id) for grant_id in grant_ids})
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        with self._db.reading() as conn:
            rows = conn.execute(
                f"SELECT grant_id, state FROM requests WHERE grant_id IN ({marks})", wanted
            ).fetchall()
        return {GrantId(grant_id): State(state) for grant_id, state in rows}

    def _one(self, column: str, value: str) -> Request:
        with self._db.reading() as conn:
            row = conn.execute(f"SELECT body FROM requests WHERE {column} = ?", (value,)).fetchone()
        if row is None:
            what = "request" if column == "id" else "grant"
            raise UnknownRequest(f"no {what} {value} in {self.path}")
        return _load(row[0])

    def find(
        self, *, states: Iterable[State] | None = None, requester: Login | None = None
    ) -> list[Request]:
        """Requests in any of ``states`` (all when None) of ``requester`` (anyone's when None),
        oldest first."""
        where, args = [], []
        if states is not None:
            wanted = [str(s) for s in states]
            where.append(f"state IN ({', '.join('?' * len(wanted))})")
            args.extend(wanted)
        if requester is not None:
            where.append("requester = ?")
            args.append(str(requester))
        sql = "SELECT body FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._db.reading() as conn:
            rows = conn.execute(sql + " ORDER BY created_at, id", args).fetchall()
        return [_load(body) for (body,) in rows]

    def counts(self) -> dict[str, int]:
        """How many requests are in each state (states with none are absent)."""
        with self._db.reading() as conn:
            rows = conn.execute("SELECT state, count(*) FROM requests GROUP BY state").fetchall()
        return {str(state): int(count) for state, count in rows}

    def active(self) -> list[Request]:
        """The active grants: what the reconcile loop must see in the tailnet."""
        return self.find(states=[State.ACTIVE])

    def due(self, now: datetime) -> list[Request]:
        """Active grants whose time is up and pending requests past their lapse time."""
        stamp = format_exact(now)
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT body FROM requests WHERE state = 'active' AND expires_at <= ?"
                " UNION ALL SELECT body FROM requests WHERE state = 'pending' AND lapses_at <= ?",
                (stamp, stamp),
            ).fetchall()
        return [_load(body) for (body,) in rows]

    def next_deadline(self) -> datetime | None:
        """The earliest expiry of an active grant or lapse of a pending request, if any."""
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT min(t) FROM (SELECT min(expires_at) AS t FROM requests"
                " WHERE state = 'active' UNION ALL SELECT min(lapses_at) FROM requests"
                " WHERE state = 'pending')"
            ).fetchone()
        return None if row[0] is None else datetime.fromisoformat(row[0])


def _load(body: str) -> Request:
    try:
        return load_request(json.loads(body))
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"a stored request does not load: {exc}") from exc
