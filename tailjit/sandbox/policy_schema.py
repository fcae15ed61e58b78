"""The shape of a policy file, checked the way Tailscale's Go decoder checks it.

Tailscale decodes the policy with Go's ``encoding/json`` and unknown fields disallowed, so a
misspelt or unsupported key fails with ``json: unknown field "<name>"`` (seen live for top-level
``nodeVisibility`` and for ``tests[].dst``), and field names match case-insensitively (real
policies use ``"ACLs"``, ``"Hosts"``, ``"tagowners"``). `check_shape` walks the decoded value
against the field tables below, collects every issue, and returns the value with each known field
under its canonical name, so later checks need not care how a human capitalised it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tailjit.hujson import JSON

# A spec is one of: "string", "bool", "number", "any", or a tuple
# ("list", spec) | ("map", spec) | ("struct", name, {field: spec}).
Spec = Any

STR_LIST = ("list", "string")
APP = ("map", ("list", "any"))

GRANT = (
    "struct",
    "Grant",
    {
        "src": STR_LIST,
        "dst": STR_LIST,
        "ip": STR_LIST,
        "app": APP,
        "srcPosture": STR_LIST,
        "via": STR_LIST,
    },
)
ACL = (
    "struct",
    "ACL",
    {
        "action": "string",
        "src": STR_LIST,
        "dst": STR_LIST,
        "proto": "string",
        "srcPosture": STR_LIST,
        "users": STR_LIST,  # legacy name of src
        "ports": STR_LIST,  # legacy name of dst
    },
)
SSH = (
    "struct",
    "SSHRule",
    {
        "action": "string",
        "src": STR_LIST,
        "dst": STR_LIST,
        "users": STR_LIST,
        "checkPeriod": "string",
        "acceptEnv": STR_LIST,
        "srcPosture": STR_LIST,
        "recorder": STR_LIST,
        "enforceRecorder": "bool",
    },
)
NODE_ATTR = (
    "struct",
    "NodeAttrGrant",
    {"target": STR_LIST, "attr": STR_LIST, "app": APP, "ipPool": STR_LIST},
)
AUTO_APPROVERS = (
    "struct",
    "AutoApprovers",
    {"routes": ("map", STR_LIST), "exitNode": STR_LIST, "services": ("map", STR_LIST)},
)
TEST = (
    "struct",
    "ACLTest",
    {
        "src": "string",
        "user": "string",  # legacy name of src
        "proto": "string",
        "accept": STR_LIST,
        "allow": STR_LIST,  # legacy name of accept
        "deny": STR_LIST,
        "srcPostureAttrs": ("map", "any"),
    },
)
SSH_TEST = (
    "struct",
    "SSHTest",
    {
        "src": "string",
        "dst": STR_LIST,
        "accept": STR_LIST,
        "check": STR_LIST,
        "deny": STR_LIST,
        "srcPostureAttrs": ("map", "any"),
    },
)
ATTR_CONFIG = (
    "map",
    (
        "struct",
        "AttrConfig",
        {"type": "string", "allowSetByNode": "bool", "broadcastToPeers": STR_LIST},
    ),
)

# TAILSCALE_API.md §2.1: every top-level key Tailscale documents.
POLICY = (
    "struct",
    "ACLDetails",
    {
        "grants": ("list", GRANT),
        "acls": ("list", ACL),
        "ssh": ("list", SSH),
        "autoApprovers": AUTO_APPROVERS,
        "nodeAttrs": ("list", NODE_ATTR),
        "postures": ("map", STR_LIST),
        "defaultSrcPosture": STR_LIST,
        "tagOwners": ("map", STR_LIST),
        "groups": ("map", STR_LIST),
        "hosts": ("map", "string"),
        "ipsets": ("map", STR_LIST),
        "tests": ("list", TEST),
        "sshTests": ("list", SSH_TEST),
        "derpMap": "any",
        "disableIPv4": "bool",
        "OneCGNATRoute": "string",
        "randomizeClientPort": "bool",
        "attrConfig": ATTR_CONFIG,
    },
)

_GO_TYPES = {"string": "string", "bool": "bool", "number": "int", "any": "interface {}"}


@dataclass(frozen=True)
class PolicyIssue:
    """One problem with a policy: the message Tailscale would give, and where (a JSON Pointer)."""

    message: str
    path: str = ""


def _json_kind(value: JSON) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _go_type(spec: Spec) -> str:
    if isinstance(spec, str):
        return _GO_TYPES[spec]
    if spec[0] == "list":
        return "[]" + _go_type(spec[1])
    if spec[0] == "map":
        return "map[string]" + _go_type(spec[1])
    return "policy." + str(spec[1])


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def check_shape(value: JSON, issues: list[PolicyIssue], spec: Spec = POLICY, path: str = "") -> Any:
    """Check ``value`` against ``spec``; append issues; return it with canonical field names."""
    if value is None or spec == "any":
        return value
    if isinstance(spec, str):
        kinds = {"string": "string", "bool": "bool", "number": "number"}
        if _json_kind(value) != kinds[spec]:
            _mismatch(value, spec, path, issues)
            return None
        return value
    kind = spec[0]
    if kind == "list":
        if not isinstance(value, list):
            _mismatch(value, spec, path, issues)
            return None
        return [check_shape(item, issues, spec[1], f"{path}/{i}") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        _mismatch(value, spec, path, issues)
        return None
    if kind == "map":
        return {
            key: check_shape(item, issues, spec[1], f"{path}/{_escape(key)}")
            for key, item in value.items()
        }
    fields: dict[str, Spec] = spec[2]
    by_folded = {name.lower(): name for name in fields}
    out: dict[str, JSON] = {}
    for key, item in value.items():
        name = by_folded.get(key.lower())
        if name is None:
            issues.append(PolicyIssue(f'json: unknown field "{key}"', f"{path}/{_escape(key)}"))
            continue
        out[name] = check_shape(item, issues, fields[name], f"{path}/{_escape(key)}")
    return out


def _mismatch(value: JSON, spec: Spec, path: str, issues: list[PolicyIssue]) -> None:
    field = path.rsplit("/", 1)[-1] or "policy"
    message = (
        f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
        f"{field} of type {_go_type(spec)}"
    )
    issues.append(PolicyIssue(message, path))
