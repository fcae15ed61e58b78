"""``tailjit sandbox``: a real process over HTTP, clean shutdown, and clear usage errors."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from tailjit.cli._main import main, sandbox
from tailjit.sandbox import serve_in_thread


def wait_for(
    path: Path, process: subprocess.Popen[str], timeout: float = 30.0
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return dict(json.loads(path.read_text()))
        if process.poll() is not None:
            raise AssertionError(f"sandbox exited early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear within {timeout} s")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_command_serves_over_http_and_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    state_dir = tmp_path / "state"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tailjit",
            "sandbox",
            "--state",
            str(state_dir),
            "--oauth-client",
            "k-cli:tskey-client-cli:policy_file:read",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = wait_for(state_dir / "sandbox.json", process)
        reply = httpx.get(
            f"{info['api_url']}/tailnet/-/acl", auth=(str(info["api_key"]), ""), timeout=10
        )
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert reply.status_code == 200
    assert reply.content == (state_dir / "policy.hujson").read_bytes()
    assert info["oauth_clients"] == [
        {"client_id": "k-cli", "client_secret": "tskey-client-cli", "scopes": ["policy_file:read"]}
    ]
    assert process.returncode == 0, stderr
    assert f"serving {info['base_url']}" in stdout
    assert "tailjit sandbox stopped" in stdout
    assert not (state_dir / "sandbox.json").exists()


def test_help_documents_every_flag() -> None:
    result = CliRunner().invoke(main, ["sandbox", "--help"])

    assert result.exit_code == 0
    for param in sandbox.params:
        assert isinstance(param, click.Option)
        assert param.opts[0] in result.output
        assert param.help


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "nowhere"], "expected HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "port must be a number"),
        (["--oauth-client", "just-an-id"], "expected ID:SECRET:scope"),
        (["--oauth-client", "id:secret:policyfile"], "unknown scope(s) policyfile"),
        (["--webhook", "ftp://x"], "must start with http"),
        (["--api-key", ""], "must be non-empty"),
        (["--seed", "big"], "'big' is not one of"),
        (["--fault-error-rate", "2"], "2"),
    ],
)
def test_bad_flags_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sandbox", "--state", str(tmp_path / "s"), *args])

    assert result.exit_code == 2
    assert message in result.output


def test_a_policy_that_is_not_hujson_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "policy.hujson"
    bad.write_text('{\n  "groups": {\n    "group:a": ["a@example.com"]\n  ]\n}\n')

    result = CliRunner().invoke(
        main, ["sandbox", "--state", str(tmp_path / "s"), "--policy", str(bad)]
    )

    assert result.exit_code == 2
    assert f"{bad}: line 4, column 3:" in result.output
    assert not (tmp_path / "s").exists()


def test_a_policy_with_undefined_names_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "policy.hujson"
    bad.write_text('{"grants": [{"src": ["group:ops"], "dst": ["tag:db"], "ip": ["*"]}]}')

    result = CliRunner().invoke(
        main, ["sandbox", "--state", str(tmp_path / "s"), "--policy", str(bad)]
    )

    assert result.exit_code == 2
    assert 'src=group not found: "group:ops"' in result.output
    assert 'dst=tag not found: "tag:db"' in result.output


def test_a_busy_port_or_a_busy_directory_fails_with_exit_1(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            main, ["sandbox", "--state", str(tmp_path / "a"), "--listen", f"127.0.0.1:{port}"]
        )
    with serve_in_thread(tmp_path / "b"):
        locked = CliRunner().invoke(main, ["sandbox", "--state", str(tmp_path / "b")])
        still_discoverable = (tmp_path / "b" / "sandbox.json").exists()

    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1" in result.output
    assert locked.exit_code == 1
    assert "in use by another sandbox" in locked.output
    assert still_discoverable  # the refused process left the running sandbox's files alone
