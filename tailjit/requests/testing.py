"""Test helpers for the request workflow: a fake clock, a cast of people, rules and ids.

Everything is deterministic: the clock starts at `T0` and moves only when told, and ids come
from a counter, so tests can assert exact times and ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from tailjit.ids import CROCKFORD_ALPHABET, GrantId, GroupName, Login, RequestId
from tailjit.requests.model import Request
from tailjit.requests.rules import BreakGlass, Rules, Stage, StaticDirectory
from tailjit.requests.submit import Submission, submit
from tailjit.targets import Target, parse_target

__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "DAVE",
    "DBA",
    "DIRECTORY",
    "ERIN",
    "T0",
    "TARGET",
    "FakeClock",
    "Ids",
    "make_rules",
    "new_request",
]

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
"""Where every fake clock starts."""

ALICE = Login("alice@example.com")
"""The usual requester."""
BOB = Login("bob@example.com")
CAROL = Login("carol@example.com")
DAVE = Login("dave@example.com")
"""In group:dba with bob and carol."""
ERIN = Login("erin@example.com")
"""In no group, approver of nothing."""
DBA = GroupName("group:dba")
DIRECTORY = StaticDirectory({DBA: frozenset({BOB, CAROL, DAVE})})
TARGET = parse_target("db-prod:5432")


class FakeClock:
    """A clock that moves only when told to; ``clock()`` returns the current time."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self.now += timedelta(**delta)
        return self.now


def _spell(number: int) -> str:
    digits = []
    for _ in range(8):
        number, digit = divmod(number, 32)
        digits.append(CROCKFORD_ALPHABET[digit])
    return "".join(reversed(digits))


class Ids:
    """Sequential request and grant ids: ``R0000001`` style, but valid Crockford base32."""

    def __init__(self) -> None:
        self._counter: Iterator[int] = count(1)

    def next(self) -> tuple[RequestId, GrantId]:
        n = next(self._counter)
        return RequestId(_spell(n)), GrantId(_spell(n + 2**39))


def make_rules(**overrides: Any) -> Rules:
    """One stage of one approval from bob or carol; 1h default, 4h maximum, 2 extensions, a day
    to decide, a reason required; break-glass for group:dba up to 30m. Override any field."""
    fields: dict[str, Any] = {
        "eligibility": "db-prod",
        "stages": (Stage(frozenset({BOB, CAROL})),),
        "default_duration": timedelta(hours=1),
        "max_duration": timedelta(hours=4),
        "pending_ttl": timedelta(days=1),
        "max_extensions": 2,
        "breakglass": BreakGlass(frozenset({DBA}), timedelta(minutes=30)),
    }
    return replace(Rules(**fields), **overrides) if overrides else Rules(**fields)


def new_request(
    rules: Rules | None = None,
    *,
    requester: Login = ALICE,
    target: Target = TARGET,
    now: datetime = T0,
    duration: timedelta | None = None,
    ids: Ids | None = None,
    **submission: Any,
) -> Request:
    """A freshly submitted request (pending unless ``submission`` says otherwise)."""
    request_id, grant_id = (ids or Ids()).next()
    return submit(
        Submission(requester, target, duration, **{"reason": "INC-1", **submission}),
        rules=rules or make_rules(),
        now=now,
        request_id=request_id,
        grant_id=grant_id,
        directory=DIRECTORY,
    )
