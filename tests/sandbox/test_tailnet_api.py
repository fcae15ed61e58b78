"""Devices and users over real HTTP (TAILSCALE_API.md §4)."""

from __future__ import annotations

from tailjit.sandbox import SandboxHandle
from tailjit.sandbox.tailnet import DEFAULT_DEVICE_FIELDS


def test_device_list_has_default_fields_and_no_posture_data(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        devices = client.get("/api/v2/tailnet/-/devices").json()["devices"]
        everything = client.get("/api/v2/tailnet/-/devices", params={"fields": "all"}).json()

    assert len(devices) == 6
    for device in devices:
        assert set(device) <= set(DEFAULT_DEVICE_FIELDS)
        assert ("lastSeen" in device) is (not device["connectedToControl"])
    assert [d["hostname"] for d in devices if "lastSeen" in d] == ["alice-phone"]
    assert "enabledRoutes" in everything["devices"][0]
    assert not any("attributes" in d for d in everything["devices"])


def test_device_filters_are_exact_and_anded(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        by_tag = client.get("/api/v2/tailnet/-/devices", params={"tags": "tag:prod"}).json()
        by_user = client.get(
            "/api/v2/tailnet/-/devices", params={"user": "alice@example.com", "os": "iOS"}
        ).json()
        both_tags = client.get(
            "/api/v2/tailnet/-/devices", params=[("tags", "tag:prod"), ("tags", "tag:staging")]
        ).json()
        partial = client.get("/api/v2/tailnet/-/devices", params={"hostname": "alice"}).json()

    assert [d["hostname"] for d in by_tag["devices"]] == ["db-prod"]
    assert [d["hostname"] for d in by_user["devices"]] == ["alice-phone"]
    assert both_tags["devices"] == []
    assert partial["devices"] == []


def test_one_device_by_node_id_or_legacy_id(sandbox: SandboxHandle) -> None:
    node_id = sandbox.device_id("db-prod")
    with sandbox.client() as client:
        by_node = client.get(f"/api/v2/device/{node_id}").json()
        by_legacy = client.get(f"/api/v2/device/{by_node['id']}").json()
        missing = client.get("/api/v2/device/nMissing")

    assert by_node == by_legacy
    assert by_node["tags"] == ["tag:prod"]
    assert missing.status_code == 404


def test_users_default_to_members_and_filter_by_role(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        members = client.get("/api/v2/tailnet/-/users").json()["users"]
        admins = client.get("/api/v2/tailnet/-/users", params={"role": "admin"}).json()["users"]
        bad = client.get("/api/v2/tailnet/-/users", params={"role": "root"})
        alice = client.get("/api/v2/users/1001").json()

    assert len(members) == 3
    assert [u["loginName"] for u in admins] == ["carol@example.com"]
    assert bad.status_code == 400
    assert alice["deviceCount"] == 2
    assert alice["loginName"] == "alice@example.com"


def test_admin_path_adds_and_removes_users_and_devices(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        dave = client.post("/sandbox/users", json={"login": "dave@example.com"})
        laptop = client.post(
            "/sandbox/devices", json={"user": "dave@example.com", "hostname": "dave-laptop"}
        )
        listed = client.get("/api/v2/tailnet/-/devices", params={"user": "dave@example.com"})
        removed = client.delete(f"/sandbox/devices/{laptop.json()['nodeId']}")
        after = client.get("/api/v2/tailnet/-/devices", params={"user": "dave@example.com"})
        unknown_owner = client.post("/sandbox/devices", json={"user": "x@y.z", "hostname": "h"})

    assert (dave.status_code, laptop.status_code, removed.status_code) == (201, 201, 200)
    assert [d["hostname"] for d in listed.json()["devices"]] == ["dave-laptop"]
    assert after.json()["devices"] == []
    assert unknown_owner.status_code == 404


def test_admin_clock_advance_moves_sandbox_time(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        moved = client.post("/sandbox/clock/advance", json={"seconds": 90})
        backwards = client.post("/sandbox/clock/advance", json={"seconds": -1})

    assert moved.json()["now"] == "2026-01-01T12:01:30Z"
    assert backwards.status_code == 400


def test_unknown_api_paths_and_methods_are_json_errors(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        missing = client.get("/api/v2/tailnet/-/nothing")
        wrong_method = client.put("/api/v2/tailnet/-/acl")

    assert (missing.status_code, missing.json()) == (404, {"message": "not found"})
    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        {"message": "method not allowed"},
    )
