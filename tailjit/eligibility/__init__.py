"""The eligibility policy: who may request which destinations, for how long, approved by whom.

A HuJSON file (policy/README.md is its reference) loaded from text, with no I/O:
`check_policy` collects every issue with its code, JSON pointer, line and column;
`load_policy` returns an `EligibilityPolicy` or raises `EligibilityInvalid`. The policy answers
which eligibilities allow a request (`EligibilityPolicy.match`), whether it is approved at once
(`Eligibility.auto_approval`), who approves each stage (`Eligibility.approvers`), and gives the
request workflow its snapshot (`Eligibility.rules`).
"""

from tailjit.eligibility._checks import KnownGroups
from tailjit.eligibility._issues import CODES, EligibilityInvalid, Issue, Severity
from tailjit.eligibility._load import CheckResult, check_policy, issues_text, load_policy
from tailjit.eligibility._model import PolicyFile
from tailjit.eligibility._policy import (
    AutoApproval,
    Eligibility,
    EligibilityPolicy,
    Match,
    includes,
)
from tailjit.eligibility._tailnet import tailnet_groups

__all__ = [
    "CODES",
    "AutoApproval",
    "CheckResult",
    "Eligibility",
    "EligibilityInvalid",
    "EligibilityPolicy",
    "Issue",
    "KnownGroups",
    "Match",
    "PolicyFile",
    "Severity",
    "check_policy",
    "includes",
    "issues_text",
    "load_policy",
    "tailnet_groups",
]
