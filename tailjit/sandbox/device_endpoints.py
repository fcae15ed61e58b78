"""Devices, posture attributes, users and the OAuth token endpoint (TAILSCALE_API.md §3-5)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from tailjit.sandbox.attributes import check_comment
from tailjit.sandbox.auth import issue_token
from tailjit.sandbox.emulator import Emulator
from tailjit.sandbox.errors import BadRequest
from tailjit.sandbox.messages import Call, Reply, json_reply
from tailjit.sandbox.tailnet import (
    ROLES,
    device_view,
    filter_devices,
    filter_users,
    user_view,
)


def list_devices(emu: Emulator, call: Call) -> Reply:
    fields = call.arg("fields") or "default"
    view = emu.state.view()
    devices = filter_devices(view.devices, call.query)
    return json_reply({"devices": [device_view(d, fields) for d in devices]})


def get_device(emu: Emulator, call: Call) -> Reply:
    with emu.state.reading():
        device = dict(emu.state.find_device(call.params["deviceId"]))
    return json_reply(device_view(device, call.arg("fields") or "default"))


def get_attributes(emu: Emulator, call: Call) -> Reply:
    return json_reply(emu.state.attributes_of(call.params["deviceId"]))


def set_attribute(emu: Emulator, call: Call) -> Reply:
    body = call.json_object()
    if "value" not in body:
        raise BadRequest("value is required")
    check_comment(body.get("comment"))
    result = emu.state.set_attribute(
        call.params["deviceId"], call.params["attributeKey"], body["value"], body.get("expiry")
    )
    return json_reply(result)


def delete_attribute(emu: Emulator, call: Call) -> Reply:
    emu.state.delete_attribute(call.params["deviceId"], call.params["attributeKey"])
    return Reply(200, b"", None)


def patch_attributes(emu: Emulator, call: Call) -> Reply:
    """Batch update with JSON Merge Patch semantics; the answer is 200 with body ``null``."""
    body = call.json_object()
    nodes = body.get("nodes")
    check_comment(body.get("comment"))
    if not isinstance(nodes, dict) or not all(isinstance(v, dict) for v in nodes.values()):
        raise BadRequest("nodes must map device ids to objects of attributes")
    for attrs in nodes.values():
        for key, item in attrs.items():
            if item is not None and (not isinstance(item, dict) or "value" not in item):
                raise BadRequest(f"attribute {key}: an object with a value, or null, is required")
    emu.state.patch_attributes(nodes)
    return json_reply(None)


def list_users(emu: Emulator, call: Call) -> Reply:
    user_type, role = call.arg("type"), call.arg("role")
    if user_type not in (None, "member", "shared", "all"):
        raise BadRequest(f"invalid type {user_type!r}")
    if role not in (None, "all", *ROLES):
        raise BadRequest(f"invalid role {role!r}")
    view = emu.state.view()
    users = filter_users(view.users, user_type=user_type, role=role)
    return json_reply({"users": [user_view(u, view.devices) for u in users]})


def get_user(emu: Emulator, call: Call) -> Reply:
    view = emu.state.view()
    with emu.state.reading():
        user = dict(emu.state.find_user(call.params["userId"]))
    return json_reply(user_view(user, view.devices))


def _user_reply(emu: Emulator, user: dict[str, Any]) -> Reply:
    return json_reply(user_view(user, emu.state.view().devices))


def set_user_role(emu: Emulator, call: Call) -> Reply:
    role = call.json_object().get("role")
    if not isinstance(role, str):
        raise BadRequest("role is required")
    return _user_reply(emu, emu.set_role(call.params["userId"], role, emu.actor(call)))


def suspend_user(emu: Emulator, call: Call) -> Reply:
    emu.set_status(call.params["userId"], "suspended", emu.actor(call))
    return json_reply({})


def restore_user(emu: Emulator, call: Call) -> Reply:
    emu.set_status(call.params["userId"], "active", emu.actor(call))
    return json_reply({})


def delete_user(emu: Emulator, call: Call) -> Reply:
    emu.delete_user(call.params["userId"], emu.actor(call))
    return json_reply({})


def oauth_token(emu: Emulator, call: Call) -> Reply:
    """``POST /api/v2/oauth/token`` (client credentials, RFC 6749 §4.4)."""
    try:
        pairs = urllib.parse.parse_qsl(call.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise BadRequest("the token request must be form-encoded") from exc
    form = dict(pairs)
    return json_reply(issue_token(emu.state, form, call.headers.get("authorization")))
