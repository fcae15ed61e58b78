"""End-to-end fixtures: the sandbox and the daemon as real processes, the CLI as a subprocess.

`sandbox_process` runs ``tailjit sandbox`` (demo seed, port 0) and reads ``sandbox.json``;
`daemon_process` runs ``tailjit daemon`` against it (port 0, read back from ``daemon.json``) with
the demo eligibility policy and a bearer token for alice, bob and carol. Both can be stopped,
killed with SIGKILL and started again on the same state. `Daemon.cli` runs the real CLI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tailjit.testing import poll, read_json

REPO = Path(__file__).resolve().parents[2]
DEMO_POLICY = REPO / "policy" / "examples" / "sandbox-demo.hujson"
USERS = ("alice@example.com", "bob@example.com", "carol@example.com")
START_TIMEOUT = 20.0


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, every: float = 0.02) -> Any:
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout``."""
    found = poll(condition, timeout, every)
    if found is None:
        pytest.fail(f"timed out after {timeout}s waiting for {condition}")
    return found


@dataclass
class Process:
    """A tailjit subprocess with its output in a log file."""

    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO
            )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Send ``sig`` and wait for the exit; SIGKILL after ``timeout``. The exit status."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        code = self.popen.returncode
        self.popen = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _python() -> list[str]:
    return [sys.executable, "-m", "tailjit"]


@dataclass
class Sandbox:
    """``tailjit sandbox`` in a process; `admin` calls its ``/sandbox`` path with the API key."""

    directory: Path
    process: Process
    info: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        (self.directory / "sandbox.json").unlink(missing_ok=True)
        self.process.start()
        self.info = wait_for(self._discovered, START_TIMEOUT)

    def _discovered(self) -> dict[str, Any] | None:
        if not self.process.alive:
            pytest.fail("the sandbox exited:\n" + self.process.output())
        return read_json(self.directory / "sandbox.json")

    @property
    def base_url(self) -> str:
        return str(self.info["base_url"])

    @property
    def api_key(self) -> str:
        return str(self.info["api_key"])

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.api_key}"}
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.http() as client:
            reply = client.request(method, "/sandbox" + path, **kwargs)
        reply.raise_for_status()
        return reply.json() if reply.content else None

    def policy(self) -> bytes:
        with self.http() as client:
            reply = client.get("/api/v2/tailnet/-/acl", headers={"Accept": "application/hujson"})
        reply.raise_for_status()
        return reply.content

    def attributes(self, hostname: str) -> dict[str, Any]:
        """The custom posture attributes of the device called ``hostname``."""
        with self.http() as client:
            devices = client.get("/api/v2/tailnet/-/devices").json()["devices"]
            node = next(d["nodeId"] for d in devices if d["hostname"] == hostname)
            found = client.get(f"/api/v2/device/{node}/attributes").json()
        return {k: v for k, v in found["attributes"].items() if k.startswith("custom:")}

    def check(self, user: str, dst: str, proto: str = "tcp") -> bool:
        """Whether ``user`` may reach ``dst`` now, per the sandbox's evaluator."""
        return bool(
            self.admin("GET", "/check", params={"user": user, "dst": dst, "proto": proto})[
                "allowed"
            ]
        )

    def stop(self) -> None:
        self.process.stop()


@dataclass
class Daemon:
    """``tailjit daemon`` in a process, against a `Sandbox`; `cli` runs the real CLI."""

    state_dir: Path
    process: Process
    tokens: dict[str, str]
    url: str = ""

    def start(self) -> None:
        (self.state_dir / "daemon.json").unlink(missing_ok=True)
        self.process.start()
        found = wait_for(self._discovered, START_TIMEOUT)
        self.url = str(found["url"])
        wait_for(self.ready, START_TIMEOUT)

    def _discovered(self) -> dict[str, Any] | None:
        if not self.process.alive:
            pytest.fail("the daemon exited:\n" + self.process.output())
        return read_json(self.state_dir / "daemon.json")

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def cli(self, *args: str, user: str = "carol@example.com") -> subprocess.CompletedProcess[str]:
        """``tailjit ARGS`` as ``user`` (by their token), against this daemon."""
        env = {**self.process.env, "TAILJIT_URL": self.url, "TAILJIT_TOKEN": self.tokens[user]}
        return subprocess.run(
            [*_python(), *args], env=env, capture_output=True, text=True, timeout=60, cwd=REPO
        )

    def api(self, method: str, path: str, *, user: str = "carol@example.com", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        reply = httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)
        reply.raise_for_status()
        return reply.json()

    def request(self, request_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/v1/requests/{request_id}")["request"])

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        return self.process.stop(sig)

    def kill(self) -> None:
        self.process.kill()


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAILJIT_", "TAILSCALE_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Start a sandbox process; extra arguments go to ``tailjit sandbox`` (faults, ...)."""
    started: list[Sandbox] = []

    def start(*extra: str, name: str = "sandbox") -> Sandbox:
        directory = tmp_path / name
        argv = [*_python(), "sandbox", "--state", str(directory), "--listen", "127.0.0.1:0"]
        process = Process([*argv, *extra], _base_env(), tmp_path / f"{name}.log")
        sandbox = Sandbox(directory, process)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox_process(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox()


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start a daemon process against ``sandbox``; ``env`` adds or overrides variables,
    ``config_extra`` is appended to its TOML configuration."""
    started: list[Daemon] = []

    def start(
        sandbox: Sandbox, *, name: str = "daemon", config_extra: str = "", **env: str
    ) -> Daemon:
        state_dir = tmp_path / name
        state_dir.mkdir(exist_ok=True)
        tokens = {user: f"token-of-{user.split('@')[0]}-{name}" for user in USERS}
        config = tmp_path / f"{name}.toml"
        config.write_text(
            "".join(f'[[tokens]]\nlogin = "{u}"\ntoken = "{t}"\n\n' for u, t in tokens.items())
            + config_extra
        )
        environment = {
            **_base_env(),
            "TAILSCALE_BASE_URL": sandbox.base_url,
            "TAILSCALE_API_KEY": sandbox.api_key,
            "TAILJIT_STATE_DIR": str(state_dir),
            "TAILJIT_LISTEN": "127.0.0.1:0",
            "TAILJIT_POLICY": str(DEMO_POLICY),
            "TAILJIT_RESYNC_INTERVAL": "2",
            **env,
        }
        argv = [*_python(), "daemon", "--config", str(config)]
        daemon = Daemon(state_dir, Process(argv, environment, tmp_path / f"{name}.log"), tokens)
        daemon.start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


@pytest.fixture
def daemon_process(sandbox_process: Sandbox, start_daemon: Callable[..., Daemon]) -> Daemon:
    # The sandbox first, so it is torn down last: a daemon whose tailnet vanished would spend
    # its stop retrying it.
    return start_daemon(sandbox_process)
