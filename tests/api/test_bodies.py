"""Bodies, paths and queries are read strictly: every refusal is 400 naming the field at fault
(413 for a body too large), and nothing is committed."""

from __future__ import annotations

from typing import Any

import pytest

from tailjit.api.bodies import MAX_BODY

from .conftest import ALICE, BOB, CAROL, Client, FakeBackend


def _error(response: Any) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["field"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "db-prod:99999", "reason": "r"}, "target"),
        ({"target": "db prod", "reason": "r"}, "target"),
        ({"target": "db-prod:5432", "duration": "forever", "reason": "r"}, "duration"),
        ({"target": "db-prod:5432", "reason": "r", "color": "blue"}, "color"),
        ({"target": 5432, "reason": "r"}, "target"),
        ({"target": "db-prod:5432", "reason": "r", "dry_run": "yes"}, "dry_run"),
        ({"target": "db-prod:5432", "reason": "r", "breakglass": 1}, "breakglass"),
        ({"target": "db-prod:5432", "reason": ["r"]}, "reason"),
        ({"reason": "r"}, "target"),
        ({"target": "db-prod:5432", "reason": "two\nlines"}, "reason"),
    ],
)
def test_a_bad_request_body_is_400_naming_the_field(
    client: Client, backend: FakeBackend, body: dict[str, Any], field: str
) -> None:
    response = client(ALICE).post("/v1/requests", json=body)
    assert _error(response) == (400, "invalid-input", field)
    assert response.headers["cache-control"] == "no-store"
    assert backend.store.find() == []
    assert backend.wakes == 0


def test_an_unknown_key_is_named_in_the_message(client: Client) -> None:
    response = client(ALICE).post("/v1/requests", json={"target": "db-prod:5432", "colour": 1})
    message = response.json()["error"]["message"]
    assert message.startswith("unknown key 'colour'; the keys are: breakglass, dry_run")


@pytest.mark.parametrize(
    "content", [b"[1, 2]", b'"text"', b"{not json", b'{"dry_run": NaN}', b"\xff\xfe"]
)
def test_a_body_that_is_not_a_json_object_is_400(client: Client, content: bytes) -> None:
    response = client(ALICE).post("/v1/requests", content=content)
    assert _error(response) == (400, "invalid-input", "body")


def test_a_key_given_twice_is_400_naming_it(client: Client) -> None:
    content = b'{"target": "db-prod:5432", "target": "web-staging:443"}'
    response = client(ALICE).post("/v1/requests", content=content)
    assert _error(response) == (400, "invalid-input", "target")


def test_a_body_over_64_kib_is_413(client: Client) -> None:
    response = client(ALICE).post("/v1/requests", json={"reason": "x" * MAX_BODY})
    assert _error(response) == (413, "too-large", None)


def test_a_bad_id_is_400_naming_id(client: Client) -> None:
    for path in ("/v1/requests/not-an-id", "/v1/requests/IIIIIIII"):
        assert _error(client(BOB).get(path)) == (400, "invalid-input", "id")
    assert _error(client(BOB).post("/v1/requests/short/approve")) == (400, "invalid-input", "id")


def test_grant_fields_are_named(client: Client) -> None:
    good = {"user": "alice@example.com", "target": "db-prod:5432", "duration": "1h"}
    cases = {
        "user": {**good, "user": "alice"},
        "duration": {**good, "duration": "0s"},
        "target": {**good, "target": "db-prod"},
    }
    for field, body in cases.items():
        assert _error(client(CAROL).post("/v1/grants", json=body)) == (
            400,
            "invalid-input",
            field,
        )
    missing = {k: v for k, v in good.items() if k != "duration"}
    assert _error(client(CAROL).post("/v1/grants", json=missing)) == (
        400,
        "invalid-input",
        "duration",
    )


def test_an_extend_without_a_duration_is_400(client: Client) -> None:
    created = client(ALICE).post("/v1/requests", json={"target": "db-prod:5432", "reason": "r"})
    request_id = created.json()["request"]["id"]
    response = client(ALICE).post(f"/v1/requests/{request_id}/extend", json={})
    assert _error(response) == (400, "invalid-input", "duration")
    response = client(ALICE).post(f"/v1/requests/{request_id}/cancel", json={"comment": "x"})
    assert _error(response) == (400, "invalid-input", "comment")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?state=gone", "state"),
        ("?requester=alice", "requester"),
        ("?limit=-1", "limit"),
        ("?limit=ten", "limit"),
        ("?sort=id", "sort"),
    ],
)
def test_bad_list_queries_are_400_naming_the_parameter(
    client: Client, query: str, field: str
) -> None:
    assert _error(client(BOB).get(f"/v1/requests{query}")) == (400, "invalid-input", field)


def test_unknown_routes_and_methods_answer_in_the_error_format(client: Client) -> None:
    assert _error(client(BOB).get("/v1/nothing")) == (404, "not-found", None)
    wrong = client(BOB).delete("/v1/requests")
    assert _error(wrong) == (405, "method-not-allowed", None)
    assert "POST" in wrong.headers["allow"]
