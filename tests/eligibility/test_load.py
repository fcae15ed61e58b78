"""Loading the eligibility file: every issue, each with its own code, path, line and column."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailjit import hujson
from tailjit.eligibility import (
    CODES,
    EligibilityInvalid,
    Severity,
    check_policy,
    load_policy,
    tailnet_groups,
)
from tailjit.eligibility._positions import Positions
from tailjit.ids import GroupName, Login
from tailjit.sandbox.seed import DEMO_POLICY_TEMPLATE

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
EXAMPLES = sorted((POLICY_DIR / "examples").glob("*.hujson"))
MARK = "▶"
"""Marks, in a case's text, where the issue must be reported; removed before loading."""

GROUPS = {
    GroupName("group:eng"): frozenset({Login("alice@example.com"), Login("bob@example.com")}),
    GroupName("group:dba"): frozenset({Login("carol@example.com")}),
}

OK_ENTRY = """{
		"name": "db",
		"requesters": ["alice@example.com"],
		"destinations": ["db-prod:5432"],
		"maxDuration": "4h",
		"approval": {"stages": [{"approvers": ["bob@example.com"]}]},
	}"""


def document(*entries: str, settings: str = "") -> str:
    """A policy file with these eligibility entries (HuJSON texts) and settings members."""
    body = ",\n\t\t".join(entries)
    return (
        "// a test policy\n{\n"
        f'\t"settings": {{{settings}}},\n'
        f'\t"eligibilities": [\n\t\t{body},\n\t],\n'
        "}\n"
    )


def entry(**members: str) -> str:
    """`OK_ENTRY` with members replaced (value None removes one) or added, as raw HuJSON."""
    lines = {
        "name": '"db"',
        "requesters": '["alice@example.com"]',
        "destinations": '["db-prod:5432"]',
        "maxDuration": '"4h"',
        "approval": '{"stages": [{"approvers": ["bob@example.com"]}]}',
    }
    for key, value in members.items():
        lines[key] = value
    inner = "".join(f'\n\t\t\t"{k}": {v},' for k, v in lines.items() if v != "-")
    return "{" + inner + "\n\t\t}"


def marked(text: str) -> tuple[str, int, int]:
    """The text without its mark, and the mark's line and column."""
    offset = text.index(MARK)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return text.replace(MARK, ""), line, column


HOURS = '"hours": {"start": "09:00", "end": "17:00", "timeZone": "UTC"}'

# (code, policy text with the mark where the issue is, known groups or None)
CASES: list[tuple[str, str, bool]] = [
    ("E001", '{"eligibilities": [▶}', False),
    ("E002", "// not an object\n▶[]", False),
    (
        "E101",
        document(
            entry(**{"maxDuraton": '"1h"', "-": "-"}).replace('"maxDuraton"', '▶"maxDuraton"')
        ),
        False,
    ),
    ("E102", document("▶" + entry(maxDuration="-")), False),
    ("E103", document(entry(maxDuration="▶4")), False),
    ("E103", '{"eligibilities": ▶{}}', False),
    ("E104", document(entry(mode='▶"posture+policy"')), False),
    ("E105", document(entry(maxExtensions="▶-1")), False),
    ("E106", document(entry(requesters='["alice@example.com", ▶"alice"]')), False),
    ("E107", document(entry(destinations='[▶"db-prod"]')), False),
    ("E108", document(entry(maxDuration='▶"4 hours"')), False),
    ("E109", document(entry(ticketPattern='▶"(INC"')), False),
    ("E110", document(entry(name='▶"DB Prod"')), False),
    ("E111", document(entry(mode='"posture"', attribute='▶"custom:tailjit_G7KQ2M3X"')), False),
    (
        "E112",
        document(
            entry(
                approval='{"stages": [{"approvers": ["bob@example.com"]}], "autoApprove": '
                '[{"hours": {"start": ▶"9am", "end": "17:00", "timeZone": "UTC"}}]}'
            )
        ),
        False,
    ),
    (
        "E113",
        document(
            entry(
                approval='{"stages": [{"approvers": ["bob@example.com"]}], "autoApprove": '
                '[{"hours": {"start": "09:00", "end": "17:00", "timeZone": ▶"Mars/Olympus"}}]}'
            )
        ),
        False,
    ),
    ("E114", document(entry(requesters="▶[]")), False),
    ("E201", document(entry(), entry(name='▶"db"')), False),
    ("E202", document(entry(requesters='["group:eng", ▶"group:ghosts"]')), True),
    ("E202", document(entry(), settings='"admins": [▶"group:ghosts"]'), True),
    ("E203", document(entry(maxDuration='▶"4h"'), settings='"maxDuration": "2h"'), False),
    (
        "E203",
        document(entry(breakGlass='{"users": ["bob@example.com"], "maxDuration": ▶"48h"}')),
        False,
    ),
    ("E204", document(entry(defaultDuration='▶"5h"')), False),
    ("E205", document(entry(approval='{"stages": [{"approvers": ▶[]}]}')), False),
    (
        "E206",
        document(entry(approval='{"stages": [{"approvers": ["group:dba"], "required": ▶2}]}')),
        True,
    ),
    ("E207", document(entry(mode='▶"posture"')), False),
    ("E207", document(entry(attribute='▶"custom:jit_db"')), False),
    (
        "E208",
        document(
            entry(
                approval='{"stages": [{"approvers": ["bob@example.com"]}], "autoApprove": '
                '[{"hours": ▶{"start": "09:00", "end": "09:00", "timeZone": "UTC"}}]}'
            )
        ),
        False,
    ),
    ("W301", document(entry(destinations='["db-prod:5432", ▶"db-prod:5432"]')), False),
    (
        "W302",
        document(
            entry(approval='{"stages": [{"approvers": ["bob@example.com"]}], "autoApprove": [▶{}]}')
        ),
        False,
    ),
    (
        "W303",
        document(
            entry(
                approval='{"stages": [{"approvers": ["bob@example.com"]}], "autoApprove": '
                '[{"destinations": [▶"web-staging:443"]}]}'
            )
        ),
        False,
    ),
    (
        "W304",
        document(
            entry(
                approval='{"stages": [{"approvers": ["bob@example.com"]}], "selfApproval": ▶true}'
            )
        ),
        False,
    ),
    (
        "W305",
        document(entry(approval='{"stages": [{"approvers": ▶["alice@example.com"]}]}')),
        False,
    ),
]


@pytest.mark.parametrize(
    ("code", "text", "with_groups"),
    CASES,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)],
)
def test_each_problem_has_its_own_code_line_and_column(
    code: str, text: str, with_groups: bool
) -> None:
    text, line, column = marked(text)

    result = check_policy(text, known_groups=GROUPS if with_groups else None)

    assert [(i.code, i.line, i.column) for i in result.issues] == [(code, line, column)], [
        i.format("policy") for i in result.issues
    ]
    assert result.ok is code.startswith("W")


def test_every_code_has_a_case() -> None:
    assert {code for code, _, _ in CASES} == set(CODES.values())


def test_the_issue_carries_path_name_severity_and_message() -> None:
    text, line, column = marked(
        document(entry(maxDuraton='"1h"').replace('"maxDuraton"', '▶"maxDuraton"'))
    )

    (issue,) = check_policy(text).issues

    assert issue.path == "/eligibilities/0/maxDuraton"
    assert issue.name == "unknown-field"
    assert issue.severity is Severity.ERROR
    assert issue.message == 'unknown field "maxDuraton"; did you mean "maxDuration"?'
    assert issue.format("p.hujson") == (
        f'p.hujson:{line}:{column}: E101 error: unknown field "maxDuraton"; did you mean '
        '"maxDuration"? (/eligibilities/0/maxDuraton)'
    )


def test_every_issue_is_collected_not_just_the_first() -> None:
    """Malformed entries do not hide problems elsewhere, even a duplicate of their own name."""
    text = document(
        entry(maxDuration="4", requesters='["nobody"]'),
        entry(maxDuration='"48h"'),
        entry(name='"other"', defaultDuration='"5h"', bogus="1"),
        settings='"admins": ["group:ghosts"]',
    )

    codes = [i.code for i in check_policy(text, known_groups=GROUPS).issues]

    assert sorted(codes) == ["E101", "E103", "E106", "E201", "E202", "E203", "E204"]


def test_issues_come_in_file_order() -> None:
    text = document(entry(name='"b"', maxDuration='"x"'), entry(name='"a"', mode='"y"'))

    issues = check_policy(text).issues

    assert [(i.line, i.column) for i in issues] == sorted((i.line, i.column) for i in issues)


def test_warnings_do_not_stop_loading() -> None:
    text = document(entry(destinations='["db-prod:5432", "db-prod:5432"]'))

    policy = load_policy(text)

    assert [e.name for e in policy.eligibilities] == ["db"]


def test_load_raises_with_every_issue() -> None:
    text = document(entry(maxDuration='"4 hours"'), entry(name='"db"'))

    with pytest.raises(EligibilityInvalid) as caught:
        load_policy(text)

    assert [i.code for i in caught.value.issues] == ["E108", "E201"]
    assert str(caught.value).startswith("invalid eligibility policy: line 9, column 19: ")
    assert str(caught.value).endswith("(and 1 more)")


def test_groups_are_not_checked_without_known_groups() -> None:
    text = document(entry(requesters='["group:anything"]'))

    assert check_policy(text).issues == []
    assert [i.code for i in check_policy(text, known_groups=set()).issues] == ["E202"]


def test_known_groups_may_be_a_plain_set() -> None:
    text = document(entry(requesters='["group:eng"]'))

    assert check_policy(text, known_groups={GroupName("group:eng")}).issues == []


def test_defaults_are_resolved() -> None:
    text = document(entry(maxDuration='"30m"'), entry(name='"long"'), settings='"pendingTtl": "3h"')

    short, long = load_policy(text).eligibilities

    assert short.default_duration == timedelta(minutes=30), "the shorter of 1h and maxDuration"
    assert long.default_duration == timedelta(hours=1)
    assert short.pending_ttl == timedelta(hours=3)
    assert short.mode == "policy+posture"
    assert short.devices == "all"
    assert short.self_approval is False
    assert short.reason_required is True
    assert short.max_extensions == 0


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_load_cleanly(path: Path) -> None:
    assert check_policy(path.read_bytes()).issues == []


def test_sandbox_demo_names_the_demo_tailnets_groups_and_people() -> None:
    groups = tailnet_groups(DEMO_POLICY_TEMPLATE)
    text = (POLICY_DIR / "examples" / "sandbox-demo.hujson").read_bytes()

    policy = load_policy(text, known_groups=groups)

    db_prod = policy.get("db-prod")
    assert db_prod is not None
    assert db_prod.max_duration == timedelta(hours=4)
    assert [str(d) for d in db_prod.destinations] == ["db-prod:5432"]
    assert db_prod.stages[0].approvers == ["bob@example.com", "carol@example.com"]
    assert db_prod.stages[0].required == 1
    web = policy.get("web-staging")
    assert web is not None
    assert web.self_approval is True
    assert web.max_duration == timedelta(hours=1)
    assert policy.is_admin(Login("carol@example.com"), ())


def test_tailnet_groups_keeps_the_groups_and_their_logins() -> None:
    text = '{"groups": {"group:a": ["A@x.com", "bad login"], "not-a-group": []}, // c\n}'

    assert tailnet_groups(text) == {GroupName("group:a"): frozenset({Login("a@x.com")})}


# --- positions --------------------------------------------------------------------------------

_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_json, st.sampled_from([None, 1, "\t"]))
def test_every_pointer_points_at_its_value(value: object, indent: int | str | None) -> None:
    text = "// lead\n" + json.dumps(value, indent=indent, ensure_ascii=False) + " /* tail */\n"
    tree = hujson.parse(text)

    positions = Positions.of(tree, text)

    for pointer, offset in positions.values.items():
        found = tree.find(pointer)
        assert found is not None
        packed = found.node
        raw = packed.raw if isinstance(packed, hujson.Literal) else hujson.Value("", packed).text()
        assert text[offset:].startswith(raw)


def test_the_readme_example_loads_cleanly() -> None:
    readme = (POLICY_DIR / "README.md").read_text()
    example = readme.split("```hujson\n", 1)[1].split("```", 1)[0]

    assert check_policy(example).issues == []
