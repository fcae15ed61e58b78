"""Slack: notifications from the audit trail, and approvals from buttons in them.

`SlackBridge` follows the audit trail on a thread of its own: every record of an event people
should hear about (a request created, approved, denied, a grant activated, expiring, expired or
revoked, break-glass, drift) becomes a message, so nothing the workflow does needs to know about
Slack and a Slack outage never holds up a grant. It also posts ``grant.expiring`` once per grant
when its expiry comes within the lead time.

`SlackBridge.click` takes a verified button click: the clicking Slack user is mapped to a login
(the ``slack_users`` table first, else the email in the payload), the approval or denial goes
through the workflow with the usual approver rules, and the original message is replaced with
the outcome, or keeps its buttons with a note saying why the click was refused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from tailjit.api import request_json
from tailjit.errors import InvalidInput, TailjitError
from tailjit.identity import Interaction
from tailjit.ids import GrantId, Login, RequestId
from tailjit.notify import ACTION_APPROVE, ACTION_DENY, SlackNotifier, message_for
from tailjit.requests import Request, State
from tailjit.store import DRIFT_DETECTED, AuditRecord, Store, UnknownRequest
from tailjit.workflow import Workflow

__all__ = ["NOTIFIED", "SlackBridge"]

log = logging.getLogger("tailjit.slack")

NOTIFIED = frozenset(
    {
        "request.created",
        "request.approved",
        "request.denied",
        "grant.activated",
        "grant.expired",
        "grant.revoked",
        "breakglass.used",
        DRIFT_DETECTED,
    }
)
"""The audit events that become Slack messages."""


class SlackBridge:
    """Notifications and button clicks (module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        workflow: Callable[[], Workflow],
        notifier: SlackNotifier,
        users: Mapping[str, str],
        clock: Callable[[], datetime],
        wake: Callable[[], None],
        lead: timedelta = timedelta(minutes=15),
        every: float = 1.0,
    ) -> None:
        self._store = store
        self._workflow = workflow
        self._notifier = notifier
        self._users = dict(users)
        self._clock = clock
        self._wake = wake
        self._lead = lead
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        head = store.audit.head()
        self._after = 0 if head is None else head[0]  # only what happens from now on
        self._warned: set[GrantId] = set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tailjit-slack", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.poll()
            except Exception:  # notifications never stop the daemon
                log.exception("Slack notifications failed; trying again")

    def poll(self) -> None:
        """Send what the trail recorded since the last poll, and the expiry warnings due."""
        for record in self._store.audit.records(after=self._after):
            self._after = record.seq
            if record.event in NOTIFIED:
                self._send(record.event, self._data(record))
        horizon = self._clock() + self._lead
        for request in self._store.active():
            expires = request.expires_at
            if expires is not None and expires <= horizon and request.grant_id not in self._warned:
                self._warned.add(request.grant_id)
                self._send("grant.expiring", request_json(request))

    def _send(self, event: str, data: Mapping[str, object] | None) -> None:
        if data is not None:
            self._notifier.notify(event, data)

    def _data(self, record: AuditRecord) -> Mapping[str, object] | None:
        if record.event == DRIFT_DETECTED:
            return {
                "kind": record.data.get("kind"),
                "subject": record.subject,
                "summary": record.sentence,
            }
        kind, _, ident = record.subject.partition(":")
        try:
            if kind == "request":
                return request_json(self._store.get(RequestId.parse(ident)))
            if kind == "grant":
                return request_json(self._store.by_grant(GrantId.parse(ident)))
        except (UnknownRequest, InvalidInput):
            return None
        return None

    # --- clicks ----------------------------------------------------------------------------

    def login_of(self, click: Interaction) -> Login | None:
        """The login behind a Slack user: the mapping table, else the payload's email."""
        found = self._users.get(click.user_id) or click.email
        if found is None:
            return None
        try:
            return Login.parse(found)
        except InvalidInput:
            return None

    def click(self, click: Interaction) -> str:
        """Approve or deny as the clicking user; returns one line saying what happened, and
        updates the message through its ``response_url``."""
        if click.action_id not in (ACTION_APPROVE, ACTION_DENY) or not click.value:
            return "not a tailjit button"
        try:
            request_id = RequestId.parse(click.value)
            request = self._store.get(request_id)
        except (InvalidInput, UnknownRequest):
            return f"no request {click.value}"
        login = self.login_of(click)
        if login is None:
            note = (
                f"Slack user {click.user_id} is not mapped to a tailnet login: add it to "
                "receivers.slack_users"
            )
            self._reply(click, "request.created", request, note)
            return note
        workflow = self._workflow()
        try:
            if click.action_id == ACTION_APPROVE:
                plan = workflow.approve(request_id, login, comment="approved in Slack")
            else:
                plan = workflow.deny(request_id, login, comment="denied in Slack")
        except TailjitError as refused:
            note = f"{login} could not {click.action_id.removeprefix('tailjit_')}: {refused}"
            self._reply(click, "request.created", request, note)
            return note
        self._wake()
        after = plan.request
        event = "request.denied" if after.state is State.DENIED else "request.approved"
        if after.state is State.PENDING:
            event = "request.created"  # more approvals needed: the buttons stay
        self._reply(click, event, after, f"{click.action_id.removeprefix('tailjit_')}d by {login}")
        return f"{login}: request {request_id} is {after.state}"

    def _reply(self, click: Interaction, event: str, request: Request, note: str) -> None:
        if click.response_url is None:
            return
        message = message_for(event, request_json(request), note=note)
        threading.Thread(
            target=self._notifier.update_message,
            args=(click.response_url, str(message["text"]), message["blocks"]),
            name="tailjit-slack-reply",
            daemon=True,
        ).start()
