"""Run the daemon against the sandbox on loopback with 1,000 active grants, 200 of them expiring
in the same second, and measure the reconcile loop: policy writes per cycle, Tailscale API calls
per grant, expiry lag and the daemon's memory.

The sandbox and the daemon are separate processes (``tailjit sandbox`` and ``tailjit daemon``,
both on port 0, found through ``sandbox.json`` and ``daemon.json``); grants are made by the
admin, carol, through ``POST /v1/grants`` for alice on ``db-prod:5432`` (the demo eligibility
policy, default mode ``policy+posture``: a marked grant and posture in the policy, an attribute
on each of alice's two devices). API calls are counted in the sandbox's request log; a cycle is
one ``GET .../devices`` (each cycle lists the devices once, first).

1. The daemon activates a grant at the whole second of the cycle that wrote it, and takes far
   fewer than 200 grants a second, so the loop is held while the grants are made: the sandbox
   answers the daemon 501 (not retried; the cycle fails at once) while 200 grants of
   ``--expiry-in`` seconds (default 150) and 800 of 1 h are made.
2. Once the second of the last approval is over, the fault is cleared and ``POST /v1/reconcile``
   wakes the loop, whose next cycle writes and activates all 1,000 at the same second; the bench
   waits until all are active. It exits 1 unless all 1,000 are then active, the 200 share one
   expiry, and that expiry is still ahead (if not, raise ``--expiry-in``).
3. Through that expiry it polls the policy every ~20 ms (``?bench=poll``, left out of the counts)
   and notes when each of the 200 markers vanished; it also reads the ``grant.expired`` audit
   records and the time of the sandbox's policy write.

Targets (issue 6): one policy write per cycle whatever the number of changes, expiry lag
p99 <= 1 s, daemon RSS <= 150 MB. A miss is printed, not raised.

    python bench/loop_bench.py [--expiry-in SECONDS] [--dir DIR] [--profile FILE]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
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
    REPO,
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

POLICY = REPO / "policy" / "examples" / "sandbox-demo.hujson"
ADMIN, ADMIN_TOKEN = "carol@example.com", "bench-token-of-carol"
USER, TARGET = "alice@example.com", "db-prod:5432"
LONG, SHORT = 800, 200
ONE_DEVICE, ONE_KEY = re.compile(r"/device/[^/]+/"), re.compile(r"/attributes/[^/]+$")
MARKER = re.compile(rb"// tailjit:grant id=([0-9A-Z]+) ")
POLL_EVERY = 0.02
WORKERS = 8


@dataclass
class Calls:
    """The sandbox's request log over one phase, without the bench's own policy polls."""

    entries: list[dict[str, Any]]

    @classmethod
    def of(cls, sandbox: httpx.Client) -> Calls:
        found = sandbox.get("/sandbox/requests").raise_for_status().json()["requests"]
        return cls([e for e in found if "bench=" not in e["query"]])

    def count(self, method: str | None = None, suffix: str = "", ok: bool | None = None) -> int:
        return sum(1 for e in self.matching(method, suffix, ok))

    def matching(
        self, method: str | None = None, suffix: str = "", ok: bool | None = None
    ) -> Iterable[dict[str, Any]]:
        for e in self.entries:
            if method is not None and e["method"] != method:
                continue
            if not e["path"].endswith(suffix):
                continue
            if ok is not None and (e["status"] < 300) != ok:
                continue
            yield e

    @property
    def answered(self) -> int:
        """Calls the daemon made and the sandbox answered for real (injected faults left out)."""
        return sum(1 for e in self.entries if e["fault"] is None)

    @property
    def cycles(self) -> int:
        return self.count("GET", "/devices", ok=True)

    @property
    def writes(self) -> int:
        return self.count("POST", "/acl", ok=True)

    def describe(self) -> str:
        kinds = Counter(
            f"{e['method']} {ONE_KEY.sub('/attributes/*', ONE_DEVICE.sub('/device/*/', e['path']))}"
            for e in self.entries
            if e["fault"] is None
        )
        return ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())


class Bench:
    def __init__(self, directory: Path, expiry_in: int, profile: Path | None) -> None:
        self.directory = directory
        self.expiry_in = expiry_in
        self.profile = profile
        self.sandbox_process: Process | None = None
        self.daemon_process: Process | None = None

    # --- processes -------------------------------------------------------------------------

    def start(self) -> None:
        self.sandbox_process, info, self.sandbox = start_sandbox(self.directory)
        config = self.directory / "daemon.toml"
        config.write_text(f'[[tokens]]\nlogin = "{ADMIN}"\ntoken = "{ADMIN_TOKEN}"\n')
        daemon_state = self.directory / "daemon"
        env = {
            **clean_env(),
            "TAILSCALE_BASE_URL": info["base_url"],
            "TAILSCALE_API_KEY": info["api_key"],
            "TAILJIT_STATE_DIR": str(daemon_state),
            "TAILJIT_LISTEN": "127.0.0.1:0",
            "TAILJIT_POLICY": str(POLICY),
        }
        python = [sys.executable]
        if self.profile is not None:
            python += ["-m", "cProfile", "-o", str(self.profile)]
        argv = [*python, "-m", "tailjit", "daemon", "--config", str(config)]
        self.daemon_process = Process("daemon", argv, env, self.directory / "daemon.log")
        found = self.daemon_process.start(daemon_state / "daemon.json")
        self.pid = int(found["pid"])
        self.daemon = httpx.Client(
            base_url=found["url"], headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
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

    def grant(self, duration: str, n: int) -> dict[str, Any]:
        reply = self.daemon.post(
            "/v1/grants",
            json={"user": USER, "target": TARGET, "duration": duration, "reason": f"bench {n}"},
        )
        if reply.status_code != 201:
            raise BenchError(f"POST /v1/grants: {reply.status_code} {reply.text[:300]}")
        return dict(reply.json()["request"])

    def grants(self, duration: str, count: int) -> list[dict[str, Any]]:
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(lambda n: self.grant(duration, n), range(count)))

    def requests(self, state: str) -> list[dict[str, Any]]:
        reply = self.daemon.get("/v1/requests", params={"state": state, "limit": 10_000})
        return list(reply.raise_for_status().json()["requests"])

    def all_active(self) -> bool:
        """No grant waits for activation (asks for one, so the poll costs the daemon little)."""
        reply = self.daemon.get("/v1/requests", params={"state": "approved", "limit": 1})
        return not reply.raise_for_status().json()["requests"]

    def reset_calls(self) -> None:
        self.sandbox.delete("/sandbox/requests").raise_for_status()

    def policy_markers(self) -> set[bytes]:
        reply = self.sandbox.get(ACL, params={"bench": "poll"}).raise_for_status()
        return set(MARKER.findall(reply.content))

    def audit(self, event: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        after = 0
        while True:
            reply = self.daemon.get("/v1/audit", params={"after": after, "limit": 1000})
            page = reply.raise_for_status().json()["records"]
            if not page:
                return [r for r in records if r.get("event") == event]
            records += page
            after = page[-1]["seq"]

    def memory(self) -> dict[str, int]:
        found = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0]) * 1024
        return found

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> None:
        began = time.monotonic()
        self.start()
        print(f"sandbox and daemon on loopback (daemon pid {self.pid}); state in {self.directory}")

        # 1. The 1,000 grants made while the loop is held, then one wake-up.
        self.reset_calls()
        self.sandbox.put("/sandbox/faults", json={"error_rate": 1.0, "error_status": 501})
        t0 = time.monotonic()
        short = self.grants(f"{self.expiry_in}s", SHORT)
        made_short = time.monotonic() - t0
        long = self.grants("1h", LONG)
        made = time.monotonic() - t0
        # A cycle activates only what was approved by its whole-second ``now``: release the
        # loop once the second of the last approval is over.
        last = max(instant(r["approved_at"]) for r in short + long)
        time.sleep(max(0.0, int(last) + 1.05 - time.time()))
        held = Calls.of(self.sandbox).count(ok=False)
        self.reset_calls()
        self.sandbox.delete("/sandbox/faults").raise_for_status()
        t1 = time.monotonic()
        self.daemon.post("/v1/reconcile", json={}).raise_for_status()
        wait_for("the 1,000 grants to be active", self.all_active, 600, every=0.2)
        activated = time.monotonic() - t1
        setup = self.settled()

        short_ids = {r["id"] for r in short}
        active = self.requests("active")
        if len(active) != LONG + SHORT:
            raise BenchError(f"{len(active)} grants active, expected {LONG + SHORT}")
        expiries = Counter(r["expires_at"] for r in active if r["id"] in short_ids)
        expiry_text, sharing = expiries.most_common(1)[0]
        if sharing < SHORT:
            raise BenchError(f"only {sharing} of the {SHORT} grants share an expiry: {expiries}")
        expiry = instant(expiry_text)
        grant_ids = {r["grant_id"].encode() for r in active if r["id"] in short_ids}
        if expiry - time.time() < 2.0:
            raise BenchError(
                f"the 200 expire at {expiry_text}, too soon to watch: raise --expiry-in"
            )

        print()
        print(f"setup: {LONG + SHORT} grants for {USER} on {TARGET} through POST /v1/grants")
        print(
            f"  made with the loop held ({held} calls answered 501): {SHORT} x "
            f"{self.expiry_in}s in {made_short:.1f} s, then {LONG} x 1h, "
            f"{(LONG + SHORT) / made:.0f}/s in all"
        )
        print(
            f"  all {LONG + SHORT} active {activated:.1f} s after the wake-up, in "
            f"{setup.cycles} cycle(s) with {setup.writes} policy write(s) "
            f"(target: 1 write per cycle: {verdict(setup.writes <= setup.cycles)})"
        )
        print(
            f"  API calls: {setup.answered} ({setup.answered / (LONG + SHORT):.2f} per grant): "
            f"{setup.describe()}"
        )
        print(f"  precondition: {sharing} of {SHORT} grants expire at {expiry_text}")

        # 3. The expiry of the 200, watched from the policy.
        self.reset_calls()
        vanished = self.watch(grant_ids, expiry)
        calls_exp = self.settled()
        remaining = self.policy_markers()
        expired = self.audit("grant.expired")
        expired_at = [instant(r["recorded_at"]) - expiry for r in expired]
        writes = [instant(e["time"]) - expiry for e in calls_exp.matching("POST", "/acl", True)]

        lags = [t - expiry for t in vanished.values()]
        print()
        print(f"expiry of the {SHORT}: policy polled every {POLL_EVERY * 1000:.0f} ms")
        print(
            f"  {calls_exp.cycles} cycle(s), {calls_exp.writes} policy write(s) "
            f"(target: 1 write for the {SHORT} changes: {verdict(calls_exp.writes == 1)})"
        )
        print(
            f"  API calls: {calls_exp.answered} ({calls_exp.answered / SHORT:.2f} per expired "
            f"grant): {calls_exp.describe()}"
        )
        print(f"  policy write at expiry + {', '.join(f'{w:.3f} s' for w in writes) or '-'}")
        if len(vanished) != SHORT:
            raise BenchError(f"only {len(vanished)} of the {SHORT} markers left the policy")
        p50, p99, worst = statistics.median(lags), percentile(lags, 0.99), max(lags)
        print(
            f"  expiry lag (marker gone from the policy): p50 {p50:.3f} s, p99 {p99:.3f} s, "
            f"max {worst:.3f} s (target p99 <= 1 s: {verdict(p99 <= 1.0)})"
        )
        if expired_at:
            print(
                f"  grant.expired audit records: {len(expired)}, recorded at expiry + "
                f"{min(expired_at):.3f} .. {max(expired_at):.3f} s"
            )
        still = len(remaining & grant_ids)
        print(f"  markers left in the policy: {len(remaining)} ({still} of the expired ones)")

        memory = self.memory()
        rss, hwm = memory["VmRSS"] / 2**20, memory["VmHWM"] / 2**20
        print()
        print(
            f"daemon memory: VmRSS {rss:.1f} MiB, VmHWM {hwm:.1f} MiB "
            f"(target <= 150 MB: {verdict(hwm * 2**20 <= 150e6)})"
        )
        print(f"bench wall time {time.monotonic() - began:.0f} s")

    def settled(self, quiet: float = 2.0, timeout: float = 120.0) -> Calls:
        """The calls logged once the daemon has made none for ``quiet`` seconds (the expiry
        cycle's attribute calls and read-back come after its policy write)."""
        deadline = time.monotonic() + timeout
        calls = Calls.of(self.sandbox)
        while time.monotonic() < deadline:
            time.sleep(quiet)
            again = Calls.of(self.sandbox)
            if len(again.entries) == len(calls.entries):
                break
            calls = again
        return calls

    def watch(self, grant_ids: set[bytes], expiry: float) -> dict[bytes, float]:
        """Poll the policy until every id in ``grant_ids`` is gone; when each went (time.time)."""
        gone: dict[bytes, float] = {}
        time.sleep(max(0.0, expiry - 1.0 - time.time()))
        deadline = expiry + 30
        while len(gone) < len(grant_ids) and time.time() < deadline:
            present = self.policy_markers()
            seen = time.time()
            for grant_id in grant_ids - present - gone.keys():
                gone[grant_id] = seen
            time.sleep(max(0.0, POLL_EVERY - (time.time() - seen)))
        return gone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--expiry-in", type=int, default=150, help="duration of the 200 short grants (seconds)"
    )
    parser.add_argument("--dir", type=Path, help="directory for the state and logs (kept)")
    parser.add_argument(
        "--profile", type=Path, help="run the daemon under cProfile, writing its stats here"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tailjit-loop-bench-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        bench = Bench(directory, args.expiry_in, args.profile)
        try:
            bench.run()
        except BenchError as error:
            print(f"loop_bench: precondition failed: {error}", file=sys.stderr)
            return 1
        finally:
            bench.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
