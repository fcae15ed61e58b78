"""Kill -9 at any instant, restart, converge (issue 6 acceptance 7, DESIGN.md §6 invariant 6).

The daemon is killed with SIGKILL at random points of grant/expire cycles (a seeded random, so
a failure replays) and started again on the same state directory each time. At the end: no entry
was ever written twice (the policy file is sampled throughout), every grant made was activated
and then expired (none lost, none stuck approved), no marked entry is left and the policy file is
byte for byte the original, and the audit chain verifies. A lost database is survivable too: the
markers alone are enough to strip the entries.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from typing import Any

import pytest

from .conftest import REPO, Daemon, Sandbox, wait_for
from .test_faults_and_drift import PolicySampler, drift, grant, key_of, marked

SEED = 7


def crash_cycles(daemon: Daemon, sandbox: Sandbox, cycles: int, rng: random.Random) -> list[str]:
    """``cycles`` rounds of: one to three short grants, a random pause, SIGKILL, restart.
    The ids of the requests made."""
    made: list[str] = []
    for _ in range(cycles):
        for _ in range(rng.randint(1, 3)):
            made.append(grant(daemon, f"{rng.randint(1, 3)}s")["id"])
        time.sleep(rng.uniform(0.0, 1.5))
        daemon.kill()
        daemon.start()
    return made


def settle(
    daemon: Daemon, sandbox: Sandbox, made: list[str], original: bytes
) -> list[dict[str, Any]]:
    """Wait until nothing is approved or active and the policy is the original; the requests."""
    live = {"state": ["approved", "active"]}
    wait_for(lambda: not daemon.api("GET", "/v1/requests", params=live)["requests"], 30)
    wait_for(lambda: sandbox.policy() == original, 10)
    return [daemon.request(request_id) for request_id in made]


def audit_verifies(daemon: Daemon) -> subprocess.CompletedProcess[str]:
    database = daemon.state_dir / "tailjit.db"
    return subprocess.run(
        [sys.executable, "-m", "tailjit", "audit", "verify", "--db", str(database)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def run_crashes(daemon: Daemon, sandbox: Sandbox, cycles: int, seed: int) -> dict[str, Any]:
    original = sandbox.policy()
    rng = random.Random(seed)
    started = time.monotonic()
    with PolicySampler(sandbox, key_of(daemon)) as sampler:
        made = crash_cycles(daemon, sandbox, cycles, rng)
        ended = settle(daemon, sandbox, made, original)
    elapsed = time.monotonic() - started

    assert not sampler.duplicates, f"entries written twice: {sampler.duplicates}"
    stuck = [(r["id"], r["state"]) for r in ended if r["state"] != "expired"]
    assert not stuck, f"grants not expired: {stuck}"
    assert all(r["activated_at"] is not None for r in ended), "a grant expired unactivated"
    final = sandbox.policy()
    assert final == original
    assert not marked(final, key_of(daemon))
    assert sandbox.attributes("alice-laptop") == sandbox.attributes("alice-phone") == {}
    daemon.stop()
    verified = audit_verifies(daemon)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return {
        "cycles": cycles,
        "grants": len(made),
        "seconds": round(elapsed, 1),
        "policy samples": sampler.samples,
        "distinct policies": len(sampler.distinct),
        "audit": verified.stdout.strip(),
    }


def test_killed_at_random_points_the_daemon_converges_on_every_restart(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    figures = run_crashes(daemon_process, sandbox_process, cycles=12, seed=SEED)
    print(figures)


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_a_hundred_kills_during_grant_and_expire_cycles_leave_the_invariants_intact(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    figures = run_crashes(daemon_process, sandbox_process, cycles=100, seed=SEED + 100)
    print(figures)


def test_with_its_database_deleted_the_markers_alone_strip_the_entries(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    daemon, sandbox = daemon_process, sandbox_process
    original = sandbox.policy()
    request = grant(daemon, "1h")
    wait_for(lambda: daemon.request(request["id"])["state"] == "active")
    assert marked(sandbox.policy(), key_of(daemon))

    daemon.kill()
    for database in daemon.state_dir.glob("tailjit.db*"):  # with its -wal and -shm
        database.unlink()
    daemon.start()

    wait_for(lambda: sandbox.policy() == original, 10)
    orphans = wait_for(lambda: drift(daemon, "orphan-marker"))
    subjects = {r["subject"] for r in orphans}
    assert f"grant:{request['grant_id']}" in subjects
    wait_for(lambda: sandbox.attributes("alice-laptop") == {}, 10)
    assert sandbox.attributes("alice-phone") == {}
