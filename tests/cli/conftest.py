"""A fake daemon for the CLI's commands: the contract's routes over an in-memory dict.

The fake speaks the HTTP API through an `httpx.MockTransport`, handed to the commands through
`tailjit.cli._client.new_http_client`, the one seam the CLI offers. The real daemon and the CLI
meet in the end-to-end tests; here the fake keeps every call so tests can assert on what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from tailjit.cli import _access, _client, main

ADMIN = "carol@example.com"
ADMIN_TOKEN = "admin-token-0123456789abcdefghijklmnopqrstuv"
ALICE = "alice@example.com"
ALICE_TOKEN = "alice-token-0123456789abcdefghijklmnopqrstuv"
EXPIRES = "2026-01-01T13:00:00Z"
NOW = "2026-01-01T12:00:00Z"


class FakeDaemon:
    """The daemon's API over a dict of requests; ``calls`` keeps every request it answered."""

    def __init__(self) -> None:
        self.tokens = {ADMIN_TOKEN: ADMIN, ALICE_TOKEN: ALICE}
        self.admins = {ADMIN}
        self.requests: dict[str, dict[str, Any]] = {}
        self.calls: list[httpx.Request] = []
        self.polls_until_active = 1
        """GETs of an approved request before the fake reports it active (None: never)."""
        self.opens: list[dict[str, Any]] = [
            {"src": "alice-laptop", "dst": "db-prod:5432", "proto": "tcp"}
        ]
        self.fail_next: tuple[int, str, str] | None = None
        """(status, code, message) to answer the next /v1/ call with."""
        self._serial = 0
        self.transport = httpx.MockTransport(self.handle)

    # -- helpers for tests

    def add(self, requester: str, target: str, state: str, **fields: Any) -> dict[str, Any]:
        """Store a request in ``state`` and return it."""
        self._serial += 1
        request = {
            "id": f"R{self._serial:07d}",
            "grant_id": f"G{self._serial:07d}" if state != "pending" else None,
            "requester": requester,
            "target": target,
            "state": state,
            "eligibility": "db-oncall",
            "override": False,
            "origin": "requested",
            "reason": None,
            "ticket": None,
            "duration": "1h",
            "duration_seconds": 3600,
            "created_at": NOW,
            "created_by": requester,
            "approvals": [],
            "approved_at": None,
            "approved_by": None,
            "activated_at": None,
            "expires_at": EXPIRES if state == "active" else None,
            "lapses_at": "2026-01-02T12:00:00Z" if state == "pending" else None,
            "extensions": [],
            "ended_at": None,
            "ended_by": None,
            "ended_comment": None,
            "version": 1,
            **fields,
        }
        self.requests[request["id"]] = request
        return request

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        """The calls made with ``method`` to ``path``."""
        return [c for c in self.calls if c.method == method and c.url.path == path]

    def body(self, method: str, path: str) -> dict[str, Any]:
        """The JSON body of the one call to ``path``."""
        (call,) = self.sent(method, path)
        return dict(json.loads(call.content))

    # -- the API

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        auth = request.headers.get("Authorization", "")
        caller = self.tokens.get(auth.removeprefix("Bearer "))
        if caller is None:
            return _error(401, "unauthenticated", "a bearer token is required")
        if self.fail_next is not None:
            status, code, message = self.fail_next
            self.fail_next = None
            return _error(status, code, message)
        body = json.loads(request.content) if request.content else {}
        parts = request.url.path.strip("/").split("/")
        route = (request.method, *parts[1:2], *parts[3:4])
        if route == ("GET", "whoami"):
            return httpx.Response(200, json={"login": caller, "admin": caller in self.admins})
        if route[1:] in (("preview",), ("grants",), ("plan",), ("audit",)) and (
            caller not in self.admins
        ):
            return _error(403, "not-an-admin", f"{caller} is not an admin")
        if route == ("POST", "preview"):
            return httpx.Response(200, json={"opens": self.opens})
        if route == ("POST", "grants"):
            return self._grant(caller, body)
        if route == ("POST", "requests"):
            return self._submit(caller, body)
        if route == ("GET", "requests") and len(parts) == 2:
            return self._list(request.url.params)
        if route == ("GET", "plan"):
            op = {
                "op": "sync-group",
                "group": "group:eng",
                "text": "write 2 member(s) to group:eng",
            }
            return httpx.Response(200, json={"summary": "1 operation(s)", "ops": [op]})
        if route == ("GET", "audit"):
            return httpx.Response(200, json={"records": [_record(1), _record(2)]})
        found = self.requests.get(parts[2]) if len(parts) > 2 else None
        if found is None:
            return _error(404, "not-found", f"no request {parts[2:3]}")
        if request.method == "GET":
            return httpx.Response(200, json={"request": self._polled(found)})
        return self._act(caller, found, parts[3], body)

    def _grant(self, caller: str, body: dict[str, Any]) -> httpx.Response:
        if body["target"].split(":")[1] == "nowhere":
            return _error(400, "invalid-input", "invalid target: no such host", "target")
        fields = {"origin": "admin", "override": body["override"] is not None}
        if body["dry_run"]:
            return httpx.Response(
                200, json={"request": None, "plan": _plan("submit", caller), "opens": self.opens}
            )
        found = self.add(body["user"], body["target"], "approved", created_by=caller, **fields)
        plan = _plan("submit", caller, after="approved")
        return httpx.Response(201, json={"request": found, "plan": plan, "opens": self.opens})

    def _submit(self, caller: str, body: dict[str, Any]) -> httpx.Response:
        if body["dry_run"]:
            refusal = {"code": "not-eligible", "message": f"{caller} may not reach it"}
            plan = _plan("submit", caller, refusal=refusal, why=["no eligibility matches"])
            return httpx.Response(200, json={"request": None, "plan": plan})
        state = "approved" if body["breakglass"] else "pending"
        origin = "breakglass" if body["breakglass"] else "requested"
        found = self.add(caller, body["target"], state, origin=origin)
        plan = _plan("submit", caller, after=state)
        plan["approvals"] = {"approvers": [ADMIN, "group:sre"]}
        return httpx.Response(201, json={"request": found, "plan": plan})

    def _list(self, params: httpx.QueryParams) -> httpx.Response:
        states = params.get_list("state")
        found = [
            r
            for r in self.requests.values()
            if (not states or r["state"] in states)
            and r["requester"] == params.get("requester", r["requester"])
        ]
        return httpx.Response(200, json={"requests": found})

    def _polled(self, found: dict[str, Any]) -> dict[str, Any]:
        if found["state"] == "approved" and self.polls_until_active is not None:
            self.polls_until_active -= 1
            if self.polls_until_active <= 0:
                found.update(state="active", expires_at=EXPIRES, activated_at=NOW)
        return found

    def _act(
        self, caller: str, found: dict[str, Any], action: str, body: dict[str, Any]
    ) -> httpx.Response:
        moves = {
            "approve": ("pending", "approved"),
            "deny": ("pending", "denied"),
            "cancel": ("pending", "cancelled"),
            "revoke": ("active", "revoked"),
            "release": ("active", "released"),
            "extend": ("active", "active"),
        }
        before, after = moves[action]
        if action == "approve" and caller == found["requester"]:
            return _error(403, "self-approval-forbidden", "you may not approve your own request")
        if found["state"] != before:
            refusal = {"code": "transition-not-allowed", "message": f"{found['state']} request"}
            if body.get("dry_run"):
                plan = _plan(action, caller, refusal=refusal)
                return httpx.Response(200, json={"request": found, "plan": plan})
            return _error(409, refusal["code"], refusal["message"])
        plan = _plan(action, caller, before=before, after=after, why=[f"{caller} may {action}"])
        if body.get("dry_run"):
            return httpx.Response(200, json={"request": found, "plan": plan})
        found.update(state=after, version=found["version"] + 1)
        if action == "approve":
            found.update(grant_id="G" + found["id"][1:], approved_by=caller)
            found["approvals"].append(
                {"approver": caller, "stage": 1, "at": NOW, "comment": body.get("comment")}
            )
        if action == "extend":
            found.update(expires_at="2026-01-01T14:00:00Z")
            found["extensions"].append({"actor": caller, "by": body["duration"], "at": NOW})
        return httpx.Response(200, json={"request": found, "plan": plan})


def _error(status: int, code: str, message: str, field: str | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message, "field": field}}
    )


def _plan(
    action: str,
    actor: str,
    *,
    before: str | None = None,
    after: str | None = None,
    refusal: dict[str, str] | None = None,
    why: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "actor": actor,
        "at": NOW,
        "allowed": refusal is None,
        "refusal": refusal,
        "request": None,
        "eligibility": None,
        "state": {"before": before, "after": after},
        "approvals": None,
        "expires_at": None,
        "events": [] if refusal else [f"request.{action}"],
        "why": why or [],
    }


def _record(seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": NOW,
        "recorded_at": NOW,
        "event": "request.created",
        "actor": ALICE,
        "subject": f"R{seq:07d}",
        "sentence": "alice asked for db-prod:5432",
        "data": {},
        "prev": "0" * 64,
        "hash": "1" * 64,
    }


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TAILJIT_* setting of the machine leaks in, and the state dir is an empty tmp dir."""
    for name in ("TAILJIT_URL", "TAILJIT_TOKEN", "TAILJIT_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAILJIT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(_access, "POLL_INTERVAL", 0.001)


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> FakeDaemon:
    """The fake daemon, reached by every command; the admin's token is in TAILJIT_TOKEN."""
    fake = FakeDaemon()
    monkeypatch.setattr(_client, "new_http_client", lambda: httpx.Client(transport=fake.transport))
    monkeypatch.setenv("TAILJIT_TOKEN", ADMIN_TOKEN)
    return fake


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input is a terminal: `tailjit grant` may ask its question."""
    monkeypatch.setattr(_access, "_interactive", lambda: True)


@pytest.fixture
def tailjit() -> Callable[..., Result]:
    """Run ``tailjit ARGS...`` in-process; ``input=`` feeds standard input."""

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input)

    return run
