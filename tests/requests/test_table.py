"""The transition table: its shape, and that every action outside it is refused by name."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.requests import EDGES, TRANSITIONS, Action, State, TransitionNotAllowed
from tailjit.testing import load_module

S = load_module(Path(__file__).with_name("states.py"), "request_states")

LATE = S.LAPSES_AT + timedelta(days=1)


def test_the_table_is_the_documented_state_machine() -> None:
    assert {(src, action, dst) for src, action, dst in EDGES} == {
        (None, Action.SUBMIT, State.PENDING),
        (None, Action.SUBMIT, State.APPROVED),
        (State.PENDING, Action.APPROVE, State.PENDING),
        (State.PENDING, Action.APPROVE, State.APPROVED),
        (State.PENDING, Action.DENY, State.DENIED),
        (State.PENDING, Action.CANCEL, State.CANCELLED),
        (State.APPROVED, Action.CANCEL, State.CANCELLED),
        (State.PENDING, Action.LAPSE, State.LAPSED),
        (State.APPROVED, Action.ACTIVATE, State.ACTIVE),
        (State.ACTIVE, Action.EXTEND, State.ACTIVE),
        (State.ACTIVE, Action.RELEASE, State.RELEASED),
        (State.APPROVED, Action.REVOKE, State.REVOKED),
        (State.ACTIVE, Action.REVOKE, State.REVOKED),
        (State.ACTIVE, Action.EXPIRE, State.EXPIRED),
    }


def test_final_states_have_no_way_out() -> None:
    sources = {src for src, _, _ in EDGES}
    finals = {s for s in State if s.final}

    assert finals == {
        State.EXPIRED,
        State.REVOKED,
        State.RELEASED,
        State.DENIED,
        State.CANCELLED,
        State.LAPSED,
    }
    assert not finals & sources


def test_every_state_is_reachable_from_submission() -> None:
    reached, frontier = set(), {None}
    while frontier:
        reached |= frontier
        frontier = {dst for src, _, dst in EDGES if src in frontier} - reached
    assert reached - {None} == set(State)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", [a for a in Action if a is not Action.SUBMIT])
def test_an_action_outside_the_table_is_refused_naming_the_state(
    state: State, action: Action
) -> None:
    request = S.in_state(state)
    allowed = state in TRANSITIONS[action]

    if allowed:
        # Inside the table the action may still be refused for another reason (too early,
        # too late), but never as a transition the table lacks.
        for now in (S.ACTIVATED_AT, LATE):
            plan = S.PLANNERS[action](request, now)
            assert not isinstance(plan.refusal, TransitionNotAllowed)
        return
    with pytest.raises(TransitionNotAllowed) as caught:
        S.PLANNERS[action](request, LATE)
    assert caught.value.state == state
    assert caught.value.action == action
    assert f"a request that is {state}" in str(caught.value)
    assert caught.value.code == "transition-not-allowed"


def test_the_refusal_says_which_states_the_action_applies_to() -> None:
    with pytest.raises(TransitionNotAllowed, match="approve applies only to pending requests"):
        S.PLANNERS[Action.APPROVE](S.in_state(State.ACTIVE), S.ACTIVATED_AT)
    with pytest.raises(
        TransitionNotAllowed, match="revoke applies only to active or approved requests"
    ):
        S.PLANNERS[Action.REVOKE](S.in_state(State.EXPIRED), LATE)
