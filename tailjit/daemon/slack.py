"""Slack: notifications from the audit trail, and approvals from buttons in them.

`SlackBridge` follows the audit trail on a thread of its own: every record of an event people
should hear about (a request created, approved, denied, a grant activated, expiring, expired or
revoked, break-glass, drift) becomes a message, so nothing the workflow does needs to know about
Slack and a Slack outage never holds up a grant. It also posts ``grant.expiring`` once per grant
when its expiry comes within the lead time.

With a bot token, a new request also goes to each of its approvers as a direct message (the
approvers `Workflow.approvers_of` names: not the requester, nobody deactivated; an approver
without a Slack account is skipped and logged); when an approval moves a request to a later
stage, that stage's approvers get one too. The bridge keeps the (channel, ts) of every message
it posted about a request, and who it asked, in the store (`Store.slack`), so each later event of
that request (an approval, the decision, the grant going active, expiring, ...) updates all of
them with ``chat.update`` until the request ends, across restarts too. Through an incoming
webhook there is only the channel, and no update.

`SlackBridge.click` takes a verified button click: the clicking Slack user is mapped to a login
(`tailjit.notify.SlackUsers`: the ``slack_users`` table first, else the payload's email, else
Slack's ``users.info``), the approval or denial goes through the workflow with the usual approver
rules, and the clicked message is replaced with the outcome, or keeps its buttons with a note
saying why the click was refused (e.g. a lookup the bot token lacks the scope for).
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
from tailjit.notify import (
    ACTION_APPROVE,
    ACTION_DENY,
    NotFound,
    Posted,
    SlackNotifier,
    SlackUsers,
    message_for,
)
from tailjit.requests import EventName, Request, State
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

UPDATED = frozenset(
    {
        EventName.APPROVAL_RECORDED,
        EventName.REQUEST_APPROVED,
        EventName.REQUEST_DENIED,
        EventName.REQUEST_CANCELLED,
        EventName.REQUEST_LAPSED,
        EventName.GRANT_ACTIVATED,
        EventName.GRANT_EXTENDED,
        EventName.GRANT_RELEASED,
        EventName.GRANT_EXPIRED,
        EventName.GRANT_REVOKED,
    }
)
"""The audit events that update the messages already posted about their request."""


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
        self._users = SlackUsers(notifier, users)
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
            request = self._request_of(record)
            if record.event in NOTIFIED:
                data = self._data(record, request)
                posted = self._send(record.event, data)
                if record.event == EventName.REQUEST_CREATED and request is not None:
                    self._remember(request.id, posted)
                    self._ask_approvers(request)
            if record.event in UPDATED and request is not None:
                self._update_posted(record.event, request)
                if record.event == EventName.APPROVAL_RECORDED:
                    self._ask_approvers(request)  # the next stage's approvers, if it moved on
        horizon = self._clock() + self._lead
        for request in self._store.active():
            expires = request.expires_at
            if expires is not None and expires <= horizon and request.grant_id not in self._warned:
                self._warned.add(request.grant_id)
                self._send("grant.expiring", request_json(request))

    def _send(
        self, event: str, data: Mapping[str, object] | None, channel: str | None = None
    ) -> Posted | None:
        return None if data is None else self._notifier.notify(event, data, channel=channel)

    def _ask_approvers(self, request: Request) -> None:
        """A direct message to each approver of ``request``'s current stage not asked yet
        (bot token only): on creation, and again when an approval moves it to the next stage."""
        if not self._notifier.can_look_up:
            return
        now = self._clock()
        data = request_json(request)
        asked = self._store.slack.asked(request.id)
        for login in sorted(self._workflow().approvers_of(request) - asked):
            if not self._store.slack.ask(request.id, login):
                continue  # recorded before the message is sent: nobody is asked twice
            user = self._users.user_id_of(login, now=now)
            if isinstance(user, NotFound):
                log.info("not messaging %s about request %s: %s", login, request.id, user.why)
                continue
            self._remember(request.id, self._send(EventName.REQUEST_CREATED, data, user))

    def _remember(self, request_id: RequestId, posted: Posted | None) -> None:
        if posted is None or posted.channel is None or posted.ts is None:
            return  # not posted, or through an incoming webhook: nothing to update later
        self._store.slack.remember(request_id, posted.channel, posted.ts)

    def _update_posted(self, event: str, request: Request) -> None:
        """Every message posted about ``request`` now says what ``event`` did to it."""
        posted = self._store.slack.messages(request.id)
        if posted:
            message = message_for(event, request_json(request))
            for channel, ts in posted:
                self._notifier.update(channel, ts, message)
        if request.state.final:
            self._store.slack.forget(request.id)  # it has ended: nothing more will happen to it
        elif request.state is not State.PENDING:
            self._store.slack.forget_asked(request.id)  # decided: nobody is asked any more

    def _request_of(self, record: AuditRecord) -> Request | None:
        """The request a record is about (now), if it is about one."""
        kind, _, ident = record.subject.partition(":")
        try:
            if kind == "request":
                return self._store.get(RequestId.parse(ident))
            if kind == "grant":
                return self._store.by_grant(GrantId.parse(ident))
        except (UnknownRequest, InvalidInput):
            return None
        return None

    def _data(self, record: AuditRecord, request: Request | None) -> Mapping[str, object] | None:
        if record.event == DRIFT_DETECTED:
            return {
                "kind": record.data.get("kind"),
                "subject": record.subject,
                "summary": record.sentence,
            }
        return None if request is None else request_json(request)

    # --- clicks ----------------------------------------------------------------------------

    def login_of(self, click: Interaction) -> Login | NotFound:
        """The login behind a Slack user: the mapping table, else the payload's email, else
        the email Slack shows for them (bot token only); `NotFound` says why not."""
        return self._users.login_of(click.user_id, click.email, now=self._clock())

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
        if isinstance(login, NotFound):
            self._reply(click, "request.created", request, login.why)
            return login.why
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
