"""The reconcile loop against the real sandbox over loopback and a real SQLite store: grants
written, verified, activated, expired; drift found, audited and repaired; a lost database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tailjit.daemon.loop import AttributeRefused, ReconcileLoop
from tailjit.hujson import parse
from tailjit.ids import Login
from tailjit.plan import collect_live
from tailjit.requests import State
from tailjit.sandbox import ManualClock, SandboxHandle
from tailjit.store import Store
from tailjit.tailscale import ApiError, TailscaleClient, TailscaleTailnet
from tailjit.targets import parse_target

KEY = b"k" * 32  # the loop fixture's (conftest.py)
ALICE, CAROL = Login("alice@example.com"), Login("carol@example.com")
DB_PROD = parse_target("tcp:db-prod:5432")


def grant(loop: ReconcileLoop, minutes: int = 30) -> str:
    plan = loop._workflow().grant(
        CAROL, ALICE, DB_PROD, timedelta(minutes=minutes), reason="INC-123"
    )
    return str(plan.request.id)


def owned(sandbox: SandboxHandle, clock: ManualClock) -> list[str]:
    live = collect_live(parse(sandbox.policy()), key=KEY, now=clock())
    return [e.pointer for e in live.entries if e.status == "owned"]


def drift(store: Store, *, standing: bool = False) -> list[str]:
    """The kinds of drift recorded; standing access (carol's, in the demo) only if asked."""
    kinds = [r.data["kind"] for r in store.audit.records() if r.event == "drift.detected"]
    return [k for k in kinds if standing or k != "standing-access"]


def test_a_grant_is_written_verified_then_activated_at_the_cycles_instant(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle, sandbox_clock: ManualClock
) -> None:
    request_id = grant(loop)
    assert store.get(request_id).state is State.APPROVED

    report = loop.cycle()

    assert report.verified
    assert report.writes == 1
    request = store.get(request_id)
    assert request.state is State.ACTIVE
    assert request.activated_at == sandbox_clock()
    live = collect_live(parse(sandbox.policy()), key=KEY, now=sandbox_clock())
    assert {e.expires for e in live.entries} == {request.expires_at}
    laptop = sandbox.device_id("alice-laptop")
    attributes = loop.client.get_posture_attributes(laptop).custom()
    assert attributes[request.grant_id.attribute_key].expiry == request.expires_at
    assert loop.readiness()[0]


def test_at_expiry_the_entries_and_attributes_go_and_the_bytes_come_back(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle, sandbox_clock: ManualClock
) -> None:
    before = sandbox.policy()
    request_id = grant(loop, minutes=5)
    loop.cycle()
    expires = store.get(request_id).expires_at
    assert expires is not None
    assert loop.next_wake(sandbox_clock()) == expires

    sandbox_clock.set(expires)
    report = loop.cycle()

    assert report.verified
    assert store.get(request_id).state is State.EXPIRED
    assert sandbox.policy() == before
    laptop = sandbox.device_id("alice-laptop")
    assert not loop.client.get_posture_attributes(laptop).custom()
    assert drift(store) == []


def test_a_second_cycle_with_nothing_to_do_writes_nothing(
    loop: ReconcileLoop, sandbox: SandboxHandle
) -> None:
    grant(loop)
    loop.cycle()
    sandbox.reset_requests()

    report = loop.cycle()

    assert report.writes == 0
    assert report.ops == ()
    assert not [r for r in sandbox.requests() if r.method != "GET"]


def test_a_hand_edit_elsewhere_is_recorded_with_both_etags_and_kept(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle
) -> None:
    grant(loop)
    loop.cycle()
    old = sandbox.etag()
    edited = sandbox.human_edit()

    loop.cycle()

    assert drift(store) == ["hand-edit"]
    record = next(r for r in store.audit.records() if r.data.get("kind") == "hand-edit")
    assert record.data["detail"]["old_etag"].strip('"') == old.strip('"')
    assert sandbox.policy() == edited


def test_a_marked_entry_deleted_by_hand_is_restored_and_reported(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle, client: TailscaleClient
) -> None:
    grant(loop)
    loop.cycle()
    with_grant = sandbox.policy()
    pointer = owned(sandbox, loop._clock)[0]
    client.set_policy(parse(with_grant).remove(pointer).pack(), if_match=sandbox.etag())

    report = loop.cycle()

    assert report.verified
    assert drift(store) == ["hand-edit", "missing-entry"]
    assert sandbox.policy() == with_grant


def test_a_marked_entry_widened_by_hand_is_put_back_and_reported(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle, client: TailscaleClient
) -> None:
    grant(loop)
    loop.cycle()
    with_grant = sandbox.policy()
    pointer = owned(sandbox, loop._clock)[0]
    widened = parse(with_grant).replace(pointer + "/dst", ["*"]).pack()
    client.set_policy(widened, if_match=sandbox.etag())

    loop.cycle()

    assert drift(store) == ["hand-edit", "altered-entry"]
    assert sandbox.policy() == with_grant


def test_a_forged_marker_is_removed_and_reported(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle, client: TailscaleClient
) -> None:
    before = sandbox.policy()
    forged = parse(before).append(
        "/grants",
        {"src": ["bob@example.com"], "dst": ["db-prod"], "ip": ["tcp:5432"]},
        comments=["// tailjit:grant id=G7KQ2M3X exp=2099-01-01T00:00:00Z mac=" + "0" * 32],
    )
    client.set_policy(forged.pack(), if_match=sandbox.etag())

    loop.cycle()

    assert drift(store) == ["forged-entry"]
    assert sandbox.policy() == before


def test_a_stray_tailjit_attribute_is_deleted_on_the_first_full_scan(
    loop: ReconcileLoop, store: Store, sandbox: SandboxHandle, client: TailscaleClient
) -> None:
    device = sandbox.device_id("bob-laptop")
    client.set_posture_attribute(
        device, "custom:tailjit_ZZZZZZZZ", True, expiry=loop._clock() + timedelta(days=1)
    )

    loop.cycle()

    assert "custom:tailjit_ZZZZZZZZ" not in client.get_posture_attributes(device).custom()
    assert drift(store) == ["stray-attribute"]


def test_with_its_database_lost_the_loop_strips_every_marked_entry_as_an_orphan(
    loop: ReconcileLoop,
    sandbox: SandboxHandle,
    sandbox_clock: ManualClock,
    make_loop: Callable[[Store], ReconcileLoop],
    tmp_path: Path,
) -> None:
    """Markers alone are enough: without a record of its approval no entry may stay."""
    before = sandbox.policy()
    grant(loop, minutes=5)
    loop.cycle()
    with Store.open(tmp_path / "new.db", clock=sandbox_clock) as empty:
        report = make_loop(empty).cycle()
        assert set(drift(empty)) == {"orphan-marker", "stray-attribute"}

    assert report.verified
    assert sandbox.policy() == before


def test_the_next_wake_includes_marker_expiries_the_store_does_not_know(
    loop: ReconcileLoop, store: Store, sandbox_clock: ManualClock
) -> None:
    request_id = grant(loop, minutes=5)
    loop.cycle()
    # Revoked in the store, not yet removed from the file: only its marker knows its expiry.
    store.commit(loop._workflow().revoke(request_id, CAROL, dry_run=True))

    assert loop.next_wake(sandbox_clock()) == sandbox_clock() + timedelta(minutes=5)


def test_run_stops_when_asked_and_wakes_on_demand(
    loop: ReconcileLoop, store: Store, sandbox_clock: ManualClock
) -> None:
    stop = threading.Event()
    beats: list[int] = []
    thread = threading.Thread(
        target=loop.run, args=(stop,), kwargs={"heartbeat": lambda: beats.append(1)}
    )
    thread.start()
    try:
        _wait_for(lambda: loop.cycles >= 1)
        request_id = grant(loop)
        loop.wake()
        _wait_for(lambda: store.get(request_id).state is State.ACTIVE)
    finally:
        stop.set()
        loop.wake()
        thread.join(5)
    assert not thread.is_alive()
    assert beats


def _wait_for(condition: object, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_standing_access_to_a_protected_destination_is_reported_once_per_run(
    loop: ReconcileLoop, store: Store
) -> None:
    """In the demo, group:dba (carol) reaches db-prod:5432 and group:eng (alice, bob) reaches
    web-staging:443 by rules of their own, while eligibilities protect both; alice's access
    through tailjit's own grant does not count."""
    grant(loop)
    loop.cycle()
    loop.request_resync()
    loop.cycle()

    records = [r for r in store.audit.records() if r.data.get("kind") == "standing-access"]
    assert sorted((r.subject, r.data["detail"]["target"]) for r in records) == [
        ("user:alice@example.com", "web-staging:443"),
        ("user:bob@example.com", "web-staging:443"),
        ("user:carol@example.com", "db-prod:5432"),
    ]


class _RefusingAttributes(TailscaleTailnet):
    """The sandbox cannot refuse custom attributes the way a plan without them does."""

    def update_attributes(self, *args: object, **kwargs: object) -> None:
        raise ApiError(403, "custom posture attributes are not available on this plan")


def test_a_tailnet_refusing_attributes_is_reported_once_with_the_setting_to_change(
    loop: ReconcileLoop, store: Store, client: TailscaleClient
) -> None:
    loop.tailnet.inner = _RefusingAttributes(client)
    request_id = grant(loop)

    with pytest.raises(AttributeRefused, match="refused to set posture attributes custom:tailjit_"):
        loop.cycle()
    for _ in range(3):  # what run() does after each failed cycle
        loop._failed(AttributeRefused("the tailnet refused custom:tailjit_X"))

    assert store.get(request_id).state is State.APPROVED  # never reported active
    events = [r for r in store.audit.records() if r.event == "reconcile.refused-attribute"]
    assert len(events) == 1
    assert '"mode": "policy"' in events[0].sentence
    assert "devices:posture_attributes" in events[0].sentence
    assert not loop.readiness()[0]
