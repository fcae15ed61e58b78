"""`tailjit.testing.find_shared_dir`: where the test suite finds the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit.testing import SHARED_DIR_ENV, find_shared_dir


def test_finds_shared_beside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SHARED_DIR_ENV, raising=False)
    (tmp_path / "shared").mkdir()
    (tmp_path / "repo").mkdir()

    assert find_shared_dir(tmp_path / "repo") == tmp_path / "shared"


def test_returns_none_when_shared_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SHARED_DIR_ENV, raising=False)
    (tmp_path / "repo").mkdir()

    assert find_shared_dir(tmp_path / "repo") is None


def test_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shared").mkdir()
    monkeypatch.setenv(SHARED_DIR_ENV, str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()

    assert find_shared_dir(tmp_path / "repo") == tmp_path / "elsewhere"


def test_environment_variable_naming_no_directory_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SHARED_DIR_ENV, str(tmp_path / "missing"))

    with pytest.raises(FileNotFoundError, match=SHARED_DIR_ENV):
        find_shared_dir(tmp_path)
