"""Request targets: what a request (or an eligibility) names as its destination.

Grammar (no spaces)::

    target = [proto ":"] host ":" ports
    host   = host-alias | tag | ipv4 | ipv4 "/" bits | "[" ipv6 "]" | "[" ipv6 "/" bits "]"
    ports  = "*" | port | port "-" port               (1 <= port <= 65535)
    proto  = a name Tailscale's grants accept (tcp, udp, sctp, icmp, igmp, ipv4, ip-in-ip,
             egp, igp, gre, esp, ah) or an IANA protocol number 1-255

Examples: ``db-prod:5432``, ``tcp:db-prod:5432``, ``tag:prod:443``, ``100.64.0.5:22``,
``10.0.0.0/24:8000-8100``, ``[fd7a::1]:22``, ``udp:[fd7a::/48]:53``, ``gre:10.0.0.1:*``.

Without a protocol a target means TCP, UDP and ICMP, as a bare port does in a grant's ``ip``
field (``"5432"``). Only TCP, UDP and SCTP carry ports, so any other protocol takes ``*``. A
single address is the network of one address (``/32``, ``/128``) and is written without the
prefix; a network with host bits set is refused. ``str(target)`` is the canonical form: protocol
numbers that have a name are written as the name (``6`` becomes ``tcp``, ``ip-in-ip`` becomes
``ipv4``), and the full port range is written ``*``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import TypeAlias

from tailjit.errors import InvalidInput
from tailjit.ids import HostAlias, Tag

__all__ = [
    "ALL_PORTS",
    "PROTOCOLS",
    "Host",
    "PortRange",
    "Target",
    "parse_port_range",
    "parse_protocol",
    "parse_target",
]

PROTOCOLS: dict[str, int] = {
    "icmp": 1,
    "igmp": 2,
    "ipv4": 4,
    "ip-in-ip": 4,
    "tcp": 6,
    "egp": 8,
    "igp": 9,
    "udp": 17,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "sctp": 132,
}
"""The protocol names a target accepts, with their IANA numbers."""
_NAMES = {number: name for name, number in reversed(PROTOCOLS.items())}  # 4 -> "ipv4"
_WITH_PORTS = frozenset({6, 17, 132})
_BARE = frozenset({1, 6, 17})
"""What a target without a protocol covers: TCP, UDP and ICMP."""

_PORT = re.compile(r"[1-9][0-9]{0,4}")
_TARGET_ALLOWED = (
    "a target such as db-prod:5432, tcp:db-prod:5432, tag:prod:443, 100.64.0.5:22, "
    "10.0.0.0/24:8000-8100 or [fd7a::1]:22"
)
_PORTS_ALLOWED = "'*', a port 1-65535 such as 22, or a range such as 8000-8100"
_PROTO_ALLOWED = f"one of {', '.join(PROTOCOLS)}, or a protocol number 1-255"

Host: TypeAlias = HostAlias | Tag | IPv4Network | IPv6Network


@dataclass(frozen=True, slots=True)
class PortRange:
    """Ports ``first`` to ``last``, both included; ``*`` is 1-65535."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 1 <= self.first <= self.last <= 65535:
            raise InvalidInput("ports", f"{self.first}-{self.last}", _PORTS_ALLOWED)

    def within(self, allowed: PortRange) -> bool:
        """Whether every port here is also in ``allowed``."""
        return allowed.first <= self.first and self.last <= allowed.last

    def __str__(self) -> str:
        if self == ALL_PORTS:
            return "*"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


ALL_PORTS = PortRange(1, 65535)


def parse_port_range(text: str) -> PortRange:
    """``*``, ``22`` or ``8000-8100`` as a `PortRange`; `InvalidInput` otherwise."""
    if text == "*":
        return ALL_PORTS
    first, dash, last = text.partition("-") if isinstance(text, str) else ("", "", "")
    if not _PORT.fullmatch(first) or (dash and not _PORT.fullmatch(last)):
        raise InvalidInput("ports", text, _PORTS_ALLOWED)
    low, high = int(first), int(last) if dash else int(first)
    if not low <= high <= 65535:
        raise InvalidInput("ports", text, _PORTS_ALLOWED)
    return PortRange(low, high)


def parse_protocol(text: str) -> str:
    """The canonical spelling of a protocol: its name if it has one, else its number."""
    lowered = text.lower() if isinstance(text, str) and text.isascii() else ""
    if lowered in PROTOCOLS:
        return _NAMES[PROTOCOLS[lowered]]
    if re.fullmatch(r"[1-9][0-9]{0,2}", lowered) and int(lowered) <= 255:
        return _NAMES.get(int(lowered), lowered)
    raise InvalidInput("protocol", text, _PROTO_ALLOWED)


def _protocol_number(proto: str) -> int:
    return PROTOCOLS[proto] if proto in PROTOCOLS else int(proto)


@dataclass(frozen=True, slots=True)
class Target:
    """A destination: a host, a port range and an optional protocol (None: TCP, UDP, ICMP)."""

    host: Host
    ports: PortRange
    proto: str | None = None

    def protocols(self) -> frozenset[int]:
        """The IANA numbers of the protocols this target covers."""
        return _BARE if self.proto is None else frozenset({_protocol_number(self.proto)})

    def within(self, allowed: Target) -> bool:
        """Whether this target asks for nothing that ``allowed`` does not cover.

        The host must be the same alias or tag, or an address or network inside ``allowed``'s
        network; the ports inside its ports; the protocols among its protocols. An alias is
        never within a network (or the reverse): resolving aliases is the policy model's job.
        """
        if not self.protocols() <= allowed.protocols() or not self.ports.within(allowed.ports):
            return False
        mine, theirs = self.host, allowed.host
        if isinstance(mine, IPv4Network) and isinstance(theirs, IPv4Network):
            return mine.subnet_of(theirs)
        if isinstance(mine, IPv6Network) and isinstance(theirs, IPv6Network):
            return mine.subnet_of(theirs)
        if isinstance(mine, str) and isinstance(theirs, str):
            return type(mine) is type(theirs) and mine == theirs
        return False

    def undefined_in(self, hosts: Collection[str], tags: Collection[str]) -> str | None:
        """What a policy whose ``hosts`` and ``tagOwners`` define ``hosts`` and ``tags`` lacks
        for this target (Tailscale refuses a policy naming an undefined alias or tag); None
        when nothing is missing (an address or network needs no definition)."""
        host = self.host
        if isinstance(host, HostAlias) and str(host) not in hosts:
            return f"no host alias {host} in the tailnet policy's hosts"
        if isinstance(host, Tag) and str(host) not in tags:
            return f"no tag {host} in the tailnet policy's tagOwners"
        return None

    @property
    def host_text(self) -> str:
        """The host as the target writes it: ``db-prod``, ``tag:prod``, ``10.0.0.5``,
        ``10.0.0.0/24``, ``fd7a::1`` (without brackets)."""
        host = self.host
        if isinstance(host, IPv4Network | IPv6Network):
            single = host.prefixlen == host.max_prefixlen
            return str(host.network_address) if single else str(host)
        return str(host)

    def __str__(self) -> str:
        host = self.host_text
        if isinstance(self.host, IPv6Network):
            host = f"[{host}]"
        prefix = f"{self.proto}:" if self.proto else ""
        return f"{prefix}{host}:{self.ports}"


def parse_target(text: str) -> Target:
    """The `Target` ``text`` names (see the module's grammar); `InvalidInput` otherwise."""
    if not isinstance(text, str) or not text.isascii() or not text or len(text) > 300:
        raise InvalidInput("target", text, _TARGET_ALLOWED)
    proto: str | None = None
    rest = text
    if "[" not in text and ("::" in text or text.count(":") > 3):
        raise InvalidInput("target", text, "IPv6 addresses go in brackets: [fd7a::1]:22")
    head, colon, tail = text.partition(":")
    if colon and head != "tag" and not head.startswith("[") and ":" in tail:
        try:
            proto = parse_protocol(head)
        except InvalidInput:
            raise InvalidInput(
                "target", text, f"{_TARGET_ALLOWED}; a prefix is a protocol: {_PROTO_ALLOWED}"
            ) from None
        rest = tail
    host_text, colon, ports_text = rest.rpartition(":")
    if not colon:
        raise InvalidInput("target", text, f"{_TARGET_ALLOWED}: a port is required")
    try:
        host = _parse_host(host_text, text)
        ports = parse_port_range(ports_text)
    except InvalidInput as exc:
        if exc.field == "target":
            raise
        raise InvalidInput("target", text, f"{exc.field} {exc.value}: {exc.allowed}") from None
    if proto is not None and _protocol_number(proto) not in _WITH_PORTS and ports != ALL_PORTS:
        raise InvalidInput("target", text, f"only tcp, udp and sctp carry ports; use {proto}:...:*")
    return Target(host, ports, proto)


def _parse_host(host: str, text: str) -> Host:
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidInput("target", text, "an IPv6 address goes in brackets: [fd7a::1]:22")
        return _network(host[1:-1], text, version=6)
    if host.startswith("tag:"):
        return Tag.parse(host)
    if re.fullmatch(r"[0-9./]+", host):
        return _network(host, text, version=4)
    if ":" in host:
        raise InvalidInput("target", text, "IPv6 addresses go in brackets: [fd7a::1]:22")
    return HostAlias.parse(host)


def _network(host: str, text: str, *, version: int) -> IPv4Network | IPv6Network:
    allowed = f"IPv{version} address or network" + (" in brackets" if version == 6 else "")
    if "%" in host:  # a zone index: not something a policy can name
        raise InvalidInput("target", text, f"an {allowed}, without a zone index")
    try:
        network = ipaddress.ip_network(host, strict=True)
    except ValueError as exc:
        raise InvalidInput("target", text, f"an {allowed}: {exc}") from None
    if network.version != version:
        raise InvalidInput("target", text, f"an {allowed}")
    return network
