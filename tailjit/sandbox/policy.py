"""The policy file as the sandbox keeps it: exact bytes, an ETag, and the checks before a save.

The stored text is whatever the client last posted, byte for byte. Its ETag is the quoted,
lowercase hex SHA-256 of those bytes (TAILSCALE_API.md §8), so it changes exactly when the text
does and is the same for the JSON and HuJSON views.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tailjit.errors import TailjitError
from tailjit.hujson import HuJSONError, parse
from tailjit.sandbox.checker import PolicyTest, SshTest, parse_ssh_tests, parse_tests
from tailjit.sandbox.policy_refs import check_references
from tailjit.sandbox.policy_schema import PolicyIssue, check_shape

TS_DEFAULT = '"ts-default"'
"""The If-Match value that means "only if the policy is still the untouched default"."""

DEFAULT_POLICY = b"""\
// The default policy of a new sandbox tailnet: every device may reach every other device.
{
\t// Allow all connections.
\t"grants": [
\t\t{"src": ["*"], "dst": ["*"], "ip": ["*"]},
\t],

\t// Let every user reach their own devices over Tailscale SSH, re-checking their identity.
\t"ssh": [
\t\t{
\t\t\t"action": "check",
\t\t\t"src":    ["autogroup:member"],
\t\t\t"dst":    ["autogroup:self"],
\t\t\t"users":  ["autogroup:nonroot", "root"],
\t\t},
\t],
}
"""


class PolicyRejected(TailjitError):
    """A policy text that Tailscale would not accept; ``issues`` holds every problem found."""

    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = issues
        super().__init__(issues[0].message)

    @property
    def message(self) -> str:
        """What the API reports: the first problem, as Tailscale reports one."""
        return self.issues[0].message


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy text that passed every check, its decoded value and its tests."""

    text: bytes
    data: dict[str, Any]
    tests: list[PolicyTest]
    ssh_tests: list[SshTest]


def etag(text: bytes) -> str:
    return '"' + hashlib.sha256(text).hexdigest() + '"'


def decode(text: bytes) -> Any:
    """Parse HuJSON (or JSON); raise PolicyRejected with ``line N, column M: ...`` if invalid."""
    try:
        return parse(text).to_python()
    except HuJSONError as exc:
        raise PolicyRejected([PolicyIssue(str(exc))]) from exc


def check_policy(text: bytes) -> CheckedPolicy:
    """Every check Tailscale makes before it saves a policy, short of running its tests."""
    value = decode(text)
    if not isinstance(value, dict):
        kind = "array" if isinstance(value, list) else type(value).__name__
        message = f"json: cannot unmarshal {kind} into Go value of type policy.ACLDetails"
        raise PolicyRejected([PolicyIssue(message)])
    issues: list[PolicyIssue] = []
    data = check_shape(value, issues)
    assert isinstance(data, dict)
    issues.extend(check_references(data))
    if issues:
        raise PolicyRejected(issues)
    return CheckedPolicy(
        text, data, parse_tests(data.get("tests")), parse_ssh_tests(data.get("sshTests"))
    )


def user_warnings(data: dict[str, Any], logins: Iterable[str]) -> list[str]:
    """Warnings for group members that are not users of the tailnet (``details=true``)."""
    known = {login.lower() for login in logins}
    warnings = []
    for group, members in (data.get("groups") or {}).items():
        for member in members or ():
            if member.lower() not in known:
                warnings.append(f'"{group}": user not found: "{member}"')
    return warnings


def human_edit(text: bytes, number: int, kind: str) -> bytes:
    """What a person editing the file in the admin console might do: a harmless, real change.

    ``comment`` puts a new comment line at the top; ``group`` adds an empty group
    ``group:sandbox-edit-<number>`` to ``groups`` (falling back to a comment if it cannot).
    """
    if kind == "group":
        try:
            tree = parse(text)
            name = f"group:sandbox-edit-{number}"
            if isinstance(tree.to_python(), dict) and tree.find("/groups") is not None:
                edited = tree.set_member("/groups", name, [])
            else:
                edited = tree.set_member("", "groups", {name: []})
            result = edited.pack()
            check_policy(result)
            return result
        except (HuJSONError, PolicyRejected):
            pass
    newline = b"\r\n" if b"\r\n" in text else b"\n"
    return b"// Edited by a human in the admin console (sandbox edit %d)." % number + newline + text
