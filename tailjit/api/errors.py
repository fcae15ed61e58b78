"""The API's error boundary: every exception a call can end in, as a status and a JSON body.

`api_error` is the one place that decides the status and ``code`` of a failure; the app turns
its result into ``{"error": {"code", "message", "field"}}``. Refusals keep their own ``code``
(`tailjit.requests.WorkflowRefused.code`): who may do what is 403, a state that does not allow
the action is 409, a request whose content the rules refuse is 422.
"""

from __future__ import annotations

import logging
from typing import Any

from tailjit.errors import InvalidInput, TailjitError
from tailjit.requests import WorkflowRefused
from tailjit.store import StaleRequest, UnknownRequest

__all__ = ["ApiError", "api_error"]

log = logging.getLogger(__name__)

_FORBIDDEN = frozenset(
    {
        "not-eligible",
        "not-an-admin",
        "not-an-approver",
        "self-approval-forbidden",
        "revoke-not-allowed",
        "not-requester",
        "breakglass-not-allowed",
    }
)
_UNPROCESSABLE = frozenset({"duration-too-long", "justification-missing"})


class ApiError(Exception):
    """A failure as the API reports it: HTTP ``status``, a stable kebab-case ``code``, one line
    for people, and the input ``field`` at fault (None when it is not one field)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def _refusal_status(code: str) -> int:
    if code in _FORBIDDEN:
        return 403
    if code in _UNPROCESSABLE:
        return 422
    return 409  # transition-not-allowed, already-approved, past-deadline, not-due, ...


def api_error(exc: BaseException) -> ApiError:
    """What ``exc`` means for the caller. Anything not part of tailjit's error tree is a bug:
    it is logged with its traceback and reported without detail."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InvalidInput):
        return ApiError(400, "invalid-input", str(exc), exc.field)
    if isinstance(exc, WorkflowRefused):
        return ApiError(_refusal_status(exc.code), exc.code, str(exc))
    if isinstance(exc, UnknownRequest):
        # "no request X in /var/lib/tailjit/tailjit.db": callers need not learn the path.
        return ApiError(404, "not-found", str(exc).rsplit(" in ", 1)[0])
    if isinstance(exc, StaleRequest):
        return ApiError(409, "stale", str(exc))
    if isinstance(exc, TailjitError):
        log.error("call failed: %s", exc)
        return ApiError(500, "failed", str(exc))
    log.error("unexpected error", exc_info=exc)
    return ApiError(500, "internal-error", "internal error; the daemon's log has the details")
