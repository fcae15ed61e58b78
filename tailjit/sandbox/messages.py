"""`Call` and `Reply`: an HTTP request and response as plain values, free of any web framework.

The endpoint functions take a `Call` and return a `Reply`; ``app.py`` converts to and from
Starlette. Error bodies are always JSON ``{"message": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tailjit.sandbox.errors import BadRequest, SandboxError
from tailjit.sandbox.state import Principal


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    """Path parameters, percent-decoded."""
    query: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: bytes = b""
    principal: Principal | None = None

    def arg(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        return next((value for key, value in self.query if key == name), None)

    def json(self) -> Any:
        """The body as JSON; 400 when it is not."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise BadRequest(f"invalid JSON body: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        value = self.json()
        if not isinstance(value, dict):
            raise BadRequest("request body must be a JSON object")
        return value

    def wants_json(self) -> bool:
        """``Accept: application/json`` (among its media ranges) asks for JSON; else HuJSON."""
        accept = self.headers.get("accept", "")
        return any(
            part.split(";")[0].strip().lower() == "application/json" for part in accept.split(",")
        )


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


def json_reply(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(value).encode(), "application/json", dict(headers or {}))


def error_reply(error: SandboxError) -> Reply:
    return json_reply(error.body(), error.status)


def message_reply(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    return json_reply({"message": message}, status, headers)
