"""Push 10,000 requests through the whole workflow in a real SQLite file, one durable commit each.

Each request is created, approved, activated, then half expire and half are released: four
transitions, each planned by tailjit.requests and committed by the store with its audit record
(WAL, synchronous=FULL, one transaction per transition). Prints transitions per second, the
database size and the time `audit verify` takes over the result. Target (issue 5): at least
1,000 transitions/s. Wall times move with the machine's load and, here, with the disk's fsync
latency: compare runs made side by side.

    python bench/store_bench.py [--requests N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tailjit.ids import GrantId, GroupName, Login, RequestId
from tailjit.requests import (
    Rules,
    Stage,
    StaticDirectory,
    Submission,
    plan_activate,
    plan_approve,
    plan_expire,
    plan_release,
    plan_submit,
)
from tailjit.store import Store
from tailjit.targets import parse_target

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
RULES = Rules(
    eligibility="db-prod",
    stages=(Stage(frozenset({GroupName("group:dba")})),),
    default_duration=timedelta(hours=1),
    max_duration=timedelta(hours=4),
    pending_ttl=timedelta(days=1),
    max_extensions=2,
)
DIRECTORY = StaticDirectory.of({"group:dba": ["bob@example.com", "carol@example.com"]})
APPROVERS = (Login("bob@example.com"), Login("carol@example.com"))
TARGET = parse_target("db-prod:5432")


def run(path: Path, count: int) -> None:
    now = T0
    clock = lambda: now  # noqa: E731 - the store's clock follows the simulated time
    requesters = [Login(f"user{i % 500}@example.com") for i in range(count)]
    with Store.open(path, clock=clock) as store:
        start = time.perf_counter()
        requests = []
        for requester in requesters:
            plan = plan_submit(
                Submission(requester, TARGET, reason="INC-1234: replica lag"),
                rules=RULES,
                now=now,
                request_id=RequestId.new(),
                grant_id=GrantId.new(),
                directory=DIRECTORY,
            )
            requests.append(store.commit(plan))
        phases = [("create", time.perf_counter() - start)]

        def phase(name: str, step: object) -> None:
            began = time.perf_counter()
            for i, request in enumerate(requests):
                requests[i] = store.commit(step(i, request))  # type: ignore[operator]
            phases.append((name, time.perf_counter() - began))

        now += timedelta(minutes=5)
        phase(
            "approve",
            lambda i, r: plan_approve(r, approver=APPROVERS[i % 2], now=now, directory=DIRECTORY),
        )
        now += timedelta(minutes=1)
        phase("activate", lambda i, r: plan_activate(r, now=now))
        now += timedelta(hours=1)
        phase(
            "expire or release",
            lambda i, r: (
                plan_expire(r, now=now)
                if i % 2
                else plan_release(r, actor=r.requester, now=now - timedelta(minutes=30))
            ),
        )
        total = sum(seconds for _, seconds in phases)
        began = time.perf_counter()
        verification = store.audit.verify()
        verify_time = time.perf_counter() - began
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    transitions = 4 * count
    rate = transitions / total
    print(f"{count} requests, {transitions} transitions, one durable commit each")
    for name, seconds in phases:
        print(f"  {name:<22} {seconds:7.2f} s  {count / seconds:8.0f} /s")
    print(f"  total                  {total:7.2f} s  {rate:8.0f} transitions/s")
    print(f"  (target >= 1,000 transitions/s: {'met' if rate >= 1000 else 'NOT MET'})")
    per_request = f"{size / count:,.0f} bytes per request"
    print(f"  database size          {size / 1e6:7.1f} MB   ({per_request})")
    print(f"  audit verify           {verify_time:7.2f} s   {verification.describe()[:40]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests to run through")
    parser.add_argument(
        "--dir", type=Path, help="directory for the database (default: a temporary one)"
    )
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        path = args.dir / "store_bench.db"
        for old in args.dir.glob("store_bench.db*"):
            old.unlink()
        run(path, args.requests)
        return
    with tempfile.TemporaryDirectory(prefix="tailjit-bench-") as tmp:
        run(Path(tmp) / "store_bench.db", args.requests)


if __name__ == "__main__":
    main()
