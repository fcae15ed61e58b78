"""policy/tailjit.schema.json: generated from the models, never stale, and true to the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailjit import hujson
from tailjit.eligibility.schema import json_schema, json_schema_text

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
SCHEMA = POLICY_DIR / "tailjit.schema.json"
EXAMPLES = sorted((POLICY_DIR / "examples").glob("*.hujson"))


def test_the_committed_schema_is_not_stale() -> None:
    assert SCHEMA.read_text() == json_schema_text(), (
        "policy/tailjit.schema.json is stale; regenerate it with "
        "`.venv/bin/python -m tailjit.eligibility.schema > policy/tailjit.schema.json`"
    )


def test_the_schema_refuses_unknown_fields_everywhere() -> None:
    schema = json_schema()
    objects = [schema, *schema["$defs"].values()]

    assert all(o.get("additionalProperties") is False for o in objects)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate_against_the_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(hujson.parse(path.read_bytes()).standardize())

    jsonschema.Draft202012Validator(json_schema()).validate(document)
