"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit.testing import find_shared_dir

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared directory beside the repository; tests that need it skip when it is absent."""
    found = find_shared_dir(REPO_ROOT)
    if found is None:
        pytest.skip(
            "../shared is not present: the third-party corpus and reference files live there; "
            "clone the project with shared/ beside it to run these tests"
        )
    return found
