"""`serve_in_thread`: the sandbox in-process on an ephemeral loopback port, for tests.

    with serve_in_thread(tmp_path / "sandbox", clock=clock) as sandbox:
        client = sandbox.client()                      # httpx.Client with the API key
        client.get("/api/v2/tailnet/-/acl")
        sandbox.set_faults(rate_limit_every=2)
        assert [r.status for r in sandbox.requests()] == [200]

The handle's helpers act on the emulator directly (no HTTP), so they are neither logged nor
subject to faults; the same operations exist over HTTP under ``/sandbox`` for other processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tailjit.sandbox.checker import PolicyChecker
from tailjit.sandbox.clock import Clock
from tailjit.sandbox.config import FaultConfig, OAuthClient, SandboxConfig
from tailjit.sandbox.emulator import Emulator
from tailjit.sandbox.faults import LoggedRequest
from tailjit.sandbox.policy import etag
from tailjit.sandbox.server import SandboxServer
from tailjit.sandbox.state import SandboxState
from tailjit.sandbox.webhooks import Delivery


@dataclass
class SandboxHandle:
    """A running sandbox: where it is, its credentials, and helpers for tests."""

    server: SandboxServer
    emulator: Emulator

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; the API is under ``/api/v2``, the admin path ``/sandbox``."""
        return self.server.base_url

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v2"

    @property
    def state_dir(self) -> Path:
        return self.server.state_dir

    @property
    def state(self) -> SandboxState:
        return self.emulator.state

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def oauth_clients(self) -> list[OAuthClient]:
        return list(self.state.oauth_clients)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client for ``base_url``, authenticated with the API key (Basic)."""
        kwargs.setdefault("auth", (self.api_key, ""))
        kwargs.setdefault("timeout", 10.0)
        # The sandbox speaks plain HTTP; skipping the CA bundle saves ~60 ms per client.
        kwargs.setdefault("verify", False)
        return httpx.Client(base_url=self.base_url, **kwargs)

    # -- admin helpers ----------------------------------------------------------------------

    def requests(self) -> list[LoggedRequest]:
        return self.emulator.requests.entries()

    def reset_requests(self) -> None:
        self.emulator.requests.reset()

    def set_faults(self, **settings: Any) -> FaultConfig:
        """Replace the fault settings (see `FaultConfig`); no arguments turns faults off."""
        config = FaultConfig(**settings)
        self.emulator.faults.configure(config)
        return config

    def policy(self) -> bytes:
        return self.state.policy_snapshot()[0]

    def etag(self) -> str:
        return etag(self.policy())

    def human_edit(self, kind: str = "comment") -> bytes:
        """Edit the policy as a human would; returns the new text."""
        return self.emulator.human_edit(kind).new

    def suspend_user(self, login: str) -> dict[str, Any]:
        return self.emulator.set_status(login, "suspended", self.state.key_owner())

    def restore_user(self, login: str) -> dict[str, Any]:
        return self.emulator.set_status(login, "active", self.state.key_owner())

    def delete_user(self, login: str) -> dict[str, Any]:
        return self.emulator.delete_user(login, self.state.key_owner())

    def set_role(self, login: str, role: str) -> dict[str, Any]:
        return self.emulator.set_role(login, role, self.state.key_owner())

    def add_user(self, login: str, role: str = "member", name: str = "") -> dict[str, Any]:
        return self.emulator.add_user(login, role, name, self.state.key_owner())

    def add_device(
        self, user: str, hostname: str, *, tags: tuple[str, ...] = (), os: str = "linux"
    ) -> dict[str, Any]:
        return self.emulator.add_device(user, hostname, tags, os, self.state.key_owner())

    def device_id(self, hostname: str) -> str:
        """The ``nodeId`` of the device called ``hostname``."""
        for device in self.state.view().devices:
            if device["hostname"] == hostname:
                return str(device["nodeId"])
        raise KeyError(hostname)

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        sender = self.emulator.sender
        return sender.flush(timeout) if sender else True

    def deliveries(self) -> list[Delivery]:
        sender = self.emulator.sender
        return sender.deliveries() if sender else []


@contextmanager
def serve_in_thread(
    state_dir: Path,
    *,
    config: SandboxConfig | None = None,
    clock: Clock | None = None,
    seed: str = "demo",
    policy: bytes | None = None,
    checker: PolicyChecker | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[SandboxHandle]:
    """Run a sandbox on ``host:port`` (port 0: any free port) until the block ends."""
    server = SandboxServer(
        state_dir,
        host=host,
        port=port,
        config=config,
        clock=clock,
        seed=seed,
        policy=policy,
        checker=checker,
    )
    emulator = server.start()
    try:
        yield SandboxHandle(server, emulator)
    finally:
        server.stop()
