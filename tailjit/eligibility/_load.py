"""Loading an eligibility file: text in, every issue out, and the policy when there is no error.

No I/O here: the caller reads the file. ``check_policy`` collects every issue (syntax, shape,
cross-field) with its code, JSON pointer, line and column; ``load_policy`` returns the policy or
raises `EligibilityInvalid` with all of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tailjit import hujson
from tailjit.eligibility._checks import KnownGroups, check
from tailjit.eligibility._fields import KNOWN_GROUPS
from tailjit.eligibility._issues import CODES, EligibilityInvalid, Issue, Severity
from tailjit.eligibility._model import (
    ApprovalSpec,
    AutoApproveSpec,
    BreakGlassSpec,
    EligibilitySpec,
    HoursSpec,
    PolicyFile,
    SettingsSpec,
    StageSpec,
)
from tailjit.eligibility._policy import EligibilityPolicy
from tailjit.eligibility._positions import Positions, pointer
from tailjit.errors import json_type

__all__ = ["CheckResult", "check_policy", "load_policy"]

M = TypeVar("M", bound=BaseModel)

_SPECS: tuple[type[BaseModel], ...] = (
    PolicyFile,
    SettingsSpec,
    EligibilitySpec,
    ApprovalSpec,
    StageSpec,
    AutoApproveSpec,
    HoursSpec,
    BreakGlassSpec,
)
_FIELD_NAMES = sorted(
    {str(f.alias or name) for spec in _SPECS for name, f in spec.model_fields.items()}
)
_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "an array",
    "model_type": "an object",
    "dict_type": "an object",
    "model_attributes_type": "an object",
}


@dataclass(frozen=True)
class CheckResult:
    """Every issue found, in file order, and the policy if none of them is an error."""

    issues: list[Issue]
    policy: EligibilityPolicy | None

    @property
    def ok(self) -> bool:
        return self.policy is not None


def load_policy(text: str | bytes, *, known_groups: KnownGroups | None = None) -> EligibilityPolicy:
    """The policy in ``text``; `EligibilityInvalid` with every issue if any is an error.

    Warnings do not stop loading; use `check_policy` to see them.
    """
    result = check_policy(text, known_groups=known_groups)
    if result.policy is None:
        raise EligibilityInvalid(result.issues)
    return result.policy


def check_policy(text: str | bytes, *, known_groups: KnownGroups | None = None) -> CheckResult:
    """Check ``text`` and collect every issue.

    ``known_groups`` are the groups requesters and approvers may name (the tailnet policy's
    ``groups``; a mapping to members also lets the checks count approvers). Without it, group
    names are not checked.
    """
    try:
        tree = hujson.parse(text)
    except hujson.HuJSONError as exc:
        return CheckResult([Issue("hujson-syntax", "", exc.line, exc.column, exc.reason)], None)
    decoded = text.decode("utf-8", "surrogateescape") if isinstance(text, bytes) else text
    positions = Positions.of(tree, decoded)
    data = tree.to_python()
    if not isinstance(data, dict):
        line, column = positions.line_column("")
        issue = Issue("not-an-object", "", line, column, "an eligibility policy is a JSON object")
        return CheckResult([issue], None)

    context = {KNOWN_GROUPS: known_groups}
    issues: list[Issue] = []
    document: PolicyFile | None = None
    try:
        document = PolicyFile.model_validate(data, context=context)
    except ValidationError as exc:
        issues.extend(_issue(error, positions) for error in exc.errors())
    settings = (
        document.settings if document else _valid(SettingsSpec, data.get("settings", {}), context)
    )
    if document is not None:
        specs = list(enumerate(document.eligibilities))
    else:
        specs = _valid_eligibilities(data.get("eligibilities"), context)
    names = _names(data.get("eligibilities"))
    for finding in check(settings or SettingsSpec(), names, specs, known_groups):
        path = pointer(finding.path)
        line, column = positions.line_column(path)
        issues.append(Issue(finding.name, path, line, column, finding.message))

    issues.sort(key=lambda i: (i.line, i.column, i.code))
    if document is None or any(i.severity is Severity.ERROR for i in issues):
        return CheckResult(issues, None)
    return CheckResult(issues, EligibilityPolicy.from_file(document))


def _valid(model: type[M], data: object, context: dict[str, Any]) -> M | None:
    """``data`` as a ``model``, or None if it is not one.

    Unknown fields are dropped first (and reported elsewhere): a typo in one field should not
    hide the contradictions between the others.
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors()
        unknown = {
            e["loc"][0] for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1
        }
        if not unknown or not isinstance(data, dict):
            return None
    try:
        return model.model_validate(
            {k: v for k, v in data.items() if k not in unknown}, context=context
        )
    except ValidationError:
        return None


def _valid_eligibilities(
    data: object, context: dict[str, Any]
) -> list[tuple[int, EligibilitySpec]]:
    if not isinstance(data, list):
        return []
    found = ((i, _valid(EligibilitySpec, item, context)) for i, item in enumerate(data))
    return [(i, spec) for i, spec in found if spec is not None]


def _names(data: object) -> list[tuple[int, str]]:
    items = data if isinstance(data, list) else []
    names = ((i, item.get("name")) for i, item in enumerate(items) if isinstance(item, dict))
    return [(i, name) for i, name in names if isinstance(name, str)]


def _issue(error: Any, positions: Positions) -> Issue:
    """The issue of one pydantic error."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind: str = error["type"]
    path = pointer(loc)
    if kind == "extra_forbidden":
        name = str(loc[-1])
        line, column = positions.line_column(path, name=True)
        return Issue("unknown-field", path, line, column, _unknown_field(name))
    line, column = positions.line_column(path)
    if kind == "missing":
        return Issue("missing-field", path, line, column, f'missing field "{loc[-1]}"')
    if kind in CODES:  # our own field errors: invalid-target, wrong-type, ...
        return Issue(kind, path, line, column, str(error["msg"]))
    if kind in _TYPE_NAMES:
        message = f"expected {_TYPE_NAMES[kind]}, got {json_type(error['input'])}"
        return Issue("wrong-type", path, line, column, message)
    if kind in ("literal_error", "enum"):
        return Issue("invalid-choice", path, line, column, _lowercase(error["msg"]))
    if kind.startswith(("greater_than", "less_than")):
        bound = " and ".join(f"{_BOUNDS[k]} {v}" for k, v in error.get("ctx", {}).items())
        message = f"expected a number {bound}, got {error['input']!r}"
        return Issue("out-of-range", path, line, column, message)
    return Issue("wrong-type", path, line, column, _lowercase(error["msg"]))


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, _FIELD_NAMES, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f'unknown field "{name}"{hint}'


def _lowercase(message: str) -> str:
    return message[:1].lower() + message[1:]


def issues_text(issues: Iterable[Issue], file: str) -> str:
    """Every issue on its own line, as ``tailjit policy check`` prints them."""
    return "".join(issue.format(file) + "\n" for issue in issues)
