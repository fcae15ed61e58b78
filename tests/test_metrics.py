"""The Prometheus metrics: what is recorded is what a scrape parses back."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tailjit.metrics import Metrics


def scrape(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a render, by (sample name, sorted labels)."""
    body, _ = metrics.render()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return scrape(metrics)[(name, tuple(sorted(labels.items())))]


def test_render_is_the_prometheus_text_format() -> None:
    body, content_type = Metrics().render()

    assert content_type.startswith("text/plain; version=")
    assert b"# HELP tailjit_reconcile_cycles_total " in body
    assert b"# TYPE tailjit_grant_activation_lag_seconds histogram" in body


def test_every_series_is_named_tailjit_with_help_and_unit() -> None:
    body, _ = Metrics().render()
    families = {
        f.name: f
        for f in text_string_to_metric_families(body.decode())
        if not f.name.endswith("_created")  # prometheus_client's creation times, per series
    }

    assert set(families) == {
        "tailjit_requests",
        "tailjit_active_grants",
        "tailjit_grant_activation_lag_seconds",
        "tailjit_grant_expiry_lag_seconds",
        "tailjit_reconcile_cycles",
        "tailjit_reconcile_cycle_duration_seconds",
        "tailjit_policy_writes",
        "tailjit_policy_conflicts",
        "tailjit_api_errors",
        "tailjit_drift_findings",
        "tailjit_webhook_deliveries",
    }
    assert all(f.documentation for f in families.values())
    counters = {n for n, f in families.items() if f.type == "counter"}
    assert all(s.name == f"{n}_total" for n in counters for s in families[n].samples)
    assert counters == {
        "tailjit_reconcile_cycles",
        "tailjit_policy_writes",
        "tailjit_policy_conflicts",
        "tailjit_api_errors",
        "tailjit_drift_findings",
        "tailjit_webhook_deliveries",
    }
    histograms = {n for n, f in families.items() if f.type == "histogram"}
    assert all(n.endswith("_seconds") for n in histograms)


def test_two_instances_count_separately() -> None:
    """Each Metrics has its own registry: no clash, no shared counts (two daemons, two tests)."""
    first, second = Metrics(), Metrics()

    first.count_policy_writes()

    assert value(first, "tailjit_policy_writes_total") == 1
    assert value(second, "tailjit_policy_writes_total") == 0


def test_requests_by_state_start_at_zero_and_follow_the_counts() -> None:
    metrics = Metrics()
    assert value(metrics, "tailjit_requests", state="pending") == 0

    metrics.observe_requests({"pending": 3, "active": 2, "nonsense": 9})

    samples = scrape(metrics)
    assert samples[("tailjit_requests", (("state", "pending"),))] == 3
    assert samples[("tailjit_requests", (("state", "active"),))] == 2
    assert samples[("tailjit_requests", (("state", "expired"),))] == 0
    assert ("tailjit_requests", (("state", "nonsense"),)) not in samples
    assert samples[("tailjit_active_grants", ())] == 2


def test_a_state_no_longer_counted_goes_back_to_zero() -> None:
    metrics = Metrics()
    metrics.observe_requests({"pending": 1})

    metrics.observe_requests({"approved": 1})

    assert value(metrics, "tailjit_requests", state="pending") == 0
    assert value(metrics, "tailjit_requests", state="approved") == 1


def test_the_request_counts_callback_runs_at_each_scrape() -> None:
    counts = {"active": 1}
    metrics = Metrics(request_counts=lambda: counts)
    assert value(metrics, "tailjit_requests", state="active") == 1

    counts = {"active": 4}

    assert value(metrics, "tailjit_active_grants") == 4


def test_a_failing_callback_is_logged_and_the_scrape_serves_the_last_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def counts() -> Mapping[str, int]:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database is locked")
        return {"pending": 5}

    metrics = Metrics(request_counts=counts)
    metrics.render()

    with caplog.at_level(logging.ERROR, logger="tailjit.metrics"):
        assert value(metrics, "tailjit_requests", state="pending") == 5
    assert "could not count the requests" in caplog.text


def test_set_active_grants() -> None:
    metrics = Metrics()

    metrics.set_active_grants(7)

    assert value(metrics, "tailjit_active_grants") == 7


def test_lags_fall_in_their_buckets_and_negative_counts_as_zero() -> None:
    metrics = Metrics()

    metrics.observe_activation_lag(0.3)
    metrics.observe_activation_lag(12.0)
    metrics.observe_expiry_lag(-1.0)

    name = "tailjit_grant_activation_lag_seconds"
    assert value(metrics, f"{name}_count") == 2
    assert value(metrics, f"{name}_sum") == pytest.approx(12.3)
    assert value(metrics, f"{name}_bucket", le="0.25") == 0
    assert value(metrics, f"{name}_bucket", le="0.5") == 1
    assert value(metrics, f"{name}_bucket", le="30.0") == 2
    assert value(metrics, f"{name}_bucket", le="0.01") == 0
    assert value(metrics, "tailjit_grant_expiry_lag_seconds_bucket", le="0.01") == 1
    assert value(metrics, "tailjit_grant_expiry_lag_seconds_sum") == 0


def test_cycles_are_counted_by_outcome_with_their_duration() -> None:
    metrics = Metrics()
    assert value(metrics, "tailjit_reconcile_cycles_total", outcome="conflict") == 0

    metrics.observe_cycle("ok", 0.04)
    metrics.observe_cycle("ok", 0.02)
    metrics.observe_cycle("failed", 1.5)

    assert value(metrics, "tailjit_reconcile_cycles_total", outcome="ok") == 2
    assert value(metrics, "tailjit_reconcile_cycles_total", outcome="failed") == 1
    assert value(metrics, "tailjit_reconcile_cycles_total", outcome="conflict") == 0
    assert value(metrics, "tailjit_reconcile_cycle_duration_seconds_count") == 3
    assert value(metrics, "tailjit_reconcile_cycle_duration_seconds_sum") == pytest.approx(1.56)


def test_an_unknown_cycle_outcome_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="cycle outcome"):
        Metrics().observe_cycle("maybe", 1.0)  # type: ignore[arg-type]


def test_writes_conflicts_and_api_errors() -> None:
    metrics = Metrics()

    metrics.count_policy_writes()
    metrics.count_policy_writes(0)
    metrics.count_conflicts(2)
    metrics.count_api_error(429)
    metrics.count_api_error(429)
    metrics.count_api_error(None)

    assert value(metrics, "tailjit_policy_writes_total") == 1
    assert value(metrics, "tailjit_policy_conflicts_total") == 2
    assert value(metrics, "tailjit_api_errors_total", status="429") == 2
    assert value(metrics, "tailjit_api_errors_total", status="transport") == 1


def test_drift_findings_by_kind() -> None:
    metrics = Metrics()

    metrics.count_drift("hand-edit")
    metrics.count_drift("forged-entry", 3)

    assert value(metrics, "tailjit_drift_findings_total", kind="hand-edit") == 1
    assert value(metrics, "tailjit_drift_findings_total", kind="forged-entry") == 3


def test_webhook_deliveries_by_source_outcome_and_reason() -> None:
    metrics = Metrics()

    metrics.count_webhook("okta", "accepted")
    metrics.count_webhook("okta", "rejected", "bad-signature")
    metrics.count_webhook("okta", "rejected", "bad-signature")
    metrics.count_webhook("slack", "rejected", "stale")

    name = "tailjit_webhook_deliveries_total"
    assert value(metrics, name, source="okta", outcome="accepted", reason="") == 1
    assert value(metrics, name, source="okta", outcome="rejected", reason="bad-signature") == 2
    assert value(metrics, name, source="slack", outcome="rejected", reason="stale") == 1
