"""Fault injection (429, 5xx, latency, a human's edit) and the request log."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tailjit.sandbox import FaultConfig, SandboxConfig, SandboxHandle, serve_in_thread

ACL = "/api/v2/tailnet/-/acl"
DEVICES = "/api/v2/tailnet/-/devices"


def statuses(client: httpx.Client, count: int, path: str = DEVICES) -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_faults_are_off_by_default(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        assert statuses(client, 20) == [200] * 20


def test_every_nth_call_gets_429_without_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rate_limit_every=3)
    with sandbox.client() as client:
        replies = [client.get(DEVICES) for _ in range(7)]

    assert [r.status_code for r in replies] == [200, 200, 429, 200, 200, 429, 200]
    assert replies[2].json() == {"message": "too many requests"}
    assert "retry-after" not in replies[2].headers


def test_injected_429_can_carry_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rate_limit_every=1, retry_after=7)
    with sandbox.client() as client:
        reply = client.post(
            f"/api/v2/device/{sandbox.device_id('alice-laptop')}/attributes/custom:x",
            json={"value": 1},
        )

    assert reply.status_code == 429
    assert reply.headers["retry-after"] == "7"
    assert sandbox.state.view().attributes == {}  # a refused call changes nothing


def test_5xx_rate_is_deterministic_for_a_seed(sandbox: SandboxHandle) -> None:
    runs = []
    for _ in range(2):
        sandbox.set_faults(error_rate=0.3, seed=42, error_status=503)
        with sandbox.client() as client:
            runs.append(statuses(client, 40))

    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}
    assert 4 <= runs[0].count(503) <= 20
    sandbox.set_faults(error_rate=0.3, seed=7)
    with sandbox.client() as client:
        assert statuses(client, 40) != runs[0]


def test_5xx_bodies_follow_the_spec(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(error_rate=1.0, error_status=504)
    with sandbox.client() as client:
        reply = client.get(DEVICES)

    assert reply.status_code == 504
    assert reply.json() == {"message": "request took too long to process, please try again later"}


def test_error_after_apply_makes_the_change_and_still_fails(sandbox: SandboxHandle) -> None:
    new = sandbox.policy() + b"\n"
    sandbox.set_faults(error_rate=1.0, error_after_apply=True)
    with sandbox.client() as client:
        reply = client.post(ACL, content=new)

    assert reply.status_code == 500
    assert sandbox.policy() == new
    assert sandbox.requests()[-1].fault == "error_after_apply"


def test_latency_is_added_to_api_calls_only(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(latency=0.3)
    with sandbox.client() as client:
        client.get(DEVICES)  # warm the connection
        started = time.monotonic()
        client.get(DEVICES)
        api_time = time.monotonic() - started
        started = time.monotonic()
        client.get("/sandbox/faults")
        admin_time = time.monotonic() - started

    assert api_time >= 0.3
    assert admin_time < 0.3


@pytest.mark.parametrize("kind", ["comment", "group"])
def test_a_human_edit_after_the_get_makes_the_next_if_match_fail(
    sandbox: SandboxHandle, kind: str
) -> None:
    sandbox.set_faults(human_edits=1, human_edit_kind=kind)
    with sandbox.client() as client:
        read = client.get(ACL)
        write = client.post(
            ACL, content=read.content + b"\n", headers={"If-Match": read.headers["etag"]}
        )
        fresh = client.get(ACL)
        retry = client.post(
            ACL, content=fresh.content + b"\n", headers={"If-Match": fresh.headers["etag"]}
        )

    assert write.status_code == 412
    assert write.json() == {"message": "precondition failed, invalid old hash"}
    assert fresh.content != read.content
    marker = b"(sandbox edit 1)" if kind == "comment" else b'"group:sandbox-edit-1": []'
    assert marker in fresh.content
    assert retry.status_code == 200  # one edit only: the fresh read is not followed by another


def test_the_group_edit_keeps_every_other_byte(sandbox: SandboxHandle) -> None:
    before = sandbox.policy()
    after = sandbox.human_edit("group")
    start = after.index(b'"group:sandbox-edit-1"')
    line_start = after.rindex(b"\n", 0, start) + 1
    line_end = after.index(b"\n", start) + 1

    assert after[:line_start] + after[line_end:] == before


def test_the_request_log_counts_api_calls_and_resets(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rate_limit_every=2)
    with sandbox.client() as client:
        client.get(ACL)
        client.get(DEVICES, params={"fields": "all"})
        client.get("/api/v2/no/such/path")
        client.get("/sandbox/info")  # admin calls are not logged
        logged = client.get("/sandbox/requests").json()["requests"]
        client.delete("/sandbox/requests")
        after_reset = client.get("/sandbox/requests").json()["requests"]

    assert [(r["method"], r["path"], r["status"], r["fault"]) for r in logged] == [
        ("GET", ACL, 200, None),
        ("GET", DEVICES, 429, "rate_limit"),
        ("GET", "/api/v2/no/such/path", 404, None),
    ]
    assert logged[1]["query"] == "fields=all"
    assert after_reset == []


def test_faults_can_be_set_and_cleared_over_the_admin_path(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        put = client.put("/sandbox/faults", json={"rate_limit_every": 1, "retry_after": 2})
        limited = client.get(DEVICES)
        bad = client.put("/sandbox/faults", json={"rate_limit_evry": 1})
        client.delete("/sandbox/faults")
        cleared = client.get(DEVICES)
        human = client.post("/sandbox/policy/human-edit", json={"kind": "comment"})

    assert put.json()["rate_limit_every"] == 1
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert bad.status_code == 400
    assert cleared.status_code == 200
    assert human.json() == {"etag": sandbox.etag()}


def test_cli_style_fault_config_applies_from_the_start(tmp_path: Path) -> None:
    config = SandboxConfig(faults=FaultConfig(rate_limit_every=1))
    with serve_in_thread(tmp_path / "s", config=config) as sandbox, sandbox.client() as client:
        assert client.get(DEVICES).status_code == 429
