"""A policy's ``tests``: assertions that a source may, or may not, reach ``host:port``.

TAILSCALE_API.md §2.4 and §1.2-1.3: ``src`` is a login, group, tag, host alias or IP (not
``*``), with optional ``srcPostureAttrs`` (none when omitted: the only reading that lets
posture-gated rules be tested both ways; UNCONFIRMED) and ``proto``; ``accept``/``deny`` hold
``host:port`` with one numeric port (``0`` with ``"proto": "icmp"``). A failure reads exactly as
Tailscale's: ``address "tag:prod:80": want: Accept, got: Drop``.

Without ``proto`` a test asks about TCP and UDP, the protocols a rule without one covers: the
connection counts as accepted when either is (a real, accepted policy asserts ``accept`` on a
port its grants open for TCP only). UNCONFIRMED beyond that evidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tailjit.acl._errors import Issue, UnknownTarget
from tailjit.acl._model import PolicyTest
from tailjit.acl._ports import TCP, UDP, PortError, query_protocol, split_hostport

if TYPE_CHECKING:
    from tailjit.acl._evaluator import Evaluator


@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one ``tests`` entry: its failures, in Tailscale's words."""

    __test__ = False  # not a pytest test class

    index: int
    src: str
    errors: tuple[str, ...] = ()
    line: int = 0

    @property
    def passed(self) -> bool:
        return not self.errors


def failures_json(results: Sequence[TestResult]) -> list[dict[str, object]]:
    """The ``data`` of a ``test(s) failed`` reply: one ``{"user", "errors"}`` per failing test."""
    return [{"user": r.src, "errors": list(r.errors)} for r in results if r.errors]


def _parse_address(address: str) -> tuple[str, int]:
    parts = split_hostport(address)
    if parts is None:
        raise PortError("missing port")
    host, port = parts
    if not port.isdigit() or int(port) > 65535:
        raise PortError(f'port "{port}": a test names a single port')
    return host, int(port)


def test_issues(evaluator: Evaluator) -> Iterator[Issue]:
    """Problems with the tests themselves: unknown names, bad ports or protocols."""
    place = evaluator.rules.place
    for i, test in enumerate(evaluator.policy.tests):
        path = f"/tests/{i}"
        src = test.source
        if not src or src == "*":
            yield Issue(
                "invalid",
                f"{path}/src",
                f'test src="{src}": tests need a specific source',
                *place(f"{path}/src"),
            )
        else:
            try:
                evaluator.endpoint(src)
            except UnknownTarget as exc:
                yield Issue("undefined", f"{path}/src", f"src={exc}", *place(f"{path}/src"))
        if test.proto:
            try:
                query_protocol(test.proto)
            except PortError as exc:
                yield Issue("invalid", f"{path}/proto", f"proto: {exc}", *place(f"{path}/proto"))
        for field, addresses in (
            ("accept", test.accept),
            ("allow", test.allow),
            ("deny", test.deny),
        ):
            for j, address in enumerate(addresses):
                where = f"{path}/{field}/{j}"
                try:
                    host, _ = _parse_address(address)
                    evaluator.endpoint(host)
                except (PortError, UnknownTarget) as exc:
                    yield Issue("invalid", where, f'address "{address}": {exc}', *place(where))


def run_tests(evaluator: Evaluator, tests: Sequence[PolicyTest] | None = None) -> list[TestResult]:
    """Run ``tests`` (by default the policy's own) and report each one's failures."""
    source = evaluator.policy.source
    lines = source.element_lines("/tests") if source is not None and tests is None else []
    results = []
    for i, test in enumerate(evaluator.policy.tests if tests is None else tests):
        results.append(_run(evaluator, i, test, lines[i] if i < len(lines) else 0))
    return results


def _run(evaluator: Evaluator, index: int, test: PolicyTest, line: int) -> TestResult:
    src_name = test.source
    errors: list[str] = []
    try:
        src = evaluator._side(src_name, test.src_posture_attrs)
        protos = [query_protocol(test.proto)] if test.proto else [TCP, UDP]
    except (UnknownTarget, PortError) as exc:
        return TestResult(index, src_name, (f"src {src_name!r}: {exc}",), line)
    for want, addresses in ((True, test.accepts), (False, test.deny)):
        for address in addresses:
            try:
                host, port = _parse_address(address)
                dst = evaluator._side(host, None)
            except (UnknownTarget, PortError) as exc:
                errors.append(f'address "{address}": {exc}')
                continue
            got = any(evaluator._allowed(src, dst, proto, port) for proto in protos)
            if got != want:
                errors.append(f'address "{address}": want: {_verdict(want)}, got: {_verdict(got)}')
    return TestResult(index, src_name, tuple(errors), line)


def _verdict(accepted: bool) -> str:
    return "Accept" if accepted else "Drop"
