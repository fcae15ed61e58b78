"""The daemon process and its signals: SIGTERM stops it cleanly, SIGHUP reloads the eligibility
policy (a broken one is refused and the old one kept), systemd hears READY and WATCHDOG."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import DEMO_POLICY, Daemon, Sandbox, wait_for


def events(daemon: Daemon) -> list[str]:
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    return [record["event"] for record in records]


def test_sigterm_stops_the_daemon_cleanly_and_says_so(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    state = daemon_process.state_dir

    code = daemon_process.stop(signal.SIGTERM)

    assert code == 0, daemon_process.process.output()
    assert not (state / "daemon.json").exists()
    daemon_process.start()
    lifecycle = [e for e in events(daemon_process) if e.startswith("daemon.")]
    assert lifecycle == ["daemon.started", "daemon.stopped", "daemon.started"]


def test_sighup_reloads_the_policy_and_refuses_a_broken_one(
    start_daemon: Callable[..., Daemon], sandbox_process: Sandbox, tmp_path: Path
) -> None:
    policy = tmp_path / "eligibility.hujson"
    original = DEMO_POLICY.read_text()
    policy.write_text(original)
    daemon = start_daemon(sandbox_process, TAILJIT_POLICY=str(policy))
    ask = ("request", "db-prod:5432", "5h", "--reason", "x")
    refused = daemon.cli(*ask, user="alice@example.com")
    assert refused.returncode == 1, refused.stderr  # over the eligibility's 4h maximum

    policy.write_text(original.replace('"maxDuration":     "4h"', '"maxDuration":     "6h"'))
    assert daemon.process.popen is not None
    daemon.process.popen.send_signal(signal.SIGHUP)
    wait_for(lambda: "policy.reloaded" in events(daemon))
    accepted = daemon.cli(
        "request", "db-prod:5432", "5h", "--reason", "x", user="alice@example.com"
    )
    assert accepted.returncode == 0, accepted.stderr

    policy.write_text('{"eligibilities": [{"name": 1}]}')
    daemon.process.popen.send_signal(signal.SIGHUP)
    wait_for(lambda: "policy.reload-refused" in events(daemon))
    still = daemon.cli(*ask, user="alice@example.com")
    assert still.returncode == 0, still.stderr  # the 6h policy is still the one in use
    assert daemon.ready()


def test_the_daemon_notifies_systemd_of_readiness_and_heartbeats(
    start_daemon: Callable[..., Daemon], sandbox_process: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(10)
        start_daemon(sandbox_process, NOTIFY_SOCKET=str(path), WATCHDOG_USEC="2000000")
        seen: list[str] = []
        while not ({"READY=1", "WATCHDOG=1"} <= set(seen) and any("STATUS=" in s for s in seen)):
            seen.extend(sock.recv(4096).decode().splitlines())
    assert seen.index("READY=1") < seen.index("WATCHDOG=1")
