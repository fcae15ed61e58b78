"""The daemon's Prometheus metrics, served at ``/metrics`` (issue 7, "Metrics and health").

A `Metrics` owns its own `prometheus_client.CollectorRegistry`, never the global one, so two
daemons (or two tests) in one process each count their own. The recording methods are small and
typed; whoever observes the event calls them (the loop after a cycle, the webhook receivers per
delivery), and `render` produces the scrape.

The series (every name starts with ``tailjit_``; times are in seconds)::

    tailjit_requests{state}                          gauge      requests in each state
    tailjit_active_grants                            gauge      grants active now
    tailjit_grant_activation_lag_seconds             histogram  approval to verified activation
    tailjit_grant_expiry_lag_seconds                 histogram  expiry to verified removal
    tailjit_reconcile_cycles_total{outcome}          counter    ok | failed | conflict
    tailjit_reconcile_cycle_duration_seconds         histogram  one cycle, start to end
    tailjit_policy_writes_total                      counter    successful policy writes
    tailjit_policy_conflicts_total                   counter    writes refused with 412
    tailjit_api_errors_total{status}                 counter    Tailscale API errors
    tailjit_drift_findings_total{kind}               counter    drift found and repaired
    tailjit_webhook_deliveries_total{source,outcome,reason}
                                                     counter    deliveries accepted/rejected
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from tailjit.requests import State

__all__ = ["CYCLE_OUTCOMES", "LAG_BUCKETS", "CycleOutcome", "Metrics"]

log = logging.getLogger("tailjit.metrics")

CycleOutcome = Literal["ok", "failed", "conflict"]
CYCLE_OUTCOMES: tuple[CycleOutcome, ...] = ("ok", "failed", "conflict")

LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Seconds. A grant normally goes live within one wake-up (well under a second); the top
buckets catch a loop that fell behind (retries, rate limits)."""

_CYCLE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

RequestCounts = Callable[[], Mapping[str, int]]


class Metrics:
    """The metrics of one daemon, in a registry of their own (see the module docstring).

    ``request_counts``, when given, is called at each `render` for the number of requests in
    each state (`observe_requests`), so the gauge is as fresh as the scrape; a failing callback
    is logged and the previous values are served. Thread-safe, as prometheus_client is.
    """

    def __init__(self, *, request_counts: RequestCounts | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._request_counts = request_counts
        r = self.registry
        self.requests = Gauge(
            "tailjit_requests", "Access requests in each state.", ["state"], registry=r
        )
        self.active_grants = Gauge(
            "tailjit_active_grants", "Grants active now (written and verified).", registry=r
        )
        self.activation_lag = Histogram(
            "tailjit_grant_activation_lag_seconds",
            "Seconds from a request's approval to its grant's verified activation.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.expiry_lag = Histogram(
            "tailjit_grant_expiry_lag_seconds",
            "Seconds from a grant's expiry to the verified removal of its access.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.cycles = Counter(
            "tailjit_reconcile_cycles",
            "Reconcile cycles, by outcome (ok, failed, conflict: gave up after 412s).",
            ["outcome"],
            registry=r,
        )
        self.cycle_duration = Histogram(
            "tailjit_reconcile_cycle_duration_seconds",
            "Seconds one reconcile cycle took, whatever its outcome.",
            buckets=_CYCLE_BUCKETS,
            registry=r,
        )
        self.policy_writes = Counter(
            "tailjit_policy_writes", "Successful writes of the tailnet policy file.", registry=r
        )
        self.conflicts = Counter(
            "tailjit_policy_conflicts",
            "Policy writes refused with 412 Precondition Failed (the file changed meanwhile).",
            registry=r,
        )
        self.api_errors = Counter(
            "tailjit_api_errors",
            "Errors from the Tailscale API, by HTTP status (transport: no response).",
            ["status"],
            registry=r,
        )
        self.drift = Counter(
            "tailjit_drift_findings",
            "Drift found in the tailnet (and repaired or reported), by kind.",
            ["kind"],
            registry=r,
        )
        self.webhooks = Counter(
            "tailjit_webhook_deliveries",
            "Webhook deliveries received, by source, outcome (accepted, duplicate, rejected) "
            "and reason.",
            ["source", "outcome", "reason"],
            registry=r,
        )
        # Series that exist from the start read 0 rather than missing, so rate() and alerts on
        # them work before the first event.
        for state in State:
            self.requests.labels(state=state.value).set(0)
        for outcome in CYCLE_OUTCOMES:
            self.cycles.labels(outcome=outcome)

    # --- gauges ----------------------------------------------------------------------------

    def observe_requests(self, counts: Mapping[str, int]) -> None:
        """Set the requests gauge from ``counts`` by state name; a state not named counts 0.
        The active grants gauge follows the ``active`` count (a grant is active when its
        request is). Names that are not states are ignored: the label set stays the states'."""
        for state in State:
            self.requests.labels(state=state.value).set(counts.get(state.value, 0))
        self.active_grants.set(counts.get(State.ACTIVE.value, 0))

    def set_active_grants(self, count: int) -> None:
        self.active_grants.set(count)

    # --- lags ------------------------------------------------------------------------------

    def observe_activation_lag(self, seconds: float) -> None:
        """A grant went active ``seconds`` after its approval (a negative lag, from clock
        steps, counts as 0)."""
        self.activation_lag.observe(max(seconds, 0.0))

    def observe_expiry_lag(self, seconds: float) -> None:
        """A grant's access was removed ``seconds`` after it expired (negative counts as 0)."""
        self.expiry_lag.observe(max(seconds, 0.0))

    # --- the reconcile loop ----------------------------------------------------------------

    def observe_cycle(self, outcome: CycleOutcome, seconds: float) -> None:
        """One reconcile cycle ended with ``outcome`` after ``seconds``."""
        if outcome not in CYCLE_OUTCOMES:
            raise ValueError(f"cycle outcome must be one of {CYCLE_OUTCOMES}, got {outcome!r}")
        self.cycles.labels(outcome=outcome).inc()
        self.cycle_duration.observe(max(seconds, 0.0))

    def count_policy_writes(self, count: int = 1) -> None:
        if count:
            self.policy_writes.inc(count)

    def count_conflicts(self, count: int = 1) -> None:
        """``count`` policy writes refused with 412."""
        if count:
            self.conflicts.inc(count)

    def count_api_error(self, status: int | None) -> None:
        """An error from the Tailscale API: its HTTP status, None when there was no response
        (connection refused, timeout)."""
        self.api_errors.labels(status="transport" if status is None else str(status)).inc()

    def count_drift(self, kind: str, count: int = 1) -> None:
        """``count`` drift findings of ``kind`` (``hand-edit``, ``forged-entry``, ...)."""
        if count:
            self.drift.labels(kind=kind).inc(count)

    # --- webhooks --------------------------------------------------------------------------

    def count_webhook(self, source: str, outcome: str, reason: str = "") -> None:
        """A delivery from ``source`` (``okta``, ``scim``, ``generic``, ``tailscale``,
        ``slack``): ``outcome`` is ``accepted``, ``duplicate`` or ``rejected``; ``reason`` says
        why it was rejected (``bad-signature``, ``stale``, ``too-large``, ...), a short fixed
        word, never text from the request (the label set must stay small)."""
        self.webhooks.labels(source=source, outcome=outcome, reason=reason).inc()

    # --- the scrape ------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The scrape: (body, content type) in the Prometheus text format."""
        if self._request_counts is not None:
            try:
                self.observe_requests(self._request_counts())
            except Exception:  # a scrape serves what it has rather than failing
                log.exception("could not count the requests for /metrics")
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
