"""Running the sandbox: uvicorn on a loopback socket, in a background thread.

The CLI and the tests use the same path: `SandboxServer.start` takes the state directory's lock,
loads or seeds the state, binds the socket (so a busy port fails here, with a clear error),
serves from a thread, waits until uvicorn is accepting, and then writes ``DIR/sandbox.json``;
`SandboxServer.stop` shuts uvicorn down gracefully, stops the webhook sender, removes
``sandbox.json`` and releases the lock.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tailjit.api.server import ServerStartError, ThreadedServer, bind, url_of
from tailjit.errors import TailjitError
from tailjit.sandbox.app import create_app
from tailjit.sandbox.checker import PolicyChecker
from tailjit.sandbox.clock import Clock, OffsetClock, system_clock
from tailjit.sandbox.config import SandboxConfig
from tailjit.sandbox.emulator import Emulator
from tailjit.sandbox.faults import FaultInjector
from tailjit.sandbox.policy import check_policy
from tailjit.sandbox.state import SandboxState
from tailjit.sandbox.store import StateDir
from tailjit.sandbox.webhooks import WebhookSender


class SandboxStartError(TailjitError):
    """The sandbox could not start (port in use, state directory locked, server failure)."""


class SandboxServer:
    """One sandbox: its state, its emulator, its HTTP server thread."""

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: SandboxConfig | None = None,
        clock: Clock | None = None,
        seed: str = "demo",
        policy: bytes | None = None,
        checker: PolicyChecker | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.host, self.port = host, port
        self.config = config or SandboxConfig()
        self.clock: Clock = clock or OffsetClock(system_clock)
        self.seed, self.policy, self.checker = seed, policy, checker
        self.files = StateDir(self.state_dir)
        self.emulator: Emulator | None = None
        self._http: ThreadedServer | None = None
        self._sender: WebhookSender | None = None

    @property
    def base_url(self) -> str:
        return url_of(self.host, self.port)

    def start(self, timeout: float = 10.0) -> Emulator:
        if self.policy is not None:
            check_policy(self.policy)  # raises PolicyRejected with line and column
        self.files.acquire()
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> Emulator:
        state = SandboxState.open(
            self.files,
            clock=self.clock,
            config=self.config,
            seed=self.seed,
            policy=self.policy,
        )
        self._sender = WebhookSender(
            self.config.webhooks,
            timeout=self.config.webhook_timeout,
            attempts=self.config.webhook_attempts,
        )
        self._sender.start()
        emulator = Emulator(
            state,
            checker=self.checker,
            faults=FaultInjector(self.config.faults),
            sender=self._sender,
        )
        try:
            sock = bind(self.host, self.port)
            self.port = sock.getsockname()[1]
            self._http = ThreadedServer(create_app(emulator), sock, name="sandbox-http")
            self._http.start(timeout)
        except ServerStartError as exc:
            raise SandboxStartError(str(exc)) from exc
        self.emulator = emulator
        self.files.write_discovery(self.discovery())
        return emulator

    def discovery(self) -> dict[str, Any]:
        """What ``sandbox.json`` says: how other processes reach this sandbox."""
        assert self.emulator is not None
        state = self.emulator.state
        return {
            "base_url": self.base_url,
            "api_url": self.base_url + "/api/v2",
            "admin_url": self.base_url + "/sandbox",
            "tailnet": "-",
            "api_key": state.api_key,
            "oauth_clients": [c.to_json() for c in state.oauth_clients],
            "webhooks": [{"url": w.url, "secret": w.secret} for w in self.config.webhooks],
            "pid": os.getpid(),
            "state_dir": str(self.state_dir.resolve()),
        }

    def stop(self, timeout: float = 10.0) -> None:
        if self._http is not None:
            self._http.stop(timeout)
            self._http = None
        if self._sender is not None:
            self._sender.stop()
            self._sender = None
        if self.files.locked:  # never touch the files of a sandbox that holds the lock instead
            self.files.remove_discovery()
            self.files.release()


def run_until_signalled(server: SandboxServer, announce: Callable[[SandboxServer], None]) -> None:
    """Start ``server``, call ``announce``, serve until SIGINT or SIGTERM, then stop cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        announce(server)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
