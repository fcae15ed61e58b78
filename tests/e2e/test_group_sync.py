"""Synced ``group:`` entries, end to end (``receivers.sync_groups``): the daemon takes over a
hand-written group of the sandbox tailnet, keeps it equal to what Okta reports, puts a hand
edit back, and hands the group back when it is no longer named; a change the tailnet's own
``tests`` refuse is held back without holding up grants."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tailjit.hujson import parse
from tailjit.testing import okta_delivery
from tests.e2e.conftest import Daemon, Sandbox, wait_for
from tests.e2e.test_faults_and_drift import edit_policy

OKTA_SECRET = "okta-hook-secret"
RECEIVERS = f"""
[receivers]
okta_secret = "{OKTA_SECRET}"
sync_groups = ["group:oncall"]

[receivers.groups]
"On-call" = "group:oncall"
"Engineering" = "group:eng"
"""
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
ONCALL_RULE = {"src": ["group:oncall"], "dst": ["web-staging"], "ip": ["tcp:8080"]}


def okta(daemon: Daemon, kind: str, login: str, group: str = "On-call") -> None:
    reply = httpx.post(
        daemon.url + "/v1/webhooks/okta",
        content=okta_delivery(group, login, added=kind == "add").body,
        headers={"Authorization": OKTA_SECRET, "Content-Type": "application/json"},
    )
    assert reply.status_code == 204, reply.text


def members(sandbox: Sandbox, group: str = "group:oncall") -> list[str]:
    groups = parse(sandbox.policy()).to_python()["groups"]  # type: ignore[index,call-overload]
    return list(groups[group])


def marker_line(policy: bytes, group: str = "group:oncall") -> bytes | None:
    """The line above ``group`` when it is a group marker."""
    lines = policy.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if f'"{group}"'.encode() in line)
    above = lines[at - 1]
    return above if above.strip().startswith(b"// tailjit:group mac=") else None


def policy_when(sandbox: Sandbox, condition: Callable[[bytes], bool]) -> bytes:
    """The sandbox's policy, once ``condition`` holds for it."""

    def found() -> bytes | None:
        policy = sandbox.policy()
        return policy if condition(policy) else None

    result: bytes = wait_for(found)
    return result


def synced(daemon: Daemon) -> list[dict[str, Any]]:
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    return [r for r in records if r["event"] == "group.synced"]


def within_a_second(condition: Callable[[], bool]) -> None:
    started = time.monotonic()
    wait_for(condition, timeout=5)
    assert time.monotonic() - started <= 1.0


def test_a_synced_group_is_adopted_follows_okta_is_put_back_and_is_released(
    start_daemon: Callable[..., Daemon], sandbox_process: Sandbox
) -> None:
    sandbox = sandbox_process
    original = edit_policy(
        sandbox,
        lambda tree: tree.set_member("/groups", "group:oncall", [ALICE, BOB]).append(
            "/grants", ONCALL_RULE
        ),
    )
    daemon = start_daemon(sandbox, config_extra=RECEIVERS)

    # Adopted: the one change to the file is the marker line above the group.
    adopted = policy_when(sandbox, lambda policy: marker_line(policy) is not None)
    line = marker_line(adopted)
    assert line is not None
    assert adopted.replace(line, b"", 1) == original
    assert members(sandbox) == [ALICE, BOB]
    assert sandbox.check(ALICE, "web-staging:8080")

    # Okta removes alice: within a second she is out of the group, and of what it opens.
    okta(daemon, "remove", ALICE)
    within_a_second(lambda: members(sandbox) == [BOB])
    assert not sandbox.check(ALICE, "web-staging:8080")
    assert sandbox.check(BOB, "web-staging:8080")
    okta(daemon, "add", CAROL)
    within_a_second(lambda: members(sandbox) == [BOB, CAROL])

    # A person puts alice back by hand: the marker no longer matches, the group is put back.
    edit_policy(sandbox, lambda tree: tree.replace("/groups/group:oncall", [BOB, CAROL, ALICE]))
    wait_for(lambda: members(sandbox) == [BOB, CAROL], timeout=10)
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    drift = [r for r in records if r["event"] == "drift.detected"]
    altered = [r["subject"] for r in drift if r["data"]["kind"] == "altered-group"]
    assert altered == ["group:oncall"]
    reasons = [
        (r["data"]["detail"]["reason"], r["data"]["detail"]["removed"]) for r in synced(daemon)
    ]
    assert reasons == [
        ("adopted", []),
        ("changed", [ALICE]),
        ("changed", []),
        ("altered", [ALICE]),
    ]

    # No longer named: the marker goes, the members stay as they were.
    daemon.stop()
    start_daemon(sandbox, config_extra=RECEIVERS.replace('sync_groups = ["group:oncall"]', ""))
    released = policy_when(sandbox, lambda policy: marker_line(policy) is None)
    assert members(sandbox) == [BOB, CAROL]
    assert released == original.replace(
        b'"group:oncall": ["alice@example.com", "bob@example.com"]',
        b'"group:oncall": ["bob@example.com", "carol@example.com"]',
    )


def test_a_synced_group_deleted_by_hand_is_written_again_and_reported(
    start_daemon: Callable[..., Daemon], sandbox_process: Sandbox
) -> None:
    sandbox = sandbox_process
    edit_policy(sandbox, lambda tree: tree.set_member("/groups", "group:oncall", [ALICE, BOB]))
    daemon = start_daemon(sandbox, config_extra=RECEIVERS)
    policy_when(sandbox, lambda policy: marker_line(policy) is not None)

    edit_policy(sandbox, lambda tree: tree.remove("/groups/group:oncall"))

    policy_when(sandbox, lambda policy: b'"group:oncall"' in policy)
    assert members(sandbox) == [ALICE, BOB]
    assert marker_line(sandbox.policy()) is not None
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    kinds = [r["data"]["kind"] for r in records if r["event"] == "drift.detected"]
    assert "missing-group" in kinds
    assert [r["data"]["detail"]["reason"] for r in synced(daemon)] == ["adopted", "deleted"]


def test_a_change_the_tailnets_tests_refuse_is_held_back_and_grants_still_flow(
    start_daemon: Callable[..., Daemon], sandbox_process: Sandbox
) -> None:
    # The demo policy's tests say alice reaches tag:staging:22, which she does through
    # group:eng: the tailnet refuses any policy without her in it.
    sandbox = sandbox_process
    config = RECEIVERS.replace('sync_groups = ["group:oncall"]', 'sync_groups = ["group:eng"]')
    daemon = start_daemon(sandbox, config_extra=config)
    policy_when(sandbox, lambda policy: marker_line(policy, "group:eng") is not None)

    okta(daemon, "remove", ALICE, group="Engineering")
    granted = daemon.api(
        "POST",
        "/v1/grants",
        json={"user": ALICE, "target": "tcp:db-prod:5432", "duration": "1h", "reason": "INC-7"},
    )["request"]

    wait_for(lambda: daemon.request(granted["id"])["state"] == "active")
    assert sandbox.check(ALICE, "db-prod:5432")
    assert members(sandbox, "group:eng") == [ALICE, BOB]
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    refused = [r for r in records if r["event"] == "group.refused"]
    assert len(refused) == 1
    assert refused[0]["data"]["detail"]["groups"] == {"group:eng": [BOB]}
    assert "test" in refused[0]["sentence"]
