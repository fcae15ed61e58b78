"""The tailnet a policy applies to: users with roles, devices with owners, tags, addresses and
posture attributes. Plain values: the sandbox supplies them, a real tailnet's come from the API.

A policy alone does not say who is an admin, which address belongs to whose laptop, or what a
device's posture attributes are; `Tailnet` holds those facts. Logins it does not list count as
plain members by default (``unknown_users="member"``), which is what a policy's own tests
usually assume; ``"outsider"`` makes them users of no tailnet (not in ``autogroup:member``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tailjit.acl._posture import AttrValue

ROLES = ("owner", "member", "admin", "it-admin", "network-admin", "billing-admin", "auditor")
USER_TYPES = ("member", "shared")


@dataclass(frozen=True, slots=True)
class User:
    """A user of the tailnet: ``role`` as the API reports it, ``type`` member or shared."""

    login: str
    role: str = "member"
    type: str = "member"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; one of {', '.join(ROLES)}")
        if self.type not in USER_TYPES:
            raise ValueError(f"unknown user type {self.type!r}; one of {', '.join(USER_TYPES)}")


@dataclass(frozen=True, slots=True)
class Device:
    """A device: tagged devices belong to their tags, untagged ones to ``user`` (TAILSCALE_API.md
    §4.1); ``attributes`` are its posture attributes (``node:os``, ``custom:...``)."""

    name: str
    addresses: tuple[str, ...] = ()
    user: str | None = None
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)
    node_id: str = ""
    external: bool = False
    """Shared into this tailnet from another one (posture checks do not apply to it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))


@dataclass(frozen=True, slots=True)
class Tailnet:
    """Users and devices; logins not listed are members or outsiders (``unknown_users``)."""

    users: tuple[User, ...] = ()
    devices: tuple[Device, ...] = ()
    unknown_users: str = "member"
    routes: tuple[str, ...] = ()
    """Subnet routes advertised and approved in the tailnet (CIDRs). They are reached through
    subnet routers, so ``autogroup:internet`` (exit-node traffic) does not include them: an
    accepted real policy's tests deny a public IPv6 subnet route that only an
    ``autogroup:internet`` grant could open. UNCONFIRMED beyond that evidence."""

    def __post_init__(self) -> None:
        if self.unknown_users not in ("member", "outsider"):
            raise ValueError("unknown_users is 'member' or 'outsider'")

    def user(self, login: str) -> User | None:
        """The user with this login (case-insensitive), or what an unlisted login counts as."""
        folded = login.lower()
        for user in self.users:
            if user.login.lower() == folded:
                return user
        return User(login) if self.unknown_users == "member" else None
