"""The ``tailjit`` command group: help, version, and the installed entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tailjit import __version__
from tailjit.cli import main


def test_help_describes_the_product() -> None:
    result = CliRunner().invoke(main, ["--help"])

    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "just-in-time access for a Tailscale tailnet" in result.output


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(main, ["--version"])

    assert result.exit_code == 0, result.output
    assert result.output == f"tailjit, version {__version__}\n"


def test_python_dash_m_tailjit_runs_the_cli() -> None:
    """`python -m tailjit --help` works in a real process and names the program `tailjit`."""
    proc = subprocess.run(
        [sys.executable, "-m", "tailjit", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: tailjit ")


def test_console_script_runs_the_cli() -> None:
    """The `tailjit` script that installation puts beside the interpreter runs the same group."""
    script = Path(sys.executable).parent / "tailjit"
    if not script.exists():
        pytest.skip(f"tailjit is not installed beside {sys.executable}")

    proc = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"tailjit, version {__version__}\n"
