"""The eligibility policy as the domain uses it: defaults resolved, queries answered.

`EligibilityPolicy.match` says which eligibilities allow a request and why the others do not;
`Eligibility.auto_approval` whether it needs no approval now; `Eligibility.approvers` who may
approve a stage; `Eligibility.rules` the frozen snapshot the request workflow keeps. Time is
always passed in (``now``, timezone-aware); group membership comes through a `Directory`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tailjit.eligibility._fields import show_time
from tailjit.eligibility._model import (
    AutoApproveSpec,
    BreakGlassSpec,
    DeviceScope,
    EligibilitySpec,
    GrantModeName,
    PolicyFile,
    StageSpec,
)
from tailjit.ids import GroupName, Login, Principal
from tailjit.requests.rules import BreakGlass, Directory, GrantMode, Rules, Stage
from tailjit.targets import Target

__all__ = ["AutoApproval", "Eligibility", "EligibilityPolicy", "Match", "includes"]

_DEFAULT_DURATION = timedelta(hours=1)


def includes(principals: Iterable[Principal], login: Login, groups: Collection[GroupName]) -> bool:
    """Whether ``login`` (a member of ``groups``) is one of ``principals``."""
    return any(p == login or (isinstance(p, GroupName) and p in groups) for p in principals)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, not {now!r}")
    return now


@dataclass(frozen=True)
class AutoApproval:
    """Whether a request is approved at once, by which ``autoApprove`` entry (its index), and
    otherwise why each entry did not apply."""

    approved: bool
    rule: int | None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Eligibility:
    """One eligibility with every default resolved (see policy/README.md for each field)."""

    name: str
    description: str
    requesters: tuple[Principal, ...]
    destinations: tuple[Target, ...]
    mode: GrantModeName
    attribute: str | None
    devices: DeviceScope
    default_duration: timedelta
    max_duration: timedelta
    max_extensions: int
    pending_ttl: timedelta
    stages: tuple[StageSpec, ...]
    self_approval: bool
    auto_approve: tuple[AutoApproveSpec, ...]
    reason_required: bool
    ticket_pattern: re.Pattern[str] | None
    break_glass: BreakGlassSpec | None

    @classmethod
    def from_spec(cls, spec: EligibilitySpec, *, pending_ttl: timedelta) -> Eligibility:
        return cls(
            name=spec.name,
            description=spec.description,
            requesters=tuple(spec.requesters),
            destinations=tuple(spec.destinations),
            mode=spec.mode,
            attribute=spec.attribute,
            devices=spec.devices,
            default_duration=spec.default_duration or min(_DEFAULT_DURATION, spec.max_duration),
            max_duration=spec.max_duration,
            max_extensions=spec.max_extensions,
            pending_ttl=spec.pending_ttl or pending_ttl,
            stages=tuple(spec.approval.stages),
            self_approval=spec.approval.self_approval,
            auto_approve=tuple(spec.approval.auto_approve),
            reason_required=spec.reason_required,
            ticket_pattern=spec.ticket_pattern,
            break_glass=spec.break_glass,
        )

    def is_requester(self, login: Login, groups: Collection[GroupName]) -> bool:
        return includes(self.requesters, login, groups)

    def destination_for(self, target: Target) -> Target | None:
        """The first destination ``target`` is within, or None: a wider request is refused."""
        return next((d for d in self.destinations if target.within(d)), None)

    def auto_approval(
        self, requester: Login, groups: Collection[GroupName], target: Target, *, now: datetime
    ) -> AutoApproval:
        """Whether a request by ``requester`` for ``target`` made at ``now`` needs no approval:
        true when every condition of any one ``autoApprove`` entry holds."""
        now = _aware(now)
        reasons: list[str] = []
        for index, rule in enumerate(self.auto_approve):
            failed = _failed_conditions(rule, requester, groups, target, now)
            if not failed:
                return AutoApproval(True, index)
            reasons.append(f"autoApprove {index}: " + "; ".join(failed))
        if not reasons:
            reasons.append("no autoApprove entry")
        return AutoApproval(False, None, tuple(reasons))

    def approvers(self, stage: int, directory: Directory) -> frozenset[Login]:
        """Who may approve stage ``stage`` (0-based): its logins and its groups' members."""
        found: set[Login] = set()
        for principal in self.stages[stage].approvers:
            if isinstance(principal, GroupName):
                found.update(directory.members(principal))
            else:
                found.add(principal)
        return frozenset(found)

    def eligible_approvers(
        self, stage: int, directory: Directory, *, requester: Login
    ) -> frozenset[Login]:
        """`approvers` of the stage, without ``requester`` unless self-approval is allowed."""
        found = self.approvers(stage, directory)
        return found if self.self_approval else found - {requester}

    def may_break_glass(self, login: Login, groups: Collection[GroupName]) -> bool:
        return self.break_glass is not None and includes(self.break_glass.users, login, groups)

    def rules(self) -> Rules:
        """The snapshot the request workflow keeps (`tailjit.requests.Rules`).

        It carries what the workflow needs after matching: stages, durations, extensions, the
        pending TTL, the grant mode and attribute, self-approval, reason, ticket and break-glass.
        Destinations, device scope and auto-approval stay here: they are decided at matching.
        """
        glass = self.break_glass
        return Rules(
            eligibility=self.name,
            stages=tuple(Stage(frozenset(s.approvers), s.required) for s in self.stages),
            default_duration=self.default_duration,
            max_duration=self.max_duration,
            pending_ttl=self.pending_ttl,
            max_extensions=self.max_extensions,
            mode=GrantMode(self.mode),
            attribute=self.attribute,
            self_approval=self.self_approval,
            reason_required=self.reason_required,
            ticket_pattern=None if self.ticket_pattern is None else self.ticket_pattern.pattern,
            breakglass=None
            if glass is None
            else BreakGlass(frozenset(glass.users), glass.max_duration),
        )


def _failed_conditions(
    rule: AutoApproveSpec,
    requester: Login,
    groups: Collection[GroupName],
    target: Target,
    now: datetime,
) -> list[str]:
    failed: list[str] = []
    if rule.requester_in is not None and not includes(rule.requester_in, requester, groups):
        failed.append(f"{requester} is not in {', '.join(rule.requester_in)}")
    if rule.destinations is not None and not any(target.within(d) for d in rule.destinations):
        failed.append(f"{target} is not within {', '.join(map(str, rule.destinations))}")
    if rule.hours is not None and not rule.hours.contains(now):
        hours = rule.hours
        failed.append(
            f"{now.astimezone(hours.time_zone):%a %H:%M} {hours.time_zone.key} is outside "
            f"{','.join(hours.days)} {show_time(hours.start)}-{show_time(hours.end)}"
        )
    return failed


@dataclass(frozen=True)
class Match:
    """How one eligibility answers a request.

    ``allowed``: the requester is a requester and the target is within ``destination``;
    otherwise ``reasons`` says why not. ``auto`` says whether it would be approved at once.
    """

    eligibility: Eligibility
    allowed: bool
    destination: Target | None
    auto: AutoApproval
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class EligibilityPolicy:
    """Every eligibility and the global settings of one loaded file."""

    eligibilities: tuple[Eligibility, ...]
    max_duration: timedelta
    admins: tuple[Principal, ...]

    @classmethod
    def from_file(cls, document: PolicyFile) -> EligibilityPolicy:
        settings = document.settings
        return cls(
            eligibilities=tuple(
                Eligibility.from_spec(spec, pending_ttl=settings.pending_ttl)
                for spec in document.eligibilities
            ),
            max_duration=settings.max_duration,
            admins=tuple(settings.admins),
        )

    def get(self, name: str) -> Eligibility | None:
        return next((e for e in self.eligibilities if e.name == name), None)

    def is_admin(self, login: Login, groups: Collection[GroupName]) -> bool:
        return includes(self.admins, login, groups)

    def match(
        self,
        requester: Login,
        groups: Collection[GroupName],
        target: Target,
        *,
        now: datetime,
    ) -> list[Match]:
        """One `Match` per eligibility, in file order: which allow this request, and why not for
        the others. ``groups`` are the groups ``requester`` is a member of."""
        now = _aware(now)
        matches: list[Match] = []
        for eligibility in self.eligibilities:
            reasons: list[str] = []
            if not eligibility.is_requester(requester, groups):
                reasons.append(
                    f"{requester} is not among the requesters ({', '.join(eligibility.requesters)})"
                )
            destination = eligibility.destination_for(target)
            if destination is None:
                reasons.append(
                    f"{target} is not within any destination "
                    f"({', '.join(map(str, eligibility.destinations))})"
                )
            allowed = not reasons
            auto = (
                eligibility.auto_approval(requester, groups, target, now=now)
                if allowed
                else AutoApproval(False, None, ("not allowed",))
            )
            matches.append(Match(eligibility, allowed, destination, auto, tuple(reasons)))
        return matches

    def allowed(
        self, requester: Login, groups: Collection[GroupName], target: Target, *, now: datetime
    ) -> list[Match]:
        """The matches of `match` that allow the request."""
        return [m for m in self.match(requester, groups, target, now=now) if m.allowed]
