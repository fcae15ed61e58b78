"""The sandbox-only admin path, ``/sandbox/...``, authenticated with the API key.

Tests and demos use it to count calls, inject faults, act as a human admin (edit the policy,
suspend, delete or re-role users, add or remove devices), move the clock, and see webhook
deliveries. None of it exists in Tailscale's API.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tailjit.instants import format_instant
from tailjit.sandbox.clock import ManualClock, OffsetClock
from tailjit.sandbox.config import FaultConfig
from tailjit.sandbox.emulator import Emulator
from tailjit.sandbox.errors import BadRequest
from tailjit.sandbox.messages import Call, Reply, json_reply
from tailjit.sandbox.policy import etag


def _body(call: Call) -> dict[str, Any]:
    return call.json_object() if call.body.strip() else {}


def info(emu: Emulator, call: Call) -> Reply:
    state = emu.state
    tag = etag(state.policy_snapshot()[0])
    view = state.view()
    return json_reply(
        {
            "tailnet": state.tailnet,
            "tailnet_id": state.tailnet_id,
            "etag": tag,
            "policy_is_default": state.policy_is_default,
            "now": format_instant(state.clock()),
            "users": len(view.users),
            "devices": len(view.devices),
            "attributes": {node: dict(attrs) for node, attrs in view.attributes.items()},
            "faults": emu.faults.config.to_json(),
        }
    )


def list_requests(emu: Emulator, call: Call) -> Reply:
    return json_reply({"requests": [dataclasses.asdict(e) for e in emu.requests.entries()]})


def reset_requests(emu: Emulator, call: Call) -> Reply:
    emu.requests.reset()
    return json_reply({})


def get_faults(emu: Emulator, call: Call) -> Reply:
    return json_reply(emu.faults.config.to_json())


def put_faults(emu: Emulator, call: Call) -> Reply:
    try:
        config = FaultConfig.from_json(_body(call))
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    emu.faults.configure(config)
    return json_reply(config.to_json())


def clear_faults(emu: Emulator, call: Call) -> Reply:
    emu.faults.configure(FaultConfig())
    return json_reply(FaultConfig().to_json())


def human_edit(emu: Emulator, call: Call) -> Reply:
    kind = _body(call).get("kind", "comment")
    if kind not in ("comment", "group"):
        raise BadRequest("kind must be 'comment' or 'group'")
    change = emu.human_edit(kind)
    return json_reply({"etag": etag(change.new)})


def add_user(emu: Emulator, call: Call) -> Reply:
    body = _body(call)
    login = body.get("login")
    if not isinstance(login, str):
        raise BadRequest("login is required")
    user = emu.add_user(login, body.get("role", "member"), body.get("name", ""), emu.actor(call))
    return json_reply(user, 201)


def suspend_user(emu: Emulator, call: Call) -> Reply:
    return json_reply(emu.set_status(call.params["user"], "suspended", emu.actor(call)))


def restore_user(emu: Emulator, call: Call) -> Reply:
    return json_reply(emu.set_status(call.params["user"], "active", emu.actor(call)))


def set_role(emu: Emulator, call: Call) -> Reply:
    role = _body(call).get("role")
    if not isinstance(role, str):
        raise BadRequest("role is required")
    return json_reply(emu.set_role(call.params["user"], role, emu.actor(call)))


def delete_user(emu: Emulator, call: Call) -> Reply:
    return json_reply(emu.delete_user(call.params["user"], emu.actor(call)))


def add_device(emu: Emulator, call: Call) -> Reply:
    body = _body(call)
    user, hostname = body.get("user"), body.get("hostname")
    tags = body.get("tags", [])
    if not isinstance(user, str) or not isinstance(hostname, str):
        raise BadRequest("user and hostname are required")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadRequest("tags must be a list of strings")
    device = emu.add_device(user, hostname, tuple(tags), body.get("os", "linux"), emu.actor(call))
    return json_reply(device, 201)


def delete_device(emu: Emulator, call: Call) -> Reply:
    return json_reply(emu.delete_device(call.params["device"], emu.actor(call)))


def advance_clock(emu: Emulator, call: Call) -> Reply:
    seconds = _body(call).get("seconds")
    clock = emu.state.clock
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise BadRequest("seconds must be a non-negative number")
    if not isinstance(clock, OffsetClock | ManualClock):
        raise BadRequest("this sandbox's clock cannot be moved")
    clock.advance(seconds)
    return json_reply({"now": format_instant(clock())})


def list_webhooks(emu: Emulator, call: Call) -> Reply:
    sender = emu.sender
    deliveries = sender.deliveries() if sender else []
    return json_reply({"deliveries": [dataclasses.asdict(d) for d in deliveries]})


def flush_webhooks(emu: Emulator, call: Call) -> Reply:
    done = emu.sender.flush() if emu.sender else True
    return json_reply({"flushed": done})
