"""The workflow service: the request workflow bound to a store, a policy, a directory and a clock.

Each method reads the clock once, plans the action with the pure functions of
`tailjit.requests`, and commits the plan to the store (its audit records in the same
transaction). With ``dry_run=True`` nothing is written and the plan is returned as it is,
refusal included, so ``--dry-run`` can show why something would be refused. Without it, a
refused plan raises its refusal: a typed `tailjit.requests.WorkflowRefused` (or
`tailjit.errors.InvalidInput`) whose message names what is wrong.

Who may do what, beyond what `tailjit.requests` decides:

- ``grant``: only admins (`EligibilityPolicy.is_admin`); checked against the user's
  eligibilities unless ``override`` gives a reason, in which case the grant is made under the
  pseudo-eligibility ``(override)`` (a name no policy can use, so every list, plan and audit
  record shows it), capped by the policy's global ``maxDuration``.
- ``revoke``: an admin, or anyone named in an approval stage of the request's eligibility (the
  people who could have denied it). The requester ends their own grant with ``release``.
- ``end_ineligible``: tailjit itself, on behalf of an identity source, when a user leaves a
  group or is deactivated; the actor names the source and delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta

from tailjit.eligibility import EligibilityPolicy, Match
from tailjit.errors import TailjitError
from tailjit.ids import GroupName, Login, Principal, RequestId
from tailjit.requests import (
    SYSTEM,
    Action,
    Directory,
    JustificationMissing,
    NotAnApprover,
    Plan,
    Request,
    Rules,
    Stage,
    State,
    Submission,
    approvers_now,
    plan_activate,
    plan_approve,
    plan_cancel,
    plan_deny,
    plan_expire,
    plan_extend,
    plan_lapse,
    plan_release,
    plan_revoke,
    plan_submit,
)
from tailjit.requests.model import MAX_COMMENT
from tailjit.requests.rules import includes
from tailjit.targets import Target
from tailjit.workflow.errors import NotAnAdmin, NotEligible, RevokeNotAllowed
from tailjit.workflow.ports import Clock, IdSource, RequestStore

__all__ = ["OVERRIDE_ELIGIBILITY", "Workflow"]

OVERRIDE_ELIGIBILITY = "(override)"
"""The eligibility an admin's override grant is made under; no policy can name one so."""

_OVERRIDE_PENDING_TTL = timedelta(hours=1)
"""Required by `Rules`, unused: an override grant starts approved and never lapses."""

_END_ATTEMPTS = 3
"""How many times `Workflow.end_ineligible` plans again when a request changed meanwhile."""

_LIVE = (State.PENDING, State.APPROVED, State.ACTIVE)


class Workflow:
    """Requests, approvals and grants, planned and committed (see the module docstring)."""

    def __init__(
        self,
        *,
        store: RequestStore,
        policy: EligibilityPolicy,
        directory: Directory,
        ids: IdSource,
        clock: Clock,
        deactivated: Callable[[Login], bool] = lambda login: False,
    ) -> None:
        self.store = store
        self.policy = policy
        self.deactivated = deactivated
        """Whether an identity source has deactivated a login: they get no new access."""
        self.directory = directory
        self._ids = ids
        self._clock = clock

    # --- helpers --------------------------------------------------------------------------

    def _done(self, plan: Plan, dry_run: bool) -> Plan:
        if dry_run:
            return plan
        if plan.refusal is not None:
            raise plan.refusal
        self.store.commit(plan)
        return plan

    def groups_of(self, login: Login) -> frozenset[GroupName]:
        """The groups named anywhere in the policy that ``login`` is a member of (through the
        directory): all that matching and auto-approval can look at."""
        named: set[GroupName] = set()
        principals: list[Principal] = list(self.policy.admins)
        for eligibility in self.policy.eligibilities:
            principals.extend(eligibility.requesters)
            for auto in eligibility.auto_approve:
                principals.extend(auto.requester_in or ())
            if eligibility.break_glass is not None:
                principals.extend(eligibility.break_glass.users)
        named.update(p for p in principals if isinstance(p, GroupName))
        return frozenset(g for g in named if login in self.directory.members(g))

    def is_admin(self, login: Login) -> bool:
        return self.policy.is_admin(login, self.groups_of(login))

    def approvers_of(self, request: Request) -> frozenset[Login]:
        """Who to ask to approve ``request`` now: the approvers its current stage would count
        (`tailjit.requests.approvals.approvers_now`, through this workflow's directory), minus
        the requester and anyone deactivated by an identity provider."""
        return frozenset(
            login for login in approvers_now(request, self.directory) if not self.deactivated(login)
        )

    def _eligible(
        self, who: Login, groups: Collection[GroupName], target: Target, now: datetime
    ) -> Match | NotEligible:
        if self.deactivated(who):
            return NotEligible(f"{who} is deactivated by an identity provider")
        matches = self.policy.match(who, groups, target, now=now)
        allowed = next((m for m in matches if m.allowed), None)
        if allowed is not None:
            return allowed
        if not matches:
            return NotEligible(f"{who} may not request {target}: the policy has no eligibilities")
        why = "; ".join(f"{m.eligibility.name}: {', '.join(m.reasons)}" for m in matches)
        return NotEligible(f"no eligibility lets {who} request {target} ({why})")

    def _new(
        self,
        submission: Submission,
        rules: Rules,
        now: datetime,
        *,
        auto_approval: str | None = None,
        granted_by: Login | None = None,
        why: tuple[str, ...] = (),
    ) -> Plan:
        request_id, grant_id = self._ids()
        plan = plan_submit(
            submission,
            rules=rules,
            now=now,
            request_id=request_id,
            grant_id=grant_id,
            directory=self.directory,
            auto_approval=auto_approval,
            granted_by=granted_by,
        )
        if why and plan.allowed:
            plan = replace(plan, why=(*why, *plan.why))
        return plan

    # --- new requests ---------------------------------------------------------------------

    def request(
        self,
        requester: Login,
        target: Target,
        duration: timedelta | None = None,
        *,
        reason: str,
        ticket: str | None = None,
        groups: Collection[GroupName] | None = None,
        breakglass: bool = False,
        dry_run: bool = False,
    ) -> Plan:
        """``requester`` asks for ``target`` (``duration`` None: the eligibility's default).

        The first eligibility (in file order) that allows the request decides its rules; it
        starts approved when one of that eligibility's ``autoApprove`` entries holds, or with
        ``breakglass``. ``groups`` are the requester's groups; None looks them up in the
        directory (`groups_of`).
        """
        now = self._clock()
        groups = self.groups_of(requester) if groups is None else groups
        found = self._eligible(requester, groups, target, now)
        if isinstance(found, NotEligible):
            return self._done(
                Plan(Action.SUBMIT, requester, now, None, None, refusal=found), dry_run
            )
        eligibility = found.eligibility
        auto = None
        if found.auto.approved and not breakglass:
            auto = f"eligibility {eligibility.name} autoApprove entry {found.auto.rule}"
        submission = Submission(requester, target, duration, reason, ticket, breakglass)
        plan = self._new(submission, eligibility.rules(), now, auto_approval=auto)
        return self._done(plan, dry_run)

    def grant(
        self,
        admin: Login,
        user: Login,
        target: Target,
        duration: timedelta,
        *,
        reason: str,
        ticket: str | None = None,
        override: str | None = None,
        dry_run: bool = False,
    ) -> Plan:
        """An admin grants ``user`` access directly: approved at once, audited as an admin grant.

        Without ``override`` the grant must fit one of ``user``'s eligibilities, like a request.
        With it (a reason, required), no eligibility is consulted: the grant is made under
        `OVERRIDE_ELIGIBILITY`, the override reason is kept with the request's reason, and
        only the policy's global ``maxDuration`` limits it.
        """
        now = self._clock()
        refusal: TailjitError | None = None
        if not self.is_admin(admin):
            admins = ", ".join(self.policy.admins) or "nobody"
            refusal = NotAnAdmin(f"{admin} may not grant access directly; admins are: {admins}")
        elif override is not None and not override.strip():
            refusal = JustificationMissing(
                "an override needs a reason: say why the eligibility is bypassed"
            )
        if refusal is not None:
            return self._done(Plan(Action.SUBMIT, admin, now, None, None, refusal=refusal), dry_run)
        if override is None:
            found = self._eligible(user, self.groups_of(user), target, now)
            if isinstance(found, NotEligible):
                plan = Plan(Action.SUBMIT, admin, now, None, None, refusal=found)
                return self._done(plan, dry_run)
            submission = Submission(user, target, duration, reason, ticket)
            plan = self._new(submission, found.eligibility.rules(), now, granted_by=admin)
            return self._done(plan, dry_run)
        override = override.strip()
        full_reason = " ".join(filter(None, (reason.strip(), f"[override: {override}]")))
        submission = Submission(user, target, duration, full_reason, ticket)
        plan = self._new(
            submission,
            self._override_rules(duration),
            now,
            granted_by=admin,
            why=(f"OVERRIDE by {admin}: eligibility not checked ({override})",),
        )
        return self._done(plan, dry_run)

    def _override_rules(self, duration: timedelta) -> Rules:
        maximum = self.policy.max_duration
        return Rules(
            eligibility=OVERRIDE_ELIGIBILITY,
            stages=(Stage(frozenset(self.policy.admins)),),
            default_duration=min(duration, maximum) if duration > timedelta(0) else maximum,
            max_duration=maximum,
            pending_ttl=_OVERRIDE_PENDING_TTL,
            reason_required=True,
        )

    # --- decisions on existing requests ---------------------------------------------------

    def approve(
        self,
        request_id: RequestId,
        approver: Login,
        *,
        comment: str | None = None,
        dry_run: bool = False,
    ) -> Plan:
        """``approver`` approves the request's current stage."""
        request = self.store.get(request_id)
        now = self._clock()
        if self.deactivated(approver):
            refusal = NotAnApprover(f"{approver} is deactivated by an identity provider")
            return self._done(
                Plan(Action.APPROVE, approver, now, request, None, refusal=refusal), dry_run
            )
        plan = plan_approve(
            request, approver=approver, now=now, directory=self.directory, comment=comment
        )
        return self._done(plan, dry_run)

    def deny(
        self,
        request_id: RequestId,
        approver: Login,
        *,
        comment: str | None = None,
        dry_run: bool = False,
    ) -> Plan:
        """An approver of any stage ends the request."""
        request = self.store.get(request_id)
        plan = plan_deny(
            request, approver=approver, now=self._clock(), directory=self.directory, comment=comment
        )
        return self._done(plan, dry_run)

    def cancel(self, request_id: RequestId, actor: Login, *, dry_run: bool = False) -> Plan:
        """The requester withdraws a request not yet active."""
        plan = plan_cancel(self.store.get(request_id), actor=actor, now=self._clock())
        return self._done(plan, dry_run)

    def extend(
        self, request_id: RequestId, by: timedelta, actor: Login, *, dry_run: bool = False
    ) -> Plan:
        """The requester extends their active grant by ``by``."""
        plan = plan_extend(self.store.get(request_id), by=by, actor=actor, now=self._clock())
        return self._done(plan, dry_run)

    def release(self, request_id: RequestId, actor: Login, *, dry_run: bool = False) -> Plan:
        """The requester ends their grant early."""
        plan = plan_release(self.store.get(request_id), actor=actor, now=self._clock())
        return self._done(plan, dry_run)

    def revoke(
        self,
        request_id: RequestId,
        actor: Login,
        *,
        comment: str | None = None,
        dry_run: bool = False,
    ) -> Plan:
        """An admin, or an approver of the request's eligibility, ends the grant now."""
        request = self.store.get(request_id)
        now = self._clock()
        plan = plan_revoke(request, actor=actor, now=now, comment=comment)
        if plan.allowed and not self._may_revoke(actor, request):
            plan = Plan(
                Action.REVOKE,
                actor,
                now,
                request,
                None,
                refusal=RevokeNotAllowed(
                    f"{actor} may not revoke request {request.id}: only an admin or an approver "
                    f"of eligibility {request.eligibility} may"
                ),
            )
        return self._done(plan, dry_run)

    def _may_revoke(self, actor: Login, request: Request) -> bool:
        return self.is_admin(actor) or includes(request.rules.approvers(), actor, self.directory)

    # --- the reconcile loop's side --------------------------------------------------------

    def activate(
        self, request_id: RequestId, *, at: datetime | None = None, dry_run: bool = False
    ) -> Plan:
        """The grant's write has been read back and verified: it is active, its clock starts at
        ``at`` (default now). The reconcile loop passes the instant its cycle planned with, so
        the expiry it wrote into the policy file is the grant's expiry."""
        plan = plan_activate(self.store.get(request_id), now=at or self._clock())
        return self._done(plan, dry_run)

    def expire_due(self, *, dry_run: bool = False) -> list[Plan]:
        """Expire every active grant whose time is up now, in one transaction."""
        return self._due(State.ACTIVE, dry_run)

    def lapse_due(self, *, dry_run: bool = False) -> list[Plan]:
        """Lapse every pending request undecided past its deadline now, in one transaction."""
        return self._due(State.PENDING, dry_run)

    def _due(self, state: State, dry_run: bool) -> list[Plan]:
        now = self._clock()
        due = [r for r in self.store.due(now) if r.state is state]
        if state is State.ACTIVE:
            plans = [plan_expire(r, now=now) for r in due]
        else:
            plans = [plan_lapse(r, now=now) for r in due]
        if plans and not dry_run:
            self.store.commit_all(plans)
        return plans

    # --- identity: access follows group membership -----------------------------------------

    def end_ineligible(
        self,
        login: Login,
        *,
        groups: Collection[GroupName],
        deactivated: bool,
        actor: str,
        reason: str,
        delivery: str | None = None,
        dry_run: bool = False,
    ) -> list[Plan]:
        """End every live request of ``login`` that ``login`` may no longer have; return the
        plans, committed in one transaction (``dry_run``: not committed).

        With ``deactivated`` that is all of them. Otherwise it is each request whose own
        eligibility no longer allows it for ``groups`` (``login``'s groups as they are now),
        or is gone from the policy; another eligibility allowing the same target does not keep
        it. Override grants depend on no eligibility and end only with deactivation. A pending
        request is cancelled, an approved or active one revoked, by ``actor`` (`SYSTEM`, or the
        source and delivery that caused it), with ``reason`` and ``delivery`` as the comment.

        The reconcile loop may move a request on (activate it) between the read and the
        commit; the store then refuses the stale plan, and the requests are read and planned
        again, a bounded number of times.
        """
        comment = _comment_text(reason, delivery)
        attempts = _END_ATTEMPTS
        while True:
            now = self._clock()
            plans = [
                self._end(request, actor=actor, now=now, comment=comment, why=why)
                for request in self.store.find(states=_LIVE, requester=login)
                if (why := self._ineligible(request, groups, deactivated, now)) is not None
            ]
            if dry_run or not plans:
                return plans
            try:
                self.store.commit_all(plans)
            except TailjitError:
                attempts -= 1
                if attempts == 0:
                    raise
                continue
            return plans

    def end_unwritable(self, request_id: RequestId, reason: str) -> Plan:
        """Revoke, as tailjit itself, an approved or active grant the tailnet can no longer
        hold (its destination is gone from the tailnet policy); ``reason`` is the comment."""
        request = self.store.get(request_id)
        why = _comment_text(reason, None)
        plan = self._end(request, actor=SYSTEM, now=self._clock(), comment=why, why=why)
        return self._done(plan, dry_run=False)

    def _ineligible(
        self, request: Request, groups: Collection[GroupName], deactivated: bool, now: datetime
    ) -> str | None:
        """Why ``request`` must end now, or None if it may go on."""
        who = request.requester
        if deactivated:
            return f"{who} is deactivated: every request and grant ends"
        if request.eligibility == OVERRIDE_ELIGIBILITY:
            return None
        matches = self.policy.match(who, groups, request.target, now=now)
        own = next((m for m in matches if m.eligibility.name == request.eligibility), None)
        if own is None:
            return f"eligibility {request.eligibility} is no longer in the policy"
        if own.allowed:
            return None
        return f"eligibility {request.eligibility} no longer allows it: {'; '.join(own.reasons)}"

    def _end(self, request: Request, *, actor: str, now: datetime, comment: str, why: str) -> Plan:
        if request.state is State.PENDING:
            plan = plan_cancel(request, actor=actor, now=now, on_behalf=True, comment=comment)
        else:
            plan = plan_revoke(request, actor=actor, now=now, comment=comment)
        return replace(plan, why=(why, *plan.why))


def _comment_text(reason: str, delivery: str | None) -> str:
    """``reason`` (and ``delivery``, unless the reason names it) as a comment the transitions
    accept whatever a source sent: one printable line, cut to `MAX_COMMENT`. A comment that
    could be refused would leave the user their access."""
    text = reason.strip() or "no longer eligible"
    if delivery and delivery not in text:
        text = f"{text} (delivery {delivery})"
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 3] + "..."
