"""``tailjit daemon --sandbox DIR`` (what ``make run`` starts): one command, a demo tailnet and
the daemon against it, and the README's first steps working on it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import REPO, Process, wait_for


def test_daemon_with_a_sandbox_runs_the_readme_walkthrough(tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1", "TAILJIT_LISTEN": "127.0.0.1:0"}
    argv = [sys.executable, "-m", "tailjit", "daemon", "--sandbox", str(run)]
    process = Process(argv, env, tmp_path / "run.log")
    process.start()
    try:
        found = wait_for(lambda: _json(run / "tailjit" / "daemon.json"), 20)
        assert (run / "sandbox.json").exists()
        state = run / "tailjit"
        tokens = sorted(p.name for p in (state / "tokens").iterdir())
        assert tokens == [f"{u}@example.com.token" for u in ("alice", "bob", "carol")]
        assert (state / "admin.token").stat().st_mode & 0o777 == 0o600
        cli_env = {**env, "TAILJIT_URL": found["url"], "TAILJIT_STATE_DIR": str(state)}

        def tailjit(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
            extra = (
                {}
                if token is None
                else {"TAILJIT_TOKEN": (state / "tokens" / token).read_text().strip()}
            )
            return subprocess.run(
                [sys.executable, "-m", "tailjit", *args],
                env={**cli_env, **extra},
                capture_output=True,
                text=True,
                timeout=60,
                cwd=REPO,
            )

        whoami = tailjit("whoami")
        assert whoami.stdout.startswith("carol@example.com (admin)"), whoami.stderr
        granted = tailjit("grant", "alice@example.com", "db-prod:5432", "2m", "--reason", "INC-123")
        assert granted.returncode == 2  # no terminal to ask: --yes is required
        granted = tailjit(
            "grant", "alice@example.com", "db-prod:5432", "2m", "--reason", "INC-123", "--yes"
        )
        assert granted.returncode == 0, granted.stderr
        assert "newly opens" in granted.stdout
        assert "active until" in granted.stdout
        assert b"// tailjit:grant id=" in (run / "policy.hujson").read_bytes()

        asked = tailjit(
            "request",
            "db-prod:5432",
            "30m",
            "--reason",
            "slow query",
            "--json",
            token="alice@example.com.token",
        )
        request_id = json.loads(asked.stdout)["request"]["id"]
        approved = tailjit("approve", request_id, token="bob@example.com.token")
        assert approved.returncode == 0, approved.stderr
        assert "active until" in approved.stdout
    finally:
        code = process.stop(signal.SIGTERM)
    assert code == 0, process.output()
    assert not (run / "sandbox.json").exists()  # the sandbox stopped with the daemon
    assert not (run / "tailjit" / "daemon.json").exists()


def _json(path: Path) -> dict[str, str] | None:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None
