"""sd_notify over a real datagram socket, the watchdog interval, and the shipped unit file."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailjit.daemon import systemd

REPO_ROOT = Path(__file__).resolve().parents[2]
UNIT = REPO_ROOT / "systemd" / "tailjit.service"
EXEC_START = "/usr/local/bin/tailjit"
MAX_EXPOSURE = 2.0


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound AF_UNIX datagram socket standing in for systemd, and its $NOTIFY_SOCKET value."""
    directory = tmp_path
    short = None
    if len(str(tmp_path / "notify")) > 100:  # sun_path holds 108 bytes
        short = tempfile.TemporaryDirectory(prefix="tj-")
        directory = Path(short.name)
    path = directory / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        yield server, str(path)
    if short is not None:
        short.cleanup()


def test_notify_sends_the_message_to_the_socket(notify_socket: tuple[socket.socket, str]) -> None:
    server, address = notify_socket

    sent = systemd.notify("READY=1\nSTATUS=up", {"NOTIFY_SOCKET": address})

    assert sent is True
    assert server.recv(4096) == b"READY=1\nSTATUS=up"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux-only")
def test_notify_reaches_an_abstract_socket_written_with_at() -> None:
    name = f"tailjit-test-{secrets.token_hex(8)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        server.settimeout(5)

        assert systemd.notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name}) is True
        assert server.recv(4096) == b"WATCHDOG=1"


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (systemd.ready, b"READY=1"),
        (systemd.stopping, b"STOPPING=1"),
        (systemd.watchdog, b"WATCHDOG=1"),
        (
            lambda environ: systemd.status("syncing\nthe tailnet", environ),
            b"STATUS=syncing the tailnet",
        ),
    ],
)
def test_helpers_send_their_message(
    notify_socket: tuple[socket.socket, str], send: object, expected: bytes
) -> None:
    server, address = notify_socket

    assert send({"NOTIFY_SOCKET": address}) is True  # type: ignore[operator]
    assert server.recv(4096) == expected


def test_reloading_sends_a_monotonic_timestamp(notify_socket: tuple[socket.socket, str]) -> None:
    server, address = notify_socket

    assert systemd.reloading({"NOTIFY_SOCKET": address}) is True
    assert re.fullmatch(rb"RELOADING=1\nMONOTONIC_USEC=\d+", server.recv(4096))


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "vsock:2:99"}])
def test_notify_without_a_unix_socket_does_nothing(environ: dict[str, str]) -> None:
    assert systemd.notify("READY=1", environ) is False
    assert systemd.ready(environ) is False


def test_notify_to_a_missing_socket_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert systemd.notify("WATCHDOG=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False
    assert "could not notify systemd" in caplog.text


@pytest.mark.parametrize(
    ("environ", "interval"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "me"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_the_timeout_for_this_process(
    environ: dict[str, str], interval: float | None
) -> None:
    assert systemd.watchdog_interval(environ) == interval


# --- the unit file ------------------------------------------------------------------------------

requires_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed: the unit file is checked where systemd is",
)


@pytest.fixture
def unit_copy(tmp_path: Path) -> Path:
    """The shipped unit with ExecStart pointing at this Python, so verify finds an executable.

    Nothing else changes: the copy has the same name and every other line as shipped.
    """
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={EXEC_START} daemon --config" in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(EXEC_START, sys.executable, 1), encoding="utf-8")
    return copy


@requires_systemd_analyze
def test_unit_passes_systemd_analyze_verify(unit_copy: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit_copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    problems = [line for line in result.stderr.splitlines() if UNIT.name in line]
    assert result.returncode == 0, result.stderr
    assert problems == []


@requires_systemd_analyze
def test_unit_is_rated_at_most_two_by_systemd_analyze_security(unit_copy: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit_copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0 and "offline" in result.stderr:
        pytest.skip(f"this systemd-analyze has no --offline: {result.stderr.strip()}")

    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert match is not None, result.stdout + result.stderr
    assert float(match[1]) <= MAX_EXPOSURE
