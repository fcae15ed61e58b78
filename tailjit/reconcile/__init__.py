"""The reconcile service: the single writer that brings the tailnet to the desired grants.

`reconcile_once` runs one cycle (DESIGN.md §4) against a `Tailnet`, the protocol the
``tailjit.tailscale`` adapter implements.
"""

from tailjit.reconcile.cycle import (
    CycleReport,
    Finding,
    ReconcileConflict,
    plan_once,
    reconcile_once,
)
from tailjit.reconcile.ports import AttributeChange, AttributeValue, Conflict, Refused, Tailnet

__all__ = [
    "AttributeChange",
    "AttributeValue",
    "Conflict",
    "CycleReport",
    "Finding",
    "ReconcileConflict",
    "Refused",
    "Tailnet",
    "plan_once",
    "reconcile_once",
]
