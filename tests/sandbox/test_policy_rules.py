"""The policy checks themselves, as tables: what Tailscale accepts and what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tailjit.instants import format_instant, parse_instant
from tailjit.sandbox.policy import PolicyRejected, check_policy, human_edit
from tailjit.sandbox.scopes import covers

BASE = {
    "groups": {"group:eng": ["alice@example.com"]},
    "tagOwners": {"tag:prod": ["group:eng"], "tag:router": ["autogroup:admin"]},
    "hosts": {"db": "100.64.0.5", "office": "192.0.2.0/24"},
    "ipsets": {"ipset:lab": ["add 192.0.2.0/24"]},
    "postures": {"posture:jit": ["custom:jit == true"]},
}


def policy(**sections: object) -> bytes:
    return json.dumps({**BASE, **sections}).encode()


ACCEPTED = {
    "grant with every selector": policy(
        grants=[
            {
                "src": [
                    "group:eng",
                    "alice@example.com",
                    "tag:prod",
                    "autogroup:member",
                    "user:*@example.com",
                    "ipset:lab",
                    "100.64.0.1",
                    "db",
                    "*",
                ],
                "dst": ["autogroup:self", "svc:web", "office", "fd7a:115c:a1e0::1", "tag:prod"],
                "ip": ["*", "22", "1000-2000", "tcp:443", "udp:*", "icmp:*", "6:80"],
                "srcPosture": ["posture:jit"],
                "via": ["tag:router"],
            }
        ]
    ),
    "app-only grant": policy(
        grants=[{"src": ["*"], "dst": ["tag:prod"], "app": {"example.com/cap/x": [{"a": 1}]}}]
    ),
    "legacy acl": policy(
        acls=[{"action": "accept", "users": ["*"], "ports": ["db:22,80,1000-2000", "*:*"]}]
    ),
    "ipv6 acl destination": policy(
        acls=[{"action": "accept", "src": ["*"], "proto": "tcp", "dst": ["[fd7a::1]:22"]}]
    ),
    "tests with legacy names": policy(
        tests=[
            {
                "user": "alice@example.com",
                "allow": ["db:22"],
                "deny": ["tag:prod:80"],
                "srcPostureAttrs": {"custom:jit": True},
                "proto": "tcp",
            }
        ]
    ),
    "ssh and ssh tests": policy(
        ssh=[
            {
                "action": "check",
                "src": ["group:eng"],
                "dst": ["tag:prod"],
                "users": ["root"],
                "checkPeriod": "always",
            }
        ],
        sshTests=[{"src": "alice@example.com", "dst": ["tag:prod"], "accept": ["root"]}],
    ),
    "posture operators": policy(
        postures={
            "posture:all": [
                "custom:tier IN ['a', 'b']",
                "node:os NOT IN ['windows']",
                "custom:score >= 80",
                "node:tsVersion >= '1.60'",
                "custom:x IS SET",
                "custom:y NOT SET",
                "ip:country in ['CA', 'US']",
            ]
        },
        defaultSrcPosture=["posture:all"],
    ),
    "auto approvers and node attrs": policy(
        autoApprovers={"routes": {"10.0.0.0/8": ["tag:router"]}, "exitNode": ["tag:router"]},
        nodeAttrs=[{"target": ["tag:prod"], "attr": ["funnel"]}],
    ),
    "misc options": policy(disableIPv4=False, randomizeClientPort=True, OneCGNATRoute="mac"),
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted(text: bytes) -> None:
    assert check_policy(text).text == text


REFUSED = {
    "unknown top-level key": (policy(nodeVisibility="x"), 'json: unknown field "nodeVisibility"'),
    "unknown grant key": (
        policy(grants=[{"src": ["*"], "dst": ["*"], "ip": ["*"], "action": "accept"}]),
        'json: unknown field "action"',
    ),
    "wrong type": (policy(grants={}), "json: cannot unmarshal object into Go struct field"),
    "grant without ip or app": (
        policy(grants=[{"src": ["*"], "dst": ["*"]}]),
        "grant: must specify ip, app, or both",
    ),
    "bad ip port": (
        policy(grants=[{"src": ["*"], "dst": ["*"], "ip": ["tcp:0"]}]),
        "first port must be >0",
    ),
    "unknown protocol": (
        policy(grants=[{"src": ["*"], "dst": ["*"], "ip": ["quic:443"]}]),
        'ip="quic:443": unknown protocol "quic"',
    ),
    "via not a tag": (
        policy(grants=[{"src": ["*"], "dst": ["*"], "ip": ["*"], "via": ["db"]}]),
        'via="db": only tags may be used in via',
    ),
    "acl dst without port": (
        policy(acls=[{"action": "accept", "src": ["*"], "dst": ["100.64.0.1"]}]),
        'dst="100.64.0.1": hostport must contain a colon (":")',
    ),
    "acl port zero": (
        policy(acls=[{"action": "accept", "src": ["*"], "dst": ["100.64.0.1:0"]}]),
        'dst="100.64.0.1:0": port range "0": first port must be >0, or use \'*\' for wildcard',
    ),
    "acl deny": (
        policy(acls=[{"action": "deny", "src": ["*"], "dst": ["*:*"]}]),
        'action="deny": only "accept" is supported',
    ),
    "undefined autogroup": (
        policy(grants=[{"src": ["autogroup:everyone"], "dst": ["*"], "ip": ["*"]}]),
        'src=autogroup not found: "autogroup:everyone"',
    ),
    "undefined ipset": (
        policy(grants=[{"src": ["ipset:nope"], "dst": ["*"], "ip": ["*"]}]),
        'src=ipset not found: "ipset:nope"',
    ),
    "undefined tag owner": (
        policy(tagOwners={"tag:a": ["tag:b"]}),
        'tagOwners=tag not found: "tag:b"',
    ),
    "group in a group": (
        policy(groups={"group:a": ["group:b"]}),
        'group "group:a": invalid member "group:b"',
    ),
    "host with @": (
        policy(hosts={"server@ntw.com": "100.64.0.9"}),
        'host names cannot include an @, please change the name for "server@ntw.com"',
    ),
    "host not an address": (policy(hosts={"h": "example.com"}), 'host "h": invalid IP'),
    "bad posture": (
        policy(postures={"posture:p": ["custom:x === 1"]}),
        'posture "posture:p": invalid assertion "custom:x === 1"',
    ),
    "undefined default posture": (
        policy(defaultSrcPosture=["posture:none"]),
        'defaultSrcPosture=posture not found: "posture:none"',
    ),
    "test with a port range": (
        policy(tests=[{"src": "alice@example.com", "accept": ["db:22-23"]}]),
        'address "db:22-23": port "22-23": a test names a single port',
    ),
    "test from everywhere": (
        policy(tests=[{"src": "*", "accept": ["db:22"]}]),
        'test src="*": tests need a specific source',
    ),
    "member and members": (
        policy(grants=[{"src": ["autogroup:member"], "dst": ["autogroup:members"], "ip": ["*"]}]),
        "autogroup:member and autogroup:members cannot both be used",
    ),
    "not an object": (b"[]", "json: cannot unmarshal array into Go value"),
}


@pytest.mark.parametrize(("text", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(text: bytes, message: str) -> None:
    with pytest.raises(PolicyRejected) as caught:
        check_policy(text)

    assert any(message in issue.message for issue in caught.value.issues), caught.value.issues


def test_every_issue_is_collected_with_its_path() -> None:
    text = policy(grants=[{"src": ["group:x"], "dst": ["tag:y"], "ip": ["*"]}], bogus=1)

    with pytest.raises(PolicyRejected) as caught:
        check_policy(text)

    assert [(i.path, i.message) for i in caught.value.issues] == [
        ("/bogus", 'json: unknown field "bogus"'),
        ("/grants/0/src/0", 'src=group not found: "group:x"'),
        ("/grants/0/dst/0", 'dst=tag not found: "tag:y"'),
    ]


def test_human_edits_are_valid_changes_that_differ_each_time() -> None:
    text = policy()
    first, second = human_edit(text, 1, "comment"), human_edit(text, 2, "comment")
    grouped = human_edit(text, 3, "group")

    assert len({text, first, second, grouped}) == 4
    for edited in (first, second, grouped):
        check_policy(edited)
    assert json.loads(grouped)["groups"]["group:sandbox-edit-3"] == []


@pytest.mark.parametrize(
    ("held", "needed", "ok"),
    [
        (["all"], "policy_file", True),
        (["all:read"], "policy_file:read", True),
        (["all:read"], "policy_file", False),
        (["policy_file"], "policy_file:read", True),
        (["policy_file:read"], "policy_file", False),
        (["devices:core"], "devices:core:read", True),
        (["devices:core"], "devices:posture_attributes:read", False),
    ],
)
def test_scope_coverage(held: list[str], needed: str, ok: bool) -> None:
    assert covers(held, needed) is ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T12:00:00Z", datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ("2026-01-01T13:00:00+01:00", datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ("2024-04-23T18:25:43.511Z", datetime(2024, 4, 23, 18, 25, 43, 511000, tzinfo=UTC)),
        ("2024-04-23T18:25:43.123456789Z", datetime(2024, 4, 23, 18, 25, 43, 123456, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_parse_and_print_like_go(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)

    assert parsed == expected
    assert parse_instant(format_instant(parsed)) == parsed


@pytest.mark.parametrize("text", ["2026-01-01", "2026-01-01T12:00:00", "soon", ""])
def test_times_without_a_zone_or_date_time_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|Invalid isoformat"):
        parse_instant(text)
