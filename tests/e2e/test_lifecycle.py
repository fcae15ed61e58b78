"""A grant's whole life against real processes: the sandbox, the daemon and the CLI.

Acceptance points 1, 2, 3 and 5 of the daemon issue: a short grant appears as a marked entry
with its posture and attribute and goes again within a second of its expiry, leaving the policy
byte for byte as it was; with the daemon stopped, the sandbox's attribute expiry ends access and
a restart strips the stale entry; request, approve, extend, release and deny through the CLI,
each audited under its actor; and identifiers built to break out of a comment or inject a rule
never reach the policy file.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tailjit.hujson import parse
from tests.e2e.conftest import Daemon, Sandbox, wait_for

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
DB = "db-prod:5432"
ALICE_DEVICES = ("alice-laptop", "alice-phone")
MARKER = b"// tailjit:grant id="

# Tests name ``sandbox_process`` before ``daemon_process``: fixtures are torn down in reverse,
# so the daemon stops first instead of retrying a vanished sandbox until its budget runs out.


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(UTC)


def _ok(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON a successful CLI call printed."""
    assert result.returncode == 0, f"exit {result.returncode}:\n{result.stdout}{result.stderr}"
    return dict(json.loads(result.stdout))


def _marked(policy: bytes, grant_id: str) -> bool:
    return MARKER + grant_id.encode() in policy


def _marker_expiry(policy: bytes, grant_id: str) -> datetime | None:
    """The ``exp=`` of the grant's marker, or None when there is none."""
    for line in policy.decode().splitlines():
        if f"tailjit:grant id={grant_id} " in line:
            return _instant(line.split(" exp=", 1)[1].split(" ", 1)[0])
    return None


def _attribute_expiries(sandbox: Sandbox, hostname: str) -> dict[str, datetime | None]:
    """The ``custom:tailjit_*`` attributes of device ``hostname`` and their expiries."""
    with sandbox.http() as client:
        devices = client.get("/api/v2/tailnet/-/devices").json()["devices"]
        node = next(d["nodeId"] for d in devices if d["hostname"] == hostname)
        found = client.get(f"/api/v2/device/{node}/attributes").json()
    expiries = found.get("expiries") or {}
    return {
        key: _instant(expiries[key]) if expiries.get(key) else None
        for key in found["attributes"]
        if key.startswith("custom:tailjit_")
    }


# --- 1 and 2: a short grant comes and goes ----------------------------------------------------


def _grant(daemon: Daemon, duration: str) -> dict[str, Any]:
    return _ok(daemon.cli("grant", ALICE, DB, duration, "--reason", "INC-1", "--yes", "--json"))


def _assert_in_place(sandbox: Sandbox, grant_id: str, expires: datetime) -> None:
    """The marked entry, its posture, and the attribute with the grant's expiry on alice's
    devices are all in the tailnet, and the sandbox lets alice reach db-prod."""
    policy = sandbox.policy()
    assert _marker_expiry(policy, grant_id) == expires
    found: dict[str, Any] = json.loads(parse(policy).standardize())
    posture, attribute = f"posture:tailjit_{grant_id}", f"custom:tailjit_{grant_id}"
    entry = {"src": [ALICE], "dst": ["db-prod"], "ip": ["tcp:5432"], "srcPosture": [posture]}
    assert entry in found["grants"]
    assert found["postures"][posture] == [f"{attribute} == true"]
    for hostname in ALICE_DEVICES:
        assert _attribute_expiries(sandbox, hostname) == {attribute: expires}, hostname
    assert sandbox.check(ALICE, DB)


def test_a_grant_ends_within_a_second_of_its_expiry_and_restores_the_policy(
    sandbox_process: Sandbox, daemon_process: Daemon
) -> None:
    """A 3 s grant is live while active, gone <= 1 s after expiry, and leaves the bytes as found."""
    sandbox, daemon = sandbox_process, daemon_process
    before = sandbox.policy()
    assert not sandbox.check(ALICE, DB)

    granted = _grant(daemon, "3s")
    grant_id, expires = granted["grant_id"], _instant(granted["expires_at"])
    assert granted["state"] == "active"
    _assert_in_place(sandbox, grant_id, expires)

    wait_for(lambda: not _marked(sandbox.policy(), grant_id), timeout=10)
    lag = (_now() - expires).total_seconds()
    assert lag <= 1.0, f"the entry outlived its expiry by {lag:.2f}s"
    assert not sandbox.check(ALICE, DB)
    assert sandbox.policy() == before
    for hostname in ALICE_DEVICES:
        assert not _attribute_expiries(sandbox, hostname), hostname
    assert daemon.request(granted["id"])["state"] == "expired"


def test_the_attribute_expiry_ends_access_while_the_daemon_is_down(
    start_sandbox: Callable[..., Sandbox], start_daemon: Callable[..., Daemon]
) -> None:
    """With the daemon stopped, the sandbox expires the attribute; a restart strips the entry."""
    sandbox = start_sandbox("--attribute-expiry-lag", "0")
    daemon = start_daemon(sandbox)
    before = sandbox.policy()

    granted = _grant(daemon, "3s")
    grant_id, expires = granted["grant_id"], _instant(granted["expires_at"])
    _assert_in_place(sandbox, grant_id, expires)
    assert daemon.stop() == 0
    assert _now() < expires, "the daemon took too long to stop; the test proves nothing"

    wait_for(lambda: not any(_attribute_expiries(sandbox, h) for h in ALICE_DEVICES), timeout=10)
    assert not sandbox.check(ALICE, DB)
    stale = sandbox.policy()
    assert _marked(stale, grant_id), "the entry left without the daemon: nothing was tested"
    assert stale != before

    daemon.start()
    wait_for(lambda: not _marked(sandbox.policy(), grant_id), timeout=10)
    assert sandbox.policy() == before
    assert not sandbox.check(ALICE, DB)
    wait_for(lambda: daemon.request(granted["id"])["state"] == "expired")


# --- 3: request, approve, extend, release, deny through the CLI -------------------------------


def _audit(daemon: Daemon) -> list[dict[str, Any]]:
    records = _ok(daemon.cli("audit", "log", "--json", "--limit", "1000", user=CAROL))["records"]
    return list(records)


def _actors(records: list[dict[str, Any]], *subjects: str) -> list[tuple[str, str]]:
    """(event, actor) of the records about ``subjects``, oldest first."""
    return [(r["event"], r["actor"]) for r in records if r["subject"] in subjects]


def test_request_approve_extend_release_and_deny_are_audited_under_their_actors(
    sandbox_process: Sandbox, daemon_process: Daemon
) -> None:
    """The workflow through the CLI, each audit record naming its actor; self-approval is
    refused where the eligibility forbids it and works where it allows it."""
    sandbox, daemon = sandbox_process, daemon_process
    before = sandbox.policy()

    asked = _ok(daemon.cli("request", DB, "10m", "--reason", "INC-2", "--json", user=ALICE))
    request_id = asked["request"]["id"]
    assert asked["request"]["state"] == "pending"

    own = daemon.cli("approve", request_id, "--json", user=ALICE)
    assert own.returncode == 1, own.stdout + own.stderr
    assert "self-approval" in (own.stdout + own.stderr).lower()
    assert daemon.request(request_id)["state"] == "pending"

    approved = _ok(daemon.cli("approve", request_id, "--comment", "ok", "--json", user=BOB))
    active = approved["request"]
    assert active["state"] == "active"
    grant_id, expires = active["grant_id"], _instant(active["expires_at"])
    _assert_in_place(sandbox, grant_id, expires)

    extended = _ok(daemon.cli("extend", request_id, "5m", "--json", user=ALICE))["request"]
    later = _instant(extended["expires_at"])
    assert later - expires == timedelta(minutes=5)
    wait_for(lambda: _marker_expiry(sandbox.policy(), grant_id) == later)
    _assert_in_place(sandbox, grant_id, later)

    released = _ok(daemon.cli("release", request_id, "--json", user=ALICE))["request"]
    assert released["state"] == "released"
    wait_for(lambda: sandbox.policy() == before)
    wait_for(lambda: not any(_attribute_expiries(sandbox, h) for h in ALICE_DEVICES))
    assert not sandbox.check(ALICE, DB)

    denied_id = _ok(daemon.cli("request", DB, "10m", "--reason", "INC-3", "--json", user=ALICE))[
        "request"
    ]["id"]
    denied = _ok(daemon.cli("deny", denied_id, "--comment", "no", "--json", user=BOB))
    assert denied["request"]["state"] == "denied"

    records = _audit(daemon)
    assert _actors(records, f"request:{request_id}", f"grant:{grant_id}") == [
        ("request.created", ALICE),
        ("request.approved", BOB),
        ("grant.activated", "tailjit"),
        ("grant.extended", ALICE),
        ("grant.released", ALICE),
    ]
    assert _actors(records, f"request:{denied_id}") == [
        ("request.created", ALICE),
        ("request.denied", BOB),
    ]
    assert sandbox.policy() == before

    # web-staging allows self-approval: alice's own approval activates her request.
    own_id = _ok(daemon.cli("request", "web-staging:443", "1m", "--json", user=ALICE))["request"][
        "id"
    ]
    mine = _ok(daemon.cli("approve", own_id, "--json", user=ALICE))["request"]
    assert mine["state"] == "active"
    assert _marked(sandbox.policy(), mine["grant_id"])
    assert ("request.approved", ALICE) in _actors(_audit(daemon), f"request:{own_id}")


# --- 5: nothing typed by a user breaks out of the policy file ---------------------------------

FORGED_MARKER = "// tailjit:grant id=ZZZZZZZZ exp=2099-01-01T00:00:00Z mac=" + "0" * 32
INJECTED_RULE = '{"src":["*"],"dst":["*"],"ip":["*"]}'

Malicious = tuple[str, str, str, str | None, str]
"""(login, HOST:PORT, reason, ticket, the field a refusal must name)."""

MALICIOUS: dict[str, Malicious] = {
    "login-newline-rule": (ALICE + "\n*/ " + INJECTED_RULE, DB, "x", None, "user"),
    "login-comment-close": ("alice*/@example.com", DB, "x", None, "user"),
    "login-quote": ('alice"@example.com', DB, "x", None, "user"),
    "host-newline-comment": (ALICE, "db-prod\n//:5432", "x", None, "target"),
    "host-quote-rule": (ALICE, 'db-prod"],"dst":["*:5432', "x", None, "target"),
    "host-comment-close": (ALICE, "db-prod*/:5432", "x", None, "target"),
    "target-everything": (ALICE, "*:*", "x", None, "target"),
    "reason-newline": (ALICE, DB, "x\n*/ " + INJECTED_RULE + " /*", None, "reason"),
    "ticket-newline": (ALICE, DB, "x", "INC-1\n" + FORGED_MARKER, "ticket"),
}


@dataclass(frozen=True)
class Attempt:
    """One try at an injection: a CLI call (``argv``) or an API call (``post``: path, body)."""

    name: str
    user: str
    argv: tuple[str, ...] | None
    post: tuple[str, dict[str, Any]] | None
    field: str


def _post(daemon: Daemon, path: str, body: dict[str, Any], *, user: str) -> httpx.Response:
    """POST to the daemon's API without raising, so a refusal can be looked at."""
    headers = {"Authorization": f"Bearer {daemon.tokens[user]}"}
    return httpx.post(daemon.url + path, json=body, headers=headers, timeout=30)


def _refused(answer: httpx.Response, field: str) -> str | None:
    """None if ``answer`` is a 4xx whose JSON error names ``field``, else what it was."""
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = None
    if 400 <= answer.status_code < 500 and isinstance(error, dict) and error["field"] == field:
        return None
    return f"HTTP {answer.status_code} {answer.text}"


def _attempts(name: str, case: Malicious) -> Iterator[Attempt]:
    """The CLI and API calls that try ``case``: a grant by carol and, unless the login is the
    weapon (a request is always for its caller), a request by alice."""
    user, target, reason, ticket, field = case
    flags = ["--reason", reason, *(["--ticket", ticket] if ticket is not None else [])]
    text = {"reason": reason, **({"ticket": ticket} if ticket is not None else {})}
    grant = {"user": user, "target": f"tcp:{target}", "duration": "2s", **text}
    yield Attempt(
        f"{name}: tailjit grant",
        CAROL,
        ("grant", user, target, "2s", *flags, "--yes", "--json"),
        None,
        field,
    )
    yield Attempt(f"{name}: POST /v1/grants", CAROL, None, ("/v1/grants", grant), field)
    if field != "user":
        request = {"target": f"tcp:{target}", "duration": "2s", **text}
        yield Attempt(
            f"{name}: tailjit request",
            ALICE,
            ("request", target, "2s", *flags, "--json"),
            None,
            field,
        )
        yield Attempt(f"{name}: POST /v1/requests", ALICE, None, ("/v1/requests", request), field)


def _failure(daemon: Daemon, attempt: Attempt) -> str | None:
    """None if ``attempt`` was refused as it should be (CLI exit 2; API 4xx naming the field)."""
    if attempt.argv is not None:
        cli = daemon.cli(*attempt.argv, user=attempt.user)
        if cli.returncode == 2:
            return None
        return f"{attempt.name}: exit {cli.returncode}: {cli.stdout}{cli.stderr}"
    assert attempt.post is not None
    problem = _refused(_post(daemon, *attempt.post, user=attempt.user), attempt.field)
    return None if problem is None else f"{attempt.name}: {problem}"


def test_identifiers_built_to_inject_a_rule_are_refused_and_the_policy_is_unchanged(
    sandbox_process: Sandbox, daemon_process: Daemon
) -> None:
    """Each malicious login, host, target, reason or ticket is refused, naming the field, by
    the CLI (exit 2) and by the API (4xx) alike, for a grant and a request; free text that is
    accepted never enters the policy; the policy ends byte for byte as it began."""
    sandbox, daemon = sandbox_process, daemon_process
    before = sandbox.policy()
    attempts = [a for name, case in MALICIOUS.items() for a in _attempts(name, case)]
    # The CLI is a process per call: run them side by side to keep the test quick.
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f for f in pool.map(lambda a: _failure(daemon, a), attempts) if f]

    assert not failures, "\n".join(failures)
    assert _ok(daemon.cli("ls", "--all", "--json"))["requests"] == []
    assert sandbox.policy() == before

    # Free text that merely looks dangerous is accepted, but lives only in the store.
    reason = f"{FORGED_MARKER} */ {INJECTED_RULE} /*"
    ticket = "*/ // INC-4"
    granted = _ok(
        daemon.cli(
            "grant", ALICE, DB, "1m", "--reason", reason, "--ticket", ticket, "--yes", "--json"
        )
    )
    assert (granted["request"]["reason"], granted["request"]["ticket"]) == (reason, ticket)
    live = sandbox.policy()
    assert _marked(live, granted["grant_id"])
    assert live.count(MARKER) == 1
    for leaked in (b"ZZZZZZZZ", b"2099", b"*/", b'"dst":["*"]', b"INC-4"):
        assert leaked not in live, leaked
    _ok(daemon.cli("release", granted["id"], "--json", user=ALICE))
    wait_for(lambda: sandbox.policy() == before)
