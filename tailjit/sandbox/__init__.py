"""The sandbox: a local, persistent, faithful emulation of the Tailscale API parts tailjit uses.

Every end-to-end test runs against it, and a new user tries tailjit on it (``tailjit sandbox``).
It is an independent implementation of the spec (TAILSCALE_API.md); it never imports tailjit's
own Tailscale client. The emulation (state, rules, policy checks, attributes, auth and scopes,
faults, webhooks) is plain Python; ``app.py`` maps HTTP to it with Starlette, ``server.py`` runs
it on uvicorn.
"""

from tailjit.sandbox.checker import (
    NoopChecker,
    PolicyChecker,
    PolicyTest,
    SshTest,
    TailnetView,
    TestFailure,
)
from tailjit.sandbox.clock import Clock, ManualClock, OffsetClock, system_clock
from tailjit.sandbox.config import FaultConfig, OAuthClient, SandboxConfig, WebhookTarget
from tailjit.sandbox.handle import SandboxHandle, serve_in_thread
from tailjit.sandbox.server import SandboxServer, SandboxStartError
from tailjit.sandbox.state import SandboxState

__all__ = [
    "Clock",
    "FaultConfig",
    "ManualClock",
    "NoopChecker",
    "OAuthClient",
    "OffsetClock",
    "PolicyChecker",
    "PolicyTest",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxServer",
    "SandboxStartError",
    "SandboxState",
    "SshTest",
    "TailnetView",
    "TestFailure",
    "WebhookTarget",
    "serve_in_thread",
    "system_clock",
]
