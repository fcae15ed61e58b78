"""Users and devices: the records the API returns, how they are listed, filtered and made.

Records are plain dicts in the API's own field names (TAILSCALE_API.md §4), so a list response
is the records themselves, cut down to the requested fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from tailjit.instants import format_instant

ROLES = ("owner", "member", "admin", "it-admin", "network-admin", "billing-admin", "auditor")
ROLE_TITLES = {
    "owner": "Owner",
    "member": "Member",
    "admin": "Admin",
    "it-admin": "IT admin",
    "network-admin": "Network admin",
    "billing-admin": "Billing admin",
    "auditor": "Auditor",
}
USER_TYPES = ("member", "shared")
DEFAULT_DEVICE_FIELDS = (
    "addresses",
    "id",
    "nodeId",
    "user",
    "name",
    "hostname",
    "clientVersion",
    "updateAvailable",
    "os",
    "created",
    "connectedToControl",
    "lastSeen",
    "keyExpiryDisabled",
    "expires",
    "authorized",
    "isExternal",
    "machineKey",
    "nodeKey",
    "blocksIncomingConnections",
    "tailnetLockKey",
    "tailnetLockError",
    "tags",
    "isEphemeral",
)
DNS_SUFFIX = "sandbox.ts.net"


def make_user(
    user_id: str, login: str, *, role: str, tailnet_id: str, now: datetime, name: str = ""
) -> dict[str, Any]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if "@" not in login:
        raise ValueError(f"a login name looks like user@example.com, got {login!r}")
    return {
        "id": user_id,
        "displayName": name or login.split("@")[0].capitalize(),
        "loginName": login,
        "profilePicUrl": "",
        "tailnetId": tailnet_id,
        "created": format_instant(now),
        "type": "member",
        "role": role,
        "status": "active",
        "lastSeen": format_instant(now),
        "currentlyConnected": False,
    }


def make_device(
    number: int,
    *,
    user: str,
    hostname: str,
    now: datetime,
    tags: Sequence[str] = (),
    os: str = "linux",
    node_id: str = "",
) -> dict[str, Any]:
    """A device record; ``number`` (1-based, unique) picks its ids and Tailscale addresses."""
    return {
        "addresses": [f"100.64.{number // 256}.{number % 256}", f"fd7a:115c:a1e0::{number:x}"],
        "id": str(50000 + number),
        "nodeId": node_id or f"nSbx{number:04d}CNTRL",
        "user": user,
        "name": f"{hostname}.{DNS_SUFFIX}",
        "hostname": hostname,
        "clientVersion": "1.80.2-t1234567890-g0123456789",
        "updateAvailable": False,
        "os": os,
        "created": format_instant(now),
        "connectedToControl": True,
        "lastSeen": format_instant(now),  # shown only while not connected
        "keyExpiryDisabled": bool(tags),
        "expires": format_instant(now + timedelta(days=180)),
        "authorized": True,
        "isExternal": False,
        "machineKey": f"mkey:{number:064x}",
        "nodeKey": f"nodekey:{number + 1:064x}",
        "blocksIncomingConnections": False,
        "tailnetLockKey": f"nlpub:{number + 2:064x}",
        "tailnetLockError": "",
        "tags": list(tags),
        "isEphemeral": False,
        "enabledRoutes": [],
        "advertisedRoutes": [],
        "clientConnectivity": {
            "endpoints": [],
            "mappingVariesByDestIP": False,
            "latency": {},
            "clientSupports": {
                "hairPinning": False,
                "ipv6": False,
                "pcp": False,
                "pmp": False,
                "udp": True,
                "upnp": False,
            },
        },
        "postureIdentity": {},
        "sshEnabled": False,
    }


def device_view(device: Mapping[str, Any], fields: str) -> dict[str, Any]:
    """The device as the API shows it: ``default`` fields or ``all``; ``lastSeen`` only offline."""
    shown = (
        dict(device)
        if fields == "all"
        else {k: device[k] for k in DEFAULT_DEVICE_FIELDS if k in device}
    )
    if device.get("connectedToControl"):
        shown.pop("lastSeen", None)
    return shown


def _matches(value: Any, wanted: list[str]) -> bool:
    if isinstance(value, list):
        return all(w in value for w in wanted)
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return all(w == text for w in wanted)


def filter_devices(
    devices: Sequence[Mapping[str, Any]], query: Sequence[tuple[str, str]]
) -> list[Mapping[str, Any]]:
    """Server-side filters: ``field=value`` on top-level scalar or list fields, exact, ANDed;
    a repeated list field needs every value. Object fields and unknown names are ignored."""
    wanted: dict[str, list[str]] = {}
    for name, value in query:
        if name != "fields":
            wanted.setdefault(name, []).append(value)
    out = []
    for device in devices:
        ok = True
        for name, values in wanted.items():
            if name not in device or isinstance(device[name], dict):
                continue
            if not _matches(device[name], values):
                ok = False
                break
        if ok:
            out.append(device)
    return out


def user_view(user: Mapping[str, Any], devices: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The user as the API shows it, with ``deviceCount`` of the untagged devices they own."""
    shown = dict(user)
    shown["deviceCount"] = sum(
        1 for d in devices if d.get("user") == user["loginName"] and not d.get("tags")
    )
    return shown


def filter_users(
    users: Sequence[Mapping[str, Any]], *, user_type: str | None, role: str | None
) -> list[Mapping[str, Any]]:
    """``type`` defaults to ``member`` (shared users left out), ``role`` to ``all``."""
    kind = user_type or "member"
    return [
        u
        for u in users
        if (kind == "all" or u.get("type") == kind) and (role in (None, "all") or u["role"] == role)
    ]
