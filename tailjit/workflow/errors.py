"""Why the workflow service refuses something before the request workflow is even asked.

These extend `tailjit.requests.WorkflowRefused`, so the API and CLI map them by ``code`` like
every other refusal; a plan carries them as its refusal.
"""

from __future__ import annotations

from tailjit.requests import WorkflowRefused

__all__ = ["NotAnAdmin", "NotEligible", "RevokeNotAllowed"]


class NotEligible(WorkflowRefused):
    """No eligibility allows this requester to ask for this target; the message says why not
    for each one."""

    code = "not-eligible"


class NotAnAdmin(WorkflowRefused):
    """Only the admins named in the eligibility policy's settings may grant directly."""

    code = "not-an-admin"


class RevokeNotAllowed(WorkflowRefused):
    """Only an admin or an approver of the request's eligibility may revoke it."""

    code = "revoke-not-allowed"
