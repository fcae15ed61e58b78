"""Tailscale SSH rules and ``sshTests``: first matching rule decides; users; check mode."""

from __future__ import annotations

from tailjit import acl
from tailjit.acl import SshTest

POLICY = """{
  "groups": {"group:ops": ["alice@example.com"]},
  "tagOwners": {"tag:server": []},
  "ssh": [
    {"action": "check", "src": ["autogroup:member"], "dst": ["autogroup:self"],
     "users": ["autogroup:nonroot"]},
    {"action": "accept", "src": ["group:ops"], "dst": ["tag:server"], "users": ["root", "deploy"]},
    {"action": "check", "src": ["group:ops"], "dst": ["tag:server"],
     "users": ["autogroup:nonroot"]},
    {"action": "accept", "src": ["user:*@example.com"], "dst": ["tag:server"],
     "users": ["localpart:*@example.com"]},
  ],
}"""


def results(*tests: dict[str, object]) -> list[tuple[str, ...]]:
    evaluator = acl.Evaluator(POLICY)
    return [r.errors for r in evaluator.run_ssh_tests([SshTest.model_validate(t) for t in tests])]


def test_the_first_matching_rule_decides() -> None:
    assert results(
        {"src": "alice@example.com", "dst": ["tag:server"], "accept": ["root", "deploy"]},
        {"src": "alice@example.com", "dst": ["tag:server"], "check": ["alice", "bob"]},
    ) == [(), ()]


def test_nonroot_excludes_root_and_self_is_the_users_own_devices() -> None:
    assert results(
        {"src": "bob@example.com", "dst": ["bob@example.com"], "check": ["bob"], "deny": ["root"]},
        {"src": "bob@example.com", "dst": ["alice@example.com"], "deny": ["bob"]},
    ) == [(), ()]


def test_localpart_is_the_login_before_the_at_sign() -> None:
    assert results(
        {"src": "bob@example.com", "dst": ["tag:server"], "accept": ["bob"], "deny": ["alice"]},
    ) == [()]


def test_a_failing_ssh_test_says_what_it_wanted_and_got() -> None:
    assert results({"src": "bob@example.com", "dst": ["tag:server"], "accept": ["root"]}) == [
        ('user "root" on "tag:server": want: Accept, got: Deny',)
    ]
