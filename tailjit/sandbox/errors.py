"""Errors the emulation raises; each knows the HTTP status and message the API answers with.

Bodies are always JSON ``{"message": ...}`` (TAILSCALE_API.md §6: client-go parses every error
body as JSON).
"""

from __future__ import annotations

from tailjit.errors import TailjitError


class SandboxError(TailjitError):
    """Base of the sandbox's API errors."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        return {"message": self.message}


class BadRequest(SandboxError):
    status = 400


class Unauthorized(SandboxError):
    status = 401


class Forbidden(SandboxError):
    status = 403


class NotFound(SandboxError):
    status = 404


class PreconditionFailed(SandboxError):
    """If-Match did not match; the body Tailscale sends (wire/openapi-examples)."""

    status = 412

    def __init__(self) -> None:
        super().__init__("precondition failed, invalid old hash")


PERMISSION_DENIED = "calling actor does not have enough permissions to perform this function"


class OAuthError(SandboxError):
    """An RFC 6749 §5.2 token-endpoint error; the body also carries ``message`` like the API's."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error

    def body(self) -> dict[str, object]:
        return {"error": self.error, "error_description": self.message, "message": self.message}
