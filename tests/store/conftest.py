"""Fixtures of the store tests: a store on a real SQLite file, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tailjit.requests.testing import FakeClock
from tailjit.store import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """The database file of `store`, to open it again."""
    return tmp_path / "tailjit.db"


@pytest.fixture
def store(path: Path, clock: FakeClock) -> Iterator[Store]:
    with Store.open(path, clock=clock) as opened:
        yield opened
