"""The daemon commands against the fake daemon: what they send, print and exit with."""

from __future__ import annotations

import json
from typing import Any

import pytest

ALICE = "alice@example.com"
ALICE_TOKEN = "alice-token-0123456789abcdefghijklmnopqrstuv"

# --- local checks: exit 2 before any call --------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["grant", ALICE, "db-prod:5432", "1y"], "DURATION"),
        (["grant", ALICE, "db-prod:70000", "1h"], "HOST:PORT"),
        (["grant", ALICE, "db-prod", "1h"], "HOST:PORT"),
        (["grant", ALICE, "tcp:db-prod:22", "1h"], "HOST:PORT"),
        (["grant", "not a login", "db-prod:22", "1h"], "USER"),
        (["grant", ALICE, "db-prod:22", "1h", "--proto", "carrier-pigeon"], "--proto"),
        (["grant", ALICE, "db-prod:22", "1h", "--proto", "icmp"], "HOST:PORT"),
        (["request", "db-prod:0"], "HOST:PORT"),
        (["request", "db-prod:22", "0s"], "DURATION"),
        (["extend", "R0000001", "forever"], "DURATION"),
        (["approve", "not-an-id"], "ID"),
        (["ls", "--user", "bob"], "--user"),
    ],
)
def test_bad_arguments_are_exit_2_naming_them_before_any_call(
    daemon: Any, tailjit: Any, args: list[str], named: str
) -> None:
    result = tailjit(*args, "--yes") if args[0] == "grant" else tailjit(*args)

    assert result.exit_code == 2, result.output
    assert named in result.stderr
    assert daemon.calls == []


# --- grant ---------------------------------------------------------------------------------


def test_grant_previews_asks_and_grants_on_yes(daemon: Any, tailjit: Any, tty: None) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h", input="y\n")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/preview") == {"user": ALICE, "target": "tcp:db-prod:5432"}
    assert result.stdout.splitlines() == [
        f"granting tcp:db-prod:5432 to {ALICE} newly opens:",
        "  alice-laptop -> db-prod:5432 (tcp)",
        "Grant? [y/N]: y",
        "request R0000001, grant G0000001: active until 2026-01-01T13:00:00Z",
    ]
    assert daemon.body("POST", "/v1/grants") == {
        "user": ALICE,
        "target": "tcp:db-prod:5432",
        "duration": "1h",
        "reason": None,
        "ticket": None,
        "override": None,
        "dry_run": False,
    }


def test_grant_answered_no_grants_nothing_and_exits_1(daemon: Any, tailjit: Any, tty: None) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h", input="\n")

    assert result.exit_code == 1
    assert "nothing granted" in result.stdout
    assert daemon.sent("POST", "/v1/grants") == []


def test_grant_says_when_nothing_new_opens(daemon: Any, tailjit: Any) -> None:
    daemon.opens = []

    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--yes")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"nothing new: {ALICE} already has this access")


def test_grant_without_a_terminal_needs_yes(daemon: Any, tailjit: Any) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h")

    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert daemon.calls == []


def test_grant_json_needs_yes_too(daemon: Any, tailjit: Any, tty: None) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--json")

    assert result.exit_code == 2
    assert daemon.calls == []


def test_grant_json_prints_the_summary_and_the_request(daemon: Any, tailjit: Any) -> None:
    result = tailjit(
        "grant", ALICE, "db-prod:5432", "90m", "--json", "--yes", "--override", "incident 42"
    )

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert {k: v for k, v in printed.items() if k != "request"} == {
        "id": "R0000001",
        "grant_id": "G0000001",
        "state": "active",
        "expires_at": "2026-01-01T13:00:00Z",
        "override": True,
        "opens": daemon.opens,
    }
    assert printed["request"] == daemon.requests["R0000001"]
    assert daemon.body("POST", "/v1/grants")["duration"] == "1h30m"
    assert daemon.sent("POST", "/v1/preview") == []


def test_grant_override_is_flagged_in_the_summary(daemon: Any, tailjit: Any) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--yes", "--override", "incident")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("[OVERRIDE]")


def test_grant_no_wait_prints_the_state_it_was_granted_in(daemon: Any, tailjit: Any) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--yes", "--no-wait")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "request R0000001, grant G0000001: approved"
    assert daemon.sent("GET", "/v1/requests/R0000001") == []


def test_grant_waits_polling_until_active(daemon: Any, tailjit: Any) -> None:
    daemon.polls_until_active = 3

    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--yes")

    assert result.exit_code == 0, result.output
    assert len(daemon.sent("GET", "/v1/requests/R0000001")) == 3
    assert "active until" in result.stdout


def test_grant_that_never_activates_times_out_with_exit_6(daemon: Any, tailjit: Any) -> None:
    daemon.polls_until_active = None

    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--yes", "--timeout", "0.05")

    assert result.exit_code == 6
    assert "still approved after 0.05s" in result.stderr


def test_grant_sends_the_protocol_prefix(daemon: Any, tailjit: Any) -> None:
    result = tailjit("grant", ALICE, "dns:53", "1h", "--yes", "--proto", "udp", "--no-wait")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/preview")["target"] == "udp:dns:53"
    assert daemon.body("POST", "/v1/grants")["target"] == "udp:dns:53"


def test_grant_dry_run_prints_the_plan_and_changes_nothing(daemon: Any, tailjit: Any) -> None:
    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--dry-run")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/grants")["dry_run"] is True
    assert daemon.requests == {}
    assert f"submit a new request by {'carol@example.com'}: allowed" in result.stdout


def test_grant_of_an_unknown_host_is_exit_2_from_the_daemon(daemon: Any, tailjit: Any) -> None:
    result = tailjit("grant", ALICE, "nowhere:22", "1h", "--yes", "--no-wait")

    assert result.exit_code == 2
    assert "invalid target: no such host (invalid-input)" in result.stderr


def test_grant_by_a_non_admin_is_exit_1(
    daemon: Any, tailjit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAILJIT_TOKEN", ALICE_TOKEN)

    result = tailjit("grant", ALICE, "db-prod:5432", "1h", "--yes")

    assert result.exit_code == 1
    assert "not an admin (not-an-admin)" in result.stderr


# --- request and the actions ----------------------------------------------------------------


def test_request_sends_everything_and_names_the_approvers(daemon: Any, tailjit: Any) -> None:
    result = tailjit("request", "db-prod:5432", "30m", "--reason", "fix it", "--ticket", "T-1")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/requests") == {
        "target": "tcp:db-prod:5432",
        "duration": "30m",
        "reason": "fix it",
        "ticket": "T-1",
        "breakglass": False,
        "dry_run": False,
    }
    assert result.stdout.splitlines() == [
        "request R0000001: pending (lapses at 2026-01-02T12:00:00Z unless approved), "
        "eligibility db-oncall",
        "waiting for approval by one of: carol@example.com, group:sre",
    ]


def test_request_without_duration_sends_null(daemon: Any, tailjit: Any) -> None:
    result = tailjit("request", "db-prod:5432", "--breakglass", "--json")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/requests")["duration"] is None
    assert daemon.body("POST", "/v1/requests")["breakglass"] is True
    assert set(json.loads(result.stdout)) == {"request", "plan"}


def test_refused_dry_run_prints_the_refusal_and_exits_1(daemon: Any, tailjit: Any) -> None:
    result = tailjit("request", "db-prod:5432", "--dry-run")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "submit a new request by carol@example.com: REFUSED (not-eligible)",
        "  refused: carol@example.com may not reach it",
        "  why: no eligibility matches",
    ]


def test_refused_dry_run_json_is_the_daemons_answer_and_exit_1(daemon: Any, tailjit: Any) -> None:
    result = tailjit("request", "db-prod:5432", "--dry-run", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["plan"]["allowed"] is False


def test_approve_waits_for_the_grant_when_it_approves(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "pending")

    result = tailjit("approve", "r0000001", "--comment", "ok")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/requests/R0000001/approve") == {
        "comment": "ok",
        "dry_run": False,
    }
    assert result.stdout == "request R0000001, grant G0000001: active until 2026-01-01T13:00:00Z\n"


def test_approve_json_prints_the_request_after_waiting(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "pending")

    result = tailjit("approve", "R0000001", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["request"]["state"] == "active"


def test_approve_of_an_unknown_request_is_exit_5(daemon: Any, tailjit: Any) -> None:
    result = tailjit("approve", "R0000009")

    assert result.exit_code == 5
    assert "not-found" in result.stderr


def test_self_approval_is_exit_1(
    daemon: Any, tailjit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "pending")
    monkeypatch.setenv("TAILJIT_TOKEN", ALICE_TOKEN)

    result = tailjit("approve", "R0000001")

    assert result.exit_code == 1
    assert "self-approval-forbidden" in result.stderr


def test_action_in_the_wrong_state_is_exit_1(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "denied")

    result = tailjit("deny", "R0000001", "--comment", "no")

    assert result.exit_code == 1
    assert "transition-not-allowed" in result.stderr


@pytest.mark.parametrize(
    ("action", "state", "body", "after"),
    [
        ("deny", "pending", {"comment": "no", "dry_run": False}, "denied"),
        ("revoke", "active", {"comment": "no", "dry_run": False}, "revoked"),
        ("cancel", "pending", {"dry_run": False}, "cancelled"),
        ("release", "active", {"dry_run": False}, "released"),
    ],
)
def test_actions_post_their_body_and_print_the_new_state(
    daemon: Any, tailjit: Any, action: str, state: str, body: dict[str, Any], after: str
) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", state)
    extra = ["--comment", "no"] if "comment" in body else []

    result = tailjit(action, "R0000001", *extra)

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", f"/v1/requests/R0000001/{action}") == body
    assert f": {after}" in result.stdout


def test_extend_sends_the_canonical_duration(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "active")

    result = tailjit("extend", "R0000001", "60m")

    assert result.exit_code == 0, result.output
    assert daemon.body("POST", "/v1/requests/R0000001/extend") == {
        "duration": "1h",
        "dry_run": False,
    }
    assert "active until 2026-01-01T14:00:00Z" in result.stdout


def test_revoke_dry_run_prints_the_plan(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "active")

    result = tailjit("revoke", "R0000001", "--dry-run")

    assert result.exit_code == 0, result.output
    assert daemon.requests["R0000001"]["state"] == "active"
    assert "state: active -> revoked" in result.stdout


# --- reading --------------------------------------------------------------------------------


def test_ls_asks_for_live_states_by_default_and_prints_a_table(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "active", override=True, eligibility=None)
    daemon.add("bob@example.com", "tcp:web:443", "pending", origin="breakglass")
    daemon.add(ALICE, "tcp:db-prod:5432", "expired")

    result = tailjit("ls")

    assert result.exit_code == 0, result.output
    (call,) = daemon.sent("GET", "/v1/requests")
    assert call.url.params.get_list("state") == ["pending", "approved", "active"]
    assert result.stdout.splitlines() == [
        "ID        USER               TARGET            STATE    EXPIRES/LAPSES        "
        "ELIGIBILITY  FLAGS",
        "R0000001  alice@example.com  tcp:db-prod:5432  active   2026-01-01T13:00:00Z  "
        "-            OVERRIDE",
        "R0000002  bob@example.com    tcp:web:443       pending  2026-01-02T12:00:00Z  "
        "db-oncall    BREAKGLASS",
    ]


def test_ls_filters_become_query_parameters(daemon: Any, tailjit: Any) -> None:
    result = tailjit(
        "ls", "--state", "expired", "--state", "revoked", "--user", "Alice@Example.com"
    )

    assert result.exit_code == 0, result.output
    (call,) = daemon.sent("GET", "/v1/requests")
    assert call.url.params.get_list("state") == ["expired", "revoked"]
    assert call.url.params["requester"] == ALICE
    assert result.stdout == "no requests\n"


def test_ls_all_sends_no_state(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "expired")

    result = tailjit("ls", "--all", "--json")

    assert result.exit_code == 0, result.output
    (call,) = daemon.sent("GET", "/v1/requests")
    assert "state" not in call.url.params
    assert json.loads(result.stdout) == {"requests": list(daemon.requests.values())}


def test_show_prints_fields_and_approvals(daemon: Any, tailjit: Any) -> None:
    daemon.add(ALICE, "tcp:db-prod:5432", "pending")
    assert tailjit("approve", "R0000001", "--comment", "go", "--no-wait").exit_code == 0

    result = tailjit("show", "R0000001")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["id: R0000001", "grant: G0000001", f"requester: {ALICE}"]
    assert "override: no" in lines
    assert "approval: stage 1 by carol@example.com at 2026-01-01T12:00:00Z: go" in lines


def test_show_json_is_the_daemons_answer(daemon: Any, tailjit: Any) -> None:
    found = daemon.add(ALICE, "tcp:db-prod:5432", "active")

    result = tailjit("show", "R0000001", "--json")

    assert json.loads(result.stdout) == {"request": found}


def test_plan_prints_summary_and_operations(daemon: Any, tailjit: Any) -> None:
    result = tailjit("plan")

    assert result.exit_code == 0, result.output
    assert result.stdout == "1 operation(s)\n  write 2 member(s) to group:eng\n"


def test_audit_log_sends_limit_and_after(daemon: Any, tailjit: Any) -> None:
    result = tailjit("audit", "log", "--after", "7", "--limit", "2")

    assert result.exit_code == 0, result.output
    (call,) = daemon.sent("GET", "/v1/audit")
    assert dict(call.url.params) == {"limit": "2", "after": "7"}
    assert result.stdout.splitlines()[0] == (
        f"1 2026-01-01T12:00:00Z {ALICE} request.created R0000001: alice asked for db-prod:5432"
    )


def test_not_ready_daemon_is_exit_3(daemon: Any, tailjit: Any) -> None:
    daemon.fail_next = (503, "not-ready", "first cycle not verified yet")

    result = tailjit("ls")

    assert result.exit_code == 3
    assert "first cycle not verified yet (not-ready)" in result.stderr
