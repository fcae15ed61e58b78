"""Request targets: the grammar, the canonical form, and `within` ("anything wider is refused")."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailjit.errors import InvalidInput
from tailjit.ids import HostAlias, Tag
from tailjit.targets import (
    ALL_PORTS,
    PROTOCOLS,
    PortRange,
    Target,
    parse_port_range,
    parse_protocol,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("db-prod:5432", Target(HostAlias("db-prod"), PortRange(5432, 5432)), "db-prod:5432"),
        (
            "tcp:db-prod:5432",
            Target(HostAlias("db-prod"), PortRange(5432, 5432), "tcp"),
            "tcp:db-prod:5432",
        ),
        ("TCP:db-prod:5432", Target(HostAlias("db-prod"), PortRange(5432, 5432), "tcp"), None),
        ("6:db-prod:5432", Target(HostAlias("db-prod"), PortRange(5432, 5432), "tcp"), None),
        ("tag:prod:443", Target(Tag("tag:prod"), PortRange(443, 443)), "tag:prod:443"),
        ("udp:tag:dns:53", Target(Tag("tag:dns"), PortRange(53, 53), "udp"), "udp:tag:dns:53"),
        (
            "100.64.0.5:22",
            Target(IPv4Network("100.64.0.5/32"), PortRange(22, 22)),
            "100.64.0.5:22",
        ),
        ("100.64.0.5/32:22", Target(IPv4Network("100.64.0.5/32"), PortRange(22, 22)), None),
        (
            "10.0.0.0/24:8000-8100",
            Target(IPv4Network("10.0.0.0/24"), PortRange(8000, 8100)),
            "10.0.0.0/24:8000-8100",
        ),
        ("[fd7a::1]:22", Target(IPv6Network("fd7a::1/128"), PortRange(22, 22)), "[fd7a::1]:22"),
        ("[FD7A:0::1]:22", Target(IPv6Network("fd7a::1/128"), PortRange(22, 22)), None),
        (
            "sctp:[fd7a::/48]:1-100",
            Target(IPv6Network("fd7a::/48"), PortRange(1, 100), "sctp"),
            "sctp:[fd7a::/48]:1-100",
        ),
        ("db-prod:*", Target(HostAlias("db-prod"), ALL_PORTS), "db-prod:*"),
        ("db-prod:1-65535", Target(HostAlias("db-prod"), ALL_PORTS), None),
        ("gre:10.0.0.1:*", Target(IPv4Network("10.0.0.1/32"), ALL_PORTS, "gre"), "gre:10.0.0.1:*"),
        ("ip-in-ip:h:*", Target(HostAlias("h"), ALL_PORTS, "ipv4"), None),
        ("99:h:*", Target(HostAlias("h"), ALL_PORTS, "99"), "99:h:*"),
        ("tcp:5432", Target(HostAlias("tcp"), PortRange(5432, 5432)), None),
    ],
)
def test_parse_and_canonical_form(text: str, expected: Target, canonical: str | None) -> None:
    target = parse_target(text)

    assert target == expected
    assert str(target) == (canonical or str(expected))
    assert parse_target(str(target)) == target


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "a target such as"),
        ("db-prod", "a port is required"),
        ("db-prod:", "ports"),
        ("db-prod:0", "ports"),
        ("db-prod:65536", "ports"),
        ("db-prod:022", "ports"),
        ("db-prod:80-22", "ports"),
        ("db-prod:80,443", "ports"),
        ("db-prod:-1", "ports"),
        ("fd7a::1:22", "in brackets"),
        ("fd7a:0:0:0:0:0:0:1:22", "in brackets"),
        ("[fd7a::1:22", "in brackets"),
        ("[10.0.0.1]:22", "IPv6"),
        ("[fe80::1%eth0]:22", "zone index"),
        ("10.0.0.5/24:22", "host bits set"),
        ("10.0.0.256:22", "IPv4"),
        ("ftp:db-prod:21", "a prefix is a protocol"),
        ("0:db-prod:22", "a prefix is a protocol"),
        ("256:db-prod:22", "a prefix is a protocol"),
        ("gre:db-prod:22", "only tcp, udp and sctp carry ports"),
        ("icmp:db-prod:8", "only tcp, udp and sctp carry ports"),
        ("tag:2prod:22", "tag"),
        ("db_prod:22", "host"),
        ("db prod:22", "host"),
        ("db-prod:22\n", "ports"),
        ("db-prod*/:22", "host"),
        ('"db":22', "host"),
        ("db-pr\u043ed:22", "a target such as"),  # Cyrillic o
        ("a:b:c:d", "a prefix is a protocol"),
        ("x" * 400 + ":22", "a target such as"),
    ],
)
def test_refuses_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_target(text)

    assert caught.value.field == "target"
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"), [("*", ALL_PORTS), ("22", PortRange(22, 22)), ("1-2", PortRange(1, 2))]
)
def test_port_ranges(text: str, expected: PortRange) -> None:
    assert parse_port_range(text) == expected


def test_port_range_checks_its_bounds() -> None:
    with pytest.raises(InvalidInput):
        PortRange(10, 9)


@pytest.mark.parametrize(("name", "number"), sorted(PROTOCOLS.items()))
def test_every_protocol_name_and_its_number_agree(name: str, number: int) -> None:
    assert parse_protocol(name) == parse_protocol(str(number))


@pytest.mark.parametrize(
    ("request_text", "allowed_text", "within"),
    [
        ("db-prod:5432", "db-prod:5432", True),
        ("tcp:db-prod:5432", "db-prod:5432", True),
        ("udp:db-prod:5432", "db-prod:5432", True),
        ("db-prod:5432", "tcp:db-prod:5432", False),  # TCP, UDP and ICMP is wider than TCP
        ("sctp:db-prod:5432", "db-prod:5432", False),
        ("tcp:db-prod:5432", "udp:db-prod:5432", False),
        ("6:db-prod:5432", "tcp:db-prod:5432", True),
        ("db-prod:5432", "db-prod:5000-6000", True),
        ("db-prod:4999-5001", "db-prod:5000-6000", False),
        ("db-prod:*", "db-prod:5432", False),
        ("db-prod:5432", "db-prod:*", True),
        ("db-prod:5432", "db-staging:5432", False),
        ("db-prod:5432", "tag:db-prod:5432", False),
        ("tag:prod:443", "tag:prod:443", True),
        ("tag:prod:443", "tag:Prod:443", False),
        ("10.0.0.5:22", "10.0.0.0/24:22", True),
        ("10.0.0.0/25:22", "10.0.0.0/24:22", True),
        ("10.0.0.0/23:22", "10.0.0.0/24:22", False),
        ("10.0.1.5:22", "10.0.0.0/24:22", False),
        ("[fd7a::5]:22", "[fd7a::/64]:22", True),
        ("[fd7a:1::5]:22", "[fd7a::/64]:22", False),
        ("[::ffff:10.0.0.5]:22", "10.0.0.0/24:22", False),
        ("10.0.0.5:22", "db-prod:22", False),
        ("gre:10.0.0.5:*", "gre:10.0.0.0/24:*", True),
        ("gre:10.0.0.5:*", "10.0.0.0/24:*", False),
    ],
)
def test_within(request_text: str, allowed_text: str, within: bool) -> None:
    assert parse_target(request_text).within(parse_target(allowed_text)) is within


# --- properties -------------------------------------------------------------------------------

_hosts = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True).map(HostAlias),
    st.from_regex(r"tag:[a-z][a-z0-9-]{0,10}", fullmatch=True).map(Tag),
    st.builds(
        lambda addr, bits: IPv4Network((addr, bits), strict=False),
        st.integers(0, 2**32 - 1),
        st.integers(0, 32),
    ),
    st.builds(
        lambda addr, bits: IPv6Network((addr, bits), strict=False),
        st.integers(0, 2**128 - 1),
        st.integers(0, 128),
    ),
)
_ports = st.integers(1, 65535).flatmap(
    lambda a: st.builds(PortRange, st.just(a), st.integers(a, 65535))
)
_targets = st.one_of(
    st.builds(Target, _hosts, _ports, st.sampled_from([None, "tcp", "udp", "sctp"])),
    st.builds(Target, _hosts, st.just(ALL_PORTS), st.sampled_from(["gre", "icmp", "esp", "99"])),
)


@given(_targets)
def test_round_trip(target: Target) -> None:
    assert parse_target(str(target)) == target
    assert str(parse_target(str(target))) == str(target)


@given(_targets)
def test_a_target_is_within_itself(target: Target) -> None:
    assert target.within(target)


@given(_targets, _targets, _targets)
def test_within_is_transitive(a: Target, b: Target, c: Target) -> None:
    if a.within(b) and b.within(c):
        assert a.within(c)
