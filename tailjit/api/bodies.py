"""Reading what a caller sends, strictly: a JSON object body with known keys of known types, and
query parameters the route names.

Every refusal is an `ApiError` naming the key at fault, so a client can point at it; a body over
`MAX_BODY` bytes is refused (413) before it is all read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from tailjit.api.errors import ApiError

__all__ = [
    "MAX_BODY",
    "BodyTooLarge",
    "Field",
    "json_body",
    "query_int",
    "read_body",
    "reject_unknown_query",
]

MAX_BODY = 64 * 1024
"""The largest request body accepted, in bytes."""

_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer"}


@dataclass(frozen=True)
class Field:
    """One body key: its type (``str``, ``bool`` or ``int``), whether it must be given, and
    its value when it is not (``null`` counts as not given, except for a required key)."""

    kind: type
    required: bool = False
    default: Any = None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ApiError(400, "invalid-input", f"key {key!r} is given twice", key)
        found[key] = value
    return found


class BodyTooLarge(Exception):
    """The request body is over the limit `read_body` was given."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (`BodyTooLarge`) as soon as it is known to be over ``limit`` bytes:
    from ``Content-Length``, or while it streams in."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _read(request: Request) -> bytes:
    try:
        return await read_body(request, MAX_BODY)
    except BodyTooLarge:
        raise ApiError(
            413, "too-large", f"the request body is over {MAX_BODY} bytes", None
        ) from None


async def json_body(request: Request, fields: Mapping[str, Field]) -> dict[str, Any]:
    """The body's values for ``fields`` (defaults filled in); an empty body is ``{}``."""
    raw = await _read(request)
    if raw.strip():
        try:
            value = json.loads(raw, object_pairs_hook=_unique, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(
                400, "invalid-input", f"the request body is not valid JSON: {exc}", "body"
            ) from exc
    else:
        value = {}
    if not isinstance(value, dict):
        raise ApiError(400, "invalid-input", "the request body must be a JSON object", "body")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise ApiError(
            400, "invalid-input", f"unknown key {unknown[0]!r}; the keys are: {known}", unknown[0]
        )
    parsed: dict[str, Any] = {}
    for key, spec in fields.items():
        given = value.get(key)
        if given is None:
            if spec.required:
                raise ApiError(400, "invalid-input", f"{key!r} is required", key)
            parsed[key] = spec.default
            continue
        # bool is an int in Python; JSON true is not an integer here.
        if not isinstance(given, spec.kind) or (spec.kind is int and isinstance(given, bool)):
            raise ApiError(400, "invalid-input", f"{key!r} must be {_TYPE_NAMES[spec.kind]}", key)
        parsed[key] = given
    return parsed


def reject_unknown_query(request: Request, known: Iterable[str]) -> None:
    """400 naming the first query parameter the route does not take."""
    allowed = set(known)
    for key in request.query_params:
        if key not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise ApiError(
                400, "invalid-input", f"unknown query parameter {key!r}; known: {names}", key
            )


def query_int(request: Request, key: str, *, default: int, lowest: int, highest: int) -> int:
    """The integer query parameter ``key`` (``default`` when absent), within the bounds."""
    text = request.query_params.get(key)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not lowest <= int(text) <= highest:
        raise ApiError(
            400, "invalid-input", f"{key} must be an integer from {lowest} to {highest}", key
        )
    return int(text)
