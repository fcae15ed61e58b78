"""The audit trail: one method per event, each appending one hash-chained record.

Every record has an event name (stable; see `EVENTS`), an actor, a subject (``request:<id>`` or
``grant:<id>``, or what a drift finding is about), when it happened (``at``) and when it was
stored (``recorded_at``), a one-line sentence for people and structured ``data``. The chain is
described in `tailjit.store.chain`.

A method called inside a store transaction joins it, so a state change and its records commit
together; called alone, it commits its record by itself. The sentences are built only from
validated values (logins, ids, targets, durations, instants); text people type (reasons,
comments) goes into ``data``, never into a sentence.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import IO, Any

from tailjit.durations import format_duration
from tailjit.instants import format_exact, format_instant
from tailjit.requests.approvals import progress
from tailjit.requests.model import SYSTEM, EventName, Origin, Request
from tailjit.store._db import Database
from tailjit.store.chain import (
    GENESIS,
    AuditRecord,
    Verification,
    canonical,
    check_data,
    record_hash,
    verify_chain,
)

__all__ = ["DAEMON_EVENTS", "DRIFT_DETECTED", "EVENTS", "IDENTITY_EVENTS", "AuditTrail", "Clock"]

_CHUNK = 1000
"""Records read per chunk by `AuditTrail.records`."""

_DELIVERY_SHOWN = 80
"""Characters of a delivery id an identity record's sentence shows."""

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""

DRIFT_DETECTED = "drift.detected"
DAEMON_EVENTS = frozenset(
    {
        "config.reloaded",
        "config.reload-refused",
        "daemon.started",
        "daemon.stopped",
        "daemon.job-failed",
        "group.refused",
        "group.synced",
        "policy.reloaded",
        "policy.reload-refused",
        "reconcile.conflict",
        "reconcile.failed",
        "reconcile.refused-attribute",
    }
)
"""What the daemon itself records: its lifecycle, failed jobs and cycles, policy and configuration
reloads, and the synced ``group:`` entries it writes."""
IDENTITY_EVENTS = frozenset(
    {"membership.added", "membership.removed", "user.deactivated", "user.reactivated"}
)
"""What identity sources report (tailjit.store.identity), each with its source and delivery id."""
EVENTS = frozenset({*(str(e) for e in EventName), DRIFT_DETECTED, *DAEMON_EVENTS, *IDENTITY_EVENTS})
"""Every event name the trail writes."""


def _who(request: Request) -> str:
    return f"{request.requester} -> {request.target}"


def _base(request: Request) -> dict[str, Any]:
    return {
        "request": str(request.id),
        "grant": str(request.grant_id),
        "requester": str(request.requester),
        "target": str(request.target),
        "eligibility": request.eligibility,
        "state": str(request.state),
    }


def _one_line(text: str) -> str:
    """``text`` with anything that would break the line escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


class AuditTrail:
    """The audit log of one store; ``clock`` stamps ``recorded_at``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # --- writing --------------------------------------------------------------------------

    def _append(
        self,
        event: str,
        *,
        actor: str,
        subject: str,
        sentence: str,
        at: datetime,
        data: Mapping[str, Any],
    ) -> AuditRecord:
        check_data(data)
        with self._db.transaction() as conn:
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            unsigned = AuditRecord(
                seq=seq,
                at=format_exact(at),
                recorded_at=format_exact(self._clock()),
                event=event,
                actor=actor,
                subject=subject,
                sentence=_one_line(sentence),
                data=data,
                prev=prev,
                hash="",
            )
            digest = record_hash(unsigned.payload())
            conn.execute(
                "INSERT INTO audit (seq, at, recorded_at, event, actor, subject, sentence, data,"
                " prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    unsigned.at,
                    unsigned.recorded_at,
                    event,
                    actor,
                    subject,
                    unsigned.sentence,
                    canonical(data).decode(),
                    prev,
                    digest,
                ),
            )
            conn.execute(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                (seq, digest),
            )
        return replace(unsigned, hash=digest)

    def _request_event(
        self, event: EventName, request: Request, sentence: str, *, actor: str, at: datetime
    ) -> AuditRecord:
        grant_event = event.startswith(("grant.", "breakglass."))
        subject = f"grant:{request.grant_id}" if grant_event else f"request:{request.id}"
        data = _base(request) | _details(event, request)
        return self._append(
            event, actor=actor, subject=subject, sentence=sentence, at=at, data=data
        )

    def record(
        self, event: EventName, request: Request, *, actor: str, at: datetime
    ) -> AuditRecord:
        """Dispatch ``event`` about ``request`` (as it is after the event) to its method."""
        method: Callable[..., AuditRecord] = getattr(self, event.replace(".", "_"))
        return method(request, actor=actor, at=at)

    def request_created(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        length = format_duration(request.duration)
        how = {
            Origin.REQUESTED: "pending approval",
            Origin.AUTO: "auto-approved",
            Origin.ADMIN: "granted by an admin",
            Origin.BREAKGLASS: "BREAK-GLASS",
        }[request.origin]
        sentence = (
            f"{actor} requested {request.target} for {request.requester} for {length} under "
            f"eligibility {request.eligibility} (request {request.id}, {how})"
        )
        if actor == request.requester:
            sentence = sentence.replace(f" for {request.requester}", "", 1)
        return self._request_event(EventName.REQUEST_CREATED, request, sentence, actor=actor, at=at)

    def approval_recorded(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        stage = request.approvals[-1].stage + 1
        sentence = (
            f"{actor} approved stage {stage} of request {request.id} ({_who(request)}); "
            f"{progress(request).describe()}"
        )
        return self._request_event(
            EventName.APPROVAL_RECORDED, request, sentence, actor=actor, at=at
        )

    def request_approved(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        if request.origin is Origin.AUTO:
            sentence = f"tailjit auto-approved request {request.id} ({_who(request)})"
        elif request.origin is Origin.ADMIN:
            sentence = f"{actor} granted request {request.id} ({_who(request)}) directly"
        else:
            sentence = f"{actor} approved request {request.id} ({_who(request)}): ready to activate"
        return self._request_event(
            EventName.REQUEST_APPROVED, request, sentence, actor=actor, at=at
        )

    def request_denied(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        sentence = f"{actor} denied request {request.id} ({_who(request)})"
        return self._request_event(EventName.REQUEST_DENIED, request, sentence, actor=actor, at=at)

    def request_cancelled(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        sentence = f"{actor} cancelled request {request.id} for {request.target}"
        return self._request_event(
            EventName.REQUEST_CANCELLED, request, sentence, actor=actor, at=at
        )

    def request_lapsed(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        ttl = format_duration(request.rules.pending_ttl)
        sentence = f"request {request.id} ({_who(request)}) lapsed: undecided for {ttl}"
        return self._request_event(EventName.REQUEST_LAPSED, request, sentence, actor=actor, at=at)

    def grant_activated(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        until = format_instant(_expiry(request))
        sentence = (
            f"grant {request.grant_id} is active: {request.requester} may reach "
            f"{request.target} until {until}"
        )
        return self._request_event(EventName.GRANT_ACTIVATED, request, sentence, actor=actor, at=at)

    def grant_extended(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        extension = request.extensions[-1]
        sentence = (
            f"{actor} extended grant {request.grant_id} ({request.target}) by "
            f"{format_duration(extension.by)} until {format_instant(_expiry(request))} "
            f"(extension {len(request.extensions)} of {request.rules.max_extensions})"
        )
        return self._request_event(EventName.GRANT_EXTENDED, request, sentence, actor=actor, at=at)

    def grant_released(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        sentence = (
            f"{actor} released grant {request.grant_id} ({request.target}) before its expiry "
            f"at {format_instant(_expiry(request))}"
        )
        return self._request_event(EventName.GRANT_RELEASED, request, sentence, actor=actor, at=at)

    def grant_expired(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        sentence = (
            f"grant {request.grant_id} ({_who(request)}) expired at "
            f"{format_instant(_expiry(request))}"
        )
        return self._request_event(EventName.GRANT_EXPIRED, request, sentence, actor=actor, at=at)

    def grant_revoked(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        sentence = f"{actor} revoked grant {request.grant_id} ({_who(request)})"
        return self._request_event(EventName.GRANT_REVOKED, request, sentence, actor=actor, at=at)

    def breakglass_used(self, request: Request, *, actor: str, at: datetime) -> AuditRecord:
        sentence = (
            f"BREAK-GLASS: {request.requester} opened {request.target} for "
            f"{format_duration(request.duration)} without approval (request {request.id}, "
            f"grant {request.grant_id})"
        )
        return self._request_event(EventName.BREAKGLASS_USED, request, sentence, actor=actor, at=at)

    def drift_detected(
        self,
        *,
        kind: str,
        subject: str,
        summary: str,
        at: datetime,
        detail: Mapping[str, Any] | None = None,
        actor: str = SYSTEM,
    ) -> AuditRecord:
        """A reconcile finding: ``kind`` is a stable code (``hand-edit``, ``forged-entry``,
        ``orphan-marker``, ...), ``summary`` one line for people."""
        return self._append(
            DRIFT_DETECTED,
            actor=actor,
            subject=subject,
            sentence=f"drift ({kind}) on {subject}: {summary}",
            at=at,
            data={"kind": kind, "detail": dict(detail or {})},
        )

    def daemon_event(
        self,
        event: str,
        *,
        subject: str,
        summary: str,
        at: datetime,
        detail: Mapping[str, Any] | None = None,
        actor: str = SYSTEM,
    ) -> AuditRecord:
        """One of `DAEMON_EVENTS` about ``subject`` (``daemon``, ``policy``, a job name),
        ``summary`` one line for people; ValueError for an event not in `DAEMON_EVENTS`."""
        if event not in DAEMON_EVENTS:
            raise ValueError(f"unknown daemon event {event!r}")
        return self._append(
            event,
            actor=actor,
            subject=subject,
            sentence=f"{event} ({subject}): {summary}",
            at=at,
            data={"detail": dict(detail or {})},
        )

    def membership_added(
        self, group: str, login: str, *, source: str, delivery: str, at: datetime
    ) -> AuditRecord:
        """``source`` reports ``login`` a member of ``group`` (delivery ``delivery``)."""
        return self._identity_event(
            "membership.added",
            login,
            source=source,
            delivery=delivery,
            at=at,
            sentence=f"{source} added {login} to {group}",
            group=group,
        )

    def membership_removed(
        self, group: str, login: str, *, source: str, delivery: str, at: datetime
    ) -> AuditRecord:
        """``source`` reports ``login`` no longer a member of ``group``."""
        return self._identity_event(
            "membership.removed",
            login,
            source=source,
            delivery=delivery,
            at=at,
            sentence=f"{source} removed {login} from {group}",
            group=group,
        )

    def user_deactivated(
        self, login: str, *, source: str, delivery: str, at: datetime
    ) -> AuditRecord:
        """``source`` reports ``login`` deactivated (suspended, deleted)."""
        return self._identity_event(
            "user.deactivated",
            login,
            source=source,
            delivery=delivery,
            at=at,
            sentence=f"{source} deactivated {login}",
        )

    def user_reactivated(
        self, login: str, *, source: str, delivery: str, at: datetime
    ) -> AuditRecord:
        """``source`` reports ``login`` active again."""
        return self._identity_event(
            "user.reactivated",
            login,
            source=source,
            delivery=delivery,
            at=at,
            sentence=f"{source} reactivated {login}",
        )

    def _identity_event(
        self,
        event: str,
        login: str,
        *,
        source: str,
        delivery: str,
        at: datetime,
        sentence: str,
        group: str | None = None,
    ) -> AuditRecord:
        # The delivery id comes from the source: `_append` escapes anything that would break
        # the line, and a long one is cut in the sentence (``data`` keeps it whole).
        shown = delivery if len(delivery) <= _DELIVERY_SHOWN else delivery[:_DELIVERY_SHOWN] + "..."
        data: dict[str, Any] = {"login": str(login), "source": str(source), "delivery": delivery}
        if group is not None:
            data["group"] = str(group)
        return self._append(
            event,
            actor=source,
            subject=f"user:{login}",
            sentence=f"{sentence} (delivery {shown})",
            at=at,
            data=data,
        )

    # --- reading --------------------------------------------------------------------------

    def records(self, *, after: int = 0) -> Iterator[AuditRecord]:
        """Every record after sequence number ``after``, oldest first, including any appended
        while iterating.

        Read in chunks, each under the store's lock but none held between them, so a slow
        consumer never holds up a writer.
        """
        while True:
            with self._db.reading() as conn:
                chunk = list(_rows(conn, after=after, limit=_CHUNK))
            yield from chunk
            if len(chunk) < _CHUNK:
                return
            after = chunk[-1].seq

    def head(self) -> tuple[int, str] | None:
        with self._db.reading() as conn:
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def verify(self) -> Verification:
        """Check the whole chain and its head, in one snapshot; names the first bad record."""
        with self._db.reading() as conn:
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            head = (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
            return verify_chain(_rows(conn), head=head)

    def export_jsonl(self, out: IO[str]) -> int:
        """Write every record as one JSON object per line (`AuditRecord.to_dict`); return the
        count."""
        count = 0
        for record in self.records():
            out.write(json.dumps(record.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
        return count


def _rows(
    conn: sqlite3.Connection, *, after: int | None = None, limit: int = -1
) -> Iterator[AuditRecord]:
    """The records after ``after`` (all, even with a tampered ``seq``, when None)."""
    where = "" if after is None else f" WHERE seq > {int(after)}"
    cursor = conn.execute(
        "SELECT seq, at, recorded_at, event, actor, subject, sentence, data, prev, hash"
        f" FROM audit{where} ORDER BY seq LIMIT ?",
        (limit,),
    )
    for seq, at, recorded_at, event, actor, subject, sentence, data, prev, digest in cursor:
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = {"unparsable": data}
        yield AuditRecord(
            seq, at, recorded_at, event, actor, subject, sentence, parsed, prev, digest
        )


def _expiry(request: Request) -> datetime:
    expires = request.expires_at
    if expires is None:  # pragma: no cover - grant events only follow activation
        raise ValueError(f"request {request.id} was never activated")
    return expires


def _details(event: EventName, request: Request) -> dict[str, Any]:
    """The event-specific part of a record's data."""
    end = request.ended
    if event is EventName.REQUEST_CREATED:
        return {
            "origin": str(request.origin),
            "mode": str(request.rules.mode),
            "duration": format_duration(request.duration),
            "reason": request.reason,
            "ticket": request.ticket,
            "lapses_at": format_exact(request.lapses_at),
        }
    if event in (EventName.APPROVAL_RECORDED, EventName.REQUEST_APPROVED):
        last = request.approvals[-1] if request.approvals else None
        return {
            "origin": str(request.origin),
            "stage": None if last is None else last.stage + 1,
            "stages": len(request.rules.stages),
            "comment": None if last is None else last.comment,
            "auto_approval": request.auto_approval,
            "approved_by": [str(a) for a in request.approvers],
        }
    if event is EventName.BREAKGLASS_USED:
        return {"duration": format_duration(request.duration), "reason": request.reason}
    if event.startswith("grant."):
        return {
            "activated_at": None
            if request.activated_at is None
            else format_exact(request.activated_at),
            "expires_at": None if request.expires_at is None else format_exact(request.expires_at),
            "granted": format_duration(request.granted),
            "extensions": len(request.extensions),
            "breakglass": request.breakglass,
            "comment": None if end is None else end.comment,
        }
    return {"comment": None if end is None else end.comment}
