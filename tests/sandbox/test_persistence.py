"""State across restarts, the seeds, the state directory's files and its lock."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tailjit.sandbox import (
    ManualClock,
    OAuthClient,
    SandboxConfig,
    SandboxStartError,
    serve_in_thread,
)
from tailjit.sandbox.store import StateDirError

ACL = "/api/v2/tailnet/-/acl"


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    clock = ManualClock()
    state_dir = tmp_path / "s"
    config = SandboxConfig(oauth_clients=(OAuthClient("k", "tskey-client-k", ("all",)),))
    text = b'// kept byte for byte\r\n{"grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"]}],}'
    with serve_in_thread(state_dir, clock=clock, config=config) as first:
        with first.client() as client:
            client.post(ACL, content=text)
            device = first.device_id("alice-laptop")
            client.post(
                f"/api/v2/device/{device}/attributes/custom:jit",
                json={"value": True, "expiry": "2026-01-01T13:00:00Z"},
            )
        first.suspend_user("bob@example.com")
        token = httpx.post(
            first.api_url + "/oauth/token",
            data={"client_id": "k", "client_secret": "tskey-client-k"},
        ).json()["access_token"]
        api_key, etag = first.api_key, first.etag()

    with serve_in_thread(state_dir, clock=clock) as second, second.client() as client:
        policy = client.get(ACL)
        attributes = client.get(f"/api/v2/device/{device}/attributes").json()
        bob = client.get("/api/v2/users/1002").json()
        with_token = client.get(ACL, headers={"Authorization": f"Bearer {token}"}, auth=None)

    assert second.api_key == api_key
    assert [c.client_id for c in second.oauth_clients] == ["k"]
    assert policy.content == text
    assert policy.headers["etag"] == etag
    assert attributes["attributes"]["custom:jit"] is True
    assert attributes["expiries"] == {"custom:jit": "2026-01-01T13:00:00Z"}
    assert bob["status"] == "suspended"
    assert with_token.status_code == 200


def test_flags_given_on_restart_replace_the_stored_credentials(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s"):
        pass
    config = SandboxConfig(api_key="tskey-api-mine", oauth_clients=())
    with serve_in_thread(tmp_path / "s", config=config) as sandbox:
        assert (sandbox.api_key, sandbox.oauth_clients) == ("tskey-api-mine", [])


def test_the_state_directory_holds_the_policy_bytes_and_json(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s") as sandbox:
        discovery = json.loads((tmp_path / "s" / "sandbox.json").read_text())
        policy_file = (tmp_path / "s" / "policy.hujson").read_bytes()
        assert policy_file == sandbox.policy()
        state = json.loads((tmp_path / "s" / "state.json").read_text())

    assert discovery["base_url"] == sandbox.base_url
    assert discovery["api_url"] == sandbox.base_url + "/api/v2"
    assert discovery["api_key"] == sandbox.api_key
    assert state["version"] == 1
    assert not (tmp_path / "s" / "sandbox.json").exists()  # removed on a clean stop


def test_one_directory_serves_one_sandbox(tmp_path: Path) -> None:
    with (
        serve_in_thread(tmp_path / "s"),
        pytest.raises(StateDirError, match="in use"),
        serve_in_thread(tmp_path / "s"),
    ):
        pass


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "a") as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with (
            pytest.raises(SandboxStartError, match="cannot listen"),
            serve_in_thread(tmp_path / "b", port=port),
        ):
            pass


def test_demo_seed(sandbox_clock: ManualClock, tmp_path: Path) -> None:
    with (
        serve_in_thread(tmp_path / "s", clock=sandbox_clock) as sandbox,
        sandbox.client() as client,
    ):
        users = client.get("/api/v2/tailnet/-/users").json()["users"]
        devices = client.get("/api/v2/tailnet/-/devices").json()["devices"]
        policy = client.get(ACL, headers={"Accept": "application/json"}).json()

    assert {(u["loginName"], u["role"]) for u in users} == {
        ("alice@example.com", "member"),
        ("bob@example.com", "member"),
        ("carol@example.com", "admin"),
    }
    owned: dict[str, int] = {}
    for device in devices:
        if not device["tags"]:
            owned[device["user"]] = owned.get(device["user"], 0) + 1
    assert set(owned) == {u["loginName"] for u in users}
    assert all(1 <= n <= 2 for n in owned.values())
    tagged = {d["hostname"]: d for d in devices if d["tags"]}
    assert tagged["db-prod"]["tags"] == ["tag:prod"]
    assert tagged["web-staging"]["tags"] == ["tag:staging"]
    assert policy["hosts"]["db-prod"] == tagged["db-prod"]["addresses"][0]
    assert set(policy) >= {"groups", "hosts", "tagOwners", "grants", "tests"}
    assert b"//" in sandbox.policy()


def test_empty_seed_has_no_users_and_the_untouched_default(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s", seed="empty") as sandbox, sandbox.client() as client:
        users = client.get("/api/v2/tailnet/-/users").json()
        devices = client.get("/api/v2/tailnet/-/devices").json()

    assert users == {"users": []}
    assert devices == {"devices": []}
    assert sandbox.state.policy_is_default


def test_a_given_policy_is_kept_byte_for_byte(tmp_path: Path) -> None:
    text = b'{\n  // mine\n  "groups": {"group:a": ["x@example.com"]},\n}\n'
    with serve_in_thread(tmp_path / "s", policy=text) as sandbox, sandbox.client() as client:
        served = client.get(ACL).content

    assert served == text
    assert not sandbox.state.policy_is_default


def test_seed_and_policy_do_not_overwrite_an_existing_sandbox(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s") as first:
        original = first.policy()
    with serve_in_thread(tmp_path / "s", seed="empty", policy=b"{}") as second:
        assert second.policy() == original
        assert len(second.state.view().users) == 3


def test_a_policy_file_edited_on_disk_is_served_and_its_errors_reported(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s"):
        pass
    edited = b'{"grants": [{"src": ["group:gone"], "dst": ["*"], "ip": ["*"]}]}'
    (tmp_path / "s" / "policy.hujson").write_bytes(edited)

    with serve_in_thread(tmp_path / "s") as sandbox, sandbox.client() as client:
        served = client.get(ACL)
        details = client.get(ACL, params={"details": "1"}).json()

    assert served.content == edited
    assert details["errors"] == ['src=group not found: "group:gone"']
    assert details["warnings"] is None
