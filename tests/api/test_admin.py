"""The admin-only routes: direct grants (with and without override), preview, plan, audit and
reconcile; each is 403 ``not-an-admin`` for anyone else."""

from __future__ import annotations

from typing import Any

import pytest

from tailjit.ids import Login
from tailjit.targets import parse_target

from .conftest import ALICE, BOB, CAROL, ERIN, OPENS, PLAN, Client, FakeBackend

GRANT = {"user": "alice@example.com", "target": "db-prod:5432", "duration": "2h", "reason": "x"}


def _error(response: Any) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["field"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/grants", GRANT),
        ("POST", "/v1/preview", {"user": "alice@example.com", "target": "db-prod:5432"}),
        ("GET", "/v1/plan", None),
        ("GET", "/v1/audit", None),
        ("POST", "/v1/reconcile", None),
    ],
)
def test_admin_routes_are_403_for_everyone_else(
    client: Client, backend: FakeBackend, method: str, path: str, body: Any
) -> None:
    response = client(ALICE).request(method, path, json=body)
    assert _error(response) == (403, "not-an-admin", None)
    assert "admins are: carol@example.com" in response.json()["error"]["message"]
    assert backend.wakes == 0
    assert backend.store.find() == []


def test_an_admin_grants_within_an_eligibility(client: Client, backend: FakeBackend) -> None:
    response = client(CAROL).post("/v1/grants", json=GRANT)
    assert response.status_code == 201, response.text
    body = response.json()
    request = body["request"]
    assert (request["requester"], request["state"], request["origin"]) == (
        "alice@example.com",
        "approved",
        "admin",
    )
    assert (request["eligibility"], request["override"]) == ("db-prod", False)
    assert request["created_by"] == "carol@example.com"
    assert body["plan"]["actor"] == "carol@example.com"
    assert body["opens"] == OPENS
    assert backend.opens_asked == [(ALICE, parse_target("db-prod:5432"))]
    assert backend.wakes == 1


def test_an_override_grant_is_flagged_in_the_request(client: Client) -> None:
    body = {**GRANT, "user": "erin@example.com", "override": "INC-9 outage"}
    response = client(CAROL).post("/v1/grants", json=body)
    assert response.status_code == 201, response.text
    request = response.json()["request"]
    assert (request["requester"], request["eligibility"], request["override"]) == (
        "erin@example.com",
        "(override)",
        True,
    )
    assert "[override: INC-9 outage]" in request["reason"]


def test_a_grant_outside_the_users_eligibilities_is_403(client: Client) -> None:
    response = client(CAROL).post("/v1/grants", json={**GRANT, "user": "erin@example.com"})
    assert _error(response) == (403, "not-eligible", None)


def test_a_dry_run_grant_commits_nothing(client: Client, backend: FakeBackend) -> None:
    response = client(CAROL).post("/v1/grants", json={**GRANT, "dry_run": True})
    assert response.status_code == 200
    assert response.json()["request"]["state"] == "approved"
    assert response.json()["opens"] == OPENS
    assert backend.store.find() == []
    assert backend.wakes == 0


def test_preview_says_what_a_grant_would_open(client: Client, backend: FakeBackend) -> None:
    body = {"user": "bob@example.com", "target": "web-staging:443"}
    response = client(CAROL).post("/v1/preview", json=body)
    assert response.status_code == 200
    assert response.json() == {"opens": OPENS}
    assert backend.opens_asked == [(BOB, parse_target("web-staging:443"))]
    assert backend.store.find() == []


def test_plan_is_the_backends_plan(client: Client) -> None:
    response = client(CAROL).get("/v1/plan")
    assert (response.status_code, response.json()) == (200, PLAN)
    assert response.headers["cache-control"] == "no-store"


def test_reconcile_wakes_the_loop(client: Client, backend: FakeBackend) -> None:
    response = client(CAROL).post("/v1/reconcile")
    assert (response.status_code, response.json()) == (202, {"woken": True})
    assert backend.wakes == 1


def test_audit_lists_records_after_a_sequence_number_by_subject(client: Client) -> None:
    for user in ("alice@example.com", "alice@example.com"):
        client(CAROL).post("/v1/grants", json={**GRANT, "user": user})
    alice = client(ALICE).post("/v1/requests", json={"target": "db-prod:5432", "reason": "r"})
    subject = f"request:{alice.json()['request']['id']}"

    def records(query: str = "") -> list[dict[str, Any]]:
        response = client(CAROL).get(f"/v1/audit{query}")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["records"]
        return found

    everything = records()
    assert [r["seq"] for r in everything] == [1, 2, 3, 4, 5]
    assert [r["event"] for r in everything] == [
        "request.created",
        "request.approved",
        "request.created",
        "request.approved",
        "request.created",
    ]
    assert everything[0]["actor"] == "carol@example.com"
    assert set(everything[0]) >= {"seq", "at", "event", "actor", "subject", "sentence", "hash"}
    assert [r["seq"] for r in records("?after=2&limit=2")] == [3, 4]
    assert [r["subject"] for r in records(f"?subject={subject}")] == [subject]
    assert _error(client(CAROL).get("/v1/audit?limit=0")) == (400, "invalid-input", "limit")
    assert _error(client(CAROL).get("/v1/audit?after=x")) == (400, "invalid-input", "after")


def test_whoami_says_who_is_an_admin(client: Client) -> None:
    for login, admin in ((CAROL, True), (ERIN, False)):
        assert client(login).get("/v1/whoami").json() == {"login": str(login), "admin": admin}
    assert Login("carol@example.com") == CAROL
