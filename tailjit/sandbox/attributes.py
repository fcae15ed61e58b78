"""Custom device posture attributes and Tailscale's rules for them (TAILSCALE_API.md §3).

- Keys start with ``custom:``, hold only letters, digits, ``_`` and ``:``, and are at most 128
  characters (50 in older docs; configurable). They are case-sensitive but unique
  case-insensitively across the tailnet.
- Values are booleans, integers up to 2^53-1, or strings of at most 50 of ``[A-Za-z0-9_.]``.
- A key's type is fixed tailnet-wide by the values it holds.
- An ``expiry`` makes the attribute disappear some time after it passes (the sweep's ``lag``).

Not thread-safe: `SandboxState` calls it under its lock. Error messages are the sandbox's own;
Tailscale's wording for these refusals is not documented.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tailjit.instants import format_instant, parse_instant
from tailjit.sandbox.clock import ZERO_TIME
from tailjit.sandbox.errors import BadRequest

MAX_SAFE_INTEGER = 2**53 - 1
_KEY = re.compile(r"custom:[A-Za-z0-9_:]+")
_STRING_VALUE = re.compile(r"[A-Za-z0-9_.]{0,50}")


class AttributeRejected(BadRequest):
    """A request the attribute rules refuse (400)."""


@dataclass(frozen=True)
class Attribute:
    value: bool | int | str
    expiry: datetime | None = None


def check_key(key: str, max_length: int = 128) -> None:
    if not key.startswith("custom:"):
        raise AttributeRejected(f'attribute key "{key}" must be in the "custom:" namespace')
    if not _KEY.fullmatch(key):
        raise AttributeRejected(
            f'invalid attribute key "{key}": only letters, numbers, underscores and colons'
        )
    if len(key) > max_length:
        raise AttributeRejected(
            f'invalid attribute key "{key}": longer than {max_length} characters'
        )


def value_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number"
    if isinstance(value, str):
        return "string"
    raise AttributeRejected("attribute value must be a string, number or boolean")


def check_value(value: object) -> bool | int | str:
    value_type(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise AttributeRejected("attribute number value must be a JSON-safe integer")
        return value
    if not isinstance(value, str) or not _STRING_VALUE.fullmatch(value):
        raise AttributeRejected(
            "attribute string value must be at most 50 letters, numbers, underscores or periods"
        )
    return value


def parse_expiry(value: object) -> datetime | None:
    """An ``expiry`` field: absent, null or Go's zero time (client-go's "unset") mean none."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AttributeRejected("expiry must be an RFC 3339 date-time string")
    try:
        when = parse_instant(value)
    except ValueError as exc:
        raise AttributeRejected(f"invalid expiry {value!r}: {exc}") from exc
    return None if when == ZERO_TIME else when


def check_comment(value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise AttributeRejected("comment must be a string")
    if isinstance(value, str) and len(value) > 200:
        raise AttributeRejected("comment must be at most 200 characters")


class AttributeTable:
    """Every device's custom attributes, with the tailnet-wide key rules."""

    def __init__(self, data: Mapping[str, Mapping[str, Attribute]] | None = None) -> None:
        self._by_device: dict[str, dict[str, Attribute]] = {
            node: dict(attrs) for node, attrs in (data or {}).items()
        }

    def copy(self) -> AttributeTable:
        return AttributeTable(copy.deepcopy(self._by_device))

    def of(self, node_id: str) -> dict[str, Attribute]:
        return dict(self._by_device.get(node_id, {}))

    def all(self) -> dict[str, dict[str, Attribute]]:
        return {node: dict(attrs) for node, attrs in self._by_device.items() if attrs}

    def set(self, node_id: str, key: str, value: object, expiry: datetime | None) -> None:
        """Set one attribute after checking the key-uniqueness and type-lock rules."""
        checked = check_value(value)
        kind = value_type(checked)
        for node, attrs in self._by_device.items():
            for other, attribute in attrs.items():
                if other != key and other.lower() == key.lower():
                    raise AttributeRejected(
                        f'attribute key "{key}" conflicts with existing key "{other}" '
                        "(keys are unique case-insensitively)"
                    )
                if other == key and node != node_id and value_type(attribute.value) != kind:
                    raise AttributeRejected(
                        f'attribute "{key}" holds {value_type(attribute.value)} values in this '
                        f"tailnet; cannot set a {kind}"
                    )
        self._by_device.setdefault(node_id, {})[key] = Attribute(checked, expiry)

    def delete(self, node_id: str, key: str) -> bool:
        attrs = self._by_device.get(node_id, {})
        return attrs.pop(key, None) is not None

    def drop_device(self, node_id: str) -> None:
        self._by_device.pop(node_id, None)

    def sweep(self, now: datetime, lag: float) -> list[tuple[str, str]]:
        """Remove attributes whose expiry passed at least ``lag`` seconds ago."""
        cutoff = now - timedelta(seconds=lag)
        removed = []
        for node, attrs in self._by_device.items():
            for key, attribute in list(attrs.items()):
                if attribute.expiry is not None and attribute.expiry <= cutoff:
                    del attrs[key]
                    removed.append((node, key))
        return removed

    def next_removal(self, lag: float) -> datetime | None:
        times = [
            a.expiry + timedelta(seconds=lag)
            for attrs in self._by_device.values()
            for a in attrs.values()
            if a.expiry is not None
        ]
        return min(times, default=None)

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            node: {
                key: {"value": a.value, "expiry": format_instant(a.expiry) if a.expiry else None}
                for key, a in attrs.items()
            }
            for node, attrs in self._by_device.items()
            if attrs
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AttributeTable:
        return cls(
            {
                node: {
                    key: Attribute(
                        item["value"], parse_instant(item["expiry"]) if item["expiry"] else None
                    )
                    for key, item in attrs.items()
                }
                for node, attrs in data.items()
            }
        )


_OS_VERSIONS = {
    "linux": "6.8.0-48-generic",
    "macos": "15.1.0",
    "ios": "18.1.0",
    "windows": "10.0.22631",
}


def node_attributes(device: Mapping[str, Any]) -> dict[str, Any]:
    """The ``node:*`` attributes a device reports about itself, derived from its device record."""
    os = str(device.get("os") or "linux").lower()
    attrs: dict[str, Any] = {"node:os": os, "node:osVersion": _OS_VERSIONS.get(os, "1.0")}
    version = str(device.get("clientVersion") or "").lstrip("v").split("-")[0]
    if version:
        attrs["node:tsVersion"] = version
    attrs["node:tsReleaseTrack"] = "stable"
    attrs["node:tsAutoUpdate"] = False
    attrs["node:tsStateEncrypted"] = False
    return attrs


def attributes_body(device: Mapping[str, Any], custom: Mapping[str, Attribute]) -> dict[str, Any]:
    """The body of ``GET /device/{id}/attributes``: ``expiries`` only for keys that have one."""
    attributes: dict[str, Any] = {key: a.value for key, a in sorted(custom.items())}
    attributes.update(node_attributes(device))
    expiries = {key: format_instant(a.expiry) for key, a in sorted(custom.items()) if a.expiry}
    return {"attributes": attributes, "expiries": expiries}
