"""The audit log's hash chain: records, their hashes, and verification. No I/O.

Hash construction (version 1)
-----------------------------
Each record carries ``prev``, the ``hash`` of the record before it (64 zeros for record 1), and
its own ``hash``::

    payload = {"v": 1, "seq": <int>, "at": <instant>, "recorded_at": <instant>,
               "event": <str>, "actor": <str>, "subject": <str>, "sentence": <str>,
               "data": <object>, "prev": <64 hex digits>}
    hash    = lowercase hex of SHA-256(canonical(payload))

where ``canonical`` is JSON with keys sorted at every level, no whitespace (separators ``,`` and
``:``), every non-ASCII character escaped as ``\\uXXXX`` (Python's
``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``), encoded as
UTF-8. Instants are RFC 3339 UTC with exactly six fraction digits and ``Z``
(``2026-01-01T12:00:00.000000Z``). ``data`` holds only strings, integers, booleans, null, lists
and objects: no floats, whose spelling differs between JSON libraries. ``seq`` numbers records
1, 2, 3, ... with no gap; it is inside the hash, so a record moved to another position no longer
matches its hash.

The chain alone cannot show that its newest records were cut off; the store therefore keeps the
last ``seq`` and ``hash`` (the head) beside it, written in the same transaction as each record.
Someone able to rewrite the database can rewrite the whole chain and its head; note the head
(``tailjit audit verify`` prints it) somewhere else to detect that too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENESIS",
    "HASH_VERSION",
    "AuditRecord",
    "Verification",
    "canonical",
    "check_data",
    "record_hash",
    "verify_chain",
]

HASH_VERSION = 1
GENESIS = "0" * 64
"""The ``prev`` of the first record."""


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of ``value`` (see the module docstring)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("utf-8")


def check_data(value: Any, path: str = "data") -> None:
    """Raise ValueError unless ``value`` holds only JSON strings, ints, bools, nulls, lists and
    objects with string keys."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_data(item, f"{path}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: key {key!r} is not a string")
            check_data(item, f"{path}.{key}")
        return
    raise ValueError(f"{path}: {type(value).__name__} has no canonical JSON form here")


@dataclass(frozen=True)
class AuditRecord:
    """One audit record; ``at`` is when the event happened, ``recorded_at`` when it was stored
    (both as canonical instant text)."""

    seq: int
    at: str
    recorded_at: str
    event: str
    actor: str
    subject: str
    sentence: str
    data: Mapping[str, Any]
    prev: str
    hash: str

    def payload(self) -> dict[str, Any]:
        """What the hash covers: every field but ``hash``, plus the construction version."""
        return {
            "v": HASH_VERSION,
            "seq": self.seq,
            "at": self.at,
            "recorded_at": self.recorded_at,
            "event": self.event,
            "actor": self.actor,
            "subject": self.subject,
            "sentence": self.sentence,
            "data": self.data,
            "prev": self.prev,
        }

    def to_dict(self) -> dict[str, Any]:
        """The record as exported: its payload and its hash."""
        return {**self.payload(), "hash": self.hash}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> AuditRecord:
        """A record from `to_dict` output; KeyError or TypeError when a field is missing."""
        return cls(
            seq=value["seq"],
            at=value["at"],
            recorded_at=value["recorded_at"],
            event=value["event"],
            actor=value["actor"],
            subject=value["subject"],
            sentence=value["sentence"],
            data=value["data"],
            prev=value["prev"],
            hash=value["hash"],
        )


def record_hash(payload: Mapping[str, Any]) -> str:
    """The hash of a record's payload."""
    return hashlib.sha256(canonical(payload)).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a chain: ``first_bad`` names the first record that fails."""

    records: int
    head: str
    first_bad: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.ok:
            return f"audit log OK: {self.records} records, head {self.head}"
        return f"audit log BROKEN at record #{self.first_bad}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "head": self.head,
            "first_bad": self.first_bad,
            "problem": self.problem,
        }


def verify_chain(
    records: Iterable[AuditRecord], *, head: tuple[int, str] | None = None
) -> Verification:
    """Check ``records`` (in ``seq`` order) and, when given, that the chain ends at ``head``.

    Names the first record that is missing, out of place, altered, or does not follow the one
    before it.
    """
    count, prev = 0, GENESIS
    for record in records:
        problem, seq = _problem(record, count + 1, prev)
        if problem is not None:
            return Verification(count, prev, seq, problem)
        count, prev = count + 1, record.hash
    if head is not None:
        head_seq, head_hash = head
        if head_seq > count:
            return Verification(
                count,
                prev,
                count + 1,
                f"missing: the log ends at #{count}, its head at #{head_seq}",
            )
        if head_seq < count:
            return Verification(
                count, prev, head_seq + 1, f"unexpected: the head is #{head_seq}, the log goes on"
            )
        if head_hash != prev:
            return Verification(
                count, prev, count, "does not match the head: the newest record was replaced"
            )
    return Verification(count, prev)


def _problem(record: AuditRecord, expected: int, prev: str) -> tuple[str | None, int]:
    """What is wrong with ``record`` at position ``expected`` after a record hashed ``prev``,
    and the number of the record to name."""
    before = expected - 1
    if record.seq > expected:
        return f"missing: the record after #{before} is #{record.seq}", expected
    if record.seq < expected:
        return f"out of order: #{record.seq} comes after #{before}", record.seq
    try:
        actual = record_hash(record.payload())
    except (TypeError, ValueError) as exc:
        return f"unreadable: {exc}", expected
    if actual != record.hash:
        return f"altered: its content does not match its hash ({record.event})", expected
    if record.prev != prev:
        return (
            f"does not follow #{before}: its prev hash is not #{before}'s hash "
            f"(#{before} or an earlier record was altered, removed or replaced)",
            expected,
        )
    return None, expected
