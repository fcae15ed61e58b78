"""Tailscale SSH: which login names a source may use on a destination, and ``sshTests``.

An ``ssh`` rule says ``accept`` or ``check`` (re-authenticate) for ``src`` → ``dst`` as
``users``: ``root``, ``autogroup:nonroot`` (any name but root), ``localpart:*@<domain>`` (the
local part of the source's login, for that domain) or a literal name. Rules apply in order and
the first that matches decides; none matching means deny. An ``sshTests`` entry lists, per
destination, the names that must be accepted, checked or denied (``autogroup:nonroot`` in a test
means the rule entry of that name). The SSH tests of accepted real policies pass without any
network rule to port 22, so SSH access is judged on the ``ssh`` rules alone.

The failure wording of ``sshTests`` is not published (UNCONFIRMED); it is modelled on the
network tests': ``user "root" on "tag:server": want: Accept, got: Check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tailjit.acl._endpoints import Endpoint
from tailjit.acl._errors import UnknownTarget
from tailjit.acl._model import SshTest
from tailjit.acl._posture import Posture
from tailjit.acl._selectors import SELF, Selector
from tailjit.acl._tests import TestResult

if TYPE_CHECKING:
    from tailjit.acl._evaluator import Evaluator
    from tailjit.acl._rules import Rules

NONROOT = "autogroup:nonroot"


@dataclass(frozen=True, slots=True)
class SshRule:
    index: int
    action: str
    sources: tuple[Selector, ...]
    destinations: tuple[Selector, ...]
    users: tuple[str, ...]
    postures: tuple[Posture, ...]


def compile_ssh(rules: Rules) -> list[SshRule]:
    """The ``ssh`` rules of a policy, resolved (issues go to ``rules.issues``)."""
    out = []
    names = rules.names
    for i, rule in enumerate(rules.policy.ssh):
        path = f"/ssh/{i}"
        if rule.action not in ("accept", "check"):
            rules.issue(
                "invalid", f"{path}/action", f'action="{rule.action}": must be "accept" or "check"'
            )
        sources = [names.selector(n, f"{path}/src/{j}", "src") for j, n in enumerate(rule.src)]
        destinations = [
            names.selector(n, f"{path}/dst/{j}", "dst", dst=True) for j, n in enumerate(rule.dst)
        ]
        postures = rules._rule_postures(rule.src_posture, path)
        out.append(
            SshRule(
                i,
                rule.action,
                tuple(s for s in sources if s is not None),
                tuple(d for d in destinations if d is not None),
                rule.users,
                postures,
            )
        )
    return out


def _holds(selectors: tuple[Selector, ...], endpoint: Endpoint) -> Selector | None:
    for selector in selectors:
        if selector.key is not None and selector.key in endpoint.keys:
            return selector
        if any(p.contains(a) for p in selector.prefixes for a in endpoint.addresses):
            return selector
    return None


def _user_matches(entry: str, user: str, src: Endpoint) -> bool:
    if entry == user:
        return True
    if entry == NONROOT:
        return user != "root"
    if entry.startswith("localpart:*@") and src.login:
        local, _, domain = src.login.partition("@")
        return domain.lower() == entry[len("localpart:*@") :].lower() and user == local
    return False


def ssh_action(
    evaluator: Evaluator, rules: list[SshRule], src: Endpoint, dst: Endpoint, user: str
) -> str:
    """``accept``, ``check`` or ``deny``: what the first matching rule says."""
    for rule in rules:
        if _holds(rule.sources, src) is None:
            continue
        target = _holds(rule.destinations, dst)
        if target is None:
            continue
        if target.key == SELF and not (
            src.login and dst.login and not src.tags and src.login.lower() == dst.login.lower()
        ):
            continue
        if not any(_user_matches(entry, user, src) for entry in rule.users):
            continue
        if (
            rule.postures
            and src.posture_checked
            and not any(p.holds(src.attributes) for p in rule.postures)
        ):
            continue
        return rule.action
    return "deny"


def run_ssh_tests(
    evaluator: Evaluator, rules: list[SshRule], tests: tuple[SshTest, ...]
) -> list[TestResult]:
    results = []
    for i, test in enumerate(tests):
        errors: list[str] = []
        try:
            src = evaluator.endpoint(test.src, test.src_posture_attrs)
        except UnknownTarget as exc:
            results.append(TestResult(i, test.src, (f"src {test.src!r}: {exc}",)))
            continue
        for host in test.dst:
            try:
                dst = evaluator.endpoint(host)
            except UnknownTarget as exc:
                errors.append(f'dst "{host}": {exc}')
                continue
            for want, users in (
                ("accept", test.accept),
                ("check", test.check),
                ("deny", test.deny),
            ):
                for user in users:
                    got = ssh_action(evaluator, rules, src, dst, user)
                    if got != want:
                        errors.append(
                            f'user "{user}" on "{host}": want: {want.title()}, got: {got.title()}'
                        )
        results.append(TestResult(i, test.src, tuple(errors)))
    return results
