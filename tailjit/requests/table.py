"""The one transition table of the request workflow.

::

    (new) --submit--> pending            the request goes through its approval stages
    (new) --submit--> approved           auto-approved, granted by an admin, or break-glass
    pending  --approve--> pending        an approval that leaves a stage or the request short
    pending  --approve--> approved       the last approval the last stage needs
    pending  --deny-->    denied         any eligible approver ends the request
    pending  --cancel-->  cancelled      the requester withdraws it
    approved --cancel-->  cancelled      ... also before it is activated
    pending  --lapse-->   lapsed         nobody decided within the pending TTL
    approved --activate--> active        the grant is written and verified; its clock starts
    active   --extend-->  active         within the maximum duration and extension count
    active   --release--> released       the requester is done early
    approved --revoke-->  revoked        an admin (or tailjit) takes it back before activation
    active   --revoke-->  revoked        ... or while active
    active   --expire-->  expired        its time is up

Every transition function checks its source state here before anything else, and its result
against the table after; anything else raises `TransitionNotAllowed` naming the current state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from tailjit.requests.errors import TransitionNotAllowed
from tailjit.requests.model import Action, State

__all__ = ["EDGES", "TRANSITIONS", "check", "sources", "targets"]

P, AP, AC = State.PENDING, State.APPROVED, State.ACTIVE

EDGES: Final[tuple[tuple[State | None, Action, State], ...]] = (
    (None, Action.SUBMIT, P),
    (None, Action.SUBMIT, AP),
    (P, Action.APPROVE, P),
    (P, Action.APPROVE, AP),
    (P, Action.DENY, State.DENIED),
    (P, Action.CANCEL, State.CANCELLED),
    (AP, Action.CANCEL, State.CANCELLED),
    (P, Action.LAPSE, State.LAPSED),
    (AP, Action.ACTIVATE, AC),
    (AC, Action.EXTEND, AC),
    (AC, Action.RELEASE, State.RELEASED),
    (AP, Action.REVOKE, State.REVOKED),
    (AC, Action.REVOKE, State.REVOKED),
    (AC, Action.EXPIRE, State.EXPIRED),
)
"""(source, action, target) rows; None is the source of a request not yet created."""


def _index() -> Mapping[Action, Mapping[State | None, frozenset[State]]]:
    table: dict[Action, dict[State | None, set[State]]] = {}
    for source, action, target in EDGES:
        table.setdefault(action, {}).setdefault(source, set()).add(target)
    return MappingProxyType(
        {
            action: MappingProxyType({s: frozenset(t) for s, t in rows.items()})
            for action, rows in table.items()
        }
    )


TRANSITIONS: Final = _index()
"""``TRANSITIONS[action][source]`` is the set of states ``action`` may lead to from ``source``."""


def targets(action: Action, source: State | None) -> frozenset[State]:
    """The states ``action`` may lead to from ``source`` (empty: not allowed)."""
    return TRANSITIONS[action].get(source, frozenset())


def sources(action: Action) -> frozenset[State | None]:
    """The states ``action`` applies to."""
    return frozenset(TRANSITIONS[action])


def check(action: Action, source: State | None, target: State | None = None) -> None:
    """Raise `TransitionNotAllowed` unless the table has ``source --action--> target`` (any
    target when ``target`` is None)."""
    allowed = targets(action, source)
    if not allowed or (target is not None and target not in allowed):
        raise TransitionNotAllowed(action, source, frozenset(s for s in sources(action) if s))
