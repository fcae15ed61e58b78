"""Fault injection for ``/api/v2`` calls, and the request log tests count calls with.

Faults are off by default. With a `FaultConfig` set (CLI flags or ``PUT /sandbox/faults``):
every Nth call is answered 429 (with ``Retry-After`` or without); otherwise, with probability
``error_rate`` drawn from a generator seeded with ``seed`` (so a run is repeatable), a 5xx;
``latency`` seconds are added to every call; and ``human_edits`` policy GETs are each followed
by a human edit of the policy (see `policy.human_edit`). Setting a config restarts the count and
the generator.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass, field

from tailjit.sandbox.config import FaultConfig

ERROR_MESSAGES = {
    429: "too many requests",
    500: "internal server error",
    501: "not implemented",
    502: "bad gateway",
    503: "service unavailable",
    504: "request took too long to process, please try again later",
}


@dataclass(frozen=True)
class Injection:
    """What to do to one call: wait ``delay`` seconds; answer ``status`` instead (if set)."""

    delay: float = 0.0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after_apply: bool = False
    """Run the call first and answer ``status`` anyway (the change is made)."""

    @property
    def message(self) -> str:
        return ERROR_MESSAGES.get(self.status or 500, "internal server error")


class FaultInjector:
    """Decides the fault for each call; thread-safe."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._calls = 0
            self._random = random.Random(config.seed)
            self._human_edits = config.human_edits

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return dataclasses.replace(self._config, human_edits=self._human_edits)

    def decide(self) -> Injection:
        with self._lock:
            config = self._config
            self._calls += 1
            roll = self._random.random()
            if config.rate_limit_every and self._calls % config.rate_limit_every == 0:
                headers = {}
                if config.retry_after is not None:
                    headers["Retry-After"] = str(config.retry_after)
                return Injection(config.latency, 429, headers)
            if roll < config.error_rate:
                return Injection(
                    config.latency, config.error_status, after_apply=config.error_after_apply
                )
            return Injection(config.latency)

    def take_human_edit(self) -> str | None:
        """The kind of human edit to make after this policy GET, or None."""
        with self._lock:
            if self._human_edits <= 0:
                return None
            self._human_edits -= 1
            return self._config.human_edit_kind


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    time: str
    method: str
    path: str
    query: str
    status: int
    fault: str | None = None
    """``rate_limit``, ``error`` or ``error_after_apply`` when the answer was injected."""


class RequestLog:
    """Every ``/api/v2`` call answered since the last reset; thread-safe, bounded."""

    def __init__(self, limit: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []
        self._seq = 0
        self._limit = limit

    def record(
        self, *, time: str, method: str, path: str, query: str, status: int, fault: str | None
    ) -> None:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(self._seq, time, method, path, query, status, fault)
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                del self._entries[: len(self._entries) - self._limit]

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
