"""What a tailnet policy actually allows: the policy model and access evaluation.

A pure domain package (no I/O). Grammar and semantics: TAILSCALE_API.md §2 and §3.5.

- ``load(text)`` reads a policy file into a strict, typed `Policy`; ``from_value`` takes an
  already decoded one. Problems raise `PolicyError` with every `Issue` (JSON Pointer, line,
  column).
- ``Evaluator(policy, tailnet)`` compiles it for a `Tailnet` (users with roles, devices with
  owners, tags, addresses and posture attributes) and answers:
  ``may(src, dst, port, proto)`` → `Decision` (with every `Match`ing rule and its line, and the
  rules posture blocked); ``reach(user)`` → `Access` entries; ``run_tests()`` and
  ``run_ssh_tests()`` → `TestResult` entries whose errors read as Tailscale's
  (``address "host:port": want: Accept, got: Drop``; ``failures_json`` builds the API body).
- ``diff(before, after, user)`` → `ReachDiff`: the `Change`s a new policy opens and closes.
- ``preview(evaluator, kind, preview_for)`` → `PreviewMatch` entries for ``/acl/preview``.
"""

from tailjit.acl._endpoints import Endpoint
from tailjit.acl._errors import Issue, PolicyError, UnknownTarget
from tailjit.acl._evaluator import Decision, Evaluator, Match
from tailjit.acl._load import from_value, load
from tailjit.acl._model import Policy, PolicyTest, SshTest
from tailjit.acl._preview import PreviewMatch, preview
from tailjit.acl._reach import Access, Change, ReachDiff, diff
from tailjit.acl._rules import RuleRef
from tailjit.acl._tailnet import Device, Tailnet, User
from tailjit.acl._tests import TestResult, failures_json, run_tests

__all__ = [
    "Access",
    "Change",
    "Decision",
    "Device",
    "Endpoint",
    "Evaluator",
    "Issue",
    "Match",
    "Policy",
    "PolicyError",
    "PolicyTest",
    "PreviewMatch",
    "ReachDiff",
    "RuleRef",
    "SshTest",
    "Tailnet",
    "TestResult",
    "UnknownTarget",
    "User",
    "diff",
    "failures_json",
    "from_value",
    "load",
    "preview",
    "run_tests",
]
