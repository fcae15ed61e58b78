"""Policy read-modify-write (`update_policy`) against a sandbox that injects faults.

Under 429s, 5xx answers and humans editing the policy between our GET and our POST, an update
converges, keeps every human edit next to ours, and makes a bounded number of API calls, counted
in the sandbox's request log. With retries off, each fault surfaces as its typed error. Faults
are seeded, so every run sees the same sequence; the client's sleep is a recorder, so no test
waits for real.

Counting calls. ``U`` updates each succeed after ``C_i`` conflicts (412); every round is one
GET and one POST, and every injected 429 or 5xx answer is retried as one more request of the
same call. So the request log holds exactly

    H = 2 (U + C) + F        C = total conflicts, F = injected 429 and 5xx answers.

Bounds: a human edit follows one of our GETs and can fail only the POST after it, so C <= h
(the number of human edits), and C = h while h < attempts. A call that succeeds saw at most R - 1
failed attempts (R = ``retry_max_attempts``, 5), so F <= (R - 1) 2 (U + C). Together:

    H <= 2 R (U + h).

With only "every k-th call is a 429" (counted from when the faults are set), the 429s are calls
k, 2k, ...; the n = 2 (U + C) successful calls and floor(H / k) refused ones add up to H, and the
last call succeeded, which gives exactly H = n + floor((n - 1) / (k - 1)).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tailjit.hujson import parse
from tailjit.sandbox import SandboxHandle
from tailjit.tailscale import (
    PolicyFile,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TailscaleClient,
    TailscaleError,
)
from tailjit.tailscale.testing import RecordingSleep

Connect = Callable[..., TailscaleClient]

RETRY_ATTEMPTS = 5
"""R: attempts per call (`TailscaleSettings.retry_max_attempts`, set explicitly below)."""


def add_group(name: str) -> Callable[[PolicyFile], bytes]:
    """The change an update makes: add (or keep) an empty group, edited as HuJSON.

    Idempotent, as `update_policy` asks: applied to a policy that has it, it changes nothing.
    """

    def change(policy: PolicyFile) -> bytes:
        return parse(policy.raw).set_member("/groups", name, []).pack()

    return change


def run_updates(api: TailscaleClient, count: int) -> list[PolicyFile]:
    return [api.update_policy(add_group(f"group:jit-{i}")) for i in range(1, count + 1)]


def faults_in(sandbox: SandboxHandle) -> int:
    """F: answers the sandbox injected (429 or 5xx)."""
    return sum(1 for r in sandbox.requests() if r.fault is not None)


def conflicts_in(sandbox: SandboxHandle) -> int:
    """C: writes refused with 412."""
    return sum(1 for r in sandbox.requests() if r.status == 412)


def groups_of(sandbox: SandboxHandle) -> set[str]:
    """The names in the stored policy's ``groups``."""
    policy = parse(sandbox.policy()).to_python()
    assert isinstance(policy, dict)
    return set(policy["groups"])


@pytest.fixture
def api(sandbox: SandboxHandle, connect: Connect) -> TailscaleClient:
    return connect(sandbox, retry_max_attempts=RETRY_ATTEMPTS)


@pytest.mark.parametrize("human_edits", [1, 2, 4])
def test_each_human_edit_costs_one_more_round_and_is_kept(
    api: TailscaleClient, sandbox: SandboxHandle, human_edits: int
) -> None:
    sandbox.set_faults(human_edits=human_edits, human_edit_kind="group")

    stored = api.update_policy(add_group("group:jit-1"), attempts=5)

    # H = 2 (U + C) with U = 1, C = h: one GET and one refused POST per edit, then the round
    # that succeeds.
    assert len(sandbox.requests()) == 2 * (1 + human_edits)
    assert conflicts_in(sandbox) == human_edits
    humans = {f"group:sandbox-edit-{n}" for n in range(1, human_edits + 1)}
    assert groups_of(sandbox) >= humans | {"group:jit-1"}
    assert stored.raw == sandbox.policy()
    assert stored.etag == sandbox.etag()


def test_more_conflicts_than_attempts_raise_precondition_failed_and_write_nothing(
    api: TailscaleClient, sandbox: SandboxHandle
) -> None:
    sandbox.set_faults(human_edits=10, human_edit_kind="comment")

    with pytest.raises(PreconditionFailed):
        api.update_policy(add_group("group:jit-1"), attempts=3)

    assert [(r.method, r.status) for r in sandbox.requests()] == [("GET", 200), ("POST", 412)] * 3
    assert "group:jit-1" not in groups_of(sandbox)
    assert b"(sandbox edit 3)" in sandbox.policy()  # one human edit after each of our 3 reads


def test_429_every_third_call_costs_exactly_the_derived_number_of_calls(
    api: TailscaleClient, sandbox: SandboxHandle, client_sleep: RecordingSleep
) -> None:
    updates, k = 3, 3
    sandbox.set_faults(rate_limit_every=k)

    run_updates(api, updates)

    n = 2 * updates  # no conflicts
    bound = n + (n - 1) // (k - 1)  # = 8
    assert len(sandbox.requests()) == bound
    assert faults_in(sandbox) == bound // k == 2
    assert groups_of(sandbox) >= {"group:jit-1", "group:jit-2", "group:jit-3"}
    assert client_sleep.waits == [0.5, 0.5]  # each 429 waited once, in the fake sleep


def test_20_percent_5xx_converge_within_the_bound(
    api: TailscaleClient, sandbox: SandboxHandle, client_sleep: RecordingSleep
) -> None:
    updates = 10
    sandbox.set_faults(error_rate=0.2, error_status=503, seed=7)

    run_updates(api, updates)

    calls, faults = len(sandbox.requests()), faults_in(sandbox)
    assert faults >= 1  # the faults did happen
    assert calls == 2 * updates + faults
    assert calls <= 2 * RETRY_ATTEMPTS * updates  # = 100
    assert groups_of(sandbox) >= {f"group:jit-{i}" for i in range(1, updates + 1)}
    assert len(client_sleep.waits) == faults


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_faults_at_once_converge_keep_every_edit_and_stay_within_the_bound(
    api: TailscaleClient, sandbox: SandboxHandle, client_sleep: RecordingSleep, seed: int
) -> None:
    updates, human_edits = 3, 2
    sandbox.set_faults(
        rate_limit_every=3,
        error_rate=0.2,
        error_status=500,
        seed=seed,
        human_edits=human_edits,
        human_edit_kind="group",
    )

    results = run_updates(api, updates)

    calls, faults, conflicts = len(sandbox.requests()), faults_in(sandbox), conflicts_in(sandbox)
    assert conflicts == human_edits
    assert calls == 2 * (updates + conflicts) + faults
    assert calls <= 2 * RETRY_ATTEMPTS * (updates + human_edits)  # = 50
    assert faults >= 1
    assert groups_of(sandbox) >= {
        "group:sandbox-edit-1",
        "group:sandbox-edit-2",
        "group:jit-1",
        "group:jit-2",
        "group:jit-3",
    }
    assert results[-1].raw == sandbox.policy()
    assert len(client_sleep.waits) == faults


def test_a_write_that_failed_after_it_was_applied_is_not_made_twice(
    api: TailscaleClient, sandbox: SandboxHandle
) -> None:
    """An ambiguous 5xx: the retried POST gets 412 (our own write moved the ETag), the fresh
    read already holds the edit, and the idempotent change leaves nothing more to write."""
    sandbox.set_faults(error_rate=0.3, error_after_apply=True, seed=4)

    run_updates(api, 4)

    ambiguous_posts = [
        r for r in sandbox.requests() if r.method == "POST" and r.fault == "error_after_apply"
    ]
    assert ambiguous_posts
    assert conflicts_in(sandbox) >= 1
    policy = sandbox.policy()
    for i in range(1, 5):
        assert policy.count(f'"group:jit-{i}"'.encode()) == 1
    # Only our own ambiguous write can make a 412 here, and the read after it writes nothing
    # more, so C <= U and H <= 2 R (U + U) = 80.
    assert len(sandbox.requests()) <= 2 * RETRY_ATTEMPTS * (4 + 4)


# --- retries off: each fault is its typed error -------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "error", "log"),
    [
        ({"rate_limit_every": 1}, RateLimited, [("GET", 429)]),
        ({"rate_limit_every": 2}, RateLimited, [("GET", 200), ("POST", 429)]),
        ({"error_rate": 1.0, "error_status": 503}, ServerError, [("GET", 503)]),
        ({"error_rate": 1.0, "error_status": 500}, ServerError, [("GET", 500)]),
        ({"human_edits": 1}, PreconditionFailed, [("GET", 200), ("POST", 412)]),
    ],
)
def test_with_retries_off_each_fault_surfaces_as_its_typed_error(
    connect: Connect,
    sandbox: SandboxHandle,
    client_sleep: RecordingSleep,
    faults: dict[str, Any],
    error: type[TailscaleError],
    log: list[tuple[str, int]],
) -> None:
    api = connect(sandbox, retries=False)
    before = sandbox.policy()
    sandbox.set_faults(**faults)

    with pytest.raises(error):
        api.update_policy(add_group("group:jit-1"), attempts=1)

    assert [(r.method, r.status) for r in sandbox.requests()] == log
    assert client_sleep.waits == []
    assert "group:jit-1" not in groups_of(sandbox)
    if error is not PreconditionFailed:
        assert sandbox.policy() == before


def test_with_retries_off_a_429_keeps_the_servers_retry_after(
    connect: Connect, sandbox: SandboxHandle
) -> None:
    client = connect(sandbox, retries=False)
    sandbox.set_faults(rate_limit_every=1, retry_after=7)

    with pytest.raises(RateLimited) as caught:
        client.get_policy()

    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)
