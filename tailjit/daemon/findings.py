"""What the reconcile cycles found, as audit records, drift findings and metrics.

`Findings.hand_edits` audits the hand edits elsewhere in the policy file (the ETag moved and
tailjit did not move it; the edit is kept). `Findings.record` takes a cycle's report
(`tailjit.reconcile.CycleReport`) and writes down:

- each operation that repaired drift rather than carried out the store's decisions: forged and
  altered entries, orphan markers, entries deleted by hand and restored, stray
  ``custom:tailjit_*`` attributes;
- the synced ``group:`` entries: the baselines taken from the file, each write (``group.synced``),
  a synced group edited or deleted by hand (drift), and the tailnet refusing their new members
  (``group.refused``, once per distinct refusal).

`Findings.standing_access`, run on full cycles, reports a user who reaches a destination an
eligibility protects through the policy's own rules, tailjit's entries left out, once per run.

Drift found in the file is also counted (``tailjit_drift_findings_total{kind}``).
`Findings.measure` counts a cycle's writes and conflicts and how late expired grants left the
file; `Findings.failure` audits a failed cycle, once per distinct failure, and counts the API
error behind it. What is reported once per run is remembered in ``Findings.reported``.
`acl_device` and `without_marked` model the tailnet for the evaluator; the API backend uses
them too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from tailjit import acl
from tailjit.daemon.identity import save_baseline
from tailjit.errors import InvalidInput, TailjitError
from tailjit.hujson import HuJSONError, Value, parse
from tailjit.ids import GrantId
from tailjit.metrics import Metrics
from tailjit.plan import (
    TAILJIT_ATTRIBUTE_PREFIX,
    AddEntries,
    DeleteAttribute,
    LiveEntry,
    Op,
    RemoveEntry,
    SyncGroup,
    apply,
    collect_live,
)
from tailjit.reconcile import CycleReport, Refused
from tailjit.requests import Request, State
from tailjit.store import Store
from tailjit.tailscale import ApiError, Device, TailscaleError
from tailjit.targets import Target
from tailjit.workflow import Workflow

__all__ = ["Findings", "acl_device", "without_marked"]

log = logging.getLogger("tailjit.daemon")


class Findings:
    """Records what the cycles of one reconcile loop found (see the module docstring).

    ``key`` checks the markers. Belongs to the loop's thread.
    """

    def __init__(self, *, store: Store, metrics: Metrics, key: bytes) -> None:
        self.store = store
        self.metrics = metrics
        self.key = key
        self.reported: set[str] = set()
        """What was reported once this run: distinct failures and refusals, standing access."""

    def hand_edits(self, edits: Iterable[tuple[str, str]], now: datetime) -> None:
        """Audit each hand edit of the policy file, by its old and new ETag."""
        for old, new in edits:
            self.store.audit.drift_detected(
                kind="hand-edit",
                subject="policy",
                summary="the policy file was changed outside tailjit; the change is kept",
                detail={"old_etag": old, "new_etag": new},
                at=now,
            )
            self.metrics.count_drift("hand-edit")

    def record(self, report: CycleReport, now: datetime) -> None:
        """Audit the drift ``report`` repaired and the synced groups it wrote."""
        for kind, subject, summary in self._repairs(report.ops):
            self.store.audit.drift_detected(kind=kind, subject=subject, summary=summary, at=now)
            self.metrics.count_drift(kind)
            log.warning("drift (%s) on %s: %s", kind, subject, summary)
        self._groups_written(report, now)

    def measure(self, report: CycleReport, expired: Sequence[Request], done: datetime) -> None:
        """Count the writes and conflicts of ``report``; observe how late the ``expired``
        grants left the policy file, by ``done``."""
        self.metrics.count_policy_writes(report.writes)
        self.metrics.count_conflicts(report.attempts - 1)
        for request in expired:
            if request.expires_at is not None:
                self.metrics.observe_expiry_lag((done - request.expires_at).total_seconds())

    def failure(self, error: Exception, event: str, message: str, now: datetime) -> None:
        """Audit a failed cycle as ``event``, once per distinct ``message`` (not once per
        retry), and count the API error behind it."""
        if message not in self.reported:
            self.reported.add(message)
            try:
                self.store.audit.daemon_event(event, subject="tailnet", summary=message, at=now)
            except TailjitError:
                log.exception("could not audit a failed cycle")
        if isinstance(error, ApiError):
            self.metrics.count_api_error(error.status)
        elif isinstance(error, Refused):
            self.metrics.count_api_error(400)
        elif isinstance(error, TailscaleError):
            self.metrics.count_api_error(None)

    def _groups_written(self, report: CycleReport, now: datetime) -> None:
        """Keep the baselines the cycle took from the file; audit each synced group written,
        and a hand edit or deletion of one as drift."""
        for name, members in report.baselines.items():
            save_baseline(self.store, name, members)
        if report.refused is not None:
            held, reason = report.refused
            self.metrics.count_api_error(400)
            names = ", ".join(op.name for op in held)
            summary = f"the tailnet refused the policy with {names} as synced; kept: {reason}"
            log.warning("%s", summary)
            if summary not in self.reported:  # once per distinct refusal, not per cycle
                self.reported.add(summary)
                self.store.audit.daemon_event(
                    "group.refused",
                    subject=names,
                    summary=summary,
                    detail={"groups": {op.name: list(op.members or ()) for op in held}},
                    at=now,
                )
        for op in report.ops:
            if not isinstance(op, SyncGroup) or not report.writes:
                continue
            before, after = set(op.found or ()), set(op.members or ())
            summary = {
                "missing": "written",
                "deleted": "deleted by hand; written again as the identity sources report it",
                "changed": "written as the identity sources report it",
                "altered": "edited by hand; written again as the identity sources report it",
                "adopted": "taken over from the hand-written entry",
                "released": "no longer synced: marker removed, members left as they were",
            }[op.reason]
            self.store.audit.daemon_event(
                "group.synced",
                subject=op.name,
                summary=summary,
                detail={
                    "reason": op.reason,
                    "members": None if op.members is None else list(op.members),
                    "added": sorted(after - before),
                    "removed": sorted(before - after) if op.members is not None else [],
                },
                at=now,
            )
            if op.reason in ("altered", "deleted"):
                kind = "altered-group" if op.reason == "altered" else "missing-group"
                what = "edited by hand" if op.reason == "altered" else "deleted by hand"
                self.store.audit.drift_detected(
                    kind=kind, subject=op.name, summary=f"{what}; put back", at=now
                )
                self.metrics.count_drift(kind)
                log.warning("drift (%s) on %s: %s; put back", kind, op.name, what)

    def _repairs(self, ops: Iterable[Op]) -> Iterable[tuple[str, str, str]]:
        """(kind, subject, summary) of each operation that repairs drift; the ones that only
        carry out the store's decisions (expiry, revocation, extension) are not drift."""
        ops = tuple(ops)
        rewritten = {
            op.grant_id
            for op in ops
            if isinstance(op, RemoveEntry) and not op.reason.startswith("incomplete")
        }
        mentioned = [op.grant_id for op in ops if isinstance(op, RemoveEntry) and op.grant_id]
        mentioned += [op.desired.grant_id for op in ops if isinstance(op, AddEntries)]
        mentioned += [
            owner
            for op in ops
            if isinstance(op, DeleteAttribute) and (owner := _attribute_grant(op.key))
        ]
        states = self.store.grant_states(mentioned)  # one query, however many operations
        for op in ops:
            if isinstance(op, RemoveEntry):
                subject = f"grant:{op.grant_id}" if op.grant_id else f"policy:{op.pointer}"
                known = op.grant_id in states
                if op.reason.startswith("forged") and known:
                    yield "altered-entry", subject, f"{op.pointer} was edited by hand; put back"
                elif op.reason.startswith("forged"):
                    yield "forged-entry", subject, f"{op.pointer} removed ({op.reason})"
                elif op.reason == "entry changed":
                    yield "altered-entry", subject, f"{op.pointer} was edited by hand; put back"
                elif not known:
                    yield "orphan-marker", subject, f"{op.pointer} removed ({op.reason})"
            elif isinstance(op, AddEntries):
                grant_id = op.desired.grant_id
                if grant_id not in rewritten and states.get(grant_id) is State.ACTIVE:
                    yield "missing-entry", f"grant:{grant_id}", "deleted by hand; restored"
            elif isinstance(op, DeleteAttribute):
                owner = _attribute_grant(op.key)
                if owner is None or owner not in states:
                    subject = f"device:{op.device_id}"
                    yield "stray-attribute", subject, f"{op.key} deleted (no grant of tailjit's)"

    def standing_access(
        self, workflow: Workflow, policy: bytes, devices: Sequence[Device], now: datetime
    ) -> None:
        """Report, once per daemon run, each user who reaches a JIT-protected destination (one
        an eligibility names) through ``policy``'s own rules, tailjit's entries left out."""
        try:
            bare = without_marked(policy, key=self.key, now=now)
            tailnet = acl.Tailnet(devices=tuple(acl_device(d) for d in devices))
            evaluator = acl.Evaluator(bare.pack(), tailnet)
        except (HuJSONError, InvalidInput, acl.PolicyError) as error:
            log.warning("standing-access check skipped: %s", error)
            return
        users = sorted({d.user for d in devices if d.user and not d.tags and not d.is_external})
        for eligibility in workflow.policy.eligibilities:
            for target in eligibility.destinations:
                host = str(target.host).removeprefix("[").removesuffix("]").split("/")[0]
                proto = target.proto or "tcp"
                for user in users:
                    key = f"{user} {target}"
                    if key in self.reported or not _reaches(evaluator, user, host, target):
                        continue
                    self.reported.add(key)
                    self.store.audit.drift_detected(
                        kind="standing-access",
                        subject=f"user:{user}",
                        summary=f"reaches {target} ({proto}) without tailjit, through the "
                        f"policy's own rules; eligibility {eligibility.name} protects it",
                        at=now,
                        detail={"target": str(target), "eligibility": eligibility.name},
                    )


def _reaches(evaluator: acl.Evaluator, user: str, host: str, target: Target) -> bool:
    try:
        return evaluator.may(user, host, target.ports.first, target.proto or "tcp").allowed
    except (acl.UnknownTarget, ValueError):
        return False


def _attribute_grant(key: str) -> GrantId | None:
    if not key.startswith(TAILJIT_ATTRIBUTE_PREFIX):
        return None
    try:
        return GrantId.parse(key.removeprefix(TAILJIT_ATTRIBUTE_PREFIX))
    except InvalidInput:
        return None


def acl_device(device: Device) -> acl.Device:
    """A device of the API as the evaluator models it."""
    return acl.Device(
        name=device.name or device.hostname,
        addresses=tuple(device.addresses),
        user=device.user or None,
        tags=tuple(device.tags),
        node_id=device.node_id,
        external=device.is_external,
    )


def without_marked(
    policy: bytes, *, key: bytes, now: datetime, keep: Callable[[LiveEntry], bool] = lambda e: False
) -> Value:
    """``policy`` with tailjit's marked entries removed, but those ``keep`` accepts: the rules
    people wrote (and the entries they kept), to evaluate access on."""
    tree = parse(policy)
    live = collect_live(tree, key=key, now=now)
    gone = [RemoveEntry(entry.pointer, None, "") for entry in live.entries if not keep(entry)]
    return apply(tree, gone, key=key)
