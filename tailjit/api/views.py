"""Requests and plans as the API returns them (the contract's ``R`` and ``P``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tailjit.durations import format_duration
from tailjit.instants import format_instant
from tailjit.requests import Plan, Request, State
from tailjit.workflow import OVERRIDE_ELIGIBILITY

__all__ = ["plan_json", "request_json"]


def _instant(when: datetime | None) -> str | None:
    return None if when is None else format_instant(when)


def request_json(request: Request) -> dict[str, Any]:
    """``request`` as JSON: ids, who and what, its state, and every step so far.

    ``override`` flags an admin's grant made without checking eligibility; ``lapses_at`` is set
    only while the request is pending; ``duration`` is what was asked for, extensions apart.
    """
    approved, ended = request.approved, request.ended
    return {
        "id": str(request.id),
        "grant_id": str(request.grant_id),
        "requester": str(request.requester),
        "target": str(request.target),
        "state": str(request.state),
        "eligibility": request.eligibility,
        "override": request.eligibility == OVERRIDE_ELIGIBILITY,
        "origin": str(request.origin),
        "reason": request.reason,
        "ticket": request.ticket,
        "duration": format_duration(request.duration),
        "duration_seconds": int(request.duration.total_seconds()),
        "created_at": format_instant(request.created_at),
        "created_by": request.created.actor,
        "approvals": [
            {
                "approver": str(a.approver),
                "stage": a.stage + 1,  # counted from 1, as Plan.to_dict does
                "at": format_instant(a.at),
                "comment": a.comment,
            }
            for a in request.approvals
        ],
        "approved_at": None if approved is None else format_instant(approved.at),
        "approved_by": None if approved is None else approved.actor,
        "activated_at": _instant(request.activated_at),
        "expires_at": _instant(request.expires_at),
        "lapses_at": format_instant(request.lapses_at) if request.state is State.PENDING else None,
        "extensions": [
            {"actor": e.actor, "by": format_duration(e.by), "at": format_instant(e.at)}
            for e in request.extensions
        ],
        "ended_at": None if ended is None else format_instant(ended.at),
        "ended_by": None if ended is None else ended.actor,
        "ended_comment": None if ended is None else ended.comment,
        "version": request.version,
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    """``{"request": R, "plan": P}``: the request as the plan leaves it (as it is, when the plan
    is refused; None for a refused submission) and the plan itself."""
    request = plan.after or plan.before
    return {
        "request": None if request is None else request_json(request),
        "plan": plan.to_dict(),
    }
