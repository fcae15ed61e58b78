"""Reading a policy: HuJSON text (or an already decoded value) to a `Policy`, every issue placed.

Shape problems come from pydantic and are reported the way Tailscale reports them where its
wording is known (``json: unknown field "dst"``, TAILSCALE_API.md §1.2), each with its JSON
Pointer and, when the policy came as text, the line and column of the offending key or value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tailjit.acl._errors import Issue, PolicyError
from tailjit.acl._model import Policy
from tailjit.acl._source import SourceMap
from tailjit.hujson import HuJSONError, parse

_KINDS = {
    bool: "bool",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def load(text: str | bytes) -> Policy:
    """Parse and validate a policy file; raise `PolicyError` with every issue found."""
    try:
        tree = parse(text)
    except HuJSONError as exc:
        raise PolicyError([Issue("syntax", "", exc.reason, exc.line, exc.column)]) from exc
    return _validate(tree.to_python(), SourceMap(tree))


def from_value(value: Mapping[str, Any]) -> Policy:
    """Validate an already decoded policy (no text, so issues carry no line numbers)."""
    return _validate(value, None)


def _validate(value: Any, source: SourceMap | None) -> Policy:
    if not isinstance(value, dict):
        kind = _KINDS.get(type(value), "null")
        message = f"json: cannot unmarshal {kind} into Go value of type policy.ACLDetails"
        raise PolicyError([Issue("type", "", message, *_place(source, ""))])
    try:
        policy = Policy.model_validate(value)
    except ValidationError as exc:
        raise PolicyError(issues_from(exc, source)) from None
    policy._source = source
    return policy


def pointer(loc: tuple[int | str, ...]) -> str:
    """The JSON Pointer of a pydantic error location."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in loc)


def _place(source: SourceMap | None, path: str, *, name: bool = False) -> tuple[int, int]:
    return source.position(path, name=name) if source is not None else (0, 0)


def _field_name(loc: tuple[int | str, ...]) -> str:
    """``ip[0]`` for ``("grants", 3, "ip", 0)``: the last name, with the indices after it."""
    name, indices = "policy", ""
    for token in loc:
        if isinstance(token, int):
            indices += f"[{token}]"
        else:
            name, indices = token, ""
    return name + indices


def issues_from(exc: ValidationError, source: SourceMap | None) -> list[Issue]:
    """Every pydantic error as an `Issue`, in document order where the text is known."""
    issues = []
    for error in exc.errors():
        loc = tuple(t for t in error["loc"] if not (isinstance(t, str) and t.startswith("[")))
        path = pointer(loc)
        field = _field_name(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            issues.append(
                Issue(
                    "unknown-field",
                    path,
                    f'json: unknown field "{field}"',
                    *_place(source, path, name=True),
                )
            )
        elif kind == "missing":
            parent = pointer(loc[:-1])
            place = _place(source, parent)
            issues.append(Issue("missing", path, f'"{field}" is required', *place))
        else:
            got = _KINDS.get(type(error.get("input")), "null")
            message = f'"{field}": {error["msg"].lower()}, got {got}'
            issues.append(Issue("type", path, message, *_place(source, path)))
    issues.sort(key=lambda issue: (issue.line, issue.column))
    return issues
