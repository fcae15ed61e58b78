"""Addresses as integer ranges, sets of them, and an index that finds the prefixes holding one.

A selector that names addresses (an IP, a CIDR, a host alias, an ``ipset:``, ``autogroup:internet``)
becomes a list of CIDR prefixes; an endpoint's address is one prefix too (a /32 or /128 for a
device). `PrefixIndex` answers "which of the indexed prefixes contain this one" with one dict
lookup per distinct prefix length present (a handful in a real policy), whatever the number of
prefixes: 45,000 CIDRs cost no more per query than 45.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

BITS = {4: 32, 6: 128}


@dataclass(frozen=True, slots=True, order=True)
class Prefix:
    """A CIDR prefix: IP version, network address as an integer, prefix length."""

    version: int
    network: int
    length: int

    @property
    def last(self) -> int:
        return self.network | ((1 << (BITS[self.version] - self.length)) - 1)

    def contains(self, other: Prefix) -> bool:
        if other.version != self.version or other.length < self.length:
            return False
        shift = BITS[self.version] - self.length
        return other.network >> shift == self.network >> shift

    def __str__(self) -> str:
        cls = ipaddress.IPv4Network if self.version == 4 else ipaddress.IPv6Network
        net = cls((self.network, self.length))
        if self.length == BITS[self.version]:
            return str(net.network_address)
        return str(net)


def _ipv4(text: str) -> Prefix | None:
    """A plain dotted-quad IPv4 address, parsed without ipaddress (the common, hot case)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return Prefix(4, value, 32)


def parse_prefix(text: str) -> Prefix | None:
    """An IP address (as a full-length prefix) or a CIDR; host bits are masked off. None if
    ``text`` is neither."""
    if text[:1].isdigit() and "/" not in text and ":" not in text:
        return _ipv4(text)
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return Prefix(net.version, int(net.network_address), net.prefixlen)


def _to_prefixes(version: int, lo: int, hi: int) -> Iterator[Prefix]:
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    for net in ipaddress.summarize_address_range(cls(lo), cls(hi)):
        yield Prefix(version, int(net.network_address), net.prefixlen)


class AddressSet:
    """A set of addresses kept as sorted, disjoint, merged ranges per IP version."""

    __slots__ = ("_ranges",)

    def __init__(self, prefixes: Iterable[Prefix] = ()) -> None:
        self._ranges: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        self._merge(prefixes)

    def _merge(self, prefixes: Iterable[Prefix]) -> None:
        """Add many prefixes with one sort and one merge per IP version."""
        for prefix in prefixes:
            self._ranges[prefix.version].append((prefix.network, prefix.last))
        for version, ranges in self._ranges.items():
            ranges.sort()
            merged: list[tuple[int, int]] = []
            for lo, hi in ranges:
                if merged and lo <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
                else:
                    merged.append((lo, hi))
            self._ranges[version] = merged

    def add(self, prefix: Prefix) -> None:
        self._merge((prefix,))

    def update(self, other: AddressSet) -> None:
        self._merge(other.prefixes())

    def remove(self, prefix: Prefix) -> None:
        cut_lo, cut_hi = prefix.network, prefix.last
        kept: list[tuple[int, int]] = []
        for lo, hi in self._ranges[prefix.version]:
            if hi < cut_lo or lo > cut_hi:
                kept.append((lo, hi))
                continue
            if lo < cut_lo:
                kept.append((lo, cut_lo - 1))
            if hi > cut_hi:
                kept.append((cut_hi + 1, hi))
        self._ranges[prefix.version] = kept

    def difference_update(self, other: AddressSet) -> None:
        for prefix in other.prefixes():
            self.remove(prefix)

    def prefixes(self) -> list[Prefix]:
        """The fewest CIDR prefixes that cover exactly this set."""
        return [
            prefix
            for version, ranges in self._ranges.items()
            for lo, hi in ranges
            for prefix in _to_prefixes(version, lo, hi)
        ]

    def __bool__(self) -> bool:
        return any(self._ranges.values())


TAILNET_RANGES = AddressSet(
    p for p in map(parse_prefix, ("100.64.0.0/10", "fd7a:115c:a1e0::/48")) if p
)
"""Tailscale's own address ranges (CGNAT IPv4 and the ULA IPv6 prefix)."""

_NOT_INTERNET = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",
    "2001:db8::/32",
)


def _internet() -> AddressSet:
    internet = AddressSet(p for p in map(parse_prefix, ("0.0.0.0/0", "2000::/3")) if p)
    for text in _NOT_INTERNET:
        prefix = parse_prefix(text)
        assert prefix is not None
        internet.remove(prefix)
    return internet


INTERNET = _internet()
"""``autogroup:internet``: "all public IP addresses" (targets doc). Modelled as the global
unicast space minus private, shared (CGNAT, so Tailscale's own), loopback, link-local,
documentation, benchmarking and multicast/reserved ranges; the exact list Tailscale uses is not
published (UNCONFIRMED)."""


class PrefixIndex(Generic[T]):
    """Payloads stored under prefixes; `lookup` finds those whose prefix contains a given one."""

    __slots__ = ("_levels", "_tables")

    def __init__(self) -> None:
        self._tables: dict[tuple[int, int], dict[int, list[T]]] = {}
        self._levels: dict[int, list[tuple[int, int, dict[int, list[T]]]]] = {4: [], 6: []}
        """Per IP version, (length, shift, table) for each prefix length present, shortest
        first."""

    def add(self, prefix: Prefix, payload: T) -> None:
        key = (prefix.version, prefix.length)
        shift = BITS[prefix.version] - prefix.length
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = {}
            levels = self._levels[prefix.version]
            levels.append((prefix.length, shift, table))
            levels.sort(key=lambda level: level[0])
        table.setdefault(prefix.network >> shift, []).append(payload)

    def lookup(self, prefix: Prefix) -> list[T]:
        """Every payload whose prefix contains ``prefix`` (shortest prefixes first)."""
        found: list[T] = []
        network, most = prefix.network, prefix.length
        for length, shift, table in self._levels[prefix.version]:
            if length > most:
                break
            hits = table.get(network >> shift)
            if hits:
                found.extend(hits)
        return found

    def __bool__(self) -> bool:
        return bool(self._tables)
