"""Device posture, one row per rule (TAILSCALE_API.md §3.5): ``srcPosture``, ``defaultSrcPosture``,
and where posture does not apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tailjit import acl
from tailjit.testing import load_module

T = load_module(Path(__file__).with_name("semantics_table.py"), "acl_semantics_table")
Case, grant, acls = T.Case, T.grant, T.acls

CASES = [
    Case(
        "srcPosture gates a rule",
        "§3.5 srcPosture",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:mac"]),
        "bob-laptop",
        "db",
        22,
        False,
    ),
    Case(
        "a device meeting the posture passes",
        "§3.5 srcPosture",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:mac"]),
        "alice-laptop",
        "db",
        22,
        True,
    ),
    Case(
        "srcPosture is an OR of postures",
        "§3.5 any listed posture",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:both", "posture:new"]),
        "alice-laptop",
        "db",
        22,
        True,
    ),
    Case(
        "a posture is an AND of assertions",
        "§3.5 all assertions",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:both"]),
        "alice-laptop",
        "db",
        22,
        False,
    ),
    Case(
        "versions compare as Tailscale versions",
        "§3.5 node:tsVersion",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:new"]),
        "alice-laptop",
        "db",
        22,
        True,
    ),
    Case(
        "defaultSrcPosture gates rules without srcPosture",
        "§3.5 defaultSrcPosture",
        {"defaultSrcPosture": ["posture:mac"], **grant(["*"], ["tag:prod"], ["*"])},
        "bob-laptop",
        "db",
        22,
        False,
    ),
    Case(
        "a rule's srcPosture replaces the default",
        "§3.5 replaced, not added",
        {
            "defaultSrcPosture": ["posture:mac"],
            **grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:new"]),
        },
        "bob-laptop",
        "db",
        22,
        True,
        attrs={"node:tsVersion": "1.70.0"},
    ),
    Case(
        "posture does not apply to shared-in devices",
        "§3.5 same tailnet only",
        grant(["*"], ["tag:web"], ["*"], srcPosture=["posture:mac"]),
        "sams-box",
        "web",
        443,
        True,
    ),
    Case(
        "posture does not apply behind subnet routers",
        "§3.5 subnet routers",
        grant(["*"], ["tag:web"], ["*"], srcPosture=["posture:mac"]),
        "192.168.1.5",
        "web",
        443,
        True,
    ),
    Case(
        "a hypothetical device has no attributes",
        "§2.4 srcPostureAttrs",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:mac"]),
        "alice@example.com",
        "db",
        22,
        False,
    ),
    Case(
        "given attributes are the device's",
        "§2.4 srcPostureAttrs",
        grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:mac"]),
        "alice@example.com",
        "db",
        22,
        True,
        attrs={"node:os": "macos"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_documented_rule(case: object) -> None:
    T.check(case)


def holds(assertion: str, attrs: dict[str, Any]) -> bool:
    """Whether a device with ``attrs`` meets a posture made of ``assertion`` alone."""
    policy = {
        "tagOwners": {"tag:prod": []},
        "postures": {"posture:p": [assertion]},
        "grants": [{"src": ["*"], "dst": ["tag:prod"], "ip": ["*"], "srcPosture": ["posture:p"]}],
    }
    evaluator = acl.Evaluator(acl.from_value(policy))
    return evaluator.may("alice@example.com", "tag:prod", 22, attrs=attrs).allowed


OPERATORS = [
    # (assertion, attributes, holds): TAILSCALE_API.md §3.5 operators and examples
    ("custom:attr IS SET", {"custom:attr": "x"}, True),
    ("custom:attr IS SET", {}, False),
    ("custom:attr NOT SET", {}, True),
    ("custom:attr NOT SET", {"custom:attr": False}, False),
    ("node:tsAutoUpdate == true", {"node:tsAutoUpdate": True}, True),
    ("node:tsAutoUpdate == true", {"node:tsAutoUpdate": "true"}, False),
    ("custom:tier != 'prod'", {"custom:tier": "dev"}, True),
    ("custom:tier != 'prod'", {}, False),  # the documented missing-attribute example
    ("node:os IN ['macos', 'linux']", {"node:os": "linux"}, True),
    ("node:os IN ['macos', 'linux']", {"node:os": "windows"}, False),
    ("node:os NOT IN ['macos', 'linux']", {"node:os": "windows"}, True),
    ("node:os NOT IN ['macos', 'linux']", {}, False),
    ("ip:country in ['CA', 'US']", {"ip:country": "CA"}, True),  # lowercase, as the doc writes it
    ("custom:level < 3", {"custom:level": 2}, True),
    ("custom:level <= 3", {"custom:level": 3}, True),
    ("custom:level > 3", {"custom:level": 3}, False),
    ("custom:level >= 3", {"custom:level": 3}, True),
    ("custom:level > 3", {"custom:level": "9"}, False),  # numbers compare with numbers only
    ("node:tsVersion >= '1.60'", {"node:tsVersion": "1.60.0"}, True),
    ("node:tsVersion >= '1.60'", {"node:tsVersion": "1.58.2-t1234"}, False),
    ("node:tsVersion < '1.100'", {"node:tsVersion": "1.99.9"}, True),  # not string order
    ("node:osVersion >= '13.0'", {"node:osVersion": "14.4.1"}, True),
    ("node:osVersion > '10.0.19045'", {"node:osVersion": "10.0.22631.3296"}, True),
    ("node:tsAutoUpdate", {"node:tsAutoUpdate": True}, True),  # the default policy's bare form
]


@pytest.mark.parametrize(("assertion", "attrs", "want"), OPERATORS)
def test_posture_operator(assertion: str, attrs: dict[str, Any], want: bool) -> None:
    assert holds(assertion, attrs) is want


@pytest.mark.parametrize(
    "assertion",
    ["node:os == macos", "node:os IN 'macos'", "custom:x IS SET 1", "== 1", "a:b ~ 1"],
)
def test_a_malformed_assertion_is_an_issue(assertion: str) -> None:
    policy = {"postures": {"posture:p": [assertion]}}
    with pytest.raises(acl.PolicyError, match="invalid assertion") as caught:
        acl.Evaluator(acl.from_value(policy))
    assert caught.value.issues[0].path == "/postures/posture:p/0"
