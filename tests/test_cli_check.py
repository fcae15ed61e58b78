"""``tailjit check USER HOST:PORT --policy FILE``: the verdict, the rules, the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tailjit.cli import main

POLICY = """{
  "groups": {"group:dba": ["carol@example.com"]},
  "tagOwners": {"tag:prod": []},
  "hosts": {"db-prod": "100.64.0.5"},
  "postures": {"posture:jit": ["custom:jit == true"]},
  "grants": [
    {"src": ["group:dba"], "dst": ["db-prod"], "ip": ["tcp:5432"]},
    {"src": ["alice@example.com"], "dst": ["db-prod"], "ip": ["tcp:5432"],
     "srcPosture": ["posture:jit"]},
  ],
}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.hujson"
    path.write_text(POLICY)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.output


def test_an_accepted_connection_prints_the_rule_and_its_line(policy: Path) -> None:
    status, output = run("carol@example.com", "db-prod:5432", "--policy", str(policy))

    assert status == 0
    assert output == (
        "Accept: carol@example.com -> db-prod tcp:5432\n"
        "  allowed by grants[0] (line 7): src group:dba, dst db-prod, tcp:5432\n"
    )


def test_a_dropped_connection_exits_1_and_names_the_posture_it_lacks(policy: Path) -> None:
    status, output = run("alice@example.com", "db-prod:5432", "--policy", str(policy))

    assert status == 1
    assert output.splitlines() == [
        "Drop: alice@example.com -> db-prod tcp:5432 (no rule allows it)",
        "  blocked by posture: grants[1] (line 8): src alice@example.com, dst db-prod, tcp:5432"
        " when posture:jit: posture:jit: custom:jit == true",
    ]


def test_posture_attributes_and_json_output(policy: Path) -> None:
    status, output = run(
        "alice@example.com",
        "db-prod:5432",
        "--policy",
        str(policy),
        "--attr",
        "custom:jit=true",
        "--json",
    )

    decision = json.loads(output)
    assert status == 0
    assert (decision["verdict"], decision["proto"], decision["port"]) == ("Accept", "tcp", 5432)
    assert [(m["rule"], m["line"]) for m in decision["matches"]] == [("grants[1]", 8)]


def test_without_a_policy_it_says_what_is_needed() -> None:
    status, output = run("alice@example.com", "db-prod:5432")

    assert status == 2
    assert "pass --policy FILE" in output


def test_an_invalid_policy_lists_every_issue_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hujson"
    bad.write_text('{\n  "grants": [{"src": ["group:x"], "dst": ["tag:y"], "ip": ["*"]}],\n}\n')

    status, output = run("alice@example.com", "db:1", "--policy", str(bad))

    assert status == 2
    assert f'{bad}: line 2, column 23: src=group not found: "group:x"' in output
    assert f'{bad}: line 2, column 43: dst=tag not found: "tag:y"' in output


def test_unknown_names_and_malformed_targets_are_refused(policy: Path) -> None:
    assert run("alice@example.com", "nowhere:22", "--policy", str(policy))[0] == 2
    assert run("alice@example.com", "db-prod", "--policy", str(policy))[0] == 2
    assert run("alice@example.com", "db-prod:22", "--policy", str(policy), "--attr", "x")[0] == 2
