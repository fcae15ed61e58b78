"""Devices and users, and which devices a user owns."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tailjit.tailscale import Device, UnexpectedResponse, User
from tailjit.tailscale.testing import in_turn, mock_client


def devices_response(wire: Path) -> httpx.Response:
    return httpx.Response(
        200, content=(wire / "client-go-v2" / "testdata-devices.json").read_bytes()
    )


def device(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "1", "nodeId": "n1", "user": "alice@example.com"}
    return base | fields


def test_list_devices_parses_the_real_body(wire: Path) -> None:
    api = mock_client(in_turn(devices_response(wire)))

    devices = api.client.list_devices()

    assert api.last.url.path == "/api/v2/tailnet/-/devices"
    assert dict(api.last.url.params) == {"fields": "default"}
    assert api.last.headers["Accept"] == "application/json"
    assert [(d.node_id, d.user, d.is_external) for d in devices] == [
        ("nTESTJ30", "services@example.com", True),
        ("nTESTJ31", "foo@example.com", False),
        ("nTESTJ31", "foo@example.com", False),
    ]
    assert devices[0].created == ""  # shared-in devices have no creation time
    assert devices[1].addresses[0] == "100.121.200.21"
    assert devices[2].last_seen is None


def test_list_devices_passes_fields_and_exact_match_filters() -> None:
    api = mock_client(in_turn(httpx.Response(200, json={"devices": []})))

    api.client.list_devices(fields="all", filters={"tags": ["tag:a", "tag:b"], "os": "linux"})

    assert api.last.url.params.get_list("tags") == ["tag:a", "tag:b"]
    assert api.last.url.params["os"] == "linux"
    assert api.last.url.params["fields"] == "all"


def test_devices_of_keeps_only_untagged_unshared_devices_of_that_login() -> None:
    devices = [
        device(nodeId="nOWN", tags=[]),
        device(nodeId="nTAGGED", tags=["tag:server"]),
        device(nodeId="nSHARED", isExternal=True),
        device(nodeId="nOTHER", user="bob@example.com"),
        device(nodeId="nCASE", user="Alice@example.com"),
        device(nodeId="nNOTAGS"),
    ]
    api = mock_client(in_turn(httpx.Response(200, json={"devices": devices})))

    owned = api.client.devices_of("alice@example.com")

    assert [d.node_id for d in owned] == ["nOWN", "nNOTAGS"]


def test_devices_of_excludes_shared_in_devices_from_the_real_body(wire: Path) -> None:
    api = mock_client(in_turn(devices_response(wire), devices_response(wire)))

    assert api.client.devices_of("services@example.com") == []
    assert [d.node_id for d in api.client.devices_of("foo@example.com")] == ["nTESTJ31"] * 2


def test_get_device_by_node_id_with_all_fields() -> None:
    api = mock_client(in_turn(httpx.Response(200, json=device(nodeId="n5SUKe8CNTRL", extra=1))))

    found = api.client.get_device("n5SUKe8CNTRL", fields="all")

    assert api.last.url.path == "/api/v2/device/n5SUKe8CNTRL"
    assert api.last.url.params["fields"] == "all"
    assert found == Device(id="1", node_id="n5SUKe8CNTRL", user="alice@example.com")


def test_a_device_body_missing_its_ids_is_an_unexpected_response() -> None:
    api = mock_client(in_turn(httpx.Response(200, json={"user": "alice@example.com"})))

    with pytest.raises(UnexpectedResponse, match="nodeId"):
        api.client.get_device("n1")


def test_a_success_body_that_is_not_json_is_an_unexpected_response() -> None:
    api = mock_client(in_turn(httpx.Response(200, text="<html>proxy login</html>")))

    with pytest.raises(UnexpectedResponse, match="not JSON: <html>proxy login"):
        api.client.list_devices()


USER = {
    "id": "u123",
    "displayName": "Alice",
    "loginName": "alice@example.com",
    "profilePicUrl": "",
    "tailnetId": "T1234CNTRL",
    "created": "2024-01-01T00:00:00Z",
    "type": "member",
    "role": "admin",
    "status": "active",
    "deviceCount": 2,
    "lastSeen": "2024-05-01T00:00:00Z",
    "currentlyConnected": True,
}


def test_list_users_sends_only_the_filters_given() -> None:
    api = mock_client(in_turn(*[httpx.Response(200, json={"users": [USER]})] * 2))

    users = api.client.list_users()
    api.client.list_users(user_type="all", role="admin")

    assert api.requests[0].url.params.multi_items() == []
    assert dict(api.requests[1].url.params) == {"type": "all", "role": "admin"}
    assert users[0].login_name == "alice@example.com"
    assert users[0].device_count == 2


def test_get_user_by_id() -> None:
    api = mock_client(in_turn(httpx.Response(200, content=json.dumps(USER))))

    user = api.client.get_user("u123")

    assert api.last.url.path == "/api/v2/users/u123"
    assert user == User.model_validate(USER)
    assert user.role == "admin"
