"""Time for the sandbox: an injectable clock and the RFC 3339 forms the API speaks.

Everything in the sandbox that depends on time (attribute expiry, OAuth token lifetime, webhook
timestamps, created/lastSeen fields) asks a `Clock`, never the wall clock, so tests can move time
by hand. The admin path can also shift a running sandbox's clock (`OffsetClock`), which lets
end-to-end tests against a subprocess expire attributes without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""

ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
"""Go's zero time, which client-go sends as ``expiry`` when none was set."""


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; thread-safe. For tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` and return the new time."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


class OffsetClock:
    """A base clock plus an offset that the admin path can grow (time never goes backwards)."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            offset = self._offset
        return self._base() + offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self()

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()
