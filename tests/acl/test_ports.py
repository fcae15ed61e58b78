"""Protocols and ports, one row per rule: the grants ``ip`` grammar (TAILSCALE_API.md §2.2) and the
acls ``host:ports`` grammar with ``proto`` (§2.3); and the union of grants."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit.testing import load_module

T = load_module(Path(__file__).with_name("semantics_table.py"), "acl_semantics_table")
Case, grant, acls = T.Case, T.grant, T.acls

CASES = [
    Case(
        "ip * opens every TCP port",
        "§2.2 ip *",
        grant(["*"], ["tag:prod"], ["*"]),
        "bob@example.com",
        "db",
        65535,
        True,
    ),
    Case(
        "ip * opens ICMP",
        "§2.2 ip *",
        grant(["*"], ["tag:prod"], ["*"]),
        "bob@example.com",
        "db",
        0,
        True,
        "icmp",
    ),
    Case(
        "ip * opens no other protocol",
        "§2.2 ip *",
        grant(["*"], ["tag:prod"], ["*"]),
        "bob@example.com",
        "db",
        0,
        False,
        "gre",
    ),
    Case(
        "a bare port opens TCP",
        "§2.2 ip <port>",
        grant(["*"], ["tag:prod"], ["22"]),
        "bob@example.com",
        "db",
        22,
        True,
    ),
    Case(
        "a bare port opens UDP",
        "§2.2 ip <port>",
        grant(["*"], ["tag:prod"], ["53"]),
        "bob@example.com",
        "db",
        53,
        True,
        "udp",
    ),
    Case(
        "a bare port opens that port only",
        "§2.2 ip <port>",
        grant(["*"], ["tag:prod"], ["22"]),
        "bob@example.com",
        "db",
        23,
        False,
    ),
    Case(
        "a port range includes its ends",
        "§2.2 ip <lo>-<hi>",
        grant(["*"], ["tag:prod"], ["tcp:80-443"]),
        "bob@example.com",
        "db",
        443,
        True,
    ),
    Case(
        "a port range excludes what is past them",
        "§2.2 ip <lo>-<hi>",
        grant(["*"], ["tag:prod"], ["tcp:80-443"]),
        "bob@example.com",
        "db",
        444,
        False,
    ),
    Case(
        "proto:port opens that protocol only",
        "§2.2 ip <proto>:<port>",
        grant(["*"], ["tag:prod"], ["tcp:53"]),
        "bob@example.com",
        "db",
        53,
        False,
        "udp",
    ),
    Case(
        "proto:* opens every port of it",
        "§2.2 ip <proto>:*",
        grant(["*"], ["tag:prod"], ["udp:*"]),
        "bob@example.com",
        "db",
        5353,
        True,
        "udp",
    ),
    Case(
        "a numbered protocol is that protocol",
        "§2.2 IANA number",
        grant(["*"], ["tag:prod"], ["47:*"]),
        "bob@example.com",
        "db",
        0,
        True,
        "gre",
    ),
    Case(
        "sctp carries ports",
        "§2.2 only TCP, UDP, SCTP carry ports",
        grant(["*"], ["tag:prod"], ["sctp:9899"]),
        "bob@example.com",
        "db",
        9899,
        True,
        "sctp",
    ),
    Case(
        "acls port lists",
        "§2.3 ports 80,443",
        acls(["*"], ["tag:prod:80,443"]),
        "bob@example.com",
        "db",
        443,
        True,
    ),
    Case(
        "acls port ranges",
        "§2.3 ports 1000-2000",
        acls(["*"], ["tag:prod:1000-2000"]),
        "bob@example.com",
        "db",
        2001,
        False,
    ),
    Case(
        "acls bracketed IPv6",
        "§2.3 [1:2:3::4]:80",
        acls(["*"], ["[fd7a:115c:a1e0::1]:80"]),
        "bob@example.com",
        "fd7a:115c:a1e0::1",
        80,
        True,
    ),
    Case(
        "acls without proto cover UDP",
        "§2.3 proto",
        acls(["*"], ["tag:prod:53"]),
        "bob@example.com",
        "db",
        53,
        True,
        "udp",
    ),
    Case(
        "acls without proto allow ICMP",
        "§2.3 proto: ICMP",
        acls(["*"], ["tag:prod:22"]),
        "bob@example.com",
        "db",
        0,
        True,
        "icmp",
    ),
    Case(
        "acls proto restricts the rule",
        "§2.3 proto",
        acls(["*"], ["tag:prod:53"], proto="tcp"),
        "bob@example.com",
        "db",
        53,
        False,
        "udp",
    ),
    # -- grants semantics (§2.2) --------------------------------------------------------
    Case(
        "grants are a union",
        "§2.2 unioned",
        {
            "grants": [
                grant(["*"], ["tag:prod"], ["tcp:22"])["grants"][0],
                grant(["group:eng"], ["tag:prod"], ["tcp:443"])["grants"][0],
            ]
        },
        "alice@example.com",
        "db",
        22,
        True,
    ),
    Case(
        "an app-only grant opens no network access",
        "§2.2 app",
        {"grants": [{"src": ["*"], "dst": ["tag:prod"], "app": {"example.com/cap/x": [{}]}}]},
        "bob@example.com",
        "db",
        443,
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_documented_rule(case: object) -> None:
    T.check(case)
