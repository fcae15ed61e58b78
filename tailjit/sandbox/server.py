"""Running the sandbox: uvicorn on a loopback socket, in a background thread.

The CLI and the tests use the same path: `SandboxServer.start` takes the state directory's lock,
loads or seeds the state, binds the socket (so a busy port fails here, with a clear error),
serves from a thread, waits until uvicorn is accepting, and then writes ``DIR/sandbox.json``;
`SandboxServer.stop` shuts uvicorn down gracefully, stops the webhook sender, removes
``sandbox.json`` and releases the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

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


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every keep-alive response waits out a 40 ms delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise SandboxStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, made wakeable: `stop` takes effect at once instead of at the next
    0.1 s tick, and an idle server closes without uvicorn's fixed 0.1 s drain pause. Tests
    start and stop hundreds of sandboxes, so those pauses add up to a minute."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick refreshes the Date header every 10th
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sender: WebhookSender | None = None
        self._sock: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return _url(self.host, self.port)

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
        sock = self._sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        uv_config = uvicorn.Config(
            create_app(emulator),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
        )
        server = _Server(uv_config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxStartError("the sandbox's HTTP server did not start")
            time.sleep(0.005)
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
        if self._server is not None:
            self._server.request_exit()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._sender is not None:
            self._sender.stop()
            self._sender = None
        if self.files.locked:  # never touch the files of a sandbox that holds the lock instead
            self.files.remove_discovery()
            self.files.release()
        self._server = None


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
