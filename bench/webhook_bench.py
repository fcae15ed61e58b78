"""Send the daemon a burst of 1,000 Okta membership deliveries (retries included) from several
threads while grants depend on the memberships, and measure how fast they are accepted and
applied, how soon the tailnet reflects the last one, and how many policy writes that took.

The sandbox and the daemon are separate processes on loopback (``tailjit sandbox`` and
``tailjit daemon``, port 0, found through ``sandbox.json`` and ``daemon.json``), the daemon with
an Okta event hook secret and an eligibility policy in which ``group:oncall`` may have
``db-prod:5432`` and ``group:web`` may have ``web-staging:443``.

1. Setup: Okta adds alice, bob and carol to both groups; the admin grants each of them both
   targets (``POST /v1/grants``, 1 h); the bench waits until the six are active.
2. The burst (``--deliveries``, default 1,000, one event each): ``--retries`` of them (default
   20 %) are Okta's retries, the same bytes (``eventId`` and event ``uuid``) sent again later by
   the same sender. The distinct events alternate add and remove on 500 memberships (100 users,
   5 groups), so each one is a change and a duplicate applied twice would show as an extra
   audit record (or a wrong final membership). Each membership's events go through one sender,
   in order; the daemon queues a delivery before answering it, so that order is kept. The last
   three deliveries, sent once the senders are done, remove alice from ``oncall``, bob and carol
   from ``web``: three grants depend on those memberships and must leave the tailnet.
3. One more delivery marks the end (the daemon applies deliveries in arrival order). The bench
   then reads the audit trail and the sandbox's request log.

It prints deliveries per second accepted (HTTP 204) and their latency (Okta's budget is 3 s),
events per second applied (``membership.*`` audit records over the time from the first
delivery to the last record), the time from the last delivery's answer until the revoked
grants' markers are gone from the policy (polled every 20 ms with ``?bench=poll``), the policy
writes during the burst, and how many duplicates were ignored. It exits 1 when an event was lost
or applied twice, the final membership is not the one reported, or a grant is in the wrong
state; the other targets (a handful of writes, answers within 3 s) are printed with OK or MISS.

    python bench/webhook_bench.py [--deliveries N] [--retries FRACTION] [--senders N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _harness import (
    ACL,
    START_TIMEOUT,
    BenchError,
    Process,
    clean_env,
    instant,
    percentile,
    start_sandbox,
    verdict,
    wait_for,
)

from tailjit.testing import OktaDelivery, okta_changes, okta_delivery, okta_lanes

ADMIN, ADMIN_TOKEN = "carol@example.com", "bench-token-of-carol"
OKTA_SECRET = "bench-okta-secret"
MARKER = re.compile(rb"// tailjit:grant id=([0-9A-Z]+) ")
MEMBERSHIP = ("membership.added", "membership.removed")
POLL_EVERY = 0.02
HANDFUL = 5
OKTA_BUDGET = 3.0

ELIGIBILITY = """{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["carol@example.com"]},
  "eligibilities": [
    {"name": "oncall-db", "requesters": ["group:oncall"], "destinations": ["db-prod:5432"],
     "maxDuration": "4h", "approval": {"stages": [{"approvers": ["carol@example.com"]}]}},
    {"name": "web-release", "requesters": ["group:web"], "destinations": ["web-staging:443"],
     "maxDuration": "4h", "approval": {"stages": [{"approvers": ["carol@example.com"]}]}},
  ],
}
"""

TARGETS = {"oncall": "db-prod:5432", "web": "web-staging:443"}
HOLDERS = ("alice@example.com", "bob@example.com", "carol@example.com")
REMOVED = (("oncall", "alice@example.com"), ("web", "bob@example.com"), ("web", ADMIN))
"""The memberships the last three deliveries remove; the grants on them are revoked."""
USERS = tuple(f"user{n:03}@example.com" for n in range(1, 101))
GROUPS = ("oncall", "web", "dbas", "sre", "support")

# --- the events -------------------------------------------------------------------------------


def distinct_events(count: int, rng: random.Random) -> list[OktaDelivery]:
    """``count`` events on random memberships, each one the opposite of that membership's
    state (starting with an add), so every one of them is a change."""
    state: dict[tuple[str, str], bool] = {}
    events = []
    for _ in range(count):
        membership = (rng.choice(GROUPS), rng.choice(USERS))
        added = not state.get(membership, False)
        state[membership] = added
        events.append(okta_delivery(*membership, added=added))
    return events


@dataclass
class Sent:
    """What one sender saw: each delivery's status and latency, and when it finished."""

    statuses: Counter[int]
    latencies: list[float]
    finished: float = 0.0


# --- the bench --------------------------------------------------------------------------------


class Bench:
    def __init__(self, directory: Path, deliveries: int, retries: float, senders: int) -> None:
        self.directory = directory
        self.retries = round(deliveries * retries)
        self.distinct = deliveries - self.retries
        self.senders = senders
        self.sandbox_process: Process | None = None
        self.daemon_process: Process | None = None

    def start(self) -> None:
        self.sandbox_process, info, self.sandbox = start_sandbox(self.directory)
        policy = self.directory / "eligibility.hujson"
        policy.write_text(ELIGIBILITY)
        config = self.directory / "daemon.toml"
        config.write_text(
            f'[[tokens]]\nlogin = "{ADMIN}"\ntoken = "{ADMIN_TOKEN}"\n\n'
            f'[receivers]\nokta_secret = "{OKTA_SECRET}"\n'
        )
        daemon_state = self.directory / "daemon"
        env = {
            **clean_env(),
            "TAILSCALE_BASE_URL": info["base_url"],
            "TAILSCALE_API_KEY": info["api_key"],
            "TAILJIT_STATE_DIR": str(daemon_state),
            "TAILJIT_LISTEN": "127.0.0.1:0",
            "TAILJIT_POLICY": str(policy),
        }
        argv = [sys.executable, "-m", "tailjit", "daemon", "--config", str(config)]
        self.daemon_process = Process("daemon", argv, env, self.directory / "daemon.log")
        found = self.daemon_process.start(daemon_state / "daemon.json")
        self.url = str(found["url"])
        self.daemon = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
        )
        wait_for("the daemon to be ready", self._ready, START_TIMEOUT)

    def _ready(self) -> bool:
        try:
            return self.daemon.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        for process in (self.daemon_process, self.sandbox_process):
            if process is not None:
                process.stop()

    # --- helpers ---------------------------------------------------------------------------

    def deliver(self, events: Iterable[OktaDelivery], sent: Sent) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            for e in events:
                began = time.monotonic()
                reply = client.post(
                    "/v1/webhooks/okta",
                    content=e.body,
                    headers={"Authorization": OKTA_SECRET, "Content-Type": "application/json"},
                )
                sent.finished = time.monotonic()
                sent.latencies.append(sent.finished - began)
                sent.statuses[reply.status_code] += 1

    def send(self, events: list[OktaDelivery]) -> Sent:
        sent = Sent(Counter(), [])
        self.deliver(events, sent)
        if sent.statuses != {204: len(events)}:
            raise BenchError(f"Okta deliveries answered {dict(sent.statuses)}")
        return sent

    def audit(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while True:
            after = records[-1]["seq"] if records else 0
            reply = self.daemon.get("/v1/audit", params={"after": after, "limit": 1000})
            page = reply.raise_for_status().json()["records"]
            if not page:
                return records
            records += page

    def applied(self, delivery: str) -> bool:
        return any(r["data"].get("delivery") == delivery for r in self.audit())

    def grant(self, user: str, target: str) -> dict[str, Any]:
        body = {"user": user, "target": f"tcp:{target}", "duration": "1h", "reason": "bench"}
        reply = self.daemon.post("/v1/grants", json=body)
        if reply.status_code != 201:
            raise BenchError(f"POST /v1/grants: {reply.status_code} {reply.text[:300]}")
        return dict(reply.json()["request"])

    def state(self, request: dict[str, Any]) -> str:
        reply = self.daemon.get(f"/v1/requests/{request['id']}").raise_for_status()
        return str(reply.json()["request"]["state"])

    def markers(self) -> set[bytes]:
        reply = self.sandbox.get(ACL, params={"bench": "poll"}).raise_for_status()
        return set(MARKER.findall(reply.content))

    def policy_writes(self) -> int:
        found = self.sandbox.get("/sandbox/requests").raise_for_status().json()["requests"]
        return sum(
            1
            for e in found
            if e["method"] == "POST" and e["path"].endswith("/acl") and e["status"] < 300
        )

    def okta_accepted(self) -> int:
        text = self.daemon.get("/metrics").raise_for_status().text
        series = 'tailjit_webhook_deliveries_total{outcome="accepted",reason="",source="okta"} '
        line = next((x for x in text.splitlines() if x.startswith(series)), series + "0")
        return int(float(line.removeprefix(series)))

    def watch(self, grant_ids: set[bytes], gone: dict[bytes, float], stop: threading.Event) -> None:
        """Poll the policy until every id in ``grant_ids`` is gone; when each went."""
        while len(gone) < len(grant_ids) and not stop.is_set():
            present = self.markers()
            seen = time.monotonic()
            for grant_id in grant_ids - present - gone.keys():
                gone[grant_id] = seen
            time.sleep(max(0.0, POLL_EVERY - (time.monotonic() - seen)))

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> list[str]:
        """The run; returns the violations of the correctness targets (none: exit 0)."""
        began = time.monotonic()
        rng = random.Random(7)
        self.start()
        print(f"sandbox and daemon on loopback; state in {self.directory}")

        # 1. Setup: the three holders in both groups, six grants active.
        setup = [okta_delivery(g, login, added=True) for g in TARGETS for login in HOLDERS]
        self.send(setup)
        wait_for("the setup memberships", lambda: self.applied(setup[-1].delivery), 30)
        grants = {(g, login): self.grant(login, TARGETS[g]) for g in TARGETS for login in HOLDERS}

        def all_active() -> bool:
            return all(self.state(r) == "active" for r in grants.values())

        wait_for("the six grants to be active", all_active, 60)
        revoked = {grants[m]["grant_id"].encode() for m in REMOVED}
        kept = {r["grant_id"].encode() for m, r in grants.items() if m not in REMOVED}
        if not revoked | kept <= self.markers():
            raise BenchError("the six grants are not all in the policy")
        print(
            f"setup: alice, bob and carol in group:oncall and group:web (Okta), "
            f"{len(grants)} grants active (db-prod:5432 through oncall, web-staging:443 "
            f"through web)"
        )

        # 2. The burst.
        burst = distinct_events(self.distinct - len(REMOVED), rng)
        lanes = okta_lanes(burst, self.retries, self.senders, rng)
        last = [okta_delivery(g, login, added=False) for g, login in REMOVED]
        start = {e.membership: True for e in setup}
        final, changes = okta_changes(start, [*burst, *last])
        self.sandbox.delete("/sandbox/requests").raise_for_status()
        before = {r["seq"] for r in self.audit()}
        gone: dict[bytes, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=self.watch, args=(revoked, gone, stop), daemon=True)
        watcher.start()
        wall0, t0 = time.time(), time.monotonic()
        with ThreadPoolExecutor(self.senders) as pool:
            sent = list(pool.map(self.send, lanes))
        with ThreadPoolExecutor(len(last)) as pool:
            sent += list(pool.map(lambda e: self.send([e]), last))
        t_last = max(s.finished for s in sent)
        deliveries = sum(len(s.latencies) for s in sent)

        # 3. The end marker, then what the daemon and the tailnet did.
        end = okta_delivery("dbas", "end-of-burst@example.com", added=True)
        self.send([end])
        wait_for("the end of the burst to be applied", lambda: self.applied(end.delivery), 120)
        watcher.join(30)
        stop.set()
        time.sleep(1.0)  # let a cycle under way finish its write
        writes = self.policy_writes()
        records = [r for r in self.audit() if r["seq"] not in before and r["event"] in MEMBERSHIP]
        records = [r for r in records if r["data"]["delivery"] != end.delivery]
        applied_at = max(instant(r["recorded_at"]) for r in records) - wall0
        accepted = self.okta_accepted() - len(setup) - 1

        violations = []
        counted = Counter(r["data"]["delivery"] for r in records)
        wanted = Counter(changes)
        lost = wanted - counted
        twice = {d: n for d, n in counted.items() if n > 1}
        unexpected = set(counted) - set(wanted)
        if lost:
            violations.append(f"{len(lost)} event(s) lost (no audit record)")
        if twice:
            violations.append(f"{len(twice)} event(s) applied more than once")
        if unexpected:
            violations.append(f"{len(unexpected)} audit record(s) for no expected change")
        seen = dict(start)
        for r in records:
            membership = (r["data"]["group"].removeprefix("group:"), r["data"]["login"])
            seen[membership] = r["event"] == "membership.added"
        if seen != final:
            wrong = sum(1 for m in final.keys() | seen.keys() if seen.get(m) != final.get(m))
            violations.append(f"{wrong} membership(s) end in the wrong state")
        states = {m: self.state(r) for m, r in grants.items()}
        if any((states[m] == "revoked") != (m in REMOVED) for m in grants):
            violations.append(f"grants in the wrong state: {states}")
        present = self.markers()
        if present & revoked or not kept <= present:
            violations.append("the policy does not hold exactly the three kept grants")
        if accepted != deliveries:
            violations.append(f"the daemon counted {accepted} accepted Okta deliveries")

        latencies = [x for s in sent for x in s.latencies]
        sending = t_last - t0
        print()
        print(
            f"burst: {deliveries} Okta deliveries from {self.senders} senders: "
            f"{self.distinct} distinct events ({len(changes)} of them changes) on "
            f"{len({e.membership for e in burst})} memberships of {len(USERS)} users in "
            f"{len(GROUPS)} groups, {self.retries} retries; the last {len(last)} remove the "
            f"memberships {len(revoked)} grants depend on"
        )
        print(
            f"  accepted (HTTP 204): {deliveries} in {sending:.2f} s, {deliveries / sending:.0f}/s"
        )
        print(
            f"  answer latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
            f"(Okta's budget {OKTA_BUDGET:.0f} s: {verdict(max(latencies) <= OKTA_BUDGET)})"
        )
        print(
            f"  applied: {len(records)} membership audit records, the last at first delivery + "
            f"{applied_at:.2f} s: {len(records) / applied_at:.0f} events/s"
        )
        if len(gone) == len(revoked):
            lag = max(gone.values()) - t_last
            removed = {m: e.delivery for m, e in zip(REMOVED, last, strict=True)}
            worked = max(
                instant(r["recorded_at"])
                for r in records
                if r["data"]["delivery"] in removed.values()
            )
            backlog = worked - (wall0 + t_last - t0)
            print(
                f"  tailnet reflects the last change (the {len(revoked)} revoked grants' markers "
                f"gone from the policy) {lag:.3f} s after the last delivery's answer: the "
                f"removals applied at +{backlog:.3f} s (the queue behind them), the markers gone "
                f"{lag - backlog:.3f} s later"
            )
        else:
            violations.append(f"only {len(gone)} of {len(revoked)} revoked markers left the policy")
        print(
            f"  policy writes during the burst: {writes} "
            f"(target: a handful, <= {HANDFUL}: {verdict(writes <= HANDFUL)})"
        )
        print(
            f"  duplicates ignored: {deliveries - len(counted)} ({deliveries} deliveries accepted,"
            f" {len(counted)} distinct events applied, {len(twice)} twice, {len(lost)} lost)"
        )
        print(
            f"  grants: {sum(s == 'revoked' for s in states.values())} revoked, "
            f"{sum(s == 'active' for s in states.values())} still active"
        )
        print(f"bench wall time {time.monotonic() - began:.0f} s")
        return violations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000, help="Okta deliveries in all")
    parser.add_argument(
        "--retries", type=float, default=0.2, help="fraction of the deliveries that are retries"
    )
    parser.add_argument("--senders", type=int, default=8, help="threads sending deliveries")
    parser.add_argument("--dir", type=Path, help="directory for the state and logs (kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tailjit-webhook-bench-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        bench = Bench(directory, args.deliveries, args.retries, args.senders)
        try:
            violations = bench.run()
        except BenchError as error:
            print(f"webhook_bench: precondition failed: {error}", file=sys.stderr)
            return 1
        finally:
            bench.stop()
    for violation in violations:
        print(f"webhook_bench: FAILED: {violation}", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
