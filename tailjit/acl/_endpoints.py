"""Endpoints: the two ends of a question, and how a name (a login, a tag, a host, an address, a
device) becomes one.

An endpoint carries the identity keys selectors match (see `_selectors`), its addresses, and
the posture attributes of the device it stands for. Names that are not a concrete device stand
for a *hypothetical* one, as a policy's ``tests`` do: ``alice@example.com`` is a device of
alice's (no address), ``tag:prod`` a device tagged prod, ``group:eng`` a device of a member of
group:eng (only what the group itself is granted, not what any one member is), ``svc:db`` the
service. An address or host alias that belongs to a device of the tailnet is that device (with
the identity of its tags or owner, and only the address asked for); otherwise it is just an
address, such as a host behind a subnet router.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tailjit.acl._addresses import TAILNET_RANGES, Prefix, PrefixIndex, parse_prefix
from tailjit.acl._errors import UnknownTarget
from tailjit.acl._posture import AttrValue
from tailjit.acl._selectors import SELF, WILDCARD, Names, is_login, login_key
from tailjit.acl._tailnet import Device, Tailnet

_TAILNET = TAILNET_RANGES.prefixes()


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    """One end of a connection as the policy sees it."""

    name: str
    """The name it was asked by."""
    kind: str
    """``user``, ``group``, ``tag``, ``device``, ``address`` or ``service``."""
    keys: frozenset[str]
    addresses: tuple[Prefix, ...] = ()
    login: str | None = None
    """The user it belongs to (an untagged device, or a user's hypothetical device)."""
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)
    posture_checked: bool = True
    """Whether ``srcPosture`` applies: false for devices shared in from another tailnet and
    for addresses outside Tailscale's ranges (behind a subnet router), TAILSCALE_API.md §3.5."""
    device: str | None = None

    def __str__(self) -> str:
        return self.name


def _in_tailnet(prefix: Prefix) -> bool:
    return any(r.contains(prefix) for r in _TAILNET)


class Endpoints:
    """Resolves names to endpoints for one policy and one tailnet."""

    def __init__(self, names: Names, tailnet: Tailnet) -> None:
        self.names = names
        self.tailnet = tailnet
        self._by_address: PrefixIndex[Device] = PrefixIndex()
        self._by_name: dict[str, Device] = {}
        self._users = {user.login.lower(): user for user in reversed(tailnet.users)}
        for device in tailnet.devices:
            for text in device.addresses:
                prefix = parse_prefix(text)
                if prefix is not None:
                    self._by_address.add(prefix, device)
            for alias in (device.name, device.name.split(".")[0], device.node_id):
                if alias:
                    self._by_name.setdefault(alias.lower(), device)

    def user_keys(self, login: str) -> set[str]:
        keys = {WILDCARD, login_key(login), "domain:" + login.rpartition("@")[2].lower()}
        keys.update(self.names.groups_of.get(login.lower(), ()))
        user = self._users.get(login.lower()) or self.tailnet.user(login)
        if user is not None:
            if user.type == "member":
                keys.add("autogroup:member")
                if user.role != "member":
                    keys.add("role:" + user.role)
            else:
                keys.add("autogroup:shared")
        return keys

    def resolve(self, name: str, attrs: Mapping[str, AttrValue] | None = None) -> Endpoint:
        """The endpoint ``name`` stands for; raise `UnknownTarget` if it stands for none."""
        attributes = dict(attrs or {})
        if is_login(name):
            keys = self.user_keys(name) | {SELF}
            return Endpoint(name, "user", frozenset(keys), login=name, attributes=attributes)
        kind, colon, _ = name.partition(":")
        if colon and kind == "group":
            if name not in self.names.policy.groups:
                raise UnknownTarget(f'group not found: "{name}"')
            members = frozenset({WILDCARD, name, "autogroup:member"})
            return Endpoint(name, "group", members, attributes=attributes)
        if colon and kind == "tag":
            if name not in self.names.policy.tag_owners:
                raise UnknownTarget(f'tag not found: "{name}"')
            tagged = frozenset({WILDCARD, name, "autogroup:tagged"})
            return Endpoint(name, "tag", tagged, tags=(name,), attributes=attributes)
        if colon and kind == "svc":
            return Endpoint(name, "service", frozenset({WILDCARD, name}), posture_checked=False)
        prefix = self._address(name)
        if prefix is not None:
            return self._at_address(name, prefix, attrs)
        device = self._by_name.get(name.lower())
        if device is not None:
            return self.device(device, name, attrs)
        raise UnknownTarget(
            f'"{name}" is not a login, group, tag, service, host alias, address or device'
        )

    def _address(self, name: str) -> Prefix | None:
        hosts = self.names.hosts
        if name in hosts:
            return hosts[name][0]
        if name in self.names.policy.hosts:  # defined, but invalid: already an issue
            raise UnknownTarget(f'host "{name}" has no valid address')
        return parse_prefix(name) if name[:1].isdigit() or ":" in name else None

    def _at_address(
        self, name: str, prefix: Prefix, attrs: Mapping[str, AttrValue] | None
    ) -> Endpoint:
        for device in self._by_address.lookup(prefix):
            return self.device(device, name, attrs, addresses=(prefix,))
        return Endpoint(
            name,
            "address",
            frozenset({WILDCARD}),
            addresses=(prefix,),
            attributes=dict(attrs or {}),
            posture_checked=_in_tailnet(prefix),
        )

    def device(
        self,
        device: Device,
        name: str | None = None,
        attrs: Mapping[str, AttrValue] | None = None,
        *,
        addresses: tuple[Prefix, ...] | None = None,
    ) -> Endpoint:
        """The endpoint of a tailnet device (all its addresses unless some are given)."""
        if addresses is None:
            addresses = tuple(p for p in map(parse_prefix, device.addresses) if p is not None)
        attributes = dict(device.attributes if attrs is None else attrs)
        if device.tags:
            keys = {WILDCARD, "autogroup:tagged", *device.tags}
            login = None
        else:
            login = device.user
            keys = self.user_keys(login) | {SELF} if login else {WILDCARD}
        return Endpoint(
            name or device.name,
            "device",
            frozenset(keys),
            addresses=addresses,
            login=login,
            tags=device.tags,
            attributes=attributes,
            posture_checked=not device.external,
            device=device.name,
        )
