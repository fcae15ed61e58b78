"""Fixtures of the reconcile tests: the real adapter and client over loopback to the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tailjit.sandbox import SandboxHandle
from tailjit.tailscale import TailscaleClient, TailscaleTailnet
from tailjit.tailscale.testing import FakeClock, RecordingSleep, settings_for_tests

# A hand-written posture section, so that tailjit's first posture goes into an existing object
# and removing it gives back the original bytes.
HAND_POSTURES = (
    b'\t"postures": {\n'
    b"\t\t// Only stable clients.\n"
    b'\t\t"posture:stable": ["node:tsReleaseTrack == \'stable\'"],\n'
    b"\t},\n\n"
)


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[TailscaleClient]:
    """A client of the demo sandbox, retries on but sleeping on a fake clock."""
    clock = FakeClock(1000.0)
    settings = settings_for_tests(base_url=sandbox.base_url, api_key=sandbox.api_key)
    with httpx.Client(verify=False) as http:
        yield TailscaleClient(http, settings, clock=clock, sleep=RecordingSleep(clock))


@pytest.fixture
def original(sandbox: SandboxHandle, api: TailscaleClient) -> bytes:
    """The demo policy with a ``postures`` section added; the request log starts after it."""
    demo = sandbox.policy()
    policy = demo.replace(b'\t"ssh": [', HAND_POSTURES + b'\t"ssh": [', 1)
    assert policy != demo
    api.set_policy(policy, if_match=sandbox.etag())
    sandbox.reset_requests()
    assert sandbox.policy() == policy
    return policy


@pytest.fixture
def tailnet(api: TailscaleClient) -> TailscaleTailnet:
    return TailscaleTailnet(api)
