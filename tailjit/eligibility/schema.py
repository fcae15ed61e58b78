"""The JSON Schema of the eligibility file, generated from its models.

``python -m tailjit.eligibility.schema > policy/tailjit.schema.json`` regenerates the copy that
editors validate with; a test fails when that copy is stale.
"""

from __future__ import annotations

import json
from typing import Any

from tailjit.eligibility._model import PolicyFile

SCHEMA_ID = "https://github.com/tailjit/tailjit/raw/main/policy/tailjit.schema.json"


def json_schema() -> dict[str, Any]:
    """The schema as a JSON value."""
    schema = PolicyFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def json_schema_text() -> str:
    """The schema as the text of policy/tailjit.schema.json."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
