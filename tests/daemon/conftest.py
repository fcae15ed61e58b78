"""Fixtures of the daemon tests: the real client over loopback to the sandbox, a real store,
and a reconcile loop over both with the demo eligibility policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tailjit.daemon.loop import LoopSettings, ReconcileLoop
from tailjit.eligibility import load_policy
from tailjit.ids import GroupName, Login
from tailjit.requests import StaticDirectory
from tailjit.requests.testing import Ids
from tailjit.sandbox import ManualClock, SandboxHandle
from tailjit.store import Store
from tailjit.tailscale import TailscaleClient
from tailjit.tailscale.testing import settings_for_tests
from tailjit.workflow import Workflow

REPO = Path(__file__).resolve().parents[2]
KEY = b"k" * 32
ALICE, BOB = Login("alice@example.com"), Login("bob@example.com")
DIRECTORY = StaticDirectory({GroupName("group:eng"): frozenset({ALICE, BOB})})


@pytest.fixture
def client(sandbox: SandboxHandle) -> Iterator[TailscaleClient]:
    settings = settings_for_tests(base_url=sandbox.base_url, api_key=sandbox.api_key)
    with httpx.Client() as http:
        yield TailscaleClient(http, settings.without_retries())


@pytest.fixture
def store(tmp_path: Path, sandbox_clock: ManualClock) -> Iterator[Store]:
    with Store.open(tmp_path / "tailjit.db", clock=sandbox_clock) as opened:
        yield opened


@pytest.fixture
def make_loop(
    client: TailscaleClient, sandbox_clock: ManualClock
) -> Callable[[Store], ReconcileLoop]:
    """A loop over a store, the sandbox client, the sandbox clock and the demo policy."""

    def make(store: Store) -> ReconcileLoop:
        policy = load_policy((REPO / "policy/examples/sandbox-demo.hujson").read_bytes())
        workflow = Workflow(
            store=store, policy=policy, directory=DIRECTORY, ids=Ids().next, clock=sandbox_clock
        )
        return ReconcileLoop(
            store=store,
            workflow=lambda: workflow,
            client=client,
            settings=LoopSettings(key=KEY, resync_interval=3600),
            clock=sandbox_clock,
        )

    return make


@pytest.fixture
def loop(store: Store, make_loop: Callable[[Store], ReconcileLoop]) -> ReconcileLoop:
    return make_loop(store)
