"""When a call is retried and how long it waits: one predicate, one bounded budget.

Only transient failures are retried: 429 (after ``Retry-After`` when the server sends one), 5xx
except 501, and transport errors. 400, 401, 403, 404 and 412 are answers, not accidents: they go
straight back to the caller (a 412 to the reconcile loop, for a fresh read). Waits back off
exponentially with optional jitter; the settings bound both the number of attempts and the total
time spent waiting.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import tenacity

from tailjit.tailscale._errors import RateLimited, ServerError, TransportError
from tailjit.tailscale._settings import TailscaleSettings

log = logging.getLogger("tailjit.tailscale")

Sleep = Callable[[float], None]
"""Sleeps for the given number of seconds; tests pass a fake that records the waits."""


def is_retryable(exc: BaseException) -> bool:
    """The one retry predicate: 429, 5xx other than 501 Not Implemented, transport errors."""
    if isinstance(exc, RateLimited | TransportError):
        return True
    return isinstance(exc, ServerError) and exc.status != 501


def next_wait(
    exc: BaseException | None,
    attempt: int,
    settings: TailscaleSettings,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    A 429's ``Retry-After`` is honoured as sent; otherwise ``initial * 2**(attempt-1)`` plus up
    to ``retry_jitter_seconds`` of jitter, capped at ``retry_max_wait_seconds``.
    """
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return exc.retry_after
    backoff = settings.retry_initial_wait_seconds * 2.0 ** (attempt - 1)
    jitter = settings.retry_jitter_seconds * rand()
    return min(backoff + jitter, settings.retry_max_wait_seconds)


def retrying(
    settings: TailscaleSettings,
    sleep: Sleep,
    rand: Callable[[], float] = random.random,
) -> tenacity.Retrying:
    """A tenacity controller applying `is_retryable` within the settings' budget.

    It re-raises the last error itself (never `tenacity.RetryError`), so callers see the typed
    error of the final attempt: `RateLimited` keeps its ``retry_after`` for the caller to use.
    """

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return next_wait(exc, state.attempt_number, settings, rand)

    def stop(state: tenacity.RetryCallState) -> bool:
        # tenacity computes the wait before asking stop, so a wait that would overrun the budget
        # (a long Retry-After) ends the retries now rather than sleeping for nothing.
        if state.attempt_number >= settings.retry_max_attempts:
            return True
        return state.idle_for + state.upcoming_sleep > settings.retry_max_total_wait_seconds

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s; attempt %d of %d failed, retrying in %.2fs",
            exc,
            state.attempt_number,
            settings.retry_max_attempts,
            state.upcoming_sleep,
        )

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_retryable),
        wait=wait,
        stop=stop,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
