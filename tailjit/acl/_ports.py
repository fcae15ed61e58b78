"""Protocols and ports: the grants ``ip`` grammar and the acls ``host:ports`` grammar.

TAILSCALE_API.md §2.2-2.3:
- grants ``ip``: ``*`` (all ports; TCP, UDP and ICMP), ``<port>`` or ``<lo>-<hi>`` (TCP, UDP and
  ICMP), ``<proto>:*``, ``<proto>:<port>``, ``<proto>:<lo>-<hi>``; a proto is a name or an IANA
  number 1-255, and only TCP, UDP and SCTP carry ports;
- acls ``dst``: ``host:ports`` where ports are ``*``, ``22``, ``80,443`` or ``1000-2000``, IPv6
  hosts in brackets; without ``proto`` a rule covers TCP and UDP, and ICMP whenever traffic
  between the pair is allowed.

``icmp`` is not in the documented list of names but real, accepted policies use it (``icmp:*``);
it stands for ICMP and ICMPv6 here. ``*:<ports>`` (seen in an accepted policy) is read as the
default protocols with those ports.
"""

from __future__ import annotations

from dataclasses import dataclass

TCP, UDP, SCTP, ICMP, ICMPV6 = 6, 17, 132, 1, 58
PORTED = frozenset({TCP, UDP, SCTP})
DEFAULT_PROTOCOLS = frozenset({TCP, UDP, ICMP, ICMPV6})
"""What a rule without a protocol covers."""
ALL_PORTS = (0, 65535)

PROTOCOL_NAMES: dict[str, frozenset[int]] = {
    "icmp": frozenset({ICMP, ICMPV6}),
    "igmp": frozenset({2}),
    "ipv4": frozenset({4}),
    "ip-in-ip": frozenset({4}),
    "tcp": frozenset({TCP}),
    "egp": frozenset({8}),
    "igp": frozenset({9}),
    "udp": frozenset({UDP}),
    "gre": frozenset({47}),
    "esp": frozenset({50}),
    "ah": frozenset({51}),
    "ipv6-icmp": frozenset({ICMPV6}),
    "sctp": frozenset({SCTP}),
}
_SHOWN = {TCP: "tcp", UDP: "udp", SCTP: "sctp", ICMP: "icmp", ICMPV6: "icmp"}


class PortError(ValueError):
    """A protocol or port list that does not parse; the message says why."""


@dataclass(frozen=True, slots=True)
class PortRange:
    """Some protocols, and the ports they may use (ignored for protocols without ports)."""

    protocols: frozenset[int]
    lo: int
    hi: int

    def allows(self, proto: int, port: int) -> bool:
        return proto in self.protocols and (proto not in PORTED or self.lo <= port <= self.hi)

    def __str__(self) -> str:
        ports = "*" if (self.lo, self.hi) == ALL_PORTS else _range_text(self.lo, self.hi)
        if self.protocols == DEFAULT_PROTOCOLS:
            return ports
        names = sorted({_SHOWN.get(p, str(p)) for p in self.protocols})
        return f"{'+'.join(names)}:{ports}"


def _range_text(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def protocol(text: str) -> frozenset[int]:
    """The protocol numbers a name or an IANA number (1-255) stands for."""
    named = PROTOCOL_NAMES.get(text.lower())
    if named is not None:
        return named
    if text.isdigit() and 1 <= int(text) <= 255:
        number = int(text)
        return frozenset({ICMP, ICMPV6}) if number == ICMP else frozenset({number})
    raise PortError(f'unknown protocol "{text}"')


def port_range(text: str) -> tuple[int, int]:
    """``*``, ``22`` or ``1000-2000``."""
    if text == "*":
        return ALL_PORTS
    first, dash, last = text.partition("-")
    if not first.isdigit() or (dash and not last.isdigit()):
        raise PortError(f'port range "{text}": invalid port')
    lo, hi = int(first), int(last) if dash else int(first)
    if lo == 0:
        raise PortError(f"port range \"{text}\": first port must be >0, or use '*' for wildcard")
    if hi > 65535 or lo > hi:
        raise PortError(f'port range "{text}": invalid port range')
    return lo, hi


def grant_ip(entry: str) -> PortRange:
    """One entry of a grant's ``ip`` list."""
    proto_text, colon, ports = entry.rpartition(":")
    if not colon:
        return PortRange(DEFAULT_PROTOCOLS, *port_range(entry))
    protocols = DEFAULT_PROTOCOLS if proto_text == "*" else protocol(proto_text)
    lo, hi = port_range(ports)
    if (lo, hi) != ALL_PORTS and not protocols & PORTED:
        raise PortError(f'protocol "{proto_text}" has no ports; use "{proto_text}:*"')
    return PortRange(protocols, lo, hi)


def acl_ports(ports: str, proto: str | None) -> tuple[PortRange, ...]:
    """The port list of an acls ``host:ports`` destination under the rule's ``proto``."""
    protocols = DEFAULT_PROTOCOLS if not proto else protocol(proto)
    ranges = [port_range(part) for part in ([ports] if ports == "*" else ports.split(","))]
    if proto and not protocols & PORTED and ranges != [ALL_PORTS]:
        raise PortError(f'protocol "{proto}" has no ports; use "*"')
    return tuple(PortRange(protocols, lo, hi) for lo, hi in ranges)


def split_hostport(text: str) -> tuple[str, str] | None:
    """``host:ports`` to its parts (``[v6]:ports`` for IPv6); None without a port."""
    if text.startswith("["):
        host, sep, ports = text[1:].partition("]:")
        return (host, ports) if sep and host else None
    host, sep, ports = text.rpartition(":")
    return (host, ports) if sep and host else None


def protocol_name(number: int) -> str:
    """``tcp``, ``udp``, ``sctp``, ``icmp`` or the number, for showing a question's protocol."""
    return _SHOWN.get(number, str(number))


def query_protocol(proto: str | int) -> int:
    """The protocol number of a question's ``proto`` (a name or a number)."""
    if isinstance(proto, int):
        if not 0 <= proto <= 255:
            raise PortError(f"protocol {proto} is not 0-255")
        return proto
    return min(protocol(proto))
