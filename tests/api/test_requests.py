"""Requests over HTTP: submitted, decided, extended and ended as the caller, each answer the
request as it now is and the plan, the reconcile loop woken only by committed changes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tailjit.ids import RequestId
from tailjit.requests.testing import FakeClock
from tailjit.workflow import Workflow

from .conftest import ALICE, BOB, CAROL, ERIN, Client, FakeBackend

DB_PROD = {"target": "db-prod:5432", "reason": "INC-123"}


def _submit(client: Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client(ALICE).post("/v1/requests", json=body or DB_PROD)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _error(response: Any) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["field"]


def test_a_request_is_created_pending_for_the_caller(client: Client, backend: FakeBackend) -> None:
    response = client(ALICE).post("/v1/requests", json=DB_PROD)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    request = body["request"]
    assert request == {
        "id": "00000001",
        "grant_id": request["grant_id"],
        "requester": "alice@example.com",
        "target": "db-prod:5432",
        "state": "pending",
        "eligibility": "db-prod",
        "override": False,
        "origin": "requested",
        "reason": "INC-123",
        "ticket": None,
        "duration": "1h",
        "duration_seconds": 3600,
        "created_at": "2026-01-01T12:00:00Z",
        "created_by": "alice@example.com",
        "approvals": [],
        "approved_at": None,
        "approved_by": None,
        "activated_at": None,
        "expires_at": None,
        "lapses_at": "2026-01-01T14:00:00Z",
        "extensions": [],
        "ended_at": None,
        "ended_by": None,
        "ended_comment": None,
        "version": 1,
    }
    assert body["plan"]["action"] == "submit"
    assert body["plan"]["allowed"] is True
    assert body["plan"]["events"] == ["request.created"]
    assert backend.wakes == 1


def test_request_then_approve_activate_extend_release(
    client: Client, backend: FakeBackend, workflow: Workflow, clock: FakeClock
) -> None:
    request_id = _submit(client)["request"]["id"]

    clock.advance(minutes=5)
    approved = client(BOB).post(f"/v1/requests/{request_id}/approve", json={"comment": "ok"})
    assert approved.status_code == 200
    request = approved.json()["request"]
    assert request["state"] == "approved"
    assert request["approvals"] == [
        {"approver": "bob@example.com", "stage": 1, "at": "2026-01-01T12:05:00Z", "comment": "ok"}
    ]
    assert (request["approved_at"], request["approved_by"]) == (
        "2026-01-01T12:05:00Z",
        "bob@example.com",
    )
    assert request["lapses_at"] is None

    clock.advance(minutes=1)
    workflow.activate(RequestId(request_id))  # the reconcile loop's part

    extended = client(ALICE).post(f"/v1/requests/{request_id}/extend", json={"duration": "30m"})
    assert extended.status_code == 200
    request = extended.json()["request"]
    assert request["state"] == "active"
    assert request["expires_at"] == "2026-01-01T13:36:00Z"
    assert request["extensions"] == [
        {"actor": "alice@example.com", "by": "30m", "at": "2026-01-01T12:06:00Z"}
    ]

    clock.advance(minutes=10)
    released = client(ALICE).post(f"/v1/requests/{request_id}/release")
    assert released.status_code == 200
    request = released.json()["request"]
    assert (request["state"], request["ended_at"], request["ended_by"]) == (
        "released",
        "2026-01-01T12:16:00Z",
        "alice@example.com",
    )
    assert backend.wakes == 4  # submit, approve, extend, release


def test_a_second_extension_past_the_limit_is_409(
    client: Client, workflow: Workflow, clock: FakeClock
) -> None:
    request_id = _submit(client)["request"]["id"]
    client(BOB).post(f"/v1/requests/{request_id}/approve")
    workflow.activate(RequestId(request_id))
    assert (
        client(ALICE).post(f"/v1/requests/{request_id}/extend", json={"duration": "1h"}).is_success
    )
    again = client(ALICE).post(f"/v1/requests/{request_id}/extend", json={"duration": "1h"})
    assert _error(again) == (409, "extensions-exhausted", None)


def test_deny_ends_the_request_with_the_comment(client: Client) -> None:
    request_id = _submit(client)["request"]["id"]
    response = client(CAROL).post(f"/v1/requests/{request_id}/deny", json={"comment": "no"})
    assert response.status_code == 200
    request = response.json()["request"]
    assert (request["state"], request["ended_by"], request["ended_comment"]) == (
        "denied",
        "carol@example.com",
        "no",
    )


def test_the_requester_may_not_approve_their_own_db_prod_request(
    client: Client, backend: FakeBackend
) -> None:
    request_id = _submit(client)["request"]["id"]
    response = client(ALICE).post(f"/v1/requests/{request_id}/approve")
    assert _error(response) == (403, "self-approval-forbidden", None)
    assert "does not allow self-approval" in response.json()["error"]["message"]
    assert backend.wakes == 1


def test_someone_not_an_approver_is_403(client: Client) -> None:
    request_id = _submit(client)["request"]["id"]
    assert _error(client(ERIN).post(f"/v1/requests/{request_id}/approve")) == (
        403,
        "not-an-approver",
        None,
    )


def test_a_request_no_eligibility_allows_is_403_not_eligible(client: Client) -> None:
    response = client(BOB).post("/v1/requests", json=DB_PROD)
    assert _error(response) == (403, "not-eligible", None)


def test_a_duration_over_the_maximum_is_422(client: Client) -> None:
    response = client(ALICE).post("/v1/requests", json={**DB_PROD, "duration": "5h"})
    assert _error(response) == (422, "duration-too-long", None)


def test_a_missing_reason_is_422_when_the_eligibility_requires_one(client: Client) -> None:
    response = client(ALICE).post("/v1/requests", json={"target": "db-prod:5432"})
    assert _error(response) == (422, "justification-missing", None)


def test_approving_a_request_twice_is_409(client: Client) -> None:
    request_id = _submit(client)["request"]["id"]
    client(BOB).post(f"/v1/requests/{request_id}/approve")
    again = client(CAROL).post(f"/v1/requests/{request_id}/approve")
    assert _error(again) == (409, "transition-not-allowed", None)


def test_cancel_is_the_requesters_and_revoke_an_approvers(
    client: Client, workflow: Workflow
) -> None:
    first = _submit(client)["request"]["id"]
    assert _error(client(BOB).post(f"/v1/requests/{first}/cancel")) == (
        403,
        "not-requester",
        None,
    )
    cancelled = client(ALICE).post(f"/v1/requests/{first}/cancel", json={})
    assert cancelled.json()["request"]["state"] == "cancelled"

    second = _submit(client)["request"]["id"]
    client(BOB).post(f"/v1/requests/{second}/approve")
    workflow.activate(RequestId(second))
    assert _error(client(ERIN).post(f"/v1/requests/{second}/revoke")) == (
        403,
        "revoke-not-allowed",
        None,
    )
    revoked = client(BOB).post(f"/v1/requests/{second}/revoke", json={"comment": "done"})
    assert revoked.status_code == 200
    assert revoked.json()["request"]["state"] == "revoked"
    assert revoked.json()["request"]["ended_comment"] == "done"


# --- dry runs -------------------------------------------------------------------------------


def test_a_dry_run_request_commits_nothing_and_wakes_nothing(
    client: Client, backend: FakeBackend
) -> None:
    response = client(ALICE).post("/v1/requests", json={**DB_PROD, "dry_run": True})
    assert response.status_code == 200
    body = response.json()
    assert body["request"]["state"] == "pending"
    assert body["plan"]["allowed"] is True
    assert backend.store.find() == []
    assert list(backend.store.audit.records()) == []
    assert backend.wakes == 0


def test_a_refused_dry_run_request_is_200_with_the_refusal_in_the_plan(
    client: Client, backend: FakeBackend
) -> None:
    response = client(BOB).post("/v1/requests", json={**DB_PROD, "dry_run": True})
    assert response.status_code == 200
    body = response.json()
    assert body["request"] is None
    assert body["plan"]["allowed"] is False
    assert body["plan"]["refusal"]["code"] == "not-eligible"
    assert backend.wakes == 0


def test_a_dry_run_approval_leaves_the_request_pending(
    client: Client, backend: FakeBackend
) -> None:
    request_id = _submit(client)["request"]["id"]
    response = client(BOB).post(f"/v1/requests/{request_id}/approve", json={"dry_run": True})
    assert response.status_code == 200
    assert response.json()["request"]["state"] == "approved"
    assert response.json()["plan"]["state"] == {"before": "pending", "after": "approved"}
    assert client(BOB).get(f"/v1/requests/{request_id}").json()["request"]["state"] == "pending"
    assert backend.wakes == 1  # the submission only


# --- reading --------------------------------------------------------------------------------


def test_get_one_request_and_unknown_ids(client: Client) -> None:
    request_id = _submit(client)["request"]["id"]
    found = client(BOB).get(f"/v1/requests/{request_id.lower()}")
    assert found.status_code == 200
    assert found.json()["request"]["id"] == request_id

    missing = client(BOB).get("/v1/requests/ZZZZZZZZ")
    assert _error(missing) == (404, "not-found", None)
    assert missing.json()["error"]["message"] == "no request ZZZZZZZZ"
    assert _error(client(BOB).post("/v1/requests/ZZZZZZZZ/approve")) == (404, "not-found", None)


def test_list_filters_by_state_and_requester_and_limits_to_the_newest(
    client: Client, clock: FakeClock
) -> None:
    first = _submit(client)["request"]["id"]
    clock.advance(minutes=1)
    second = _submit(client)["request"]["id"]
    client(ALICE).post(f"/v1/requests/{first}/cancel")

    def ids(query: str) -> list[str]:
        response = client(BOB).get(f"/v1/requests{query}")
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["requests"]]

    assert ids("") == [first, second]
    assert ids("?state=pending") == [second]
    assert ids("?state=pending&state=cancelled") == [first, second]
    assert ids("?requester=alice@example.com") == [first, second]
    assert ids("?requester=bob@example.com") == []
    assert ids("?limit=1") == [second]


def test_concurrent_decisions_on_one_request_are_taken_in_turn(client: Client) -> None:
    """Two approvers at once: one approves, the other is told the request moved on (never
    ``stale``, which would mean the calls raced inside the store)."""
    request_id = _submit(client)["request"]["id"]
    approvers = [client(BOB if n % 2 else CAROL) for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda c: c.post(f"/v1/requests/{request_id}/approve"), approvers)
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "transition-not-allowed"
    }
