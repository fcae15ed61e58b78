"""Slack messages for what happens to requests and grants, as Block Kit: pure, no I/O.

`message_for` takes a notice name (the workflow's `EventName` values, plus `Notice.GRANT_EXPIRING`
and `Notice.DRIFT_DETECTED`, which only notifications have) and the request as the API returns it
(`tailjit.api.views.request_json`: a plain dict, so this module needs nothing from the API); for
``drift.detected`` the dict is the finding (``kind``, ``subject``, ``summary``). It returns
``{"text": fallback, "blocks": [...]}``, ready for ``chat.postMessage``, an incoming webhook or a
``response_url``.

Only named fields are read, so nothing else in the dict (and no secret) can reach Slack. Every
value that came from a person or the tailnet is escaped for mrkdwn (``&``, ``<``, ``>``), so a
reason cannot mention ``<!channel>`` or forge a link, and cut to a bounded length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from tailjit.requests import SYSTEM, EventName

__all__ = ["ACTION_APPROVE", "ACTION_DENY", "Notice", "escape", "message_for"]

ACTION_APPROVE = "tailjit_approve"
ACTION_DENY = "tailjit_deny"
"""The ``action_id`` of the buttons; their ``value`` is the request id."""

_FIELD_LIMIT = 600
"""Characters of one value shown; Slack allows 2,000 in a field and 3,000 in a section."""


class Notice(StrEnum):
    """What a notification is about: the workflow's events and two of notifications' own."""

    REQUEST_CREATED = EventName.REQUEST_CREATED.value
    APPROVAL_RECORDED = EventName.APPROVAL_RECORDED.value
    REQUEST_APPROVED = EventName.REQUEST_APPROVED.value
    REQUEST_DENIED = EventName.REQUEST_DENIED.value
    REQUEST_CANCELLED = EventName.REQUEST_CANCELLED.value
    REQUEST_LAPSED = EventName.REQUEST_LAPSED.value
    GRANT_ACTIVATED = EventName.GRANT_ACTIVATED.value
    GRANT_EXTENDED = EventName.GRANT_EXTENDED.value
    GRANT_RELEASED = EventName.GRANT_RELEASED.value
    GRANT_EXPIRING = "grant.expiring"
    """A grant ends within the configured lead time."""
    GRANT_EXPIRED = EventName.GRANT_EXPIRED.value
    GRANT_REVOKED = EventName.GRANT_REVOKED.value
    BREAKGLASS_USED = EventName.BREAKGLASS_USED.value
    DRIFT_DETECTED = "drift.detected"
    """Drift found in the tailnet; the dict is the finding, not a request."""


def escape(text: object, limit: int = _FIELD_LIMIT) -> str:
    """``text`` safe inside mrkdwn: Slack's three control characters escaped, at most
    ``limit`` characters (cut with an ellipsis) before escaping."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_for(event: str, data: Mapping[str, Any], *, note: str | None = None) -> dict[str, Any]:
    """The message for ``event`` about ``data`` (module docstring); ``note``, when given, is
    added as a context line (e.g. why a click was refused). `ValueError` for an unknown event."""
    try:
        notice = Notice(event)
    except ValueError:
        raise ValueError(f"no Slack message for the event {event!r}") from None
    if notice is Notice.REQUEST_CREATED or notice is Notice.BREAKGLASS_USED:
        text, blocks = _detailed(notice, data)
    elif notice is Notice.DRIFT_DETECTED:
        text = (
            f":warning: *Drift detected* ({escape(data.get('kind', 'unknown'))}) on "
            f"{escape(data.get('subject', 'the tailnet'))}: {escape(data.get('summary', ''))}"
        )
        blocks = [_section(text)]
    else:
        text = _LINES[notice](_Fields(data))
        blocks = [_section(text), _context(f"Request {escape(data.get('id', '?'))}")]
        if notice is Notice.APPROVAL_RECORDED:  # still pending: the next approvers decide here
            blocks.append(_buttons(str(data.get("id", ""))))
    if note is not None:
        blocks.append(_context(escape(note)))
    return {"text": text, "blocks": blocks}


# --- the detailed messages ------------------------------------------------------------------


def _detailed(notice: Notice, data: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    f = _Fields(data)
    fields = [
        _mrkdwn(f"*Requester:*\n{f.requester}"),
        _mrkdwn(f"*Target:*\n{f.target}"),
        _mrkdwn(f"*Duration:*\n{f.duration}"),
        _mrkdwn(f"*Eligibility:*\n{escape(data.get('eligibility') or '-')}"),
    ]
    if data.get("ticket"):
        fields.append(_mrkdwn(f"*Ticket:*\n{escape(data['ticket'])}"))
    if notice is Notice.BREAKGLASS_USED:
        title = ":rotating_light: Break-glass access"
        text = f":rotating_light: *Break-glass*: {f.requester} took {f.target} for {f.duration}"
        context = f"Request {f.id} · no approval was asked; review it"
    else:
        title = "Access request"
        text = f"{f.requester} requests {f.target} for {f.duration}"
        context = f"Request {f.id}"
        if data.get("lapses_at"):
            context += f" · lapses {_when(data['lapses_at'])} without a decision"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        {"type": "section", "fields": fields},
        _section(f"*Reason:*\n{escape(data.get('reason') or '-')}"),
        _context(context),
    ]
    if notice is Notice.REQUEST_CREATED:
        blocks.append(_buttons(str(data.get("id", ""))))
    return text, blocks


def _buttons(request_id: str) -> dict[str, Any]:
    def button(label: str, style: str, action_id: str) -> dict[str, Any]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "style": style,
            "action_id": action_id,
            "value": request_id,
        }

    return {
        "type": "actions",
        "block_id": f"tailjit_decide_{request_id}"[:255],
        "elements": [
            button("Approve", "primary", ACTION_APPROVE),
            button("Deny", "danger", ACTION_DENY),
        ],
    }


# --- one-line messages ----------------------------------------------------------------------


class _Fields:
    """The escaped values of a request dict, with placeholders for what is missing."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.id = escape(data.get("id", "?"))
        self.requester = escape(data.get("requester", "someone"))
        self.target = escape(data.get("target", "?"))
        self.duration = escape(data.get("duration", "?"))

    def actor(self, key: str) -> str:
        actor = self.data.get(key)
        return "tailjit (automatically)" if actor in (None, SYSTEM) else escape(actor)

    def comment(self) -> str:
        comment = self.data.get("ended_comment")
        return f": _{escape(comment)}_" if comment else ""

    def when(self, key: str) -> str:
        value = self.data.get(key)
        return "at an unknown time" if not value else _when(value)

    def last_approver(self) -> str:
        approvals = self.data.get("approvals") or []
        last = approvals[-1] if approvals and isinstance(approvals[-1], Mapping) else {}
        return escape(last.get("approver", "an approver"))

    def last_extender(self) -> str:
        extensions = self.data.get("extensions") or []
        last = extensions[-1] if extensions and isinstance(extensions[-1], Mapping) else {}
        return escape(last.get("actor") or "someone")


def _access(f: _Fields) -> str:
    return f"{f.requester}'s access to {f.target}"


_LINES: dict[Notice, Callable[[_Fields], str]] = {
    Notice.APPROVAL_RECORDED: lambda f: (
        f":ballot_box_with_check: {f.last_approver()} approved {f.requester}'s request for "
        f"{f.target}; it needs more approvals"
    ),
    Notice.REQUEST_APPROVED: lambda f: (
        f":white_check_mark: *Approved* by {f.actor('approved_by')}: {f.requester} gets "
        f"{f.target} for {f.duration}"
    ),
    Notice.REQUEST_DENIED: lambda f: (
        f":no_entry: *Denied* by {f.actor('ended_by')}: {f.requester}'s request for "
        f"{f.target}{f.comment()}"
    ),
    Notice.REQUEST_CANCELLED: lambda f: (
        f":heavy_multiplication_x: *Cancelled* by {f.actor('ended_by')}: {f.requester}'s "
        f"request for {f.target}{f.comment()}"
    ),
    Notice.REQUEST_LAPSED: lambda f: (
        f":hourglass: *Lapsed*: {f.requester}'s request for {f.target} was not decided in "
        f"time ({f.when('ended_at')})"
    ),
    Notice.GRANT_ACTIVATED: lambda f: (
        f":unlock: *Active*: {_access(f)} is live until {f.when('expires_at')}"
    ),
    Notice.GRANT_EXTENDED: lambda f: (
        f":arrows_clockwise: *Extended* by {f.last_extender()}: {_access(f)} now ends "
        f"{f.when('expires_at')}"
    ),
    Notice.GRANT_RELEASED: lambda f: (
        f":lock: *Released*: {_access(f)} was given back by {f.actor('ended_by')}"
    ),
    Notice.GRANT_EXPIRING: lambda f: (
        f":alarm_clock: *Expiring soon*: {_access(f)} ends {f.when('expires_at')}"
    ),
    Notice.GRANT_EXPIRED: lambda f: f":lock: *Expired*: {_access(f)} ended {f.when('expires_at')}",
    Notice.GRANT_REVOKED: lambda f: (
        f":x: *Revoked* by {f.actor('ended_by')}: {_access(f)}{f.comment()}"
    ),
}


# --- blocks ---------------------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _when(value: object) -> str:
    """An instant as Slack's date token (shown in each reader's time zone), the ISO text as
    its fallback; text that is not an instant is shown escaped."""
    text = str(value)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return escape(text, 40)
    if when.tzinfo is None:
        return escape(text, 40)
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{escape(text)}>"
