"""The seam for evaluating access: a policy's ``tests`` and ``/acl/preview``.

Tailscale runs the ``tests`` and ``sshTests`` of a policy on every save and answers
``/acl/validate`` and ``/acl/preview`` with an access evaluator. The sandbox parses the tests'
shape and hands them to a `PolicyChecker`: by default `acl_checker.AclChecker`, backed by
``tailjit.acl``; `NoopChecker` passes every test and does not preview (for tests of the wiring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tailjit.hujson import JSON


@dataclass(frozen=True)
class PolicyTest:
    """One ``tests`` entry: may ``src`` reach each ``accept`` address and not each ``deny`` one."""

    src: str
    accept: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    proto: str | None = None
    src_posture_attrs: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class SshTest:
    """One ``sshTests`` entry: which login names ``src`` may use on each ``dst``."""

    src: str
    dst: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()
    check: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    src_posture_attrs: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class TestFailure:
    """The failures for one source, as Tailscale reports them in ``data``."""

    __test__ = False  # not a pytest test class

    user: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"user": self.user}
        if self.errors:
            out["errors"] = list(self.errors)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class TailnetView:
    """What an evaluator may look at besides the policy: users, devices and their attributes."""

    users: tuple[Mapping[str, Any], ...]
    devices: tuple[Mapping[str, Any], ...]
    attributes: Mapping[str, Mapping[str, JSON]]
    """Custom attributes per device ``nodeId``."""


class PolicyChecker(Protocol):
    """Evaluates access for the sandbox. Implementations must be thread-safe."""

    def run_tests(
        self,
        policy: Mapping[str, Any],
        tests: Sequence[PolicyTest],
        ssh_tests: Sequence[SshTest],
        *,
        tailnet: TailnetView,
    ) -> list[TestFailure]:
        """Run the tests against ``policy`` (shape-checked, canonical field names)."""
        ...

    def preview(
        self, policy: Mapping[str, Any], *, kind: str, preview_for: str, tailnet: TailnetView
    ) -> JSON:
        """The body of ``/acl/preview``; raise NotImplementedError when not supported."""
        ...


class NoopChecker:
    """Passes every test and does not preview (no evaluator yet)."""

    def run_tests(
        self,
        policy: Mapping[str, Any],
        tests: Sequence[PolicyTest],
        ssh_tests: Sequence[SshTest],
        *,
        tailnet: TailnetView,
    ) -> list[TestFailure]:
        return []

    def preview(
        self, policy: Mapping[str, Any], *, kind: str, preview_for: str, tailnet: TailnetView
    ) -> JSON:
        raise NotImplementedError("preview needs an access evaluator")


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(value or ())


def parse_tests(items: Sequence[Any] | None) -> list[PolicyTest]:
    """``tests`` entries (already shape-checked) as values; legacy ``user``/``allow`` folded in."""
    tests = []
    for item in items or ():
        item = item or {}
        tests.append(
            PolicyTest(
                src=item.get("src") or item.get("user") or "",
                accept=_strings(item.get("accept")) + _strings(item.get("allow")),
                deny=_strings(item.get("deny")),
                proto=item.get("proto") or None,
                src_posture_attrs=dict(item.get("srcPostureAttrs") or {}),
            )
        )
    return tests


def parse_ssh_tests(items: Sequence[Any] | None) -> list[SshTest]:
    tests = []
    for item in items or ():
        item = item or {}
        tests.append(
            SshTest(
                src=item.get("src") or "",
                dst=_strings(item.get("dst")),
                accept=_strings(item.get("accept")),
                check=_strings(item.get("check")),
                deny=_strings(item.get("deny")),
                src_posture_attrs=dict(item.get("srcPostureAttrs") or {}),
            )
        )
    return tests


def failures_body(failures: Sequence[TestFailure]) -> dict[str, JSON]:
    """``{"message": "test(s) failed", "data": [...]}``; ``warning(s) found`` if only warnings."""
    failed = any(f.errors for f in failures)
    return {
        "message": "test(s) failed" if failed else "warning(s) found",
        "data": [f.to_json() for f in failures],
    }
