"""What loading an eligibility file can find wrong: one stable code per kind of issue.

Codes never change meaning once released: E0xx the file's syntax, E1xx a field's shape or value,
E2xx a contradiction between fields or with the tailnet, W3xx something legal but probably
unintended. policy/README.md lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tailjit.errors import TailjitError

__all__ = ["CODES", "EligibilityInvalid", "Issue", "Severity"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


CODES: dict[str, str] = {
    # syntax
    "hujson-syntax": "E001",
    "not-an-object": "E002",
    # shape and values of single fields
    "unknown-field": "E101",
    "missing-field": "E102",
    "wrong-type": "E103",
    "invalid-choice": "E104",
    "out-of-range": "E105",
    "invalid-principal": "E106",
    "invalid-target": "E107",
    "invalid-duration": "E108",
    "invalid-regex": "E109",
    "invalid-name": "E110",
    "invalid-attribute": "E111",
    "invalid-time": "E112",
    "invalid-time-zone": "E113",
    "empty-list": "E114",
    # contradictions
    "duplicate-name": "E201",
    "unknown-group": "E202",
    "duration-above-cap": "E203",
    "default-above-max": "E204",
    "no-approvers": "E205",
    "required-above-approvers": "E206",
    "attribute-mode-mismatch": "E207",
    "empty-hours": "E208",
    # probably unintended
    "duplicate-entry": "W301",
    "auto-approve-unconditional": "W302",
    "auto-approve-unreachable": "W303",
    "self-approval-unused": "W304",
    "stage-needs-requester": "W305",
}
"""Issue name -> code. The first letter is the severity: E error, W warning."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding, with where it is: a JSON pointer and a 1-based line and column.

    Columns count UTF-8 bytes, as the HuJSON parser's own errors do. Line and column are 0 when
    the issue has no place in the text (the file is empty, say).
    """

    name: str
    path: str
    line: int
    column: int
    message: str

    @property
    def code(self) -> str:
        return CODES[self.name]

    @property
    def severity(self) -> Severity:
        return Severity.ERROR if self.code.startswith("E") else Severity.WARNING

    def format(self, file: str) -> str:
        """``FILE:LINE:COL: CODE severity: message (path)``."""
        where = f"{file}:{self.line}:{self.column}"
        return f"{where}: {self.code} {self.severity}: {self.message} ({self.path or '/'})"

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class EligibilityInvalid(TailjitError, ValueError):
    """An eligibility file with at least one error; ``issues`` holds every issue found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        first = errors[0] if errors else issues[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"invalid eligibility policy: line {first.line}, column {first.column}: "
            f"{first.message} ({first.path or '/'}){more}"
        )
