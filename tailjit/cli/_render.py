"""How the daemon-client commands print requests, plans and previews for people."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["describe_opens", "describe_plan", "flags", "show_lines", "summary", "table"]


def flags(request: dict[str, Any]) -> list[str]:
    flags = ["OVERRIDE"] if request.get("override") else []
    if request.get("origin") == "breakglass":
        flags.append("BREAKGLASS")
    return flags


def summary(request: dict[str, Any]) -> str:
    """``request R, grant G: active until T [OVERRIDE]``."""
    line = f"request {request.get('id')}"
    if request.get("grant_id"):
        line += f", grant {request['grant_id']}"
    line += f": {request.get('state')}"
    if request.get("state") == "active" and request.get("expires_at"):
        line += f" until {request['expires_at']}"
    elif request.get("state") == "pending" and request.get("lapses_at"):
        line += f" (lapses at {request['lapses_at']} unless approved)"
    shown = flags(request)
    return line + (f" [{' '.join(shown)}]" if shown else "")


def describe_plan(plan: dict[str, Any]) -> str:
    """A plan as the daemon sent it, in the shape of `tailjit.requests.Plan.describe`."""
    refusal = plan.get("refusal") or {}
    verdict = "allowed" if plan.get("allowed") else f"REFUSED ({refusal.get('code')})"
    subject = plan.get("request") or "a new request"
    lines = [f"{plan.get('action')} {subject} by {plan.get('actor')}: {verdict}"]
    if refusal:
        lines.append(f"  refused: {refusal.get('message')}")
    if plan.get("eligibility"):
        lines.append(f"  eligibility: {plan['eligibility']}")
    state = plan.get("state") or {}
    if state.get("after"):
        lines.append(f"  state: {state.get('before') or '(new)'} -> {state['after']}")
    approvals = plan.get("approvals") or {}
    if approvals.get("approvers") and state.get("after") == "pending":
        lines.append(f"  approvers: {', '.join(approvals['approvers'])}")
    if plan.get("expires_at"):
        lines.append(f"  until: {plan['expires_at']}")
    lines.extend(f"  why: {reason}" for reason in plan.get("why") or [])
    if plan.get("events"):
        lines.append(f"  audit: {', '.join(plan['events'])}")
    return "\n".join(lines)


def describe_opens(user: str, target: str, opens: Sequence[Any]) -> str:
    if not opens:
        return f"nothing new: {user} already has this access to {target}"
    lines = [f"granting {target} to {user} newly opens:"]
    for item in opens:
        if isinstance(item, dict) and "dst" in item:
            proto = f" ({item['proto']})" if item.get("proto") else ""
            lines.append(f"  {item.get('src', '?')} -> {item['dst']}{proto}")
        else:
            lines.append(f"  {json.dumps(item)}")
    return "\n".join(lines)


_SHOWN_FIELDS = (
    ("id", "id"),
    ("grant", "grant_id"),
    ("requester", "requester"),
    ("target", "target"),
    ("state", "state"),
    ("eligibility", "eligibility"),
    ("origin", "origin"),
    ("override", "override"),
    ("reason", "reason"),
    ("ticket", "ticket"),
    ("duration", "duration"),
    ("created", "created_at"),
    ("created by", "created_by"),
    ("approved", "approved_at"),
    ("approved by", "approved_by"),
    ("activated", "activated_at"),
    ("expires", "expires_at"),
    ("lapses", "lapses_at"),
    ("ended", "ended_at"),
    ("ended by", "ended_by"),
    ("ended comment", "ended_comment"),
    ("version", "version"),
)


def table(requests: Sequence[dict[str, Any]]) -> Iterator[str]:
    """The lines of ``tailjit ls``: one row per request under a header, columns aligned."""
    rows = [("ID", "USER", "TARGET", "STATE", "EXPIRES/LAPSES", "ELIGIBILITY", "FLAGS")]
    for found in requests:
        when = found.get("expires_at") or found.get("lapses_at")
        rows.append(
            (
                str(found.get("id")),
                str(found.get("requester")),
                str(found.get("target")),
                str(found.get("state")),
                str(when or "-"),
                str(found.get("eligibility") or "-"),
                ",".join(flags(found)) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        yield (
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def show_lines(found: dict[str, Any]) -> Iterator[str]:
    """The lines of ``tailjit show``: set fields, then approvals and extensions."""
    for label, key in _SHOWN_FIELDS:
        value = found.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        yield f"{label}: {value}"
    for approval in found.get("approvals") or []:
        comment = f": {approval['comment']}" if approval.get("comment") else ""
        yield (
            f"approval: stage {approval.get('stage')} by {approval.get('approver')} "
            f"at {approval.get('at')}{comment}"
        )
    for extension in found.get("extensions") or []:
        yield (
            f"extension: +{extension.get('by')} by {extension.get('actor')} "
            f"at {extension.get('at')}"
        )
