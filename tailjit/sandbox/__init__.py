"""The sandbox: a local, persistent, faithful emulation of the Tailscale API parts tailjit uses.

Every end-to-end test runs against it, and a new user tries tailjit on it (``tailjit sandbox``).
It is an independent implementation of the spec (TAILSCALE_API.md); it never imports tailjit's
own Tailscale client. The emulation (state, rules, policy checks, attributes, auth and scopes,
faults, webhooks) is plain Python; ``app.py`` maps HTTP to it with Starlette, ``server.py`` runs
it on uvicorn.

Importing the package is cheap: each name is loaded from its module on first use (PEP 562), so
`tailjit --help` does not pay for Starlette, uvicorn and httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_MODULES = {
    "Clock": "clock",
    "FaultConfig": "config",
    "ManualClock": "clock",
    "NoopChecker": "checker",
    "OAuthClient": "config",
    "OffsetClock": "clock",
    "PolicyChecker": "checker",
    "PolicyTest": "checker",
    "SandboxConfig": "config",
    "SandboxHandle": "handle",
    "SandboxServer": "server",
    "SandboxStartError": "server",
    "SandboxState": "state",
    "SshTest": "checker",
    "TailnetView": "checker",
    "TestFailure": "checker",
    "WebhookTarget": "config",
    "serve_in_thread": "handle",
    "system_clock": "clock",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
