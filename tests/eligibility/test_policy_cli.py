"""`tailjit policy check FILE`: every issue as FILE:LINE:COL, exit 1 on any error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tailjit.cli import main
from tailjit.sandbox.seed import DEMO_POLICY_TEMPLATE

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
DEMO = POLICY_DIR / "examples" / "sandbox-demo.hujson"

BAD = """{
	"eligibilities": [
		{
			"name": "db",
			"requesters": ["group:ghosts"],
			"destinations": ["db-prod:5432"],
			"maxDuraton": "4h",
			"approval": {"stages": [{"approvers": ["bob@example.com"]}]},
		},
	],
}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_clean_file_exits_0(tmp_path: Path) -> None:
    tailnet = _write(tmp_path, "tailnet.hujson", DEMO_POLICY_TEMPLATE)

    result = CliRunner().invoke(
        main, ["policy", "check", str(DEMO), "--tailnet-policy", str(tailnet)]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"{DEMO}: 0 error(s), 0 warning(s)\n"


def test_every_issue_is_printed_with_file_line_and_column(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.hujson", BAD)
    tailnet = _write(tmp_path, "tailnet.hujson", DEMO_POLICY_TEMPLATE)

    result = CliRunner().invoke(
        main, ["policy", "check", str(bad), "--tailnet-policy", str(tailnet)]
    )

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f'{bad}:3:3: E102 error: missing field "maxDuration" (/eligibilities/0/maxDuration)',
        f"{bad}:5:19: E202 error: group:ghosts is not a group of the tailnet policy "
        "(/eligibilities/0/requesters/0)",
        f'{bad}:7:4: E101 error: unknown field "maxDuraton"; did you mean "maxDuration"? '
        "(/eligibilities/0/maxDuraton)",
    ]
    assert result.stderr == f"{bad}: 3 error(s), 0 warning(s)\n"


def test_groups_are_only_checked_with_a_tailnet_policy(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.hujson", BAD)

    result = CliRunner().invoke(main, ["policy", "check", str(bad)])

    assert result.exit_code == 1
    assert "E202" not in result.stdout


def test_json_prints_a_list_of_issues(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.hujson", BAD)

    result = CliRunner().invoke(main, ["policy", "check", "--json", str(bad)])

    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert issues[1] == {
        "code": "E101",
        "name": "unknown-field",
        "severity": "error",
        "path": "/eligibilities/0/maxDuraton",
        "line": 7,
        "column": 4,
        "message": 'unknown field "maxDuraton"; did you mean "maxDuration"?',
    }


def test_json_of_a_clean_file_is_an_empty_list() -> None:
    result = CliRunner().invoke(main, ["policy", "check", "--json", str(DEMO)])

    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    text = (
        BAD.replace('"group:ghosts"', '"alice@example.com"')
        .replace('"maxDuraton": "4h"', '"maxDuration": "4h", "reasonRequired": true')
        .replace('"db-prod:5432"]', '"db-prod:5432", "db-prod:5432"]')
    )
    path = _write(tmp_path, "warn.hujson", text)

    result = CliRunner().invoke(main, ["policy", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert "W301 warning: db-prod:5432 is listed twice" in result.stdout


def test_a_syntax_error_is_an_issue_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.hujson", '{\n\t"eligibilities": [,\n}\n')

    result = CliRunner().invoke(main, ["policy", "check", str(path)])

    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:2:20: E001 error: ")


def test_a_broken_tailnet_policy_is_a_usage_error(tmp_path: Path) -> None:
    tailnet = _write(tmp_path, "tailnet.hujson", "{")

    result = CliRunner().invoke(
        main, ["policy", "check", str(DEMO), "--tailnet-policy", str(tailnet)]
    )

    assert result.exit_code == 1
    assert f"Error: {tailnet}: line" in result.stderr


def test_the_installed_command_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tailjit", "policy", "check", str(DEMO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
