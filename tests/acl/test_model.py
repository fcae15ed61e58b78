"""The policy model: every documented section, strict types, unknown fields rejected by place."""

from __future__ import annotations

import pytest

from tailjit import acl


def issues(text: str) -> list[tuple[str, str, int, int]]:
    with pytest.raises(acl.PolicyError) as caught:
        acl.Evaluator(text)
    return [(i.code, i.path, i.line, i.column) for i in caught.value.issues]


def test_every_documented_section_loads() -> None:
    """TAILSCALE_API.md §2.1: each top-level key, and the network-wide options."""
    policy = acl.load(
        """{
        "grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"], "via": ["tag:r"]}],
        "acls": [{"action": "accept", "src": ["*"], "proto": "tcp", "dst": ["*:22"]}],
        "ssh": [{"action": "check", "src": ["autogroup:member"], "dst": ["autogroup:self"],
                 "users": ["autogroup:nonroot"], "checkPeriod": "12h"}],
        "autoApprovers": {"routes": {"10.0.0.0/8": ["tag:r"]}, "exitNode": ["tag:r"]},
        "nodeAttrs": [{"target": ["*"], "attr": ["funnel"], "ipPool": ["100.81.0.0/16"]}],
        "postures": {"posture:mac": ["node:os == 'macos'"]},
        "defaultSrcPosture": ["posture:mac"],
        "tagOwners": {"tag:r": []},
        "groups": {"group:eng": ["alice@example.com"]},
        "hosts": {"db": "100.64.0.5"},
        "ipsets": {"ipset:prod": ["add 192.0.2.0/24", "remove 192.0.2.33"]},
        "tests": [{"src": "alice@example.com", "accept": ["db:22"],
                   "srcPostureAttrs": {"node:os": "macos"}}],
        "sshTests": [{"src": "alice@example.com", "dst": ["tag:r"], "deny": ["root"]}],
        "derpMap": {"Regions": {}},
        "disableIPv4": false,
        "OneCGNATRoute": "mullvad",
        "randomizeClientPort": true,
        "attrConfig": {"custom:x": {"type": "bool", "allowSetByNode": false}},
    }"""
    )

    assert policy.grants[0].via == ("tag:r",)
    assert policy.hosts == {"db": "100.64.0.5"}
    assert policy.tests[0].src_posture_attrs == {"node:os": "macos"}
    assert policy.randomize_client_port is True


def test_an_unknown_field_is_named_with_its_path_line_and_column() -> None:
    """TAILSCALE_API.md §2.1: ``json: unknown field "<name>"``, seen live for tests[].dst."""
    text = '{\n  "tests": [\n    {"src": "a@b.c", "dst": ["x:1"]},\n  ],\n  "nodeVisibility": 1,\n}'
    with pytest.raises(acl.PolicyError) as caught:
        acl.load(text)

    assert [str(i) for i in caught.value.issues] == [
        'line 3, column 22: json: unknown field "dst" (at /tests/0/dst)',
        'line 5, column 3: json: unknown field "nodeVisibility" (at /nodeVisibility)',
    ]


def test_keys_match_case_insensitively_and_null_is_absent() -> None:
    """TAILSCALE_API.md §2.1: real policies write "ACLs", "Action", "Users", "Ports"."""
    policy = acl.load(
        '{"ACLs": [{"Action": "accept", "Users": ["*"], "Ports": ["*:*"]}], "hosts": null}'
    )

    assert policy.acls[0].sources == ("*",)
    assert policy.acls[0].destinations == ("*:*",)
    assert policy.hosts == {}


def test_types_are_strict() -> None:
    """No coercion: a port is a string, a boolean is not the string "true"."""
    assert issues(
        '{"disableIPv4": "true", "grants": [{"src": "*", "dst": ["*"], "ip": [22]}]}'
    ) == [
        ("type", "/disableIPv4", 1, 17),
        ("type", "/grants/0/src", 1, 44),
        ("type", "/grants/0/ip/0", 1, 70),
    ]


def test_every_meaning_problem_is_collected_with_its_place() -> None:
    text = """{
  "grants": [
    {"src": ["group:nope"], "dst": ["tag:nope"], "ip": ["tcp:0"]},
    {"src": ["*"], "dst": ["db"]},
  ],
  "acls": [{"action": "deny", "src": ["*"], "dst": ["10.0.0.1"]}],
  "postures": {"posture:p": ["node:os ~ 'x'"]},
}"""
    with pytest.raises(acl.PolicyError) as caught:
        acl.Evaluator(text)

    assert [(i.path, i.line, i.message) for i in caught.value.issues] == [
        ("/grants/0/src/0", 3, 'src=group not found: "group:nope"'),
        ("/grants/0/dst/0", 3, 'dst=tag not found: "tag:nope"'),
        (
            "/grants/0/ip/0",
            3,
            'ip="tcp:0": port range "0": first port must be >0, or use \'*\' for wildcard',
        ),
        ("/grants/1", 4, "grant: must specify ip, app, or both"),
        ("/grants/1/dst/0", 4, 'dst=host not found: "db"'),
        ("/acls/0/action", 6, 'action="deny": only "accept" is supported'),
        ("/acls/0/dst/0", 6, 'dst="10.0.0.1": hostport must contain a colon (":")'),
        ("/postures/posture:p/0", 7, 'posture "posture:p": invalid assertion "node:os ~ \'x\'"'),
    ]


def test_a_syntax_error_has_tailscales_line_and_column() -> None:
    assert issues('{\n  "grants": [}\n') == [("syntax", "", 2, 14)]


def test_a_policy_must_be_an_object() -> None:
    with pytest.raises(acl.PolicyError, match="cannot unmarshal array"):
        acl.load("[]")


def test_a_loaded_policy_is_a_value() -> None:
    policy = acl.load('{"hosts": {"db": "100.64.0.5"}}')

    with pytest.raises(ValueError, match="frozen"):
        policy.hosts = {}  # type: ignore[misc]
