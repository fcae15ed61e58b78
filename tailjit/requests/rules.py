"""What the workflow needs to know about the eligibility a request matched.

The eligibility policy (`tailjit.eligibility`) decides *whether* a requester may ask for a target;
once it has matched, it hands the workflow one frozen `Rules` value, and the workflow never looks
at the policy again. A request keeps its `Rules` as a snapshot, so editing the policy file later
changes neither who may approve a pending request nor how long an active grant may run.

Group membership reaches the workflow through a `Directory`, never through I/O in the domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from typing import Protocol

from tailjit.ids import GroupName, Login, Principal

__all__ = [
    "BreakGlass",
    "Directory",
    "GrantMode",
    "Rules",
    "Stage",
    "StaticDirectory",
    "includes",
]


class GrantMode(StrEnum):
    """How a grant reaches the tailnet (DESIGN.md §2)."""

    POLICY_POSTURE = "policy+posture"
    """A policy entry gated by a per-grant posture attribute that Tailscale expires (default)."""
    POLICY = "policy"
    """A policy entry only; access stays while tailjit is down (fail-ajar)."""
    POSTURE = "posture"
    """Only the attribute named by `Rules.attribute`, which a static rule references."""


class Directory(Protocol):
    """Who is in a group: the domain asks, an adapter (policy file, identity provider) answers."""

    def members(self, group: GroupName) -> frozenset[Login]:
        """The logins in ``group``; empty for a group it does not know."""
        ...


@dataclass(frozen=True)
class StaticDirectory:
    """A `Directory` from a mapping, for tests and for groups already read into memory."""

    groups: Mapping[GroupName, frozenset[Login]] = field(default_factory=dict)

    @classmethod
    def of(cls, groups: Mapping[str, Iterable[str]]) -> StaticDirectory:
        """Parse ``{"group:dba": ["bob@example.com"]}`` into a directory."""
        return cls(
            {GroupName.parse(g): frozenset(Login.parse(m) for m in ms) for g, ms in groups.items()}
        )

    def members(self, group: GroupName) -> frozenset[Login]:
        return self.groups.get(group, frozenset())


def includes(principals: Iterable[Principal], login: Login, directory: Directory) -> bool:
    """Whether ``login`` is one of ``principals``, directly or as a member of a listed group."""
    for principal in principals:
        if isinstance(principal, GroupName):
            if login in directory.members(principal):
                return True
        elif principal == login:
            return True
    return False


@dataclass(frozen=True)
class Stage:
    """One approval stage: ``required`` distinct people among ``approvers`` must approve."""

    approvers: frozenset[Principal]
    required: int = 1

    def __post_init__(self) -> None:
        if not self.approvers:
            raise ValueError("an approval stage needs at least one approver")
        if self.required < 1:
            raise ValueError(f"an approval stage needs 1 or more approvals, not {self.required}")


@dataclass(frozen=True)
class BreakGlass:
    """Who may open a grant without approval (always flagged and audited), and for how long."""

    users: frozenset[Principal]
    max_duration: timedelta

    def __post_init__(self) -> None:
        if not self.users:
            raise ValueError("break-glass needs at least one user or group")
        if self.max_duration <= timedelta(0):
            raise ValueError("break-glass needs a positive maximum duration")


@dataclass(frozen=True)
class Rules:
    """The matched eligibility, as the workflow sees it. Durations are `timedelta`s.

    ``stages`` are approved in order; ``self_approval`` lets a requester who is among a stage's
    approvers count for that stage (never by default). ``ticket_pattern`` is a regular expression
    a ticket must match in full; when set, a ticket is required. ``attribute`` is the posture
    attribute key of `GrantMode.POSTURE` (and must be None otherwise).
    """

    eligibility: str
    stages: tuple[Stage, ...]
    default_duration: timedelta
    max_duration: timedelta
    pending_ttl: timedelta
    max_extensions: int = 0
    mode: GrantMode = GrantMode.POLICY_POSTURE
    attribute: str | None = None
    self_approval: bool = False
    reason_required: bool = True
    ticket_pattern: str | None = None
    breakglass: BreakGlass | None = None

    def __post_init__(self) -> None:
        if not self.eligibility:
            raise ValueError("rules need the name of their eligibility")
        if not self.stages:
            raise ValueError(f"eligibility {self.eligibility}: at least one approval stage")
        zero = timedelta(0)
        if not zero < self.default_duration <= self.max_duration:
            raise ValueError(
                f"eligibility {self.eligibility}: need 0 < default duration <= maximum duration"
            )
        if self.pending_ttl <= zero:
            raise ValueError(f"eligibility {self.eligibility}: pending TTL must be positive")
        if self.max_extensions < 0:
            raise ValueError(f"eligibility {self.eligibility}: max extensions must be >= 0")
        if (self.mode is GrantMode.POSTURE) != (self.attribute is not None):
            raise ValueError(
                f"eligibility {self.eligibility}: an attribute goes with posture mode, and only "
                "with it"
            )
        if self.ticket_pattern is not None:
            re.compile(self.ticket_pattern)  # re.error is a ValueError

    @cached_property
    def ticket_regex(self) -> re.Pattern[str] | None:
        """The compiled ``ticket_pattern``."""
        return None if self.ticket_pattern is None else re.compile(self.ticket_pattern)

    def approvers(self) -> frozenset[Principal]:
        """Everyone named in any stage."""
        return frozenset().union(*(stage.approvers for stage in self.stages))
