"""Slack users and tailnet logins, both ways: the mapping table first, else Slack's Web API.

`SlackUsers.login_of` says who clicked a button: the ``slack_users`` table (an override), else
the email in the click's payload (Slack's ``block_actions`` payloads usually carry none), else,
with a bot token, the email Slack shows for the user (``users.info``). `SlackUsers.user_id_of`
goes the other way, to send an approver a direct message: the table read backwards, else
``users.lookupByEmail``.

Answers from Slack are remembered for ``ttl`` (an hour by default; at most ``size`` of each
kind, the oldest dropped first), so a burst of clicks or requests does not ask Slack each time.
"Nobody has that id or email" is remembered too; every other failure (a missing scope, Slack
unreachable) is not, so fixing it takes effect at the next click. Nothing here raises: a failure
is a `NotFound` whose ``why`` says what to do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from tailjit.errors import InvalidInput
from tailjit.ids import Login
from tailjit.notify.slack import Lookup, SlackNotifier

__all__ = ["NotFound", "SlackUsers"]

_NOBODY = frozenset({"user_not_found", "users_not_found"})
"""Slack's errors that are an answer (nobody has that id or email), remembered like one."""

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class NotFound:
    """Why a Slack user and a login could not be matched: one line, safe to show in Slack."""

    why: str


class _Cache(Generic[K, V]):
    """At most ``size`` answers, each kept for ``ttl``; the oldest go first. Thread-safe
    (clicks are answered on the API's worker threads)."""

    def __init__(self, ttl: timedelta, size: int) -> None:
        self._ttl = ttl
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, tuple[datetime, V]] = OrderedDict()

    def get(self, key: K, *, now: datetime) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: K, value: V, *, now: datetime) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (now + self._ttl, value)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


class SlackUsers:
    """Slack user ids ↔ logins (module docstring). ``table`` maps a Slack user id to a login
    (``[receivers.slack_users]``); lookups go through ``notifier`` when it has a bot token."""

    def __init__(
        self,
        notifier: SlackNotifier,
        table: Mapping[str, str],
        *,
        ttl: timedelta = timedelta(hours=1),
        size: int = 1000,
    ) -> None:
        self._notifier = notifier
        self._table = {user: Login.parse(login) for user, login in table.items()}
        self._ids = {login: user for user, login in sorted(self._table.items())}
        self._emails: _Cache[str, Lookup] = _Cache(ttl, size)
        self._users: _Cache[Login, Lookup] = _Cache(ttl, size)

    def login_of(self, user_id: str, email: str | None, *, now: datetime) -> Login | NotFound:
        """The login of the Slack user ``user_id``; ``email`` is the payload's, if it has one."""
        unmapped = f"Slack user {user_id} is not mapped to a tailnet login"
        if user_id in self._table:
            return self._table[user_id]
        if email is None:
            if not self._notifier.can_look_up:
                return NotFound(f"{unmapped}: add it to receivers.slack_users")
            found = self._emails.get(user_id, now=now)
            if found is None:
                found = self._notifier.user_email(user_id)
                if found.value is not None or found.error in _NOBODY:
                    self._emails.put(user_id, found, now=now)
            if found.value is None:
                return NotFound(
                    f"{unmapped}: Slack's users.info gave no email ({found.error}); give the "
                    "bot the users:read and users:read.email scopes, or add the user to "
                    "receivers.slack_users"
                )
            email = found.value
        try:
            return Login.parse(email)
        except InvalidInput:
            return NotFound(
                f"{unmapped}: their email is not a login; add it to receivers.slack_users"
            )

    def user_id_of(self, login: Login, *, now: datetime) -> str | NotFound:
        """The Slack user id of ``login``, to send them a direct message."""
        if login in self._ids:
            return self._ids[login]
        if not self._notifier.can_look_up:
            return NotFound(f"{login} is not in receivers.slack_users and there is no bot token")
        found = self._users.get(login, now=now)
        if found is None:
            found = self._notifier.user_id_by_email(str(login))
            if found.value is not None or found.error in _NOBODY:
                self._users.put(login, found, now=now)
        if found.value is None:
            return NotFound(f"no Slack user has the email {login} ({found.error})")
        return found.value
