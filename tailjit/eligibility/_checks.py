"""Checks across fields: what a well-typed eligibility file can still get wrong.

(Unknown groups are found while validating each field: see ``_fields.KNOWN_GROUPS``.) Each
check yields a `Finding` (an issue name, a path and a message); the loader adds the line
and column. They run on every eligibility that is well formed on its own, so one malformed entry
does not hide the contradictions in the others.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from tailjit.durations import format_duration
from tailjit.eligibility._model import EligibilitySpec, SettingsSpec, StageSpec
from tailjit.ids import GroupName, Login, Principal

Path = tuple[str | int, ...]
KnownGroups = Collection[GroupName] | Mapping[GroupName, Collection[Login]]


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    path: Path
    message: str


def check(
    settings: SettingsSpec,
    names: Sequence[tuple[int, str]],
    eligibilities: Sequence[tuple[int, EligibilitySpec]],
    known_groups: KnownGroups | None,
) -> Iterator[Finding]:
    """Every cross-field finding of the settings and the well-formed eligibilities.

    ``names`` are the names of every eligibility that has one, well formed or not, so that a
    duplicate is found even next to a malformed entry.
    """
    yield from _principals(settings.admins, ("settings", "admins"))
    seen: dict[str, int] = {}
    for index, name in names:
        if name in seen:
            yield Finding(
                "duplicate-name",
                ("eligibilities", index, "name"),
                f'eligibility name "{name}" is already used by eligibility {seen[name]}',
            )
        seen.setdefault(name, index)
    for index, spec in eligibilities:
        yield from _eligibility(spec, ("eligibilities", index), settings, known_groups)


def _eligibility(
    spec: EligibilitySpec, at: Path, settings: SettingsSpec, known: KnownGroups | None
) -> Iterator[Finding]:
    yield from _principals(spec.requesters, (*at, "requesters"))
    yield from _duplicates([str(d) for d in spec.destinations], (*at, "destinations"))
    yield from _durations(spec, at, settings)
    if spec.mode == "posture" and spec.attribute is None:
        yield Finding(
            "attribute-mode-mismatch",
            (*at, "mode"),
            'mode "posture" needs "attribute": the key that your static rule references',
        )
    elif spec.mode != "posture" and spec.attribute is not None:
        yield Finding(
            "attribute-mode-mismatch",
            (*at, "attribute"),
            f'"attribute" only applies to mode "posture", not "{spec.mode}"',
        )
    approval = spec.approval
    for number, stage in enumerate(approval.stages):
        yield from _stage(spec, stage, (*at, "approval", "stages", number), known)
    if approval.self_approval and not any(
        _overlap(spec.requesters, stage.approvers, known) for stage in approval.stages
    ):
        yield Finding(
            "self-approval-unused",
            (*at, "approval", "selfApproval"),
            "selfApproval has no effect: no requester is an approver of any stage",
        )
    for number, rule in enumerate(approval.auto_approve):
        rule_at = (*at, "approval", "autoApprove", number)
        if rule.requester_in is None and rule.destinations is None and rule.hours is None:
            yield Finding(
                "auto-approve-unconditional",
                rule_at,
                "this autoApprove entry has no condition: it approves every request at once",
            )
        yield from _principals(rule.requester_in or (), (*rule_at, "requesterIn"))
        for i, target in enumerate(rule.destinations or ()):
            if not any(target.within(d) or d.within(target) for d in spec.destinations):
                yield Finding(
                    "auto-approve-unreachable",
                    (*rule_at, "destinations", i),
                    f"{target} overlaps none of this eligibility's destinations, so it never "
                    "applies",
                )
        if rule.hours is not None:
            hours = rule.hours
            if not hours.days or hours.start == hours.end or hours.start == time.max:
                yield Finding(
                    "empty-hours",
                    (*rule_at, "hours"),
                    "this window is empty: give at least one day and a start before 24:00 that "
                    "differs from the end",
                )
            yield from _duplicates(hours.days, (*rule_at, "hours", "days"))
    if spec.break_glass is not None:
        yield from _principals(spec.break_glass.users, (*at, "breakGlass", "users"))


def _durations(spec: EligibilitySpec, at: Path, settings: SettingsSpec) -> Iterator[Finding]:
    cap = settings.max_duration
    if spec.max_duration > cap:
        yield Finding(
            "duration-above-cap",
            (*at, "maxDuration"),
            f"maxDuration {format_duration(spec.max_duration)} is above the global maximum "
            f"{format_duration(cap)} (settings.maxDuration)",
        )
    if spec.break_glass is not None and spec.break_glass.max_duration > cap:
        yield Finding(
            "duration-above-cap",
            (*at, "breakGlass", "maxDuration"),
            f"break-glass maxDuration {format_duration(spec.break_glass.max_duration)} is above "
            f"the global maximum {format_duration(cap)} (settings.maxDuration)",
        )
    if spec.default_duration is not None and spec.default_duration > spec.max_duration:
        yield Finding(
            "default-above-max",
            (*at, "defaultDuration"),
            f"defaultDuration {format_duration(spec.default_duration)} is above this "
            f"eligibility's maxDuration {format_duration(spec.max_duration)}",
        )


def _stage(
    spec: EligibilitySpec, stage: StageSpec, at: Path, known: KnownGroups | None
) -> Iterator[Finding]:
    yield from _principals(stage.approvers, (*at, "approvers"))
    people = _people(stage.approvers, known)
    if people is not None and stage.required > len(people):
        yield Finding(
            "required-above-approvers",
            (*at, "required"),
            f"required is {stage.required} but only {_people_count(len(people))} can approve "
            "at this stage",
        )
        return
    if spec.approval.self_approval or people is None:
        return
    requesters = _people(spec.requesters, known) or frozenset(
        p for p in spec.requesters if isinstance(p, Login)
    )
    for requester in sorted(requesters):
        if requester in people and stage.required > len(people) - 1:
            yield Finding(
                "stage-needs-requester",
                (*at, "approvers"),
                f"a request by {requester} can never be approved: this stage needs "
                f"{stage.required} approval(s) from people other than the requester; add "
                "approvers or set selfApproval",
            )


def _people_count(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _people(
    principals: Collection[Principal], known: KnownGroups | None
) -> frozenset[Login] | None:
    """The logins ``principals`` stand for, or None when a group's members are not known."""
    people: set[Login] = set()
    for principal in principals:
        if isinstance(principal, GroupName):
            if not isinstance(known, Mapping) or principal not in known:
                return None
            people.update(known[principal])
        else:
            people.add(principal)
    return frozenset(people)


def _overlap(
    first: Collection[Principal], second: Collection[Principal], known: KnownGroups | None
) -> bool:
    if set(first) & set(second):
        return True
    a, b = _people(first, known), _people(second, known)
    return a is None or b is None or bool(a & b)


def _principals(principals: Collection[Principal], at: Path) -> Iterator[Finding]:
    yield from _duplicates([str(p) for p in principals], at)


def _duplicates(values: Sequence[str], at: Path) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in first:
            yield Finding(
                "duplicate-entry",
                (*at, i),
                f"{value} is listed twice (first at index {first[value]})",
            )
        first.setdefault(value, i)
