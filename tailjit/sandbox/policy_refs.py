"""The meaning checks of a policy file: names must be defined, ports and protocols well formed.

Tailscale refuses to save a policy that refers to a target it does not define ("You also won't
be able to save the tailnet policy file if it refers to a target (such as a group) that is not
defined", kb/1468). Messages follow the ones seen from the live service:
``src=tag not found: "tag:tag1"``, ``dst="100.64.0.1": hostport must contain a colon (":")``,
``dst="100.64.0.1:0": port range "0": first port must be >0, or use '*' for wildcard`` and
``host names cannot include an @, please change the name for "a@b"``; the others are modelled on
them. Input is the output of `policy_schema.check_shape` (canonical field names).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from tailjit.sandbox.policy_schema import PolicyIssue

AUTOGROUPS = frozenset(
    {
        "member",
        "members",  # legacy spelling; may not be mixed with autogroup:member
        "admin",
        "owner",
        "it-admin",
        "network-admin",
        "billing-admin",
        "auditor",
        "tagged",
        "shared",
        "self",
        "internet",
        "nonroot",
        "danger-all",
    }
)
PROTOCOLS = frozenset(
    {"igmp", "ipv4", "ip-in-ip", "tcp", "egp", "igp", "udp", "gre", "esp", "ah", "sctp", "icmp"}
)
_POSTURE_ASSERTION = re.compile(
    r"^\s*[A-Za-z][A-Za-z0-9]*:[A-Za-z0-9_]+\s+"
    r"(?:(?:IS|is)\s+(?:SET|set)|(?:NOT|not)\s+(?:SET|set)"
    r"|(?:==|!=|<=|>=|<|>|(?:NOT\s+|not\s+)?(?:IN|in))\s+(?P<value>.+?))\s*$"
)
_LITERAL = r"(?:'[^']*'|-?[0-9]+(?:\.[0-9]+)*|true|false)"
_POSTURE_VALUE = re.compile(rf"^(?:{_LITERAL}|\[\s*{_LITERAL}(?:\s*,\s*{_LITERAL})*\s*,?\s*\])$")


class _Context:
    def __init__(self, policy: dict[str, Any], issues: list[PolicyIssue]) -> None:
        self.groups = set(policy.get("groups") or {})
        self.tags = set(policy.get("tagOwners") or {})
        self.hosts = set(policy.get("hosts") or {})
        self.ipsets = set(policy.get("ipsets") or {})
        self.postures = set(policy.get("postures") or {})
        self.issues = issues
        self.autogroups_seen: set[str] = set()

    def add(self, message: str, path: str) -> None:
        self.issues.append(PolicyIssue(message, path))

    def selector(self, field: str, name: str, path: str, *, dst: bool = False) -> None:
        """Check one src/dst/owner selector; report an undefined group, tag, host, ..."""
        kind, _, rest = name.partition(":")
        if name == "*" or ("@" in name and not name.startswith(("group:", "tag:"))):
            return
        if kind == "group":
            found = name in self.groups
        elif kind == "tag":
            found = name in self.tags
        elif kind == "ipset":
            found = name in self.ipsets
        elif kind == "autogroup":
            self.autogroups_seen.add(rest)
            found = rest in AUTOGROUPS
        elif kind == "svc" and dst:
            found = bool(rest)
        elif _is_ip_or_cidr(name):
            found = True
        else:
            kind, found = "host", name in self.hosts
        if not found:
            self.add(f'{field}={kind} not found: "{name}"', path)

    def selectors(self, field: str, names: Iterable[str] | None, path: str, **kw: bool) -> None:
        for i, name in enumerate(names or ()):
            self.selector(field, name, f"{path}/{i}", **kw)

    def postures_used(self, field: str, names: Iterable[str] | None, path: str) -> None:
        for i, name in enumerate(names or ()):
            if name not in self.postures:
                self.add(f'{field}=posture not found: "{name}"', f"{path}/{i}")


def _is_ip_or_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def port_range_problem(text: str, *, single: bool = False) -> str | None:
    """Why ``text`` is not a port list (``*``, ``22``, ``80,443``, ``1000-2000``), or None."""
    if text == "*" and not single:
        return None
    for part in [text] if single else text.split(","):
        first, _, last = part.partition("-")
        if single and last:
            return f'port "{part}": a test names a single port'
        if not first.isdigit() or (last and not last.isdigit()):
            return f'port range "{part}": invalid port'
        if int(first) == 0 and not single:
            return f"port range \"{part}\": first port must be >0, or use '*' for wildcard"
        if int(first) > 65535 or (last and not int(first) <= int(last) <= 65535):
            return f'port range "{part}": invalid port range'
    return None


def split_hostport(text: str) -> tuple[str, str] | None:
    """``host:ports`` to its parts; ``[v6]:ports`` for IPv6; None without a port."""
    if text.startswith("["):
        host, sep, ports = text[1:].partition("]:")
        return (host, ports) if sep else None
    host, sep, ports = text.rpartition(":")
    return (host, ports) if sep and host else None


def _known_protocol(proto: str) -> bool:
    return proto in PROTOCOLS or (proto.isdigit() and 1 <= int(proto) <= 255)


def _ip_problem(entry: str) -> str | None:
    proto, sep, ports = entry.rpartition(":") if ":" in entry else ("", "", entry)
    if sep and not _known_protocol(proto):
        return f'ip="{entry}": unknown protocol "{proto}"'
    if ports == "*":
        return None
    problem = port_range_problem(ports)
    return f'ip="{entry}": {problem}' if problem else None


def check_references(policy: dict[str, Any]) -> list[PolicyIssue]:
    """Every meaning problem in a shape-checked policy, in document order of the sections."""
    issues: list[PolicyIssue] = []
    ctx = _Context(policy, issues)
    _check_definitions(policy, ctx)
    for i, grant in enumerate(policy.get("grants") or ()):
        _check_grant(grant or {}, ctx, f"/grants/{i}")
    for i, acl in enumerate(policy.get("acls") or ()):
        _check_acl(acl or {}, ctx, f"/acls/{i}")
    for i, rule in enumerate(policy.get("ssh") or ()):
        rule = rule or {}
        path = f"/ssh/{i}"
        if rule.get("action") not in ("accept", "check"):
            ctx.add(f'action="{rule.get("action") or ""}": must be "accept" or "check"', path)
        ctx.selectors("src", rule.get("src"), f"{path}/src")
        ctx.selectors("dst", rule.get("dst"), f"{path}/dst")
        ctx.postures_used("srcPosture", rule.get("srcPosture"), f"{path}/srcPosture")
    for i, attr in enumerate(policy.get("nodeAttrs") or ()):
        ctx.selectors("target", (attr or {}).get("target"), f"/nodeAttrs/{i}/target")
    approvers = policy.get("autoApprovers") or {}
    for route, owners in (approvers.get("routes") or {}).items():
        if not _is_ip_or_cidr(route):
            ctx.add(f'autoApprovers: invalid route "{route}"', "/autoApprovers/routes")
        ctx.selectors("autoApprovers", owners, "/autoApprovers/routes")
    ctx.selectors("autoApprovers", approvers.get("exitNode"), "/autoApprovers/exitNode")
    ctx.postures_used("defaultSrcPosture", policy.get("defaultSrcPosture"), "/defaultSrcPosture")
    for i, test in enumerate(policy.get("tests") or ()):
        _check_test(test or {}, ctx, f"/tests/{i}")
    for i, test in enumerate(policy.get("sshTests") or ()):
        test = test or {}
        ctx.selector("src", test.get("src") or "", f"/sshTests/{i}/src")
        ctx.selectors("dst", test.get("dst"), f"/sshTests/{i}/dst")
    if {"member", "members"} <= ctx.autogroups_seen:
        ctx.add("autogroup:member and autogroup:members cannot both be used", "")
    return issues


def _check_definitions(policy: dict[str, Any], ctx: _Context) -> None:
    for name, members in (policy.get("groups") or {}).items():
        if not name.startswith("group:") or name == "group:":
            ctx.add(f'group "{name}": group names must start with "group:"', "/groups")
        for member in members or ():
            if member.startswith(("group:", "tag:", "autogroup:")) or "@" not in member:
                ctx.add(
                    f'group "{name}": invalid member "{member}": groups contain users only',
                    "/groups",
                )
    for name, owners in (policy.get("tagOwners") or {}).items():
        if not name.startswith("tag:") or name == "tag:":
            ctx.add(f'tagOwners: tag names must start with "tag:": "{name}"', "/tagOwners")
        ctx.selectors("tagOwners", owners, "/tagOwners")
    for name, address in (policy.get("hosts") or {}).items():
        if "@" in name:
            ctx.add(
                f'host names cannot include an @, please change the name for "{name}"', "/hosts"
            )
        elif address is not None and not _is_ip_or_cidr(address):
            ctx.add(f'host "{name}": invalid IP address or CIDR "{address}"', "/hosts")
    for name in policy.get("ipsets") or {}:
        if not name.startswith("ipset:"):
            ctx.add(f'ipsets: ipset names must start with "ipset:": "{name}"', "/ipsets")
    for name, assertions in (policy.get("postures") or {}).items():
        if not name.startswith("posture:"):
            ctx.add(f'postures: posture names must start with "posture:": "{name}"', "/postures")
        for assertion in assertions or ():
            match = _POSTURE_ASSERTION.match(assertion)
            value = match and match.group("value")
            if not match or (value and not _POSTURE_VALUE.match(value)):
                ctx.add(f'posture "{name}": invalid assertion "{assertion}"', "/postures")


def _check_grant(grant: dict[str, Any], ctx: _Context, path: str) -> None:
    if not grant.get("src"):
        ctx.add("grant: src must be a non-empty list", path)
    if not grant.get("dst"):
        ctx.add("grant: dst must be a non-empty list", path)
    if grant.get("ip") is None and grant.get("app") is None:
        ctx.add("grant: must specify ip, app, or both", path)
    ctx.selectors("src", grant.get("src"), f"{path}/src")
    ctx.selectors("dst", grant.get("dst"), f"{path}/dst", dst=True)
    for i, entry in enumerate(grant.get("ip") or ()):
        problem = _ip_problem(entry)
        if problem:
            ctx.add(problem, f"{path}/ip/{i}")
    for i, via in enumerate(grant.get("via") or ()):
        if not via.startswith("tag:"):
            ctx.add(f'via="{via}": only tags may be used in via', f"{path}/via/{i}")
        else:
            ctx.selector("via", via, f"{path}/via/{i}")
    ctx.postures_used("srcPosture", grant.get("srcPosture"), f"{path}/srcPosture")


def _check_acl(acl: dict[str, Any], ctx: _Context, path: str) -> None:
    if acl.get("action") != "accept":
        ctx.add(f'action="{acl.get("action") or ""}": only "accept" is supported', path)
    sources = acl.get("src") if acl.get("src") is not None else acl.get("users")
    destinations = acl.get("dst") if acl.get("dst") is not None else acl.get("ports")
    ctx.selectors("src", sources, f"{path}/src")
    for i, dst in enumerate(destinations or ()):
        parts = split_hostport(dst)
        if parts is None:
            ctx.add(f'dst="{dst}": hostport must contain a colon (":")', f"{path}/dst/{i}")
            continue
        problem = port_range_problem(parts[1])
        if problem:
            ctx.add(f'dst="{dst}": {problem}', f"{path}/dst/{i}")
        ctx.selector("dst", parts[0], f"{path}/dst/{i}", dst=True)
    proto = acl.get("proto")
    if proto and not _known_protocol(proto):
        ctx.add(f'proto="{proto}": unknown protocol', f"{path}/proto")
    ctx.postures_used("srcPosture", acl.get("srcPosture"), f"{path}/srcPosture")


def _check_test(test: dict[str, Any], ctx: _Context, path: str) -> None:
    src = test.get("src") or test.get("user")
    if not src:
        ctx.add("test: src is required", path)
    elif src == "*":
        ctx.add('test src="*": tests need a specific source', f"{path}/src")
    else:
        ctx.selector("src", src, f"{path}/src")
    for field in ("accept", "allow", "deny"):
        for i, address in enumerate(test.get(field) or ()):
            parts = split_hostport(address)
            if parts is None:
                ctx.add(f'address "{address}": missing port', f"{path}/{field}/{i}")
                continue
            problem = port_range_problem(parts[1], single=True)
            if problem:
                ctx.add(f'address "{address}": {problem}', f"{path}/{field}/{i}")
            ctx.selector(field, parts[0], f"{path}/{field}/{i}", dst=True)
