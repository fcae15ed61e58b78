"""The reconcile loop: the single writer of the tailnet (DESIGN.md §4 and §6).

One `ReconcileLoop.cycle`:

1. expires the grants and lapses the requests whose time is up (in the store, audited);
2. builds the desired grants: the active ones, and the approved ones waiting for activation,
   written with the expiry they get when first written (``now`` plus their length), kept from
   cycle to cycle until verified, so a slow or failed cycle never moves them;
3. runs `tailjit.reconcile.reconcile_once` (read, plan, one write under ``If-Match``, attributes,
   read back);
4. activates each waiting grant whose entries and attributes the read-back finds in place,
   its clock started when it was first written (a grant is reported active only after its
   write has been verified, invariant 4; one grant still missing holds up no other); a grant
   whose destination the tailnet policy no longer defines (an alias or tag removed by hand) is
   not written, since the tailnet would refuse every policy holding it, but revoked;
5. records what it found in the audit trail (`tailjit.daemon.findings`): hand edits elsewhere
   in the file (the ETag moved and tailjit did not move it), forged and altered entries, orphan
   markers, entries deleted by hand and restored, stray ``custom:tailjit_*`` attributes; and on
   full cycles (the first and each resync), standing access: a user who reaches a destination
   an eligibility protects through the policy's own rules, reported once per run.

The synced ``group:`` entries (``LoopSettings.sync_groups``, off unless named) are written in
the same policy write as the grants (`tailjit.plan.plan_groups`); each write is audited as
``group.synced``, and a synced group edited or deleted by hand is also drift. When the tailnet
refuses the policy with the groups' new members (its ``tests`` fail, say), the rest is written
without them and the refusal is audited once as ``group.refused``.

`ReconcileLoop.run` repeats cycles until stopped, sleeping until the earliest of the next
deadline (a grant's expiry or a request's lapse in the store, or a marker's expiry in the policy
file, so expired entries go even when the store has lost them), the periodic jobs of its
`schedule.Scheduler`, or a wake-up (`wake`, from the API).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import schedule

from tailjit.daemon.findings import Findings, acl_device, without_marked
from tailjit.daemon.identity import group_sync
from tailjit.errors import InvalidInput, TailjitError
from tailjit.hujson import HuJSONError, parse
from tailjit.ids import GrantId, GroupName, Login
from tailjit.metrics import Metrics
from tailjit.plan import (
    TAILJIT_ATTRIBUTE_PREFIX,
    AddEntries,
    DesiredGrant,
    GroupSync,
    Op,
    RemoveEntry,
    SyncGroup,
    collect_live,
)
from tailjit.reconcile import (
    AttributeChange,
    CycleReport,
    ReconcileConflict,
    plan_once,
    reconcile_once,
)
from tailjit.requests import GrantMode, Request, State
from tailjit.store import Store
from tailjit.tailscale import ApiError, Device, TailscaleClient, TailscaleError, TailscaleTailnet
from tailjit.workflow import Workflow

__all__ = [
    "AttributeRefused",
    "LoopSettings",
    "ReconcileLoop",
    "TailnetView",
    "acl_device",
    "without_marked",  # re-exported from tailjit.daemon.findings, with acl_device
]

log = logging.getLogger("tailjit.daemon")

Clock = Callable[[], datetime]

_RETRY_FIRST = 0.5
_RETRY_MAX = 30.0
"""Seconds before a failed cycle is tried again: doubling from the first to the max."""


class AttributeRefused(TailjitError):
    """The tailnet refused to set a custom posture attribute (no custom attributes on its plan,
    or the credentials lack the scope)."""


@dataclass(frozen=True, slots=True)
class LoopSettings:
    """``key`` signs the markers; ``resync_interval`` (seconds) bounds how long drift can go
    unnoticed; ``attempts`` bounds the policy writes of one cycle; ``policy_file`` is named in
    messages that tell the operator what to change; ``sync_groups`` are the ``group:`` entries
    of the policy file kept equal to what the identity sources report (none by default)."""

    key: bytes
    resync_interval: float = 300.0
    attempts: int = 5
    policy_file: str = "the eligibility policy"
    sync_groups: tuple[GroupName, ...] = ()


@dataclass(frozen=True, slots=True)
class TailnetView:
    """The tailnet as the last cycle read it: the API answers from this, not from the API."""

    policy: bytes
    etag: str
    devices: tuple[Device, ...]
    at: datetime


@dataclass(slots=True)
class _Observed:
    """The `tailjit.reconcile.Tailnet` port, observed: ETags (to tell hand edits from tailjit's
    own writes) and the attributes read. One instance lives as long as the loop."""

    inner: TailscaleTailnet
    expected_etag: str | None = None
    hand_edits: list[tuple[str, str]] = field(default_factory=list)
    last: tuple[bytes, str] | None = None
    attributes_seen: dict[str, Mapping[str, datetime | None]] = field(default_factory=dict)

    def get_policy(self) -> tuple[bytes, str]:
        raw, etag = self.inner.get_policy()
        if self.expected_etag is not None and etag != self.expected_etag:
            self.hand_edits.append((self.expected_etag, etag))
        self.expected_etag = etag
        self.last = (raw, etag)
        return raw, etag

    def set_policy(self, policy: bytes, *, if_match: str) -> str | None:
        etag = self.inner.set_policy(policy, if_match=if_match)
        self.expected_etag = etag  # None: unknown, the next read sets it without judging
        return etag

    def validate(self, policy: bytes) -> None:
        self.inner.validate(policy)

    def attributes(self, device_id: str) -> Mapping[str, datetime | None]:
        found = self.inner.attributes(device_id)
        self.attributes_seen[device_id] = found
        return found

    def update_attributes(
        self,
        changes: Mapping[str, Mapping[str, AttributeChange | None]],
        *,
        comment: str | None = None,
    ) -> None:
        try:
            self.inner.update_attributes(changes, comment=comment)
        except ApiError as error:
            if error.status in (400, 403, 404, 501):
                keys = sorted({key for keys in changes.values() for key in keys})
                raise AttributeRefused(
                    f"the tailnet refused to set posture attributes {', '.join(keys[:3])}"
                    f"{' and more' if len(keys) > 3 else ''} ({error.status} {error.message})"
                ) from error
            raise


class ReconcileLoop:
    """The reconcile loop of one daemon (see the module docstring).

    ``workflow`` returns the current workflow service (the daemon replaces it when the
    eligibility policy is reloaded); its store is ``store``. Thread-safe for `wake`,
    `readiness`, `view` and `plan`; `cycle` and `run` belong to one thread.
    """

    def __init__(
        self,
        *,
        store: Store,
        workflow: Callable[[], Workflow],
        client: TailscaleClient,
        settings: LoopSettings,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self._workflow = workflow
        self.client = client
        self.settings = settings
        self._clock = clock
        self.tailnet = _Observed(TailscaleTailnet(client))
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._view: TailnetView | None = None
        self._ready = (False, "starting: the first cycle has not run yet")
        self._known: set[str] = set()
        """Devices that may carry tailjit attributes: read on every cycle until seen clean."""
        self._full_due = True
        self._expiries: tuple[str, list[datetime]] | None = None
        """The marker expiries of the policy version last read, by its ETag."""
        self._tentative: dict[GrantId, datetime] = {}
        """The expiry each approved grant is being written with, kept from cycle to cycle
        until its write is verified (a grant's clock starts when tailjit first writes it)."""
        self._expired: list[Request] = []
        """Requests expired by a cycle that has not yet completed: their expiry lag is observed
        by the first cycle that does (a failed one would otherwise lose it)."""
        self._failures = 0
        self._findings = Findings(store=store, metrics=self.metrics, key=settings.key)
        """Audits and counts what cycles find, and failed cycles, once per run where due."""
        self.cycles = 0

    # --- for the API and the daemon --------------------------------------------------------

    def wake(self) -> None:
        """Run a cycle as soon as possible (returns at once)."""
        self._wake.set()

    def request_resync(self) -> None:
        """The next cycle reads the attributes of every device, not only the known ones."""
        self._full_due = True
        self._wake.set()

    def readiness(self) -> tuple[bool, str]:
        return self._ready

    @property
    def view(self) -> TailnetView | None:
        return self._view

    def plan(self) -> tuple[Op, ...]:
        """The operations a cycle would perform now (nothing is written)."""
        now = self._clock().replace(microsecond=0)
        devices = self._list_devices()
        desired, _ = self._desired(now, devices)
        return plan_once(
            TailscaleTailnet(self.client),
            desired,
            key=self.settings.key,
            now=now,
            devices=sorted(self._known),
            groups=self._groups(),
        )

    # --- one cycle -------------------------------------------------------------------------

    def cycle(self) -> CycleReport:
        """One cycle (module docstring). Raises what went wrong; `run` handles it."""
        workflow = self._workflow()
        self._expired += [plan.request for plan in workflow.expire_due()]
        workflow.lapse_due()
        # Whole seconds: markers carry whole-second expiries, and a grant activated at ``now``
        # must expire exactly when its marker says.
        now = self._clock().replace(microsecond=0)
        devices = self._list_devices()
        desired, waiting = self._desired(now, devices)
        full = self._full_due
        extra = [d.node_id for d in devices] if full else sorted(self._known)
        self.tailnet.attributes_seen = {}
        report = reconcile_once(
            self.tailnet,
            desired,
            key=self.settings.key,
            now=now,
            devices=extra,
            groups=self._groups(),
            attempts=self.settings.attempts,
        )
        self._full_due = self._full_due and not full
        self._findings.measure(report, self._expired, self._clock())
        self._expired = []
        self._after(report, desired, devices, now)
        if full and self._view is not None:
            self._findings.standing_access(workflow, self._view.policy, devices, now)
        self._end_unwritable(workflow, report, desired, waiting)
        by_id = {grant.grant_id: grant for grant in desired}
        for request in waiting:
            if request.grant_id in report.unwritable:
                continue  # never written: ended above
            grant = by_id[request.grant_id]
            if not any(_concerns(op, grant) for op in report.remaining):
                workflow.activate(request.id, at=grant.expires - request.granted)
                del self._tentative[request.grant_id]
                if request.approved is not None:
                    lag = self._clock() - request.approved.at
                    self.metrics.observe_activation_lag(lag.total_seconds())
        waiting_ids = {request.grant_id for request in waiting}
        for grant_id in set(self._tentative) - waiting_ids:
            del self._tentative[grant_id]
        if report.verified:
            self._ready = (True, f"verified at {now.isoformat(timespec='seconds')}")
        self.cycles += 1
        return report

    def _end_unwritable(
        self,
        workflow: Workflow,
        report: CycleReport,
        desired: Sequence[DesiredGrant],
        waiting: Sequence[Request],
    ) -> None:
        """Revoke each grant whose destination the tailnet policy no longer defines: a policy
        with its entries would be refused, holding up every other grant's change."""
        if not report.unwritable:
            return
        requests = {request.grant_id: request.id for request in waiting}
        for grant in desired:
            reason = report.unwritable.get(grant.grant_id)
            if reason is None:
                continue
            request_id = requests.get(grant.grant_id) or self.store.by_grant(grant.grant_id).id
            try:
                workflow.end_unwritable(request_id, f"the tailnet cannot hold it: {reason}")
            except TailjitError as error:  # moved on meanwhile (released, say): next cycle
                log.warning("could not end grant %s: %s", grant.grant_id, error)
                continue
            log.warning("grant %s revoked: %s", grant.grant_id, reason)
        self.wake()  # one more cycle, with the store as it is now

    def _groups(self) -> list[GroupSync]:
        return [group_sync(self.store, group) for group in self.settings.sync_groups]

    def _list_devices(self) -> tuple[Device, ...]:
        return tuple(self.client.list_devices())

    def _desired(
        self, now: datetime, devices: Sequence[Device]
    ) -> tuple[list[DesiredGrant], list[Request]]:
        """The desired grants at ``now``, and the approved requests among them (to activate
        once their write is verified). A request approved after ``now`` waits for the next
        cycle, so no grant is activated before it was approved."""
        owned: dict[str, list[str]] = {}
        for device in devices:
            if not device.tags and not device.is_external and device.user:
                owned.setdefault(device.user, []).append(device.node_id)
        desired: list[DesiredGrant] = []
        waiting: list[Request] = []
        for request in self.store.find(states=[State.ACTIVE, State.APPROVED]):
            if request.state is State.ACTIVE:
                expires = request.expires_at
            elif request.approved is not None and request.approved.at <= now:
                expires = self._tentative.get(request.grant_id)
                if expires is None or expires <= now:  # new, or it ran out before verified
                    expires = self._tentative[request.grant_id] = now + request.granted
                waiting.append(request)
            else:
                continue
            assert expires is not None
            desired.append(_desired_grant(request, expires, owned.get(request.requester, [])))
        return desired, waiting

    def _after(
        self,
        report: CycleReport,
        desired: Sequence[DesiredGrant],
        devices: Sequence[Device],
        now: datetime,
    ) -> None:
        """Audit what the cycle found; remember the view and the devices to watch."""
        self._findings.hand_edits(self.tailnet.hand_edits, now)
        self.tailnet.hand_edits.clear()
        self._findings.record(report, now)
        wanted = {device for grant in desired for device in grant.device_ids}
        self._known = wanted | {
            device
            for device, found in self.tailnet.attributes_seen.items()
            if any(key.startswith(TAILJIT_ATTRIBUTE_PREFIX) for key in found)
        }
        if self.tailnet.last is not None:
            raw, etag = self.tailnet.last
            with self._lock:
                self._view = TailnetView(raw, etag, tuple(devices), now)

    # --- the loop --------------------------------------------------------------------------

    def next_wake(self, now: datetime) -> datetime:
        """The earliest of the store's next deadline, the next marker expiry in the policy
        file as last read, the second after an approval still waiting for activation, and
        ``now`` plus the resync interval."""
        candidates = [now + timedelta(seconds=self.settings.resync_interval)]
        deadline = self.store.next_deadline()
        if deadline is not None:
            candidates.append(deadline)
        marker = self._next_marker_expiry(now)
        if marker is not None:
            candidates.append(marker)
        # An approval later than a cycle's whole-second ``now`` waits for the next second.
        candidates.extend(
            request.approved.at.replace(microsecond=0) + timedelta(seconds=1)
            for request in self.store.find(states=[State.APPROVED])
            if request.approved is not None
        )
        return min(candidates)

    def _next_marker_expiry(self, now: datetime) -> datetime | None:
        view = self._view
        if view is None:
            return None
        if self._expiries is None or self._expiries[0] != view.etag:
            try:
                live = collect_live(parse(view.policy), key=self.settings.key, now=view.at)
            except (HuJSONError, InvalidInput):
                return None
            found = sorted(e.expires for e in live.entries if e.expires is not None)
            self._expiries = (view.etag, found)
        return next((when for when in self._expiries[1] if when > now), None)

    def run(
        self,
        stop: threading.Event,
        *,
        scheduler: schedule.Scheduler | None = None,
        heartbeat: Callable[[], None] = lambda: None,
        before_cycle: Callable[[], None] = lambda: None,
        max_sleep: float = 10.0,
    ) -> None:
        """Cycle until ``stop`` is set; a cycle in progress always finishes first.

        ``scheduler`` runs the periodic jobs between cycles; ``heartbeat`` is called at least
        every ``max_sleep`` seconds (the systemd watchdog); ``before_cycle`` before each cycle
        (the daemon reloads its policy there, between cycles). A failed cycle is logged, audited
        once per distinct failure and retried with a doubling delay.
        """
        retry_at: datetime | None = None
        while not stop.is_set():
            self._wake.clear()
            started = time.monotonic()
            try:
                before_cycle()
                self.cycle()
            except Exception as error:  # the loop must outlive any one cycle
                retry_at = self._failed(error)
                conflict = isinstance(error, ReconcileConflict)
                self.metrics.observe_cycle(
                    "conflict" if conflict else "failed", time.monotonic() - started
                )
            else:
                self._failures = 0
                retry_at = None
                self.metrics.observe_cycle("ok", time.monotonic() - started)
            heartbeat()
            if scheduler is not None:
                scheduler.run_pending()
            while not stop.is_set():
                now = self._clock()
                until = retry_at or self.next_wake(now)
                if scheduler is not None and scheduler.idle_seconds is not None:
                    until = min(until, now + timedelta(seconds=max(scheduler.idle_seconds, 0)))
                # measured after computing ``until``, which reads the store and the policy
                wait = min(max((until - self._clock()).total_seconds(), 0.0), max_sleep)
                if self._wake.wait(wait) or stop.is_set() or self._clock() >= until:
                    break
                heartbeat()
                if scheduler is not None:
                    scheduler.run_pending()

    def _failed(self, error: Exception) -> datetime:
        self._failures += 1
        delay = min(_RETRY_FIRST * 2 ** (self._failures - 1), _RETRY_MAX)
        now = self._clock()
        message = _describe(error, self.settings.policy_file)
        if not self._ready[0]:
            self._ready = (False, f"the last cycle failed: {message}")
        event = (
            "reconcile.conflict"
            if isinstance(error, ReconcileConflict)
            else "reconcile.refused-attribute"
            if isinstance(error, AttributeRefused)
            else "reconcile.failed"
        )
        self._findings.failure(error, event, message, now)
        level = logging.ERROR if self._failures == 1 else logging.WARNING
        log.log(level, "reconcile cycle failed (%d in a row): %s", self._failures, message)
        if not isinstance(error, TailjitError | TailscaleError):
            log.error("unexpected error in a cycle", exc_info=error)
        return now + timedelta(seconds=delay)


def _desired_grant(request: Request, expires: datetime, devices: Sequence[str]) -> DesiredGrant:
    rules = request.rules
    posture = rules.mode is not GrantMode.POLICY
    return DesiredGrant(
        grant_id=request.grant_id,
        login=Login(request.requester),
        target=request.target,
        expires=expires,
        mode=rules.mode,
        device_ids=tuple(sorted(devices)) if posture else (),
        attribute=rules.attribute,
    )


def _concerns(op: Op, grant: DesiredGrant) -> bool:
    """Whether ``op``, still needed after a cycle, is about ``grant``'s entries or attributes."""
    if isinstance(op, AddEntries):
        return op.desired.grant_id == grant.grant_id
    if isinstance(op, RemoveEntry):
        return op.grant_id == grant.grant_id
    if isinstance(op, SyncGroup):
        return False
    return op.key == grant.attribute_key and op.device_id in grant.device_ids


def _describe(error: Exception, policy_file: str) -> str:
    if isinstance(error, AttributeRefused):
        return (
            f"{error}. Custom posture attributes need a Tailscale plan that has them and an API "
            'credential with the "devices:posture_attributes" scope; to grant without them, set '
            f'"mode": "policy" on the eligibilities in {policy_file} (access then stays until '
            "tailjit removes it: fail-ajar)"
        )
    return str(error) or type(error).__name__
