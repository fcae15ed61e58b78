"""The process test_crash.py kills: it writes transitions to a store until it is killed.

Usage: ``python crash_child.py DB MODE [SEED]``. Mode ``run`` commits batches forever and,
after each commit returns, prints one line per request, ``<id> <version>``. Mode ``pause`` starts
a break-glass request (two audit records) and stops inside the transaction, between the first
and the second record, after printing ``mid-write <id>``.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tailjit.ids import GrantId, RequestId
from tailjit.requests import (
    Plan,
    Request,
    Submission,
    plan_activate,
    plan_approve,
    plan_expire,
    plan_release,
    plan_submit,
)
from tailjit.requests.testing import ALICE, BOB, DAVE, DIRECTORY, TARGET, make_rules
from tailjit.store import Store

BATCH = 20


def new(requester=ALICE, now: datetime | None = None, breakglass: bool = False) -> Plan:  # type: ignore[no-untyped-def]
    return plan_submit(
        Submission(requester, TARGET, reason="INC-1", breakglass=breakglass),
        rules=make_rules(),
        now=now or datetime.now(UTC),
        request_id=RequestId.new(),
        grant_id=GrantId.new(),
        directory=DIRECTORY,
    )


def report(requests: list[Request]) -> None:
    sys.stdout.write("".join(f"{r.id} {r.version}\n" for r in requests))
    sys.stdout.flush()


def run(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    while True:
        now = datetime.now(UTC)
        batch = store.commit_all([new(now=now) for _ in range(rng.randint(1, BATCH))])
        report(batch)
        batch = store.commit_all(
            [plan_approve(r, approver=BOB, now=now, directory=DIRECTORY) for r in batch]
        )
        report(batch)
        batch = store.commit_all([plan_activate(r, now=now) for r in batch])
        report(batch)
        later = now + timedelta(hours=1)
        batch = store.commit_all(
            [
                plan_expire(r, now=later)
                if rng.random() < 0.5
                else plan_release(r, actor=ALICE, now=now)
                for r in batch
            ]
        )
        report(batch)


def pause(store: Store) -> None:
    record = store.audit.record

    def record_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
        written = record(*args, **kwargs)
        print(f"mid-write {args[1].id}", flush=True)
        time.sleep(60)
        return written

    store.audit.record = record_then_stop  # type: ignore[method-assign]
    store.commit(new(DAVE, breakglass=True))


def main() -> None:
    path, mode = Path(sys.argv[1]), sys.argv[2]
    store = Store.open(path, clock=lambda: datetime.now(UTC))
    if mode == "run":
        run(store, int(sys.argv[3]))
    else:
        pause(store)


if __name__ == "__main__":
    main()
