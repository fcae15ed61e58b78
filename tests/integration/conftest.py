"""Fixtures of the integration tests: the real client, over real loopback HTTP, against the sandbox.

The client gets a real `httpx.Client`; only its clock (OAuth token renewal) and its sleep
(waits between retries) are fakes, so no test waits for real. The sandbox has its own clock,
``sandbox_clock`` (tests/conftest.py), which expires posture attributes and OAuth tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tailjit.sandbox import ManualClock, OAuthClient, SandboxConfig, SandboxHandle, serve_in_thread
from tailjit.tailscale import TailscaleClient
from tailjit.tailscale.testing import FakeClock, RecordingSleep, settings_for_tests

Connect = Callable[..., TailscaleClient]
"""``connect(sandbox, **settings)``: a client of that sandbox, with its API key unless OAuth."""

ConnectOAuth = Callable[..., TailscaleClient]
"""``connect_oauth(scope, **settings)``: a client of `oauth_sandbox` holding only ``scope``."""

# The OAuth clients of `oauth_sandbox`, one per scope. `policy_file` alone reads the policy but
# cannot write it: writes also need `devices:posture_attributes` and `devices:core:read`
# (TAILSCALE_API.md trap 8).
OAUTH_CLIENTS = {
    scope: OAuthClient(f"k{name}CNTRL", f"tskey-client-k{name}CNTRL-secret", (scope,))
    for name, scope in [
        ("AllScopes", "all"),
        ("DevicesRead", "devices:core:read"),
        ("PolicyOnly", "policy_file"),
    ]
}


@pytest.fixture
def client_clock() -> FakeClock:
    """The client's monotonic clock; it moves only when a test (or a retry's sleep) moves it."""
    return FakeClock(1000.0)


@pytest.fixture
def client_sleep(client_clock: FakeClock) -> RecordingSleep:
    """The client's sleep: returns at once, records each wait and advances `client_clock`."""
    return RecordingSleep(client_clock)


@pytest.fixture
def connect(client_clock: FakeClock, client_sleep: RecordingSleep) -> Iterator[Connect]:
    """Build `TailscaleClient`s for running sandboxes; their HTTP clients close after the test.

    Settings are `settings_for_tests` (jitter-free retries) pointed at the sandbox, with its API
    key unless ``oauth_client_id`` and ``oauth_client_secret`` are given; keyword arguments
    override any setting, and ``retries=False`` turns retries off (``without_retries``).
    """
    opened: list[httpx.Client] = []

    def make(
        handle: SandboxHandle, *, retries: bool = True, **overrides: object
    ) -> TailscaleClient:
        values: dict[str, object] = {"base_url": handle.base_url}
        if "oauth_client_id" not in overrides:
            values["api_key"] = handle.api_key
        settings = settings_for_tests(**(values | overrides))
        if not retries:
            settings = settings.without_retries()
        # Plain HTTP on loopback: skipping the CA bundle saves ~60 ms per client.
        http = httpx.Client(verify=False)
        opened.append(http)
        return TailscaleClient(http, settings, clock=client_clock, sleep=client_sleep)

    yield make
    for http in opened:
        http.close()


@pytest.fixture
def api(sandbox: SandboxHandle, connect: Connect) -> TailscaleClient:
    """A client of the demo `sandbox` with its API key, retries on."""
    return connect(sandbox)


@pytest.fixture
def default_sandbox(tmp_path: Path, sandbox_clock: ManualClock) -> Iterator[SandboxHandle]:
    """A sandbox whose policy is still the untouched default (``If-Match: "ts-default"``)."""
    with serve_in_thread(tmp_path / "default", clock=sandbox_clock, seed="empty") as handle:
        yield handle


@pytest.fixture
def oauth_sandbox(tmp_path: Path, sandbox_clock: ManualClock) -> Iterator[SandboxHandle]:
    """The demo sandbox with an OAuth client for each scope in `OAUTH_CLIENTS`."""
    config = SandboxConfig(oauth_clients=tuple(OAUTH_CLIENTS.values()))
    with serve_in_thread(tmp_path / "oauth", clock=sandbox_clock, config=config) as handle:
        yield handle


@pytest.fixture
def connect_oauth(oauth_sandbox: SandboxHandle, connect: Connect) -> ConnectOAuth:
    """Clients of `oauth_sandbox` with OAuth client credentials holding a single scope."""

    def make(scope: str, **overrides: object) -> TailscaleClient:
        client = OAUTH_CLIENTS[scope]
        return connect(
            oauth_sandbox,
            oauth_client_id=client.client_id,
            oauth_client_secret=client.secret,
            **overrides,
        )

    return make
