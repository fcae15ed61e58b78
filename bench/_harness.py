"""What the benchmarks share: starting tailjit's processes, waiting, and reporting.

The benchmarks run as scripts (``python bench/loop_bench.py``), so this module is imported from
their directory; it is not part of the package.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tailjit.testing import poll, read_json

REPO = Path(__file__).resolve().parents[1]
ACL = "/api/v2/tailnet/-/acl"
START_TIMEOUT = 30.0


class BenchError(Exception):
    """A precondition of the measurement does not hold: the figures would mean nothing."""


def wait_for(what: str, condition: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    found = poll(condition, timeout, every)
    if found is None:
        raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
    return found


def instant(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@dataclass
class Process:
    """A subprocess writing into a log file; `start` waits for the JSON file it writes."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self, discovery: Path) -> dict[str, Any]:
        discovery.unlink(missing_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO
            )

        def found() -> dict[str, Any] | None:
            if self.popen is not None and self.popen.poll() is not None:
                raise BenchError(f"the {self.name} exited:\n{self.log.read_text()[-2000:]}")
            return read_json(discovery)

        return dict(wait_for(str(discovery), found, START_TIMEOUT))

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)  # the daemon finishes its cycle first
        try:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(30)
        finally:  # also when interrupted: leave no process behind
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait()


def start_sandbox(directory: Path) -> tuple[Process, dict[str, Any], httpx.Client]:
    """A sandbox process with its state in ``directory/sandbox``: the process, what it wrote
    to ``sandbox.json``, and a client of its API with the sandbox's key."""
    state = directory / "sandbox"
    argv = [sys.executable, "-m", "tailjit", "sandbox", "--state", str(state)]
    process = Process(
        "sandbox", [*argv, "--listen", "127.0.0.1:0"], clean_env(), directory / "sandbox.log"
    )
    info = process.start(state / "sandbox.json")
    client = httpx.Client(
        base_url=info["base_url"],
        headers={"Authorization": f"Bearer {info['api_key']}"},
        timeout=60,
    )
    return process, info, client


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAILJIT_", "TAILSCALE_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISS"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``q`` of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
