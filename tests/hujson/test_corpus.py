"""Acceptance against third-party data: the conformance cases and the real policy corpus.

The data lives in ../shared (no licences, so never copied here); these tests skip without it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tailjit import hujson
from tailjit.testing import load_module

EDIT = load_module(Path(__file__).with_name("marked_grant.py"), "hujson_marked_grant")
GRANT, MARKER, append_marked_grant = EDIT.GRANT, EDIT.MARKER, EDIT.append_marked_grant


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def value_hash(value: Any) -> str:
    """The corpus value hash (HUJSON.md, last paragraph)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def conformance(shared_dir: Path) -> list[dict[str, str]]:
    return _rows(shared_dir / "corpus" / "conformance" / "EXPECTED.tsv")


@pytest.fixture(scope="module")
def features(shared_dir: Path) -> list[dict[str, str]]:
    return _rows(shared_dir / "corpus" / "FEATURES.tsv")


def test_conformance_cases_get_the_reference_verdict(
    shared_dir: Path, conformance: list[dict[str, str]]
) -> None:
    """Accepted cases give the reference value; rejected ones the reference message and place."""
    assert len(conformance) == 30
    for row in conformance:
        data = (shared_dir / "corpus" / "conformance" / row["file"]).read_bytes()
        if row["tailscale_hujson_verdict"] == "accept":
            value = hujson.parse(data)
            assert value.pack() == data, row["file"]
            want = row["standardized_value_sorted_keys"]
            if not want.startswith("(long"):
                got = json.dumps(value.to_python(), sort_keys=True, separators=(",", ":"))
                assert got == want, row["file"]
        else:
            with pytest.raises(hujson.HuJSONError) as caught:
                hujson.parse(data)
            # The TSV cuts E20's message at its raw tab; the rest is compared whole.
            assert f"hujson: {caught.value}".startswith(row["tailscale_hujson_error"]), row["file"]
            prefix = row["tailscale_hujson_error"].split(":")[1]  # " line L, column C"
            assert f" line {caught.value.line}, column {caught.value.column}" == prefix


def test_deep_nesting_is_accepted_to_600_and_refused_past_the_limit() -> None:
    """Depth 600 parses (E24); far deeper fails with a positioned error, not RecursionError."""
    assert hujson.parse("[" * 600 + "]" * 600).to_python() is not None
    with pytest.raises(hujson.HuJSONError) as caught:
        hujson.parse("[" * 5000 + "]" * 5000)
    assert (caught.value.line, caught.value.column) == (1, 1001)


def test_valid_corpus_files_pack_back_and_hash_to_the_reference_value(
    shared_dir: Path, features: list[dict[str, str]]
) -> None:
    valid = [row for row in features if row["valid_hujson"] == "yes"]
    assert len(valid) == 57
    for row in valid:
        data = (shared_dir / "corpus" / "policies" / row["file"]).read_bytes()
        value = hujson.parse(data)
        assert value.pack() == data, row["file"]
        assert value_hash(value.to_python()) == row["value_sha256"], row["file"]
        assert json.loads(value.standardize()) == value.to_python(), row["file"]


def test_invalid_corpus_files_are_refused_with_the_reference_position(
    shared_dir: Path, features: list[dict[str, str]]
) -> None:
    invalid = [row for row in features if row["valid_hujson"] == "no"]
    assert len(invalid) == 3
    for row in invalid:
        data = (shared_dir / "corpus" / "policies" / row["file"]).read_bytes()
        with pytest.raises(hujson.HuJSONError) as caught:
            hujson.parse(data)
        assert f"hujson: {caught.value}" == row["reference_parser_error"]


def test_append_then_remove_a_marked_grant_restores_every_corpus_file(
    shared_dir: Path, features: list[dict[str, str]]
) -> None:
    """Acceptance 3: the edit has the intended value, and undoing it gives back the exact bytes."""
    for row in features:
        if row["valid_hujson"] != "yes":
            continue
        data = (shared_dir / "corpus" / "policies" / row["file"]).read_bytes()
        original = hujson.parse(data)
        edited = append_marked_grant(original)
        expected = original.to_python()
        assert isinstance(expected, dict)
        expected.setdefault("grants", []).append(GRANT)
        assert edited.to_python() == expected, row["file"]
        grants = edited.find("/grants")
        assert grants is not None
        assert MARKER in grants.text(), row["file"]
        restored = edited.remove(f"/grants/{len(expected['grants']) - 1}")
        if original.find("/grants") is None:
            restored = restored.remove("/grants")
        assert restored.pack() == data, row["file"]
        assert original.pack() == data  # the original tree was never touched


def test_appended_grant_keeps_the_file_line_endings(shared_dir: Path) -> None:
    """The CRLF corpus files get CRLF lines in the new entry, and no lone LF."""
    for name in ("lordmuffin__homelab__policy.hujson", "mionemedia__acl__policy.hujson"):
        data = (shared_dir / "corpus" / "policies" / name).read_bytes()
        edited = append_marked_grant(hujson.parse(data)).pack()
        assert edited.count(b"\n") == edited.count(b"\r\n"), name
        assert len(edited) > len(data)
