"""``reach`` (what a user may reach) and ``diff`` (what a change opens or closes for them)."""

from __future__ import annotations

import json
from typing import Any

from tailjit import acl
from tailjit.acl import Device, Tailnet, User

TAILNET = Tailnet(
    users=(User("alice@example.com"), User("carol@example.com", role="admin")),
    devices=(Device("db-prod", ("100.64.0.10",), tags=("tag:prod",)),),
)
BASE: dict[str, Any] = {
    "groups": {"group:eng": ["alice@example.com"]},
    "tagOwners": {"tag:prod": [], "tag:staging": []},
    "hosts": {"db": "100.64.0.10"},
    "postures": {"posture:jit": ["custom:jit == true"]},
    "grants": [
        {"src": ["autogroup:member"], "dst": ["autogroup:self"], "ip": ["*"]},
        {"src": ["group:eng"], "dst": ["tag:staging"], "ip": ["tcp:22", "tcp:443"]},
        {"src": ["autogroup:admin"], "dst": ["db"], "ip": ["tcp:5432"]},
    ],
}
JIT_GRANT = {
    "src": ["alice@example.com"],
    "dst": ["tag:prod"],
    "ip": ["tcp:5432"],
    "srcPosture": ["posture:jit"],
}


def evaluator(policy: dict[str, Any]) -> acl.Evaluator:
    return acl.Evaluator(acl.from_value(policy), TAILNET)


def with_grants(*grants: dict[str, Any]) -> dict[str, Any]:
    return {**BASE, "grants": [*BASE["grants"], *grants]}


def test_reach_lists_each_rule_a_user_is_a_source_of() -> None:
    reached = evaluator(BASE).reach("alice@example.com")

    assert [(a.target, a.ports, str(a.rule)) for a in reached] == [
        ("autogroup:self", "*", "grants[0]"),
        ("tag:staging", "tcp:22, tcp:443", "grants[1]"),
    ]


def test_autogroup_self_is_no_destination_of_a_tagged_device() -> None:
    policy = {**BASE, "grants": [{"src": ["*"], "dst": ["autogroup:self"], "ip": ["*"]}]}

    assert evaluator(policy).reach("db-prod") == ()


def test_posture_gated_access_is_listed_with_its_condition_or_checked_against_attributes() -> None:
    gated = evaluator(with_grants(JIT_GRANT))

    listed = gated.reach("alice@example.com")[-1]
    without = gated.reach("alice@example.com", attrs={})
    with_attribute = gated.reach("alice@example.com", attrs={"custom:jit": True})[-1]

    assert (listed.target, listed.postures) == ("tag:prod", ("posture:jit",))
    assert [a.target for a in without] == ["autogroup:self", "tag:staging"]
    assert (with_attribute.target, with_attribute.postures) == ("tag:prod", ())
    assert json.dumps(listed.to_json())


def test_a_jit_grant_opens_exactly_its_port_while_its_posture_holds() -> None:
    change = acl.diff(evaluator(BASE), evaluator(with_grants(JIT_GRANT)), "alice@example.com")

    assert [str(c) for c in change.opened] == ["tag:prod tcp:5432 while posture:jit"]
    assert change.closed == ()
    assert [str(r) for r in change.opened[0].rules] == ["grants[3]"]


def test_removing_the_grant_closes_what_it_opened() -> None:
    change = acl.diff(evaluator(with_grants(JIT_GRANT)), evaluator(BASE), "alice@example.com")

    assert [str(c) for c in change.closed] == ["tag:prod tcp:5432 while posture:jit"]
    assert not change.opened


def test_an_unchanged_reach_is_an_empty_diff_even_when_rewritten() -> None:
    """A host alias and its address are one destination; other users' rules do not count."""
    before = with_grants({"src": ["alice@example.com"], "dst": ["db"], "ip": ["tcp:80"]})
    after = with_grants(
        {"src": ["alice@example.com"], "dst": ["100.64.0.10"], "ip": ["tcp:80"]},
        {"src": ["carol@example.com"], "dst": ["*"], "ip": ["*"]},
    )

    assert not acl.diff(evaluator(before), evaluator(after), "alice@example.com")


def test_port_ranges_are_compared_range_by_range() -> None:
    before = with_grants({"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:1-100"]})
    after = with_grants({"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:50-200"]})

    change = acl.diff(evaluator(before), evaluator(after), "alice@example.com")

    assert [str(c) for c in change.opened] == ["tag:prod tcp:101-200"]
    assert [str(c) for c in change.closed] == ["tag:prod tcp:1-49"]


def test_address_destinations_are_compared_as_prefixes() -> None:
    after = with_grants(
        {"src": ["alice@example.com"], "dst": ["fd7a:115c:a1e0::/120", "::1"], "ip": ["22"]}
    )

    change = acl.diff(evaluator(BASE), evaluator(after), "alice@example.com")

    assert [str(c) for c in change.opened] == [
        "::1 icmp:*",
        "::1 tcp:22",
        "::1 udp:22",
        "fd7a:115c:a1e0::/120 icmp:*",
        "fd7a:115c:a1e0::/120 tcp:22",
        "fd7a:115c:a1e0::/120 udp:22",
    ]
