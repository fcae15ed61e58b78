"""`Evaluator`: a policy and a tailnet, compiled once, answering "may A reach B on this port".

``may`` returns a `Decision` with every rule that allows the connection (grants are a union, so
all of them decided it) and every rule that would have but for its posture. Names resolve
through `Endpoints`; resolved endpoints and the rules that hold them are cached, so repeated
questions about the same names cost a few dict lookups and one pass over the rules the source
and the destination have in common.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tailjit.acl._endpoints import Endpoint, Endpoints
from tailjit.acl._errors import Issue, PolicyError
from tailjit.acl._load import load
from tailjit.acl._model import Policy, PolicyTest, SshTest
from tailjit.acl._ports import protocol_name, query_protocol
from tailjit.acl._posture import AttrValue
from tailjit.acl._reach import Access, reach
from tailjit.acl._rules import Rule, RuleRef, Rules, Target, internet_for
from tailjit.acl._selectors import SELF, Selector
from tailjit.acl._ssh import compile_ssh, run_ssh_tests
from tailjit.acl._tailnet import Device, Tailnet
from tailjit.acl._tests import TestResult, run_tests, test_issues

_CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that matched a question: which of its sources and destinations did, the ports it
    opens there, the postures it requires and, for a rule blocked by posture, the assertions the
    source failed."""

    rule: RuleRef
    src: str
    dst: str
    ports: str
    postures: tuple[str, ...] = ()
    failing: tuple[str, ...] = ()
    via: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "rule": f"{self.rule.section}[{self.rule.index}]",
            "line": self.rule.line,
            "src": self.src,
            "dst": self.dst,
            "ports": self.ports,
        }
        if self.postures:
            out["srcPosture"] = list(self.postures)
        if self.failing:
            out["failing"] = list(self.failing)
        if self.via:
            out["via"] = list(self.via)
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to ``may``: allowed or not, and the rules that decided."""

    allowed: bool
    src: Endpoint
    dst: Endpoint
    proto: int
    port: int
    matches: tuple[Match, ...] = ()
    """Every rule that allows the connection (empty when it is dropped)."""
    blocked: tuple[Match, ...] = ()
    """Rules that would allow it if the source met their posture."""

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def verdict(self) -> str:
        """``Accept`` or ``Drop``, in Tailscale's words."""
        return "Accept" if self.allowed else "Drop"

    def describe(self) -> str:
        """The verdict and the rules that decided it, for people (one rule per line)."""
        head = (
            f"{self.verdict}: {self.src.name} -> {self.dst.name} "
            f"{protocol_name(self.proto)}:{self.port}"
        )
        lines = [head if self.matches else f"{head} (no rule allows it)"]
        for match in self.matches:
            lines.append(f"  allowed by {_describe(match)}")
        for match in self.blocked:
            failing = "; ".join(match.failing) or "posture not met"
            lines.append(f"  blocked by posture: {_describe(match)}: {failing}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "verdict": self.verdict,
            "src": self.src.name,
            "dst": self.dst.name,
            "proto": protocol_name(self.proto),
            "port": self.port,
            "matches": [m.to_json() for m in self.matches],
            "blocked": [m.to_json() for m in self.blocked],
        }


@dataclass(slots=True)
class _Side:
    """A resolved endpoint and what has been worked out about it so far."""

    endpoint: Endpoint
    sources: dict[int, Selector] | None = None
    targets: dict[int, list[Target]] | None = None
    postures: dict[str, bool] = field(default_factory=dict)


EndpointRef = str | Endpoint | Device


class Evaluator:
    """A compiled policy for one tailnet. Raises `PolicyError` (every issue) if the policy is
    not valid.

    Questions only read the compiled policy; the cache of resolved names they fill is safe to
    share between threads (a race costs a repeated resolution, never a wrong answer).
    """

    def __init__(self, policy: Policy | str | bytes, tailnet: Tailnet | None = None) -> None:
        self.policy = load(policy) if isinstance(policy, str | bytes) else policy
        self.tailnet = tailnet or Tailnet()
        routes = self.tailnet.routes
        self.rules = Rules(self.policy, internet_for(routes)) if routes else Rules(self.policy)
        self.ssh_rules = compile_ssh(self.rules)
        self._endpoints = Endpoints(self.rules.names, self.tailnet)
        self._cache: dict[tuple[str, tuple[tuple[str, AttrValue], ...] | None], _Side] = {}
        self.issues = tuple(self.rules.issues) + tuple(self._test_issues())
        if self.issues:
            raise PolicyError(sorted(self.issues, key=lambda i: (i.line, i.column)))

    def _test_issues(self) -> list[Issue]:
        return list(test_issues(self))

    def run_tests(self, tests: Sequence[PolicyTest] | None = None) -> list[TestResult]:
        """Run ``tests`` (by default the policy's own ``tests``); one result per entry."""
        return run_tests(self, tests)

    def reach(
        self, user: EndpointRef, *, attrs: Mapping[str, AttrValue] | None = None
    ) -> tuple[Access, ...]:
        """Everything ``user`` may reach, rule by rule (see `_reach.reach`)."""
        return reach(self, user, attrs)

    def run_ssh_tests(self, tests: Sequence[SshTest] | None = None) -> list[TestResult]:
        """Run ``sshTests`` (by default the policy's own); one result per entry."""
        chosen = self.policy.ssh_tests if tests is None else tuple(tests)
        return run_ssh_tests(self, self.ssh_rules, chosen)

    # -- endpoints --------------------------------------------------------------------------

    def endpoint(self, ref: EndpointRef, attrs: Mapping[str, AttrValue] | None = None) -> Endpoint:
        """The endpoint a name, a device or an endpoint stands for (see `Endpoints`); raise
        `UnknownTarget` for a name that stands for none."""
        return self._side(ref, attrs).endpoint

    def _side(self, ref: EndpointRef, attrs: Mapping[str, AttrValue] | None) -> _Side:
        if isinstance(ref, Endpoint):
            return _Side(ref)
        if isinstance(ref, Device):
            return _Side(self._endpoints.device(ref, attrs=attrs))
        key = (ref, None if attrs is None else tuple(sorted(attrs.items())))
        side = self._cache.get(key)
        if side is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            side = self._cache[key] = _Side(self._endpoints.resolve(ref, attrs))
        return side

    # -- questions --------------------------------------------------------------------------

    def may(
        self,
        src: EndpointRef,
        dst: EndpointRef,
        port: int,
        proto: str | int = "tcp",
        *,
        attrs: Mapping[str, AttrValue] | None = None,
    ) -> Decision:
        """May ``src`` open a ``proto`` connection to ``dst`` on ``port``?

        ``attrs`` replaces the source's posture attributes (a device's own are used otherwise;
        a hypothetical device has none).
        """
        number = query_protocol(proto)
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not 0-65535")
        s, d = self._side(src, attrs), self._side(dst, None)
        matches, blocked = self._decide(s, d, number, port, first=False)
        return Decision(bool(matches), s.endpoint, d.endpoint, number, port, matches, blocked)

    def _allowed(self, src: _Side, dst: _Side, proto: int, port: int) -> bool:
        """The verdict alone, stopping at the first rule that allows."""
        return bool(self._decide(src, dst, proto, port, first=True)[0])

    def _decide(
        self, s: _Side, d: _Side, proto: int, port: int, *, first: bool
    ) -> tuple[tuple[Match, ...], tuple[Match, ...]]:
        if s.sources is None:
            s.sources = self.rules.sources_of(s.endpoint)
        if d.targets is None:
            d.targets = self.rules.targets_of(d.endpoint)
        sources, targets = s.sources, d.targets
        if len(sources) <= len(targets):
            common = [r for r in sources if r in targets]
        else:
            common = [r for r in targets if r in sources]
        if len(common) > 1:
            common.sort()
        matches: list[Match] = []
        blocked: list[Match] = []
        rules = self.rules.rules
        for rule_id in common:
            rule = rules[rule_id]
            for target in targets[rule_id]:
                if not target.allows(proto, port):
                    continue
                if target.selector.key == SELF and not _same_user(s.endpoint, d.endpoint):
                    continue
                held = self._posture(s, rule)
                match = Match(
                    rule.ref,
                    sources[rule_id].text,
                    target.text,
                    target.ports_text,
                    tuple(p.name for p in rule.postures),
                    () if held else _failing(rule, s.endpoint),
                    rule.via,
                )
                if held:
                    matches.append(match)
                    if first:
                        return tuple(matches), ()
                else:
                    blocked.append(match)
                break
        return tuple(matches), tuple(blocked)

    def _posture(self, side: _Side, rule: Rule) -> bool:
        if not rule.postures or not side.endpoint.posture_checked:
            return True
        attrs = side.endpoint.attributes
        for posture in rule.postures:
            held = side.postures.get(posture.name)
            if held is None:
                held = side.postures[posture.name] = posture.holds(attrs)
            if held:
                return True
        return False


def _describe(match: Match) -> str:
    posture = f" when {' or '.join(match.postures)}" if match.postures else ""
    via = f" via {', '.join(match.via)}" if match.via else ""
    return f"{match.rule}: src {match.src}, dst {match.dst}, {match.ports}{posture}{via}"


def _same_user(src: Endpoint, dst: Endpoint) -> bool:
    """``autogroup:self``: a user's own (untagged) devices, from that user's devices."""
    return (
        src.login is not None
        and dst.login is not None
        and not src.tags
        and src.login.lower() == dst.login.lower()
    )


def _failing(rule: Rule, endpoint: Endpoint) -> tuple[str, ...]:
    return tuple(
        f"{posture.name}: {assertion.text}"
        for posture in rule.postures
        for assertion in posture.failing(endpoint.attributes)
    )
