"""Applying what identity sources report: membership, user lifecycle, and their consequences.

Receivers verify and parse a delivery and hand its `IdentityEvent` values to
`IdentityService.submit`, which stores them in the inbox and returns (Okta allows three
seconds); a worker thread applies them in order, each in the transaction that removes it from
the inbox, so an event a receiver acknowledged survives a crash. Each event is applied once,
whatever the retries: its source and key are recorded in that same transaction
(`IdentityStore.once`, which survives restarts). A membership change or a deactivation is
stored and audited with its delivery id, then the user's live requests are checked again
(`Workflow.end_ineligible`): a grant that depended on the membership is revoked, a pending
request cancelled, and the reconcile loop is woken, so the tailnet changes within one wake-up.

`IdentityDirectory` is the group directory the workflow asks: for a group an identity source
has reported, the source's view; for any other, the live tailnet policy's ``groups``. A group
tailjit keeps in sync in the policy file (``receivers.sync_groups``) has the members the loop
writes there (`group_sync`, `tailjit.plan.desired_members`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from tailjit.errors import InvalidInput
from tailjit.identity import EventKind, IdentityEvent
from tailjit.identity.scim import ScimDirectory, ScimResult
from tailjit.ids import GroupName, Login
from tailjit.plan import GroupSync, desired_members
from tailjit.requests import Directory
from tailjit.store import Store
from tailjit.workflow import Workflow

__all__ = [
    "IdentityDirectory",
    "IdentityService",
    "ScimService",
    "group_name",
    "group_sync",
    "save_baseline",
]

log = logging.getLogger("tailjit.identity")

_NOT_NAME = re.compile(r"[^A-Za-z0-9_.@+-]+")


def group_name(name: str, mapping: Mapping[str, str]) -> GroupName | None:
    """The tailnet group an identity provider's group stands for: ``mapping`` first (by the
    provider's name), else ``group:<name>`` with anything a group name cannot hold turned into
    ``-``; None when nothing valid is left."""
    if name in mapping:
        return GroupName(mapping[name])
    bare = name.removeprefix("group:")
    try:
        return GroupName("group:" + _NOT_NAME.sub("-", bare).strip("-"))
    except InvalidInput:
        return None


_BASELINE = "group-baseline:"
"""Identity documents holding the members a synced group had when tailjit adopted it."""


def group_sync(store: Store, group: GroupName) -> GroupSync:
    """What the identity sources say of ``group``, and its stored baseline, for the loop."""
    identity = store.identity
    found = identity.load_document(_BASELINE + group)
    baseline = found.get("members") if found is not None else None
    return GroupSync(
        group,
        reported={str(login): member for login, member in identity.reported(group).items()},
        deactivated=identity.deactivated(),
        baseline=tuple(baseline) if isinstance(baseline, list) else None,
    )


def save_baseline(store: Store, group: str, members: Iterable[str]) -> None:
    """Keep ``members`` as ``group``'s baseline, unless it has one (it is kept once)."""
    identity = store.identity
    if identity.load_document(_BASELINE + group) is None:
        identity.save_document(_BASELINE + group, {"members": list(members)})


class IdentityDirectory:
    """The groups the workflow sees (module docstring)."""

    def __init__(self, store: Store, tailnet: Directory, synced: Iterable[str] = ()) -> None:
        self._store = store
        self._tailnet = tailnet
        self._synced = frozenset(synced)

    def members(self, group: GroupName) -> frozenset[Login]:
        identity = self._store.identity
        if str(group) in self._synced:
            sync = group_sync(self._store, group)
            baseline = sync.baseline
            if baseline is None:
                baseline = tuple(self._tailnet.members(group))
            members = desired_members(baseline, sync.reported, sync.deactivated)
            return frozenset(Login(login) for login in members)
        if str(group) in identity.managed_groups():
            return frozenset(
                login
                for login in identity.members(str(group))
                if not identity.is_deactivated(login)
            )
        return self._tailnet.members(group)


class IdentityService:
    """Applies identity events on a worker thread (module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        workflow: Callable[[], Workflow],
        wake: Callable[[], None],
        verify_now: Callable[[], None],
        clock: Callable[[], datetime],
        groups: Mapping[str, str] | None = None,
        synced: Iterable[str] = (),
        count: Callable[[str, str], None] = lambda source, outcome: None,
    ) -> None:
        self._store = store
        self._synced = frozenset(synced)
        self._count = count
        self._workflow = workflow
        self._wake = wake
        self._verify_now = verify_now
        self._clock = clock
        self._groups = dict(groups or {})
        self._arrived = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.applied = 0
        self.duplicates = 0

    def start(self) -> None:
        """Start the worker; it first applies what a previous run left in the inbox."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="tailjit-identity", daemon=True)
        self._thread.start()
        self._arrived.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the event in hand; the rest stays in the inbox for the next start."""
        if self._thread is not None:
            self._stopping.set()
            self._arrived.set()
            self._thread.join(timeout)
            self._thread = None

    def submit(self, events: Iterable[IdentityEvent]) -> None:
        """Store ``events`` in the inbox (durably: a receiver answers only after this) and
        wake the worker; a crash afterwards loses none of them."""
        batch = [event.to_json() for event in events]
        if batch:
            self._store.identity.enqueue(batch, self._clock())
            self._arrived.set()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until the inbox is empty (tests and benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._store.identity.inbox(limit=1):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._arrived.wait()
            self._arrived.clear()
            while not self._stopping.is_set():
                batch = self._store.identity.inbox()
                if not batch:
                    break
                for seq, data in batch:
                    if self._stopping.is_set():
                        return
                    self._take(seq, data)

    def _take(self, seq: int, data: dict[str, object]) -> None:
        """Apply inbox event ``seq`` and remove it, in one transaction; an event that cannot be
        applied is removed on its own and logged (its provider's retry brings it back)."""
        try:
            event = IdentityEvent.from_json(data)  # type: ignore[arg-type]
            self.apply(event, inbox=seq)
        except Exception:  # one bad event must not stop the others
            log.exception("could not apply identity event %s: dropped", data)
            self._store.identity.done(seq)

    def apply(self, event: IdentityEvent, *, inbox: int | None = None) -> bool:
        """Apply one event now, in one transaction with its delivery key and, with ``inbox``,
        its removal from the inbox (an event that fails half-way is not remembered, so its
        retry is applied); False for a duplicate."""
        with self._store.identity.once(str(event.source), event.key, self._clock()) as new:
            if inbox is not None:
                self._store.identity.done(inbox)
            if not new:
                self.duplicates += 1
                self._count(str(event.source), "duplicate")
                return False
            self.applied += 1
            self._apply(event)
            return True

    def _apply(self, event: IdentityEvent) -> None:
        now = self._clock()
        identity = self._store.identity
        kind, source, delivery = event.kind, str(event.source), event.delivery
        if kind is EventKind.POLICY_UPDATED:
            self._verify_now()
            return
        if event.login is None:
            log.warning("%s from %s without a login: ignored", kind, source)
            return
        login = Login(event.login.lower())
        if kind in (EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED):
            group = group_name(event.group or "", self._groups)
            if group is None:
                log.warning("%s: group %r has no tailnet name: ignored", kind, event.group)
                return
            change = (
                identity.add_member if kind is EventKind.MEMBER_ADDED else identity.remove_member
            )
            if change(str(group), login, source, delivery, now) and str(group) in self._synced:
                self._wake()  # the loop writes the synced group
            if kind is EventKind.MEMBER_ADDED:
                return
        elif kind is EventKind.USER_DEACTIVATED:
            if identity.deactivate(login, source, delivery, now) and self._synced:
                self._wake()  # out of every synced group
        elif kind is EventKind.USER_REACTIVATED:
            if identity.reactivate(login, source, delivery, now) and self._synced:
                self._wake()
            return
        self._recheck(login, f"{source}:{delivery}", kind)

    def _recheck(self, login: Login, actor: str, kind: EventKind) -> None:
        workflow = self._workflow()
        deactivated = self._store.identity.is_deactivated(login)
        plans = workflow.end_ineligible(
            login,
            groups=workflow.groups_of(login),
            deactivated=deactivated,
            actor=actor,
            reason=f"{kind} reported by {actor}",
        )
        if plans:
            log.info("%s: %d request(s) of %s ended", kind, len(plans), login)
            self._wake()


class ScimService:
    """The SCIM endpoints' state: one `ScimDirectory`, persisted in the store after every
    change, requests handled one at a time; the events go to the identity service."""

    DOCUMENT = "scim"

    def __init__(
        self,
        *,
        store: Store,
        submit: Callable[[Iterable[IdentityEvent]], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._submit = submit
        self._clock = clock
        self._lock = threading.Lock()
        saved = store.identity.load_document(self.DOCUMENT)
        self._directory = ScimDirectory() if saved is None else ScimDirectory.from_json(saved)

    def handle(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> ScimResult:
        with self._lock:
            delivery = f"scim-{uuid.uuid4().hex}"
            result = self._directory.handle(
                method, path, query=query, body=body, now=self._clock(), delivery=delivery
            )
            if method.upper() != "GET" and result.status < 300:
                self._store.identity.save_document(self.DOCUMENT, self._directory.to_json())
        if result.events:
            self._submit(result.events)
        return result
