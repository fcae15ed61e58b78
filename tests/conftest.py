"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tailjit.sandbox import ManualClock, SandboxHandle, serve_in_thread
from tailjit.testing import find_shared_dir

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared directory beside the repository; tests that need it skip when it is absent."""
    found = find_shared_dir(REPO_ROOT)
    if found is None:
        pytest.skip(
            "../shared is not present: the third-party corpus and reference files live there; "
            "clone the project with shared/ beside it to run these tests"
        )
    return found


# --- the sandbox ------------------------------------------------------------------------------


@pytest.fixture
def sandbox_clock() -> ManualClock:
    """The clock of the `sandbox` fixture: 2026-01-01T12:00:00Z until a test advances it."""
    return ManualClock()


@pytest.fixture
def sandbox(tmp_path: Path, sandbox_clock: ManualClock) -> Iterator[SandboxHandle]:
    """A demo-seeded sandbox serving real HTTP on a loopback port, stopped after the test.

    Use ``sandbox.client()`` for an httpx client with the API key, ``sandbox_clock`` to move
    time, and the handle's helpers (``requests()``, ``set_faults(...)``, ``human_edit()``, ...).
    """
    with serve_in_thread(tmp_path / "sandbox", clock=sandbox_clock) as handle:
        yield handle
