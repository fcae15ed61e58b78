"""Domain queries: which eligibilities allow a request, auto-approval at exact times, approvers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tailjit.eligibility import EligibilityPolicy, load_policy
from tailjit.ids import GroupName, Login
from tailjit.targets import parse_target

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
ALICE, BOB, CAROL, DAVE = (
    Login("alice@example.com"),
    Login("bob@example.com"),
    Login("carol@example.com"),
    Login("dave@example.com"),
)
ENG, SRE = GroupName("group:eng"), GroupName("group:sre")
NOON = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday

POLICY = """{
	"settings": {"admins": ["group:sre", "carol@example.com"]},
	"eligibilities": [
		{
			"name": "db",
			"requesters": ["alice@example.com", "group:sre"],
			"destinations": ["db-prod:5432", "tcp:10.0.0.0/24:8000-8100"],
			"maxDuration": "4h",
			"approval": {
				"stages": [
					{"approvers": ["bob@example.com", "group:sre"]},
					{"approvers": ["carol@example.com"]},
				],
			},
			"breakGlass": {"users": ["group:sre"], "maxDuration": "1h"},
		},
		{
			"name": "staging",
			"requesters": ["group:eng"],
			"destinations": ["tcp:tag:staging:*"],
			"maxDuration": "8h",
			"approval": {
				"stages": [{"approvers": ["group:eng"]}],
				"selfApproval": true,
				"autoApprove": [
					{
						"requesterIn": ["group:sre"],
						"destinations": ["tcp:tag:staging:443"],
					},
					{
						"destinations": ["tcp:tag:staging:22"],
						"hours": {
							"days": ["mon", "tue", "wed", "thu", "fri"],
							"start": "08:00",
							"end": "19:00",
							"timeZone": "Europe/Berlin",
						},
					},
				],
			},
		},
		{
			"name": "nights",
			"requesters": ["group:sre"],
			"destinations": ["tag:prod:22"],
			"maxDuration": "2h",
			"approval": {
				"stages": [{"approvers": ["carol@example.com"]}],
				"autoApprove": [
					{
						"hours": {
							"days": ["fri"],
							"start": "22:00",
							"end": "06:00",
							"timeZone": "America/New_York",
						},
					},
					{
						"hours": {
							"days": ["sun"], "start": "20:00", "end": "24:00", "timeZone": "UTC",
						},
					},
				],
			},
		},
	],
}"""


@pytest.fixture(scope="module")
def policy() -> EligibilityPolicy:
    return load_policy(POLICY)


class Members:
    """A membership lookup (the `Directory` protocol) from a plain mapping."""

    def __init__(self, groups: dict[GroupName, Collection[Login]]) -> None:
        self.groups = groups

    def members(self, group: GroupName) -> frozenset[Login]:
        return frozenset(self.groups.get(group, ()))


@pytest.mark.parametrize(
    ("requester", "groups", "target", "allowed"),
    [
        (ALICE, (), "db-prod:5432", ["db"]),
        (ALICE, (), "tcp:db-prod:5432", ["db"]),
        (ALICE, (), "db-prod:5433", []),
        (ALICE, (), "db-prod:*", []),
        (ALICE, (), "tcp:10.0.0.7:8080", ["db"]),
        (ALICE, (), "tcp:10.0.0.0/25:8000-8100", ["db"]),
        (ALICE, (), "10.0.0.7:8080", []),  # without a protocol: TCP, UDP and ICMP, wider
        (ALICE, (), "tcp:10.0.0.0/23:8080", []),
        (ALICE, (ENG,), "tcp:tag:staging:22", ["staging"]),
        (ALICE, (), "tcp:tag:staging:22", []),
        (BOB, (ENG,), "tcp:tag:staging:1-65535", ["staging"]),
        (DAVE, (SRE,), "db-prod:5432", ["db"]),
        (DAVE, (SRE,), "tag:prod:22", ["nights"]),
        (DAVE, (SRE,), "tcp:tag:prod:22", ["nights"]),
        (DAVE, (SRE,), "tag:prod:23", []),
        (CAROL, (), "db-prod:5432", []),
    ],
)
def test_which_eligibilities_allow_a_request(
    policy: EligibilityPolicy,
    requester: Login,
    groups: tuple[GroupName, ...],
    target: str,
    allowed: list[str],
) -> None:
    matches = policy.match(requester, groups, parse_target(target), now=NOON)

    assert [m.eligibility.name for m in matches] == ["db", "staging", "nights"], "one per entry"
    assert [m.eligibility.name for m in matches if m.allowed] == allowed
    assert [
        m.eligibility.name
        for m in policy.allowed(requester, groups, parse_target(target), now=NOON)
    ] == allowed


def test_a_match_says_why_not(policy: EligibilityPolicy) -> None:
    db, staging, _ = policy.match(ALICE, (), parse_target("db-prod:5433"), now=NOON)

    assert db.reasons == (
        "db-prod:5433 is not within any destination (db-prod:5432, tcp:10.0.0.0/24:8000-8100)",
    )
    assert staging.reasons == (
        "alice@example.com is not among the requesters (group:eng)",
        "db-prod:5433 is not within any destination (tcp:tag:staging:*)",
    )
    assert db.destination is None


def test_a_match_names_the_destination_that_covers_the_request(policy: EligibilityPolicy) -> None:
    db = policy.match(ALICE, (), parse_target("tcp:10.0.0.7:8080"), now=NOON)[0]

    assert db.allowed
    assert str(db.destination) == "tcp:10.0.0.0/24:8000-8100"
    assert db.reasons == ()


def _berlin(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time in January 2026 in Berlin (UTC+1): the 5th is a Monday."""
    return datetime(2026, 1, day, hour, minute, second, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    ("requester", "groups", "target", "now", "rule"),
    [
        # rule 0: an SRE on 443, at any time
        (DAVE, (SRE, ENG), "tcp:tag:staging:443", _berlin(10, 3), 0),
        (ALICE, (ENG,), "tcp:tag:staging:443", _berlin(7, 12), None),
        # rule 1: port 22 in Berlin working hours, Monday to Friday, 08:00 to 19:00
        (ALICE, (ENG,), "tcp:tag:staging:22", _berlin(5, 7, 59, 59), None),
        (ALICE, (ENG,), "tcp:tag:staging:22", _berlin(5, 8), 1),
        (ALICE, (ENG,), "tcp:tag:staging:22", _berlin(9, 18, 59, 59), 1),
        (ALICE, (ENG,), "tcp:tag:staging:22", _berlin(9, 19), None),
        (ALICE, (ENG,), "tcp:tag:staging:22", _berlin(10, 12), None),  # Saturday
        (ALICE, (ENG,), "tcp:tag:staging:22", datetime(2026, 1, 5, 7, 0, tzinfo=UTC), 1),
        (ALICE, (ENG,), "tcp:tag:staging:22", datetime(2026, 1, 5, 6, 59, tzinfo=UTC), None),
        # summer time: 08:00 in Berlin is 06:00 UTC
        (ALICE, (ENG,), "tcp:tag:staging:22", datetime(2026, 7, 1, 6, 0, tzinfo=UTC), 1),
        (ALICE, (ENG,), "tcp:tag:staging:22", datetime(2026, 7, 1, 5, 59, tzinfo=UTC), None),
        # a narrower request is still within the rule's destination; a wider one is not
        (ALICE, (ENG,), "tcp:tag:staging:22-23", _berlin(5, 9), None),
    ],
)
def test_auto_approval_at_exact_times(
    policy: EligibilityPolicy,
    requester: Login,
    groups: tuple[GroupName, ...],
    target: str,
    now: datetime,
    rule: int | None,
) -> None:
    staging = policy.get("staging")
    assert staging is not None

    decision = staging.auto_approval(requester, groups, parse_target(target), now=now)

    assert decision.approved is (rule is not None)
    assert decision.rule == rule


def _new_york(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in January 2026 in New York (UTC-5): the 9th is a Friday."""
    return datetime(2026, 1, day, hour, minute, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    ("now", "approved"),
    [
        (_new_york(9, 21, 59), False),  # Friday, before the window
        (_new_york(9, 22, 0), True),
        (_new_york(10, 5, 59), True),  # Saturday morning: Friday's window runs overnight
        (_new_york(10, 6, 0), False),
        (_new_york(10, 23, 0), False),  # Saturday night: no window starts on Saturday
        (_new_york(8, 23, 0), False),  # Thursday night
        (datetime(2026, 1, 11, 19, 59, tzinfo=UTC), False),  # Sunday UTC, 20:00 to 24:00
        (datetime(2026, 1, 11, 20, 0, tzinfo=UTC), True),
        (datetime(2026, 1, 11, 23, 59, 59, 999999, tzinfo=UTC), True),
        (datetime(2026, 1, 12, 0, 0, tzinfo=UTC), False),
    ],
)
def test_overnight_and_midnight_windows(
    policy: EligibilityPolicy, now: datetime, approved: bool
) -> None:
    nights = policy.get("nights")
    assert nights is not None

    decision = nights.auto_approval(DAVE, (SRE,), parse_target("tag:prod:22"), now=now)

    assert decision.approved is approved


def test_auto_approval_says_why_each_rule_did_not_apply(policy: EligibilityPolicy) -> None:
    staging = policy.get("staging")
    assert staging is not None

    decision = staging.auto_approval(
        ALICE, (ENG,), parse_target("tcp:tag:staging:22"), now=_berlin(10, 12)
    )

    assert decision.reasons == (
        "autoApprove 0: alice@example.com is not in group:sre; "
        "tcp:tag:staging:22 is not within tcp:tag:staging:443",
        "autoApprove 1: Sat 12:00 Europe/Berlin is outside mon,tue,wed,thu,fri 08:00-19:00",
    )


def test_no_auto_approval_without_rules(policy: EligibilityPolicy) -> None:
    db = policy.get("db")
    assert db is not None

    decision = db.auto_approval(ALICE, (), parse_target("db-prod:5432"), now=NOON)

    assert (decision.approved, decision.rule, decision.reasons) == (
        False,
        None,
        ("no autoApprove entry",),
    )


def test_match_reports_auto_approval(policy: EligibilityPolicy) -> None:
    staging = policy.match(DAVE, (SRE, ENG), parse_target("tcp:tag:staging:443"), now=NOON)[1]

    assert staging.allowed
    assert staging.auto.approved


def test_now_must_be_timezone_aware(policy: EligibilityPolicy) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        policy.match(ALICE, (), parse_target("db-prod:5432"), now=datetime(2026, 1, 7, 12))


def test_approvers_of_a_stage_expand_groups(policy: EligibilityPolicy) -> None:
    db = policy.get("db")
    assert db is not None
    members = Members({SRE: [DAVE, ALICE]})

    assert db.approvers(0, members) == {BOB, DAVE, ALICE}
    assert db.approvers(1, members) == {CAROL}
    assert db.eligible_approvers(0, members, requester=ALICE) == {BOB, DAVE}


def test_self_approval_keeps_the_requester_among_the_approvers(policy: EligibilityPolicy) -> None:
    staging = policy.get("staging")
    assert staging is not None

    assert staging.eligible_approvers(0, Members({ENG: [ALICE, BOB]}), requester=ALICE) == {
        ALICE,
        BOB,
    }


def test_admins_and_break_glass(policy: EligibilityPolicy) -> None:
    db, staging = policy.get("db"), policy.get("staging")
    assert db is not None
    assert staging is not None

    assert policy.is_admin(CAROL, ())
    assert policy.is_admin(DAVE, (SRE,))
    assert not policy.is_admin(ALICE, (ENG,))
    assert db.may_break_glass(DAVE, (SRE,))
    assert not db.may_break_glass(ALICE, ())
    assert not staging.may_break_glass(DAVE, (SRE,))


def test_rules_snapshot_for_the_workflow() -> None:
    from tailjit.requests.rules import GrantMode, Stage

    demo = load_policy((POLICY_DIR / "examples" / "sandbox-demo.hujson").read_bytes())
    db_prod, web = demo.get("db-prod"), demo.get("web-staging")
    assert db_prod is not None
    assert web is not None

    rules = db_prod.rules()

    assert rules.eligibility == "db-prod"
    assert rules.stages == (Stage(frozenset({BOB, CAROL}), 1),)
    assert rules.default_duration == timedelta(hours=1)
    assert rules.max_duration == timedelta(hours=4)
    assert rules.max_extensions == 1
    assert rules.pending_ttl == timedelta(hours=2)
    assert rules.mode is GrantMode.POLICY_POSTURE
    assert rules.self_approval is False
    assert rules.reason_required is True
    assert rules.breakglass is None
    assert web.rules().self_approval is True
    assert web.rules().reason_required is False


def test_rules_carry_posture_mode_ticket_and_break_glass() -> None:
    from tailjit.requests.rules import GrantMode

    acme = load_policy((POLICY_DIR / "examples" / "acme.hujson").read_bytes())
    prod_ssh = acme.get("prod-ssh")
    assert prod_ssh is not None

    rules = prod_ssh.rules()

    assert rules.mode is GrantMode.POSTURE
    assert rules.attribute == "custom:jit_prod_ssh"
    assert rules.ticket_pattern == "INC-[0-9]{3,6}"
    assert rules.breakglass is not None
    assert rules.breakglass.max_duration == timedelta(hours=1)
    assert rules.breakglass.users == {GroupName("group:oncall")}
