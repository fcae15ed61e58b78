"""Decisions: the rules that decided, with their lines; posture near-misses; unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit import acl
from tailjit.testing import load_module

T = load_module(Path(__file__).with_name("semantics_table.py"), "acl_semantics_table")


def test_a_decision_names_every_rule_that_allows_it_with_its_line() -> None:
    """Grants are a union, so every matching rule decided; each comes with its line."""
    text = """{
  "tagOwners": {"tag:prod": []},
  "grants": [
    {"src": ["*"], "dst": ["tag:prod"], "ip": ["tcp:22"]},
    {"src": ["autogroup:member"], "dst": ["tag:prod"], "ip": ["*"]},
  ],
  "acls": [
    {"action": "accept", "src": ["bob@example.com"], "dst": ["tag:prod:22"]},
  ],
}"""
    decision = acl.Evaluator(text, T.TAILNET).may("bob@example.com", "tag:prod", 22)

    assert [(str(m.rule), m.src, m.dst, m.ports) for m in decision.matches] == [
        ("grants[0] (line 4)", "*", "tag:prod", "tcp:22"),
        ("grants[1] (line 5)", "autogroup:member", "tag:prod", "*"),
        ("acls[0] (line 8)", "bob@example.com", "tag:prod:22", "22"),
    ]


def test_a_rule_blocked_by_posture_says_which_assertion_failed() -> None:
    policy = {**T.BASE, **T.grant(["*"], ["tag:prod"], ["*"], srcPosture=["posture:both"])}

    decision = acl.Evaluator(acl.from_value(policy), T.TAILNET).may("alice-laptop", "db", 22)

    assert not decision
    assert [m.failing for m in decision.blocked] == [("posture:both: custom:tier > 5",)]


def test_an_unknown_name_is_reported_not_guessed() -> None:
    evaluator = acl.Evaluator(acl.from_value(T.BASE), T.TAILNET)

    with pytest.raises(acl.UnknownTarget, match="no-such-host"):
        evaluator.may("alice@example.com", "no-such-host", 22)
    with pytest.raises(acl.UnknownTarget, match="tag not found"):
        evaluator.may("alice@example.com", "tag:nope", 22)
