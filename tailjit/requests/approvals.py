"""Separation of duties: who may approve or deny a request, and how far its stages have got.

- A requester never counts as their own approver unless the eligibility allows it.
- One person counts once per request, however many groups (or stages) name them.
- Stages are approved in order: only the approvers of the first unfinished stage count.
- A denial by anyone named in any stage ends the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from tailjit.ids import GroupName, Login, Principal
from tailjit.requests.errors import (
    AlreadyApproved,
    NotAnApprover,
    SelfApprovalForbidden,
    WorkflowRefused,
)
from tailjit.requests.model import Request, State
from tailjit.requests.rules import Directory, includes

__all__ = ["Progress", "approval_refusal", "approvers_now", "denial_refusal", "progress"]


@dataclass(frozen=True)
class Progress:
    """Where a request stands in its approval stages.

    ``stage`` is the 0-based index of the first stage still short of approvals (None once every
    stage has what it needs), ``needed`` how many more approvals it needs, ``approvers`` who
    may give them.
    """

    stage: int | None
    stages: int
    needed: int
    approvers: frozenset[Principal]
    approved_by: tuple[Login, ...]

    @property
    def complete(self) -> bool:
        return self.stage is None

    def describe(self) -> str:
        """One line: ``stage 1 of 2 needs 1 more approval from bob@example.com or group:dba``."""
        if self.stage is None:
            return f"all {self.stages} approval stage(s) complete"
        plural = "approval" if self.needed == 1 else "approvals"
        names = " or ".join(sorted(self.approvers))
        where = f"stage {self.stage + 1} of {self.stages}"
        return f"{where} needs {self.needed} more {plural} from {names}"


def progress(request: Request) -> Progress:
    """How far ``request``'s approvals have got through its stages."""
    stages = request.rules.stages
    for index, stage in enumerate(stages):
        have = sum(1 for a in request.approvals if a.stage == index)
        if have < stage.required:
            return Progress(
                index, len(stages), stage.required - have, stage.approvers, request.approvers
            )
    return Progress(None, len(stages), 0, frozenset(), request.approvers)


def approval_refusal(
    request: Request, approver: Login, directory: Directory
) -> WorkflowRefused | None:
    """Why ``approver`` may not approve ``request`` now, or None if they may.

    Expects a pending request whose stages are not complete.
    """
    rules = request.rules
    if approver == request.requester and not rules.self_approval:
        return SelfApprovalForbidden(
            f"{approver} made request {request.id} and cannot approve it: eligibility "
            f"{rules.eligibility} does not allow self-approval"
        )
    if approver in request.approvers:
        return AlreadyApproved(
            f"{approver} already approved request {request.id}; one person counts once per request"
        )
    current = progress(request)
    if current.stage is None:  # pragma: no cover - a complete request is no longer pending
        raise AssertionError(f"request {request.id} has every approval already")
    if not includes(current.approvers, approver, directory):
        return NotAnApprover(
            f"{approver} is not an approver of request {request.id} at this point: "
            f"{current.describe()}"
        )
    return None


def denial_refusal(request: Request, actor: Login, directory: Directory) -> WorkflowRefused | None:
    """Why ``actor`` may not deny ``request``, or None if they may (anyone named in any stage)."""
    rules = request.rules
    if actor == request.requester and not rules.self_approval:
        return NotAnApprover(
            f"{actor} made request {request.id} and is not one of its approvers; "
            "to withdraw it, cancel it instead"
        )
    if not includes(rules.approvers(), actor, directory):
        names = " or ".join(sorted(rules.approvers()))
        return NotAnApprover(
            f"{actor} cannot deny request {request.id}: only its approvers ({names}) can"
        )
    return None


def approvers_now(request: Request, directory: Directory) -> frozenset[Login]:
    """The people whose approval would count for ``request`` now, to ask them: the approvers of
    its current stage, groups expanded through ``directory``, each of whom `approval_refusal`
    lets approve; never the requester (even with self-approval, nobody asks them). Empty when
    the request is no longer pending."""
    if request.state is not State.PENDING:
        return frozenset()
    current = progress(request)
    if current.stage is None:
        return frozenset()
    named: set[Login] = set()
    for principal in current.approvers:
        if isinstance(principal, GroupName):
            named.update(directory.members(principal))
        else:
            named.add(principal)
    return frozenset(
        login
        for login in named
        if login != request.requester and approval_refusal(request, login, directory) is None
    )
