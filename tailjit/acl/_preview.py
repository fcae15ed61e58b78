"""``/acl/preview``: the rules that would match a user, or an ``IP:port``.

TAILSCALE_API.md §1.4: ``type=user`` with a login, or ``type=ipport`` with ``IP:port``; each
match lists the rule's ``users`` (its sources as written), its ``ports`` (its destinations as
``host:ports``) and its ``lineNumber``. Whether Tailscale previews grants as well as acls is
UNCONFIRMED; grants are previewed here, each destination written ``host:<ip entry>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tailjit.acl._errors import UnknownTarget
from tailjit.acl._ports import TCP, UDP, split_hostport
from tailjit.acl._rules import Rule, Target

if TYPE_CHECKING:
    from tailjit.acl._evaluator import Evaluator


@dataclass(frozen=True, slots=True)
class PreviewMatch:
    users: tuple[str, ...]
    ports: tuple[str, ...]
    line: int
    postures: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "users": list(self.users),
            "ports": list(self.ports),
            "lineNumber": self.line,
        }
        if self.postures:
            out["postures"] = list(self.postures)
        return out


def _sources(evaluator: Evaluator, rule: Rule) -> tuple[str, ...]:
    policy = evaluator.policy
    if rule.ref.section == "grants":
        return policy.grants[rule.ref.index].src
    return policy.acls[rule.ref.index].sources


def _ports(evaluator: Evaluator, rule: Rule, targets: list[Target]) -> tuple[str, ...]:
    if rule.ref.section == "acls":
        return tuple(t.text for t in targets)
    ip = evaluator.policy.grants[rule.ref.index].ip or ()
    return tuple(f"{t.text}:{entry}" for t in targets for entry in ip)


def _match(evaluator: Evaluator, rule: Rule, targets: list[Target]) -> PreviewMatch:
    postures = tuple(p.name for p in rule.postures)
    ports = _ports(evaluator, rule, targets)
    return PreviewMatch(_sources(evaluator, rule), ports, rule.ref.line, postures)


def preview(evaluator: Evaluator, kind: str, preview_for: str) -> list[PreviewMatch]:
    """The matches for ``type=user`` (a login) or ``type=ipport`` (``IP:port``); raise
    `UnknownTarget` or ValueError for what cannot be previewed."""
    rules = evaluator.rules
    if kind == "user":
        endpoint = evaluator.endpoint(preview_for)
        found = rules.sources_of(endpoint)
        return [
            _match(evaluator, rules.rules[i], list(rules.rules[i].targets))
            for i in sorted(found)
            if rules.rules[i].targets
        ]
    if kind != "ipport":
        raise ValueError(f"unknown preview type {kind!r}; user or ipport")
    parts = split_hostport(preview_for)
    if parts is None or not parts[1].isdigit():
        raise ValueError(f'previewFor "{preview_for}" is not IP:port')
    host, port = parts[0], int(parts[1])
    try:
        endpoint = evaluator.endpoint(host)
    except UnknownTarget as exc:
        raise ValueError(str(exc)) from None
    by_rule = rules.targets_of(endpoint)
    matches = []
    for rule_id in sorted(by_rule):
        held = [t for t in by_rule[rule_id] if t.allows(TCP, port) or t.allows(UDP, port)]
        if held:
            matches.append(_match(evaluator, rules.rules[rule_id], held))
    return matches
