"""What goes wrong with a policy: every issue with its place, collected rather than first-only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tailjit.errors import TailjitError


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with a policy file.

    ``path`` is an RFC 6901 JSON Pointer into the document; ``line`` and ``column`` are 1-based
    (columns count UTF-8 bytes, as tailscale/hujson counts them) and 0 when the policy came
    without its text or the place is not in it.
    """

    code: str
    """``syntax``, ``unknown-field``, ``type``, ``missing``, ``invalid`` or ``undefined``."""
    path: str
    message: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        at = f" (at {self.path})" if self.path else ""
        return f"{where}{self.message}{at}"


class PolicyError(TailjitError):
    """A policy that tailjit cannot evaluate; ``issues`` holds every problem found, in order."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        if not issues:
            raise ValueError("a PolicyError needs at least one issue")
        self.issues = tuple(issues)
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(f"{self.issues[0]}{more}")


class UnknownTarget(TailjitError):
    """A name given to a question (``may``, ``reach``) that is neither in the policy nor in the
    tailnet: not a login, tag, group, host alias, address, service or device."""
