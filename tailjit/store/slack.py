"""What the Slack bridge posted, kept in the store so a restart keeps updating it.

- **Messages**: the (channel, ts) of every message posted about a request, which each later
  event of the request updates with ``chat.update``.
- **Asked**: who was sent a direct message about a pending request, so an approval that moves it
  to the next stage asks only the people not asked yet.

The bridge forgets a request's rows when the request is decided (asked) or ends (both);
`SlackStore.prune` (from `Store.maintain`) drops those of requests that ended while nobody was
following them, e.g. while the daemon was down.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tailjit.ids import Login, RequestId
from tailjit.instants import format_exact
from tailjit.store._db import Database

__all__ = ["SLACK_KEPT", "SlackStore"]

SLACK_KEPT = timedelta(days=1)
"""How long after its request ended a message reference is kept. The bridge reads it once more,
within a poll of the end; the margin covers a bridge running behind (a slow Slack)."""

_KEPT = (
    "SELECT id FROM requests WHERE state IN ('pending', 'approved', 'active')"
    " OR json_extract(body, '$.ended.at') >= ?"
)
"""The requests whose rows `SlackStore.prune` keeps: live, or ended since the cutoff."""


class SlackStore:
    """The Slack tables of one store (`Store.slack`); safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- messages -------------------------------------------------------------------------

    def remember(self, request_id: RequestId, channel: str, ts: str) -> None:
        """Message ``ts`` in ``channel`` is about ``request_id`` (remembering it twice is one)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO slack_messages (request_id, channel, ts) VALUES (?, ?, ?)",
                (str(request_id), channel, ts),
            )

    def messages(self, request_id: RequestId) -> list[tuple[str, str]]:
        """The (channel, ts) of the messages about ``request_id``, in the order posted."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT channel, ts FROM slack_messages WHERE request_id = ? ORDER BY rowid",
                (str(request_id),),
            ).fetchall()
        return [(str(channel), str(ts)) for channel, ts in rows]

    # --- asked ----------------------------------------------------------------------------

    def ask(self, request_id: RequestId, login: Login) -> bool:
        """Record that ``login`` is asked about ``request_id``; True the first time only."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO slack_asked (request_id, login) VALUES (?, ?)",
                (str(request_id), str(login)),
            )
            return cursor.rowcount == 1

    def asked(self, request_id: RequestId) -> frozenset[Login]:
        """Who has been asked about ``request_id``."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT login FROM slack_asked WHERE request_id = ?", (str(request_id),)
            ).fetchall()
        return frozenset(Login(login) for (login,) in rows)

    # --- forgetting -----------------------------------------------------------------------

    def forget_asked(self, request_id: RequestId) -> None:
        """``request_id`` is decided: nobody is asked about it any more."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM slack_asked WHERE request_id = ?", (str(request_id),))

    def forget(self, request_id: RequestId) -> None:
        """``request_id`` has ended: forget its messages and who was asked."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM slack_messages WHERE request_id = ?", (str(request_id),))
            conn.execute("DELETE FROM slack_asked WHERE request_id = ?", (str(request_id),))

    def prune(self, before: datetime) -> int:
        """Forget the rows of requests that ended before ``before`` (or are not in the store);
        return how many rows."""
        cutoff = (format_exact(before),)
        with self._db.transaction() as conn:
            messages = conn.execute(
                f"DELETE FROM slack_messages WHERE request_id NOT IN ({_KEPT})", cutoff
            )
            asked = conn.execute(
                f"DELETE FROM slack_asked WHERE request_id NOT IN ({_KEPT})", cutoff
            )
            return messages.rowcount + asked.rowcount
