"""Notifications to people: Slack messages for requests, grants, break-glass and drift.

An adapter (DESIGN.md §5): it speaks HTTP through an injected `httpx.Client` and takes requests
as the API shows them (plain dicts), so it needs nothing from the daemon, the API or the config.
`message_for` builds a message without I/O; `SlackNotifier` sends and updates them;
`SlackUsers` matches Slack users and logins.
"""

from tailjit.notify.messages import ACTION_APPROVE, ACTION_DENY, Notice, escape, message_for
from tailjit.notify.slack import SLACK_API, Lookup, Posted, SlackNotifier
from tailjit.notify.users import NotFound, SlackUsers

__all__ = [
    "ACTION_APPROVE",
    "ACTION_DENY",
    "SLACK_API",
    "Lookup",
    "NotFound",
    "Notice",
    "Posted",
    "SlackNotifier",
    "SlackUsers",
    "escape",
    "message_for",
]
