"""The eligibility file's shape, as strict pydantic models (unknown fields are refused).

These models are the file: field names are its camelCase keys, every identifier is already a
parsed tailjit type, and the JSON Schema in policy/tailjit.schema.json is generated from them.
Checks that need more than one field (durations against the global cap, groups against the
tailnet) are the loader's (``_checks``); the domain view with defaults resolved is ``_policy``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tailjit.eligibility._fields import (
    DAYS,
    AttributeField,
    Day,
    DurationField,
    NameField,
    PatternField,
    PrincipalField,
    TargetField,
    TimeField,
    ZoneField,
)
from tailjit.ids import Principal

__all__ = [
    "AutoApproveSpec",
    "BreakGlassSpec",
    "EligibilitySpec",
    "HoursSpec",
    "PolicyFile",
    "SettingsSpec",
    "StageSpec",
]

T = TypeVar("T")

GrantModeName = Literal["policy+posture", "policy", "posture"]
DeviceScope = Literal["all", "one"]


class _Spec(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        arbitrary_types_allowed=True,
        use_attribute_docstrings=True,
        field_title_generator=lambda name, info: to_camel(name),
        model_title_generator=lambda model: model.__name__.removesuffix("Spec"),
    )


def _require_entries(value: list[T], what: str) -> list[T]:
    if not value:
        raise PydanticCustomError(
            "empty-list", "{what} must name at least one entry", {"what": what}
        )
    return value


class StageSpec(_Spec):
    """One approval stage: `required` different people among `approvers` must approve."""

    approvers: list[PrincipalField]
    """Logins and groups whose members may approve at this stage."""
    required: int = Field(default=1, ge=1, le=100)
    """How many different approvers must approve before the request moves on."""

    @field_validator("approvers")
    @classmethod
    def _has_approvers(cls, value: list[Principal]) -> list[Principal]:
        if not value:
            raise PydanticCustomError("no-approvers", "an approval stage needs approvers")
        return value


class HoursSpec(_Spec):
    """A weekly window, in a time zone: `start` (included) to `end` (excluded) on `days`.

    When `end` is before `start` the window runs overnight, into the next day."""

    days: list[Day] = Field(default_factory=lambda: list(DAYS))
    """Days the window starts on: mon, tue, wed, thu, fri, sat, sun (default: every day)."""
    start: TimeField
    """Start of the window, HH:MM local time."""
    end: TimeField
    """End of the window, HH:MM local time (24:00 for midnight at the end of the day)."""
    time_zone: ZoneField
    """IANA time zone of `start` and `end`: Europe/Berlin, America/New_York, UTC."""

    def contains(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls in the window."""
        local = now.astimezone(self.time_zone)
        moment = local.time().replace(tzinfo=None)
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local.weekday() - 1) % 7]
        end = self.end if self.end != time.max else None
        if end is None or self.start < end:
            return today in self.days and self.start <= moment and (end is None or moment < end)
        return (today in self.days and moment >= self.start) or (
            yesterday in self.days and moment < end
        )


class AutoApproveSpec(_Spec):
    """Conditions under which a request needs no approval; every condition given must hold."""

    requester_in: list[PrincipalField] | None = None
    """The requester is one of these logins or in one of these groups."""
    destinations: list[TargetField] | None = None
    """The requested target is within one of these (for example the non-production ones)."""
    hours: HoursSpec | None = None
    """The request is made within this weekly window."""


class ApprovalSpec(_Spec):
    """Who approves, in which order, and when no approval is needed."""

    stages: list[StageSpec]
    """Ordered approval stages; each must be complete before the next starts."""
    self_approval: bool = False
    """Whether a requester who is also an approver counts for their own request."""
    auto_approve: list[AutoApproveSpec] = Field(default_factory=list)
    """Alternatives: a request that meets every condition of any one is approved at once."""

    @field_validator("stages")
    @classmethod
    def _has_stages(cls, value: list[StageSpec]) -> list[StageSpec]:
        return _require_entries(value, "stages")


class BreakGlassSpec(_Spec):
    """Emergency access without approval: always flagged, audited and announced."""

    users: list[PrincipalField]
    """Logins and groups who may use break-glass on this eligibility."""
    max_duration: DurationField
    """Longest break-glass grant."""

    @field_validator("users")
    @classmethod
    def _has_users(cls, value: list[Principal]) -> list[Principal]:
        return _require_entries(value, "users")


class EligibilitySpec(_Spec):
    """Who may request which destinations, for how long, approved by whom."""

    name: NameField
    """Unique name, shown in requests and the audit log: lowercase letters, digits, _ . -"""
    description: str = ""
    """What this eligibility is for, for people reading requests."""
    requesters: list[PrincipalField]
    """Logins and groups who may request."""
    destinations: list[TargetField]
    """Targets a request may name, or name a part of: [proto:]host:ports."""
    mode: GrantModeName = "policy+posture"
    """How a grant reaches the tailnet: policy+posture, policy, or posture."""
    attribute: AttributeField | None = None
    """Posture attribute key that a static rule references; required with mode posture."""
    devices: DeviceScope = "all"
    """Which of the requester's devices get access: all of them, or one named in the request."""
    default_duration: DurationField | None = None
    """Duration when the request names none (default: 1h, or maxDuration if shorter)."""
    max_duration: DurationField
    """Longest grant, extensions included; at most the global maxDuration."""
    max_extensions: int = Field(default=0, ge=0, le=100)
    """How many times an active grant may be extended."""
    pending_ttl: DurationField | None = None
    """How long a request waits for approval before it lapses (default: settings.pendingTtl)."""
    approval: ApprovalSpec
    """Approval stages, self-approval and auto-approval."""
    reason_required: bool = True
    """Whether a request must give a reason."""
    ticket_pattern: PatternField | None = None
    """When set, a request must carry a ticket that matches this regular expression in full."""
    break_glass: BreakGlassSpec | None = None
    """Who may take access without approval, and for how long."""

    @field_validator("requesters", "destinations")
    @classmethod
    def _has_entries(cls, value: list[T], info: ValidationInfo) -> list[T]:
        return _require_entries(value, to_camel(info.field_name or ""))


class SettingsSpec(_Spec):
    """Settings for every eligibility."""

    max_duration: DurationField = Field(
        default=timedelta(hours=24), json_schema_extra={"default": "24h"}
    )
    """Cap on every maxDuration in the file, break-glass included (default 24h)."""
    pending_ttl: DurationField = Field(
        default=timedelta(hours=24), json_schema_extra={"default": "24h"}
    )
    """Default pendingTtl (default 24h)."""
    admins: list[PrincipalField] = Field(default_factory=list)
    """Logins and groups who may grant and revoke access directly (always audited)."""


class PolicyFile(_Spec):
    """A tailjit eligibility policy (HuJSON): who may request which access, approved by whom."""

    schema_ref: str | None = Field(default=None, alias="$schema")
    """Where editors find this file's JSON Schema; ignored by tailjit."""
    settings: SettingsSpec = Field(default_factory=SettingsSpec)
    """Settings for every eligibility."""
    eligibilities: list[EligibilitySpec]
    """The eligibilities; names must be unique."""
