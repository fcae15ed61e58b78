"""A writer killed with SIGKILL loses nothing it committed and leaves no half transition.

The writer is a real child process (crash_child.py) on a real SQLite file; the checks open the
file afterwards the way a restarted daemon would.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tailjit.requests.testing import FakeClock
from tailjit.store import Store, UnknownRequest

CHILD = Path(__file__).with_name("crash_child.py")


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""


def check_whole(path: Path, committed: dict[str, int]) -> int:
    """Every reported commit is there, every request has exactly one audit record per version,
    and the chain verifies. Returns the number of requests."""
    with Store.open(path, clock=FakeClock()) as store:
        verification = store.audit.verify()
        assert verification.ok, verification.describe()
        per_request = collections.Counter(
            r.data["request"] for r in store.audit.records() if "request" in r.data
        )
        requests = store.find()
        for request in requests:
            # Each of the child's transitions writes exactly one record.
            assert per_request.pop(request.id) == request.version, request.id
        assert not per_request, f"audit records of requests that are not stored: {per_request}"
        for request_id, version in committed.items():
            assert store.get(request_id).version >= version  # type: ignore[arg-type]
        return len(requests)


@pytest.mark.timeout(60)
def test_killed_at_random_moments_every_committed_transition_survives(tmp_path: Path) -> None:
    path = tmp_path / "tailjit.db"
    committed: dict[str, int] = {}
    for round_, lines_before_kill in enumerate((1, 37, 150, 401)):
        child = start(str(path), "run", str(round_))
        assert child.stdout is not None
        for _ in range(lines_before_kill):
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else ""
            request_id, version = line.split()
            committed[request_id] = int(version)
        kill(child)
        # Lines the child wrote after the ones read were committed too (a line cut short by
        # the kill was not reported yet).
        for line in child.stdout.read().splitlines(keepends=True):
            if line.endswith("\n"):
                request_id, version = line.split()
                committed[request_id] = int(version)

        stored = check_whole(path, committed)

        assert stored >= len(committed)


@pytest.mark.timeout(60)
def test_killed_inside_a_transaction_nothing_of_it_is_stored(tmp_path: Path) -> None:
    """The child is killed between the two audit records of a break-glass request."""
    path = tmp_path / "tailjit.db"
    Store.open(path, clock=FakeClock()).close()
    child = start(str(path), "pause")
    assert child.stdout is not None

    line = child.stdout.readline()
    assert line.startswith("mid-write "), child.stderr.read() if child.stderr else ""
    kill(child)

    with Store.open(path, clock=FakeClock()) as store:
        with pytest.raises(UnknownRequest):
            store.get(line.split()[1])  # type: ignore[arg-type]
        assert store.audit.verify().records == 0
    check_whole(path, {})
