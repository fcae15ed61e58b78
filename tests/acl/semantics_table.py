"""The table the semantics tests share: a small tailnet, a policy base, and one `Case` per rule.

Each case is one rule of the semantics, from an example or a rule of TAILSCALE_API.md (the section
is cited in ``source``), asked through ``Evaluator.may``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tailjit import acl
from tailjit.acl import Device, Tailnet, User

TAILNET = Tailnet(
    users=(
        User("alice@example.com"),
        User("bob@example.com"),
        User("carol@example.com", role="admin"),
        User("dave@example.com", role="owner"),
        User("sam@other.org", type="shared"),
        User("ivan@corp.example", role="auditor"),
    ),
    devices=(
        Device(
            "alice-laptop",
            ("100.64.0.1", "fd7a:115c:a1e0::1"),
            user="alice@example.com",
            attributes={"node:os": "macos", "node:tsVersion": "1.62.1", "custom:tier": 3},
        ),
        Device("alice-phone", ("100.64.0.2",), user="alice@example.com"),
        Device("bob-laptop", ("100.64.0.3",), user="bob@example.com"),
        Device("db-prod", ("100.64.0.10",), user="carol@example.com", tags=("tag:prod",)),
        Device("web", ("100.64.0.11",), user="carol@example.com", tags=("tag:web",)),
        Device("sams-box", ("100.64.0.20",), user="sam@other.org", external=True),
    ),
)

BASE: dict[str, Any] = {
    "groups": {"group:eng": ["alice@example.com"], "group:dba": ["carol@example.com"]},
    "tagOwners": {"tag:prod": ["autogroup:admin"], "tag:web": ["group:eng"]},
    "hosts": {"db": "100.64.0.10", "lan": "192.168.1.0/24"},
    "ipsets": {"ipset:office": ["add 192.0.2.0/24", "remove 192.0.2.33"]},
    "postures": {
        "posture:mac": ["node:os == 'macos'"],
        "posture:new": ["node:tsVersion >= '1.60'"],
        "posture:both": ["node:os == 'macos'", "custom:tier > 5"],
    },
}


def grant(src: list[str], dst: list[str], ip: list[str], **extra: Any) -> dict[str, Any]:
    return {"grants": [{"src": src, "dst": dst, "ip": ip, **extra}]}


def acls(src: list[str], dst: list[str], **extra: Any) -> dict[str, Any]:
    return {"acls": [{"action": "accept", "src": src, "dst": dst, **extra}]}


class Case(NamedTuple):
    rule: str
    source: str
    policy: dict[str, Any]
    src: str
    dst: str
    port: int
    want: bool
    proto: str = "tcp"
    attrs: dict[str, Any] | None = None


def check(case: Case) -> None:
    """Ask the case's question of ``BASE`` plus its policy, in ``TAILNET``."""
    evaluator = acl.Evaluator(acl.from_value({**BASE, **case.policy}), TAILNET)

    decision = evaluator.may(case.src, case.dst, case.port, case.proto, attrs=case.attrs)

    assert decision.allowed is case.want, (case.source, decision.to_json())
