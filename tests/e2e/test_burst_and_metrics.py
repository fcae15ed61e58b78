"""Identity events in bulk and the daemon's metrics, end to end over real HTTP.

A burst of Okta deliveries (retries included, sent from several threads) is applied once per
event, in each membership's own order, and the grants that depended on a removed membership
leave the sandbox tailnet in a handful of policy writes. ``/metrics``, scraped after grants, an
expiry, a revocation and accepted and refused deliveries, counts exactly what happened.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tailjit.testing import OktaDelivery, okta_changes, okta_delivery, okta_lanes
from tests.e2e.conftest import Daemon, Sandbox, wait_for

OKTA_SECRET = "okta-hook-secret"
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
DB, WEB = "db-prod:5432", "web-staging:443"

POLICY = """{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["carol@example.com"]},
  "eligibilities": [
    {
      "name": "oncall-db",
      "requesters": ["group:oncall"],
      "destinations": ["db-prod:5432"],
      "maxDuration": "4h",
      "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
    },
    {
      "name": "web-release",
      "requesters": ["group:web"],
      "destinations": ["web-staging:443"],
      "maxDuration": "4h",
      "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
    },
  ],
}
"""

RECEIVERS = f"""
[receivers]
okta_secret = "{OKTA_SECRET}"
"""

MEMBERSHIP = ("membership.added", "membership.removed")


@pytest.fixture
def daemon(start_daemon: Callable[..., Daemon], sandbox_process: Sandbox, tmp_path: Path) -> Daemon:
    policy = tmp_path / "eligibility.hujson"
    policy.write_text(POLICY)
    return start_daemon(sandbox_process, TAILJIT_POLICY=str(policy), config_extra=RECEIVERS)


def deliver(client: httpx.Client, events: Iterable[OktaDelivery]) -> None:
    """POST each delivery in turn, waiting for the answer: the daemon queues a delivery before
    it answers, so one sender's events are applied in the order sent."""
    for sent in events:
        reply = client.post(
            "/v1/webhooks/okta",
            content=sent.body,
            headers={"Authorization": OKTA_SECRET, "Content-Type": "application/json"},
        )
        assert reply.status_code == 204, reply.text


def okta_client(daemon: Daemon) -> httpx.Client:
    return httpx.Client(base_url=daemon.url, timeout=30)


def audit(daemon: Daemon) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while True:
        after = records[-1]["seq"] if records else 0
        page = daemon.api("GET", "/v1/audit", params={"after": after, "limit": 1000})["records"]
        if not page:
            return records
        records += page


def applied(daemon: Daemon, delivery: str) -> bool:
    return any(r["data"].get("delivery") == delivery for r in audit(daemon))


def grant(daemon: Daemon, user: str, target: str, duration: str = "1h") -> dict[str, Any]:
    body = {"user": user, "target": f"tcp:{target}", "duration": duration, "reason": "INC-7"}
    return dict(daemon.api("POST", "/v1/grants", json=body)["request"])


def active(daemon: Daemon, request: dict[str, Any]) -> bool:
    return bool(daemon.request(request["id"])["state"] == "active")


def policy_writes(sandbox: Sandbox) -> int:
    entries = sandbox.admin("GET", "/requests")["requests"]
    return sum(
        1
        for e in entries
        if e["method"] == "POST" and e["path"].endswith("/acl") and e["status"] < 300
    )


def marker(request: dict[str, Any]) -> bytes:
    return f"tailjit:grant id={request['grant_id']} ".encode()


# --- (a) a burst of membership events ---------------------------------------------------------

USERS = (ALICE, BOB, CAROL, *(f"user{n:02}@example.com" for n in range(4, 51)))
GROUPS = ("oncall", "web", "dbas")
SENDERS = 4
DISTINCT, RETRIES = 250, 50
SCRIPTED = {
    # The memberships the grants depend on, set up before the burst: alice loses group:oncall
    # (and with it her db-prod grant) and keeps group:web; bob loses group:web and keeps oncall.
    ("oncall", ALICE): (False, True, False),
    ("web", ALICE): (True, True),
    ("oncall", BOB): (True,),
    ("web", BOB): (True, False),
}


def burst(rng: random.Random) -> list[OktaDelivery]:
    """``DISTINCT`` events, in the order each membership sees them: the scripted ones, the
    rest a random mix of adds and removes over the 150 memberships of the 50 users."""
    events = [okta_delivery(g, u, added=a) for (g, u), kinds in SCRIPTED.items() for a in kinds]
    pairs = [(g, u) for g in GROUPS for u in USERS if (g, u) not in SCRIPTED]
    while len(events) < DISTINCT:
        group, login = rng.choice(pairs)
        events.append(okta_delivery(group, login, added=rng.random() < 0.6))
    # Shuffle while keeping each membership's order: shuffle positions, then refill them with
    # each membership's events in turn.
    order = list(range(len(events)))
    rng.shuffle(order)
    queues: dict[tuple[str, str], list[OktaDelivery]] = {}
    for e in events:
        queues.setdefault((e.group, e.login), []).append(e)
    slots = [events[i] for i in order]
    return [queues[(e.group, e.login)].pop(0) for e in slots]


def test_a_burst_of_okta_deliveries_with_retries_is_applied_once_in_order(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    """300 deliveries from 4 senders: each of the 250 events applied exactly once, none lost,
    the final membership as reported, and the two grants whose group was removed revoked in a
    handful of policy writes while the two others stay."""
    rng = random.Random(7)
    with okta_client(daemon) as client:
        setup = [okta_delivery(g, u, added=True) for g, u in SCRIPTED]
        deliver(client, setup)
    wait_for(lambda: applied(daemon, setup[-1].delivery))
    grants = {
        "alice-db": grant(daemon, ALICE, DB),
        "alice-web": grant(daemon, ALICE, WEB),
        "bob-db": grant(daemon, BOB, DB),
        "bob-web": grant(daemon, BOB, WEB),
    }
    wait_for(lambda: all(active(daemon, r) for r in grants.values()))
    sandbox_process.admin("DELETE", "/requests")
    before = {r["seq"] for r in audit(daemon)}
    events = burst(rng)
    lanes = okta_lanes(events, RETRIES, SENDERS, rng)
    start = {(e.group, e.login): True for e in setup}
    final, changes = okta_changes(start, events)

    failures: list[BaseException] = []

    def send(lane: list[OktaDelivery]) -> None:
        try:
            with okta_client(daemon) as client:
                deliver(client, lane)
        except BaseException as error:  # reported by the test thread below
            failures.append(error)

    threads = [threading.Thread(target=send, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert sum(map(len, lanes)) == DISTINCT + RETRIES
    # The worker applies deliveries in arrival order: once a last one is in, all are.
    last = okta_delivery("dbas", "sentinel@example.com", added=True)
    with okta_client(daemon) as client:
        deliver(client, [last])
    wait_for(lambda: applied(daemon, last.delivery), timeout=20)

    records = [r for r in audit(daemon) if r["seq"] not in before and r["event"] in MEMBERSHIP]
    deliveries = [r["data"]["delivery"] for r in records if r["data"]["delivery"] != last.delivery]
    assert Counter(deliveries) == Counter(changes)  # every change once, nothing else
    seen: dict[tuple[str, str], bool] = dict(start)
    for r in records:
        group = r["data"]["group"].removeprefix("group:")
        seen[(group, r["data"]["login"])] = r["event"] == "membership.added"
    del seen[("dbas", "sentinel@example.com")]
    assert seen == final

    revoked = (grants["alice-db"], grants["bob-web"])
    kept = (grants["alice-web"], grants["bob-db"])
    wait_for(lambda: not any(marker(r) in sandbox_process.policy() for r in revoked), timeout=5)
    assert [daemon.request(r["id"])["state"] for r in revoked] == ["revoked", "revoked"]
    assert [daemon.request(r["id"])["state"] for r in kept] == ["active", "active"]
    assert all(marker(r) in sandbox_process.policy() for r in kept)
    assert not sandbox_process.check(ALICE, DB)
    assert 1 <= policy_writes(sandbox_process) <= 3
    okta = metric_values(daemon)["tailjit_webhook_deliveries_total"]
    accepted = okta[(("outcome", "accepted"), ("reason", ""), ("source", "okta"))]
    assert accepted == len(setup) + DISTINCT + RETRIES + 1  # retries are accepted deliveries


# --- (b) /metrics during an end-to-end run ----------------------------------------------------

Labels = tuple[tuple[str, str], ...]


def metric_values(daemon: Daemon) -> dict[str, dict[Labels, float]]:
    """The scrape of ``/metrics``, by sample name then sorted labels."""
    text = httpx.get(daemon.url + "/metrics").raise_for_status().text
    values: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return values


def single(values: dict[str, dict[Labels, float]], name: str) -> float:
    (value,) = values[name].values()
    return value


def test_metrics_count_what_happened_in_an_end_to_end_run(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    """Grants, an expiry, an Okta removal's revocation, deliveries accepted and refused: the
    scrape agrees with the store, the sandbox's request log and what was sent."""
    okta = okta_client(daemon)
    joined = [okta_delivery("oncall", ALICE, added=True), okta_delivery("oncall", BOB, added=True)]
    deliver(okta, [*joined, joined[0]])  # the last is Okta's retry: accepted, applied once
    wait_for(lambda: applied(daemon, joined[1].delivery))
    refused = okta.post("/v1/webhooks/okta", content=b"{}", headers={"Authorization": "wrong"})
    malformed = okta.post(
        "/v1/webhooks/okta", content=b"[1]", headers={"Authorization": OKTA_SECRET}
    )
    assert (refused.status_code, malformed.status_code) == (401, 400)

    alice = grant(daemon, ALICE, DB)
    brief = grant(daemon, BOB, DB, "2s")
    wait_for(lambda: active(daemon, alice) and active(daemon, brief))
    wait_for(lambda: daemon.request(brief["id"])["state"] == "expired", timeout=10)
    wait_for(lambda: marker(brief) not in sandbox_process.policy())
    bob = grant(daemon, BOB, DB)
    wait_for(lambda: active(daemon, bob))
    removal = okta_delivery("oncall", ALICE, added=False)
    deliver(okta, [removal])
    wait_for(lambda: marker(alice) not in sandbox_process.policy())
    okta.close()

    # A resync cycle may run meanwhile: take the scrape between two equal write counts.
    def settled() -> tuple[dict[str, dict[Labels, float]], int] | None:
        writes = policy_writes(sandbox_process)
        values = metric_values(daemon)
        return (values, writes) if policy_writes(sandbox_process) == writes else None

    values, writes = wait_for(settled)
    requests = daemon.api("GET", "/v1/requests")["requests"]
    states = Counter(r["state"] for r in requests)
    assert states == {"active": 1, "expired": 1, "revoked": 1}
    by_state = {dict(k)["state"]: v for k, v in values["tailjit_requests"].items()}
    assert {s: n for s, n in by_state.items() if n} == states
    assert set(by_state) >= {"pending", "approved", "denied", "cancelled"}
    assert single(values, "tailjit_active_grants") == 1
    assert single(values, "tailjit_policy_writes_total") == writes >= 4
    cycles = {dict(k)["outcome"]: v for k, v in values["tailjit_reconcile_cycles_total"].items()}
    assert cycles["ok"] > 0
    assert single(values, "tailjit_reconcile_cycle_duration_seconds_count") == sum(cycles.values())
    deliveries = {
        (dict(k)["outcome"], dict(k)["reason"]): v
        for k, v in values["tailjit_webhook_deliveries_total"].items()
        if dict(k)["source"] == "okta"
    }
    assert deliveries == {
        ("accepted", ""): 4,
        ("duplicate", ""): 1,  # the retried one, dropped by the worker
        ("rejected", "wrong-secret"): 1,
        ("rejected", "malformed-body"): 1,
    }
    assert single(values, "tailjit_grant_activation_lag_seconds_count") == 3
    assert single(values, "tailjit_grant_expiry_lag_seconds_count") == 1
    assert single(values, "tailjit_grant_expiry_lag_seconds_sum") < 5


def test_an_expiry_whose_cycle_failed_is_still_counted_in_the_expiry_lag(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    """The cycle that expires a grant fails (the API answers 501); the next one removes it,
    and the expiry lag histogram counts that expiry once."""
    with okta_client(daemon) as okta:
        joined = okta_delivery("oncall", BOB, added=True)
        deliver(okta, [joined])
    wait_for(lambda: applied(daemon, joined.delivery))
    brief = grant(daemon, BOB, DB, "3s")
    wait_for(lambda: active(daemon, brief))
    sandbox_process.admin("PUT", "/faults", json={"error_rate": 1.0, "error_status": 501})
    wait_for(lambda: daemon.request(brief["id"])["state"] == "expired", timeout=10)
    sandbox_process.admin("DELETE", "/faults")
    wait_for(lambda: marker(brief) not in sandbox_process.policy(), timeout=20)

    values = metric_values(daemon)

    assert dict(values["tailjit_reconcile_cycles_total"])[(("outcome", "failed"),)] >= 1
    assert single(values, "tailjit_grant_expiry_lag_seconds_count") == 1
