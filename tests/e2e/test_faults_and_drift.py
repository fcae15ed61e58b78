"""The daemon against a misbehaving tailnet, as real processes (issue 6, acceptance 4 and 6).

Faults: with the sandbox answering 429s and 5xx and a human editing the policy between the
daemon's read and its write, 50 grants with staggered expiries all activate and all expire, no
human edit is lost and no entry is ever written twice. Drift: a person editing the policy or the
device attributes behind the daemon's back is undone within one resync and reported.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tailjit.hujson import Value, parse
from tailjit.plan import collect_live
from tailjit.plan.markers import MarkerKind

from .conftest import DEMO_POLICY, Daemon, Sandbox, wait_for

ALICE = "alice@example.com"
DB_PROD = "tcp:db-prod:5432"
RESYNC = 2.0
"""The e2e daemon's TAILJIT_RESYNC_INTERVAL, in seconds."""
ONE_RESYNC = RESYNC + 2.0
"""How long a repair may take: one resync interval, plus a cycle's work on a busy machine."""
HUMAN_EDIT = re.compile(
    rb"^// Edited by a human in the admin console \(sandbox edit \d+\)\.$", re.M
)


# --- helpers ---------------------------------------------------------------------------------


def grant(daemon: Daemon, duration: str, *, target: str = DB_PROD) -> dict[str, Any]:
    """An admin grant (carol's) of ``target`` to alice; the request as the API returns it."""
    body = {"user": ALICE, "target": target, "duration": duration, "reason": "load"}
    return dict(daemon.api("POST", "/v1/grants", json=body)["request"])


def key_of(daemon: Daemon) -> bytes:
    return bytes.fromhex((daemon.state_dir / "marker.key").read_text().strip())


def duplicates(policy: bytes, key: bytes) -> list[tuple[MarkerKind, str]]:
    """(kind, grant id) of every marked entry that appears more than once in ``policy``."""
    live = collect_live(parse(policy), key=key, now=datetime.now(UTC))
    counts = Counter((e.kind, str(e.grant_id)) for e in live.entries if e.grant_id is not None)
    return [found for found, n in counts.items() if n > 1]


def marked(policy: bytes, key: bytes) -> list[str]:
    """The pointers of every marked entry (owned, expired or forged) in ``policy``."""
    return [e.pointer for e in collect_live(parse(policy), key=key, now=datetime.now(UTC)).entries]


def drift(daemon: Daemon, kind: str) -> list[dict[str, Any]]:
    """The daemon's ``drift.detected`` audit records of ``kind``, oldest first."""
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    return [r for r in records if r["event"] == "drift.detected" and r["data"].get("kind") == kind]


def edit_policy(sandbox: Sandbox, change: Callable[[Value], Value]) -> bytes:
    """Edit the policy as a person with an API client would: read the HuJSON and its ETag,
    change it, write it back with ``If-Match``; read again when the daemon wrote in between.
    The bytes written."""
    with sandbox.http() as client:
        for _ in range(10):
            found = client.get("/api/v2/tailnet/-/acl", headers={"Accept": "application/hujson"})
            found.raise_for_status()
            edited = change(parse(found.content)).pack()
            reply = client.post(
                "/api/v2/tailnet/-/acl",
                content=edited,
                headers={
                    "Content-Type": "application/hujson",
                    "Accept": "application/hujson",
                    "If-Match": found.headers["ETag"],
                },
            )
            if reply.status_code != 412:
                reply.raise_for_status()
                return edited
    pytest.fail("the policy kept changing under the hand edit")


def marked_grant_pointer(policy: bytes, key: bytes, grant_id: str) -> str:
    live = collect_live(parse(policy), key=key, now=datetime.now(UTC))
    return next(
        e.pointer
        for e in live.entries
        if e.kind is MarkerKind.GRANT and str(e.grant_id) == grant_id
    )


def device_id(sandbox: Sandbox, hostname: str) -> str:
    with sandbox.http() as client:
        devices = client.get("/api/v2/tailnet/-/devices").json()["devices"]
    return str(next(d["nodeId"] for d in devices if d["hostname"] == hostname))


# --- faults (acceptance 4) -------------------------------------------------------------------

GRANTS = 50
HUMAN_EDITS = 20
DURATIONS = (3, 5, 7, 9, 4, 6, 8)
"""Seconds; grant i lasts DURATIONS[i % 7], so expiries are staggered across the run."""
PACE = 0.3
"""Seconds between two grants: requests keep arriving while the daemon fights the faults."""
FAULTS = {
    "rate_limit_every": 7,
    "retry_after": 0,
    "error_rate": 0.1,
    "seed": 6,
    "human_edits": HUMAN_EDITS,
}


class PolicySampler:
    """Reads the sandbox's policy file (``policy.hujson``, replaced atomically on every save)
    in a thread, so sampling adds no API call for the faults to hit, and keeps every duplicate
    marked entry it sees."""

    def __init__(self, sandbox: Sandbox, key: bytes) -> None:
        self.path = sandbox.directory / "policy.hujson"
        self.key = key
        self.samples = 0
        self.distinct: set[bytes] = set()
        self.duplicates: list[tuple[MarkerKind, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PolicySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            policy = self.path.read_bytes()
            self.samples += 1
            if policy not in self.distinct:
                self.distinct.add(policy)
                self.duplicates.extend(duplicates(policy, self.key))


def policy_mode_eligibility(directory: Path) -> Path:
    """The demo eligibility policy with web-staging grants in ``policy`` mode (no attributes).
    Not db-prod: the demo tailnet's policy tests deny alice db-prod, as a posture-less grant
    would not."""
    text = DEMO_POLICY.read_text()
    marker = '"name":        "web-staging",'
    assert marker in text
    path = directory / "policy-mode.hujson"
    path.write_text(text.replace(marker, marker + '\n\t\t\t"mode": "policy",', 1))
    return path


def fifty_grants_under_faults(daemon: Daemon, sandbox: Sandbox, target: str = DB_PROD) -> None:
    """429s, 5xx and human edits between the daemon's read and its write, while 50 grants with
    staggered expiries come in: every grant is activated and expired, every human edit
    survives, no entry is ever written twice, and no marked entry remains."""
    original = sandbox.policy()
    sandbox.admin("DELETE", "/requests")
    sandbox.admin("PUT", "/faults", json=FAULTS)
    started = time.monotonic()

    with PolicySampler(sandbox, key_of(daemon)) as sampler:
        ids = []
        for i in range(GRANTS):
            ids.append(grant(daemon, f"{DURATIONS[i % len(DURATIONS)]}s", target=target)["id"])
            time.sleep(PACE)
        live = {"state": ["approved", "active"]}
        try:
            wait_for(lambda: not daemon.api("GET", "/v1/requests", params=live)["requests"], 40)
        except pytest.fail.Exception:
            states = Counter(daemon.request(i)["state"] for i in ids)
            pytest.fail(f"after 40s under faults the 50 grants are still {dict(states)}")
        on_disk = sandbox.directory / "policy.hujson"
        wait_for(lambda: not marked(on_disk.read_bytes(), key_of(daemon)), 10)
    elapsed = time.monotonic() - started

    ended = [daemon.request(i) for i in ids]
    assert [r["state"] for r in ended] == ["expired"] * GRANTS
    assert all(r["activated_at"] and r["expires_at"] for r in ended)
    assert not sampler.duplicates, f"entries written twice: {sampler.duplicates}"
    assert sampler.samples > 100
    assert len(sampler.distinct) > 10
    faults = Counter(e["fault"] for e in sandbox.admin("GET", "/requests")["requests"])
    assert faults["rate_limit"], faults
    assert faults["error"], faults
    made = HUMAN_EDITS - sandbox.admin("GET", "/faults")["human_edits"]
    assert made == HUMAN_EDITS
    # Each human edit put one comment line at the top; the file is those lines over the original.
    sandbox.admin("DELETE", "/faults")
    final = sandbox.policy()
    assert len(HUMAN_EDIT.findall(final)) == made
    edits = b"".join(
        b"// Edited by a human in the admin console (sandbox edit %d).\n" % n
        for n in range(made, 0, -1)
    )
    assert final == edits + original
    assert elapsed < 60


def test_under_faults_fifty_policy_mode_grants_all_activate_and_expire_with_no_edit_lost(
    start_sandbox: Callable[..., Sandbox], start_daemon: Callable[..., Daemon], tmp_path: Path
) -> None:
    sandbox = start_sandbox()
    daemon = start_daemon(sandbox, TAILJIT_POLICY=str(policy_mode_eligibility(tmp_path)))
    fifty_grants_under_faults(daemon, sandbox, "tcp:web-staging:443")


def test_under_faults_fifty_default_mode_grants_all_activate_and_expire_with_no_edit_lost(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    """The same in the default mode (policy entry, posture and an attribute per device)."""
    fifty_grants_under_faults(daemon_process, sandbox_process)


# --- drift (acceptance 6) --------------------------------------------------------------------


@pytest.fixture
def active(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> tuple[Daemon, Sandbox, dict[str, Any], bytes, bytes]:
    """An hour's grant, active: (daemon, sandbox, request, policy before it, policy with it)."""
    original = sandbox_process.policy()
    request = grant(daemon_process, "1h")
    wait_for(lambda: daemon_process.request(request["id"])["state"] == "active")
    return daemon_process, sandbox_process, request, original, sandbox_process.policy()


def end(daemon: Daemon, sandbox: Sandbox, request: dict[str, Any], original: bytes) -> None:
    """Revoke the grant; the policy file is then byte for byte what it was before it."""
    daemon.api("POST", f"/v1/requests/{request['id']}/revoke", json={"comment": "done"})
    wait_for(lambda: sandbox.policy() == original)


def test_a_marked_entry_deleted_by_hand_is_restored_within_one_resync(
    active: tuple[Daemon, Sandbox, dict[str, Any], bytes, bytes],
) -> None:
    daemon, sandbox, request, original, granted = active
    pointer = marked_grant_pointer(granted, key_of(daemon), request["grant_id"])

    edited = edit_policy(sandbox, lambda tree: tree.remove(pointer))
    deleted_at = time.monotonic()
    assert f"tailjit:grant id={request['grant_id']}".encode() not in edited

    wait_for(lambda: sandbox.policy() == granted, ONE_RESYNC)
    assert time.monotonic() - deleted_at <= ONE_RESYNC
    [found] = wait_for(lambda: drift(daemon, "missing-entry"))
    assert found["subject"] == f"grant:{request['grant_id']}"
    assert drift(daemon, "hand-edit")
    assert daemon.request(request["id"])["state"] == "active"
    end(daemon, sandbox, request, original)


def test_a_grant_whose_destination_is_removed_by_hand_is_revoked_and_holds_up_nothing(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    """A person removes the web-staging alias together with the grant's entry: tailjit cannot
    write the entry back (the tailnet would refuse the policy), so it revokes the grant, and
    the next grant is written as usual."""
    daemon, sandbox = daemon_process, sandbox_process
    staging = grant(daemon, "1h", target="tcp:web-staging:443")
    wait_for(lambda: daemon.request(staging["id"])["state"] == "active")
    pointer = marked_grant_pointer(sandbox.policy(), key_of(daemon), staging["grant_id"])

    edit_policy(sandbox, lambda tree: tree.remove(pointer).remove("/hosts/web-staging"))

    wait_for(lambda: daemon.request(staging["id"])["state"] == "revoked", ONE_RESYNC)
    assert staging["grant_id"].encode() not in sandbox.policy()  # its posture entry too
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    [revoked] = [r for r in records if r["event"] == "grant.revoked"]
    assert revoked["actor"] == "tailjit"
    assert "no host alias web-staging" in revoked["sentence"] + json.dumps(revoked["data"])
    assert not [r for r in records if r["event"] == "reconcile.failed"]
    after = grant(daemon, "1h")
    wait_for(lambda: daemon.request(after["id"])["state"] == "active")


def test_a_marked_entry_widened_by_hand_is_put_back_and_reported(
    active: tuple[Daemon, Sandbox, dict[str, Any], bytes, bytes],
) -> None:
    daemon, sandbox, request, original, granted = active
    pointer = marked_grant_pointer(granted, key_of(daemon), request["grant_id"])

    edited = edit_policy(sandbox, lambda tree: tree.replace(pointer + "/dst", ["*"]))
    assert parse(edited).find(pointer + "/dst").to_python() == ["*"]

    wait_for(lambda: sandbox.policy() == granted, ONE_RESYNC)
    [found] = wait_for(lambda: drift(daemon, "altered-entry"))
    assert found["subject"] == f"grant:{request['grant_id']}"
    assert not drift(daemon, "missing-entry")  # put back, not reported twice
    end(daemon, sandbox, request, original)


FAR_FUTURE = "2099-01-01T00:00:00Z"
FORGED = {
    # A well-formed marker that claims an id and a far-future expiry: the MAC gives it away.
    "wrong MAC": (
        f"// tailjit:grant id=F0RGED00 exp={FAR_FUTURE} mac={'0' * 32}",
        "grant:F0RGED00",
    ),
    # Not a marker tailjit could have written: no id to trust, so the entry is named by place.
    "missing MAC": (f"// tailjit:grant id=F0RGED00 exp={FAR_FUTURE}", "policy:/grants/3"),
    "garbled MAC": (f"// tailjit:grant id=F0RGED00 exp={FAR_FUTURE} mac=xyz", "policy:/grants/3"),
}


@pytest.mark.parametrize(("marker", "subject"), FORGED.values(), ids=FORGED.keys())
def test_an_entry_added_by_hand_with_a_forged_marker_is_removed_and_reported(
    daemon_process: Daemon, sandbox_process: Sandbox, marker: str, subject: str
) -> None:
    daemon, sandbox = daemon_process, sandbox_process
    original = sandbox.policy()
    forged = {"src": ["bob@example.com"], "dst": ["db-prod"], "ip": ["tcp:5432"]}

    edited = edit_policy(sandbox, lambda tree: tree.append("/grants", forged, comments=[marker]))
    assert marker.encode() in edited

    wait_for(lambda: sandbox.policy() == original, ONE_RESYNC)
    [found] = wait_for(lambda: drift(daemon, "forged-entry"))
    assert found["subject"] == subject
    assert not sandbox.check("bob@example.com", "db-prod:5432")


def test_a_stray_tailjit_attribute_is_deleted_and_reported(
    daemon_process: Daemon, sandbox_process: Sandbox
) -> None:
    daemon, sandbox = daemon_process, sandbox_process
    original = sandbox.policy()
    node = device_id(sandbox, "bob-laptop")
    with sandbox.http() as client:
        reply = client.post(
            f"/api/v2/device/{node}/attributes/custom:tailjit_STRAY000", json={"value": True}
        )
        reply.raise_for_status()
    assert sandbox.attributes("bob-laptop") == {"custom:tailjit_STRAY000": True}

    wait_for(lambda: sandbox.attributes("bob-laptop") == {}, ONE_RESYNC)
    [found] = wait_for(lambda: drift(daemon, "stray-attribute"))
    assert found["subject"] == f"device:{node}"
    assert "custom:tailjit_STRAY000" in found["sentence"]
    assert sandbox.policy() == original
