"""Requests to JSON and back, for the store's ``body`` column.

Identifiers are written as their canonical text and parsed again on the way back, so a value
read from the store is exactly as validated as one read from a user. Instants are
`format_exact` text; durations are whole seconds.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tailjit.ids import GrantId, Login, RequestId, parse_principal
from tailjit.instants import format_exact, parse_instant
from tailjit.requests.model import Approval, Extension, Origin, Request, State, Step
from tailjit.requests.rules import BreakGlass, GrantMode, Rules, Stage
from tailjit.targets import parse_target

__all__ = ["dump_request", "dumps", "load_request", "seconds"]


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def seconds(duration: timedelta) -> int | float:
    """``duration`` in seconds: an int when whole, which every duration tailjit parses is."""
    total = duration / timedelta(seconds=1)
    return int(total) if total.is_integer() else total


def _instant(value: datetime | None) -> str | None:
    return None if value is None else format_exact(value)


def _step(step: Step | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {"actor": step.actor, "at": format_exact(step.at), "comment": step.comment}


def _rules(rules: Rules) -> dict[str, Any]:
    glass = rules.breakglass
    return {
        "eligibility": rules.eligibility,
        "stages": [
            {"approvers": sorted(stage.approvers), "required": stage.required}
            for stage in rules.stages
        ],
        "default_duration": seconds(rules.default_duration),
        "max_duration": seconds(rules.max_duration),
        "pending_ttl": seconds(rules.pending_ttl),
        "max_extensions": rules.max_extensions,
        "mode": str(rules.mode),
        "attribute": rules.attribute,
        "self_approval": rules.self_approval,
        "reason_required": rules.reason_required,
        "ticket_pattern": rules.ticket_pattern,
        "breakglass": None
        if glass is None
        else {"users": sorted(glass.users), "max_duration": seconds(glass.max_duration)},
    }


def dump_request(request: Request) -> dict[str, Any]:
    return {
        "id": request.id,
        "grant_id": request.grant_id,
        "requester": request.requester,
        "target": str(request.target),
        "rules": _rules(request.rules),
        "duration": seconds(request.duration),
        "reason": request.reason,
        "ticket": request.ticket,
        "origin": str(request.origin),
        "created": _step(request.created),
        "state": str(request.state),
        "approvals": [
            {
                "approver": a.approver,
                "stage": a.stage,
                "at": format_exact(a.at),
                "comment": a.comment,
            }
            for a in request.approvals
        ],
        "auto_approval": request.auto_approval,
        "approved": _step(request.approved),
        "activated_at": _instant(request.activated_at),
        "extensions": [
            {"actor": e.actor, "by": seconds(e.by), "at": format_exact(e.at)}
            for e in request.extensions
        ],
        "ended": _step(request.ended),
        "version": request.version,
    }


def _load_step(data: dict[str, Any] | None) -> Step | None:
    if data is None:
        return None
    return Step(data["actor"], parse_instant(data["at"]), data["comment"])


def _load_rules(data: dict[str, Any]) -> Rules:
    glass = data["breakglass"]
    return Rules(
        eligibility=data["eligibility"],
        stages=tuple(
            Stage(frozenset(map(parse_principal, s["approvers"])), s["required"])
            for s in data["stages"]
        ),
        default_duration=timedelta(seconds=data["default_duration"]),
        max_duration=timedelta(seconds=data["max_duration"]),
        pending_ttl=timedelta(seconds=data["pending_ttl"]),
        max_extensions=data["max_extensions"],
        mode=GrantMode(data["mode"]),
        attribute=data["attribute"],
        self_approval=data["self_approval"],
        reason_required=data["reason_required"],
        ticket_pattern=data["ticket_pattern"],
        breakglass=None
        if glass is None
        else BreakGlass(
            frozenset(map(parse_principal, glass["users"])),
            timedelta(seconds=glass["max_duration"]),
        ),
    )


def load_request(data: dict[str, Any]) -> Request:
    created = _load_step(data["created"])
    assert created is not None
    activated = data["activated_at"]
    return Request(
        id=RequestId.parse(data["id"]),
        grant_id=GrantId.parse(data["grant_id"]),
        requester=Login.parse(data["requester"]),
        target=parse_target(data["target"]),
        rules=_load_rules(data["rules"]),
        duration=timedelta(seconds=data["duration"]),
        reason=data["reason"],
        ticket=data["ticket"],
        origin=Origin(data["origin"]),
        created=created,
        state=State(data["state"]),
        approvals=tuple(
            Approval(Login.parse(a["approver"]), a["stage"], parse_instant(a["at"]), a["comment"])
            for a in data["approvals"]
        ),
        auto_approval=data["auto_approval"],
        approved=_load_step(data["approved"]),
        activated_at=None if activated is None else parse_instant(activated),
        extensions=tuple(
            Extension(e["actor"], timedelta(seconds=e["by"]), parse_instant(e["at"]))
            for e in data["extensions"]
        ),
        ended=_load_step(data["ended"]),
        version=data["version"],
    )
