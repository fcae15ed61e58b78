"""Typed views of the API's request and response bodies.

Response models ignore fields the API adds later (``extra="ignore"``) and accept the API's
camelCase names; Python code uses snake_case. Times the API may leave empty (``created`` of a
shared-in device is ``""``) stay strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic.alias_generators import to_camel

AttributeValue = StrictBool | StrictInt | StrictStr
"""A posture attribute's value: a boolean, an integer or a string (never a float)."""

TS_DEFAULT = "ts-default"
"""``If-Match`` value that writes the policy only if it is still Tailscale's untouched default."""


class _ApiModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class PolicyFile(_ApiModel):
    """The policy file exactly as the API sent it, with its ETag (quoted, as received).

    ``etag`` is None only when the server sent none (the docs do not promise one after a write).
    """

    raw: bytes
    etag: str | None

    @property
    def text(self) -> str:
        """The policy as text (UTF-8)."""
        return self.raw.decode("utf-8")


def quote_etag(etag: str) -> str:
    """``etag`` wrapped in exactly one pair of double quotes, however many it came with.

    A doubly quoted ``If-Match`` is refused by the API with 412 (TAILSCALE_API.md trap 2).
    """
    bare = etag.strip()
    while len(bare) >= 2 and bare[0] == bare[-1] == '"':
        bare = bare[1:-1]
    if not bare or '"' in bare:
        raise ValueError(f"not an ETag: {etag!r}")
    return f'"{bare}"'


class Device(_ApiModel):
    """A device (node) of the tailnet; ``node_id`` is the preferred identifier."""

    id: str
    node_id: str
    user: str = ""
    name: str = ""
    hostname: str = ""
    os: str = ""
    addresses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    is_external: bool = False
    authorized: bool = False
    is_ephemeral: bool = False
    connected_to_control: bool = False
    last_seen: str | None = None
    created: str = ""
    client_version: str = ""

    def is_owned_by(self, login: str) -> bool:
        """True if ``login`` owns this device: untagged, not shared in, and ``user == login``.

        A tagged device belongs to its tags even though ``user`` names whoever registered it.
        """
        return not self.tags and not self.is_external and self.user == login


class User(_ApiModel):
    """A user of the tailnet; ``login_name`` is what policies and devices' ``user`` refer to."""

    id: str
    login_name: str
    display_name: str = ""
    tailnet_id: str = ""
    type: str = ""
    role: str = ""
    status: str = ""
    device_count: int = 0
    currently_connected: bool = False
    last_seen: str | None = None
    created: str = ""


class PostureAttribute(_ApiModel):
    """One posture attribute of a device: its value, and when Tailscale will remove it."""

    value: AttributeValue
    expiry: datetime | None = None


class PostureAttributes(_ApiModel):
    """A device's posture attributes (custom and node-reported) and the expiries of those set."""

    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    expiries: dict[str, datetime] = Field(default_factory=dict)

    def get(self, key: str) -> PostureAttribute | None:
        """The attribute named ``key`` with its expiry, or None if the device lacks it."""
        if key not in self.attributes:
            return None
        return PostureAttribute(value=self.attributes[key], expiry=self.expiries.get(key))

    def custom(self, prefix: str = "custom:") -> dict[str, PostureAttribute]:
        """Every attribute whose key starts with ``prefix`` (``custom:tailjit_``, say)."""
        return {
            key: PostureAttribute(value=value, expiry=self.expiries.get(key))
            for key, value in self.attributes.items()
            if key.startswith(prefix)
        }


class PreviewMatch(_ApiModel):
    """A rule of a previewed policy that matches: sources, destinations, its line."""

    users: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    line_number: int = 0
    postures: tuple[str, ...] = ()


class PolicyPreview(_ApiModel):
    """The rules of a candidate policy that apply to one user or one ``IP:port``."""

    matches: tuple[PreviewMatch, ...] = ()
    type: str = ""
    preview_for: str = ""
    postures: dict[str, Any] = Field(default_factory=dict)


def format_expiry(expiry: datetime) -> str:
    """An expiry as RFC 3339 UTC to the second (``2026-11-21T15:04:05Z``).

    Sub-second parts are dropped, which can only make access end earlier. A naive datetime is
    refused: guessing its zone could move an expiry by hours.
    """
    if expiry.tzinfo is None or expiry.utcoffset() is None:
        raise ValueError(f"expiry must be timezone-aware, got {expiry.isoformat()}")
    return expiry.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AttributeUpdate(BaseModel):
    """Set one attribute in a batch update; ``expiry`` is sent only when given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: AttributeValue
    expiry: datetime | None = None

    def body(self) -> dict[str, object]:
        """The JSON object of this update in a request body."""
        body: dict[str, object] = {"value": self.value}
        if self.expiry is not None:
            body["expiry"] = format_expiry(self.expiry)
        return body
