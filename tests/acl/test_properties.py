"""Properties over random small policies (issue 4, item 4):

- a ``grants`` rule and its equivalent legacy ``acls`` rule decide every question the same way
  (``{"src", "dst": ["h:P"], "proto": X}`` is ``{"src", "dst": ["h"], "ip": ["X:P"]}``,
  TAILSCALE_API.md §2.2-2.3);
- adding a rule never removes access: grants are a union (§2.2).

Each example asks a fixed grid of questions (sources, destinations, ports, protocols) of a
tailnet with users of several roles, user-owned and tagged devices, subnet and internet
addresses.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailjit import acl
from tailjit.acl import Device, Tailnet, User

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TAILNET = Tailnet(
    users=(User("alice@example.com"), User("carol@example.com", role="admin")),
    devices=(
        Device("alice-laptop", ("100.64.0.1", "fd7a:115c:a1e0::1"), user="alice@example.com"),
        Device("alice-phone", ("100.64.0.2",), user="alice@example.com"),
        Device("bob-laptop", ("100.64.0.3",), user="bob@example.com"),
        Device("db-prod", ("100.64.0.10",), user="carol@example.com", tags=("tag:prod",)),
        Device("web", ("100.64.0.11",), user="carol@example.com", tags=("tag:web",)),
    ),
)
BASE: dict[str, Any] = {
    "groups": {"group:eng": ["alice@example.com", "bob@example.com"]},
    "tagOwners": {"tag:prod": [], "tag:web": []},
    "hosts": {"db": "100.64.0.10", "lan": "192.168.1.0/24"},
    "ipsets": {"ipset:office": ["add 10.0.0.0/24", "remove 10.0.0.7"]},
}
SOURCES = [
    "*",
    "alice@example.com",
    "group:eng",
    "tag:web",
    "autogroup:member",
    "autogroup:admin",
    "autogroup:tagged",
    "100.64.0.0/30",
    "lan",
]
DESTINATIONS = [
    "*",
    "tag:prod",
    "tag:web",
    "db",
    "alice@example.com",
    "group:eng",
    "autogroup:self",
    "autogroup:member",
    "autogroup:internet",
    "ipset:office",
    "10.0.0.0/24",
    "fd7a:115c:a1e0::1",
]
PORTS = ["*", "22", "80-90", "443"]
PROTOCOLS = [None, "tcp", "udp", "icmp", "47"]

QUESTIONS = list(
    product(
        ["alice@example.com", "bob-laptop", "carol@example.com", "web", "192.168.1.9", "tag:web"],
        ["db-prod", "web", "alice-laptop", "fd7a:115c:a1e0::1", "10.0.0.5", "10.0.0.7", "1.1.1.1"],
        [22, 85, 443],
        ["tcp", "udp", "icmp", "gre"],
    )
)


@st.composite
def rules(draw: st.DrawFn) -> tuple[list[str], list[str], str | None, list[str]]:
    """A rule in neutral form: sources, destination hosts, a protocol and port ranges."""
    sources = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=3, unique=True))
    hosts = draw(st.lists(st.sampled_from(DESTINATIONS), min_size=1, max_size=3, unique=True))
    proto = draw(st.sampled_from(PROTOCOLS))
    ports = (
        ["*"]
        if proto in ("icmp", "47")
        else draw(st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True))
    )
    if "*" in ports:
        ports = ["*"]
    return sources, hosts, proto, ports


def as_grant(rule: tuple[list[str], list[str], str | None, list[str]]) -> dict[str, Any]:
    sources, hosts, proto, ports = rule
    ip = [f"{proto}:{p}" if proto else p for p in ports]
    return {"src": sources, "dst": hosts, "ip": ip}


def as_acl(rule: tuple[list[str], list[str], str | None, list[str]]) -> dict[str, Any]:
    sources, hosts, proto, ports = rule
    joined = ",".join(ports)
    dst = [
        f"[{h}]:{joined}"
        if ":" in h and not h.startswith(("tag:", "group:", "autogroup:", "ipset:"))
        else f"{h}:{joined}"
        for h in hosts
    ]
    acl_rule: dict[str, Any] = {"action": "accept", "src": sources, "dst": dst}
    if proto:
        acl_rule["proto"] = proto
    return acl_rule


def verdicts(policy: dict[str, Any]) -> list[bool]:
    evaluator = acl.Evaluator(acl.from_value({**BASE, **policy}), TAILNET)
    return [evaluator.may(s, d, port, proto).allowed for s, d, port, proto in QUESTIONS]


@SETTINGS
@given(rules())
def test_a_grant_and_its_legacy_acl_decide_the_same(
    rule: tuple[list[str], list[str], str | None, list[str]],
) -> None:
    assert verdicts({"grants": [as_grant(rule)]}) == verdicts({"acls": [as_acl(rule)]})


@SETTINGS
@given(st.lists(rules(), max_size=4), rules(), st.booleans())
def test_adding_a_rule_never_removes_access(
    existing: list[tuple[list[str], list[str], str | None, list[str]]],
    added: tuple[list[str], list[str], str | None, list[str]],
    legacy: bool,
) -> None:
    before = {"grants": [as_grant(r) for r in existing]}
    after = {
        **before,
        **(
            {"acls": [as_acl(added)]}
            if legacy
            else {"grants": [*before["grants"], as_grant(added)]}
        ),
    }

    was, now = verdicts(before), verdicts(after)

    assert all(n for w, n in zip(was, now, strict=True) if w)
