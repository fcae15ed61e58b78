"""Fixtures for the Tailscale client tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def wire(shared_dir: Path) -> Path:
    """``shared/ref/wire``: real request and response bodies (read there, never copied here)."""
    return shared_dir / "ref" / "wire"
