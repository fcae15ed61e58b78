"""``tailjit audit verify`` and ``tailjit audit export``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tailjit.cli import main
from tailjit.requests import Submission, plan_approve, plan_submit
from tailjit.requests.testing import ALICE, BOB, DIRECTORY, T0, TARGET, FakeClock, Ids, make_rules
from tailjit.store import AuditRecord, Store, verify_chain


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with three audit records."""
    path = tmp_path / "tailjit.db"
    ids = Ids()
    with Store.open(path, clock=FakeClock()) as store:
        for _ in range(2):
            request_id, grant_id = ids.next()
            request = store.commit(
                plan_submit(
                    Submission(ALICE, TARGET, reason="INC-1"),
                    rules=make_rules(),
                    now=T0,
                    request_id=request_id,
                    grant_id=grant_id,
                    directory=DIRECTORY,
                )
            )
        store.commit(plan_approve(request, approver=BOB, now=T0, directory=DIRECTORY))
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verify_reports_an_intact_log(db: Path) -> None:
    code, out, _ = run("audit", "verify", "--db", str(db))

    assert code == 0
    assert out.startswith("audit log OK: 3 records, head ")


def test_verify_names_the_first_bad_record_and_exits_1(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET actor = 'mallory@example.com' WHERE seq = 2")
    conn.commit()
    conn.close()

    code, out, _ = run("audit", "verify", "--db", str(db))

    assert code == 1
    assert out == (
        "audit log BROKEN at record #2: altered: its content does not match its hash "
        "(request.created)\n"
    )


def test_verify_json(db: Path) -> None:
    code, out, _ = run("audit", "verify", "--db", str(db), "--json")

    assert code == 0
    result = json.loads(out)
    assert result["ok"] is True
    assert (result["records"], result["first_bad"], result["problem"]) == (3, None, None)


def test_verify_does_not_create_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"

    code, _, err = run("audit", "verify", "--db", str(missing))

    assert code == 2
    assert "does not exist" in err
    assert not missing.exists()


def test_verify_refuses_a_file_that_is_not_a_tailjit_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()

    code, _, err = run("audit", "verify", "--db", str(other))

    assert code == 1
    assert "is not a tailjit database" in err


def test_export_writes_jsonl_that_verifies(db: Path, tmp_path: Path) -> None:
    output = tmp_path / "audit.jsonl"

    code, out, err = run(
        "audit", "export", "--db", str(db), "--format", "jsonl", "--output", str(output)
    )

    assert code == 0
    assert out == ""
    assert err == f"exported 3 audit records to {output}\n"
    records = [AuditRecord.from_dict(json.loads(line)) for line in output.read_text().splitlines()]
    assert [r.event for r in records] == ["request.created", "request.created", "request.approved"]
    assert verify_chain(records).ok


def test_export_to_standard_output(db: Path) -> None:
    code, out, _ = run("audit", "export", "--db", str(db), "--format", "jsonl")

    assert code == 0
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [1, 2, 3]
