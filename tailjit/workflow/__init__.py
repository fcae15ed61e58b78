"""The workflow service: requests, approvals and grants, planned, checked and stored.

`Workflow` binds the pure request workflow (`tailjit.requests`) to the eligibility policy, a
group directory, a clock, an id source and a `RequestStore` (in the daemon, `tailjit.store.Store`).
Every method returns the `tailjit.requests.Plan` it made; ``dry_run=True`` returns it without
writing anything. Refusals are typed `tailjit.errors.TailjitError` subclasses, each with a
message that names what is wrong.
"""

from tailjit.workflow.errors import NotAnAdmin, NotEligible, RevokeNotAllowed
from tailjit.workflow.ports import Clock, IdSource, RequestStore
from tailjit.workflow.service import OVERRIDE_ELIGIBILITY, Workflow

__all__ = [
    "OVERRIDE_ELIGIBILITY",
    "Clock",
    "IdSource",
    "NotAnAdmin",
    "NotEligible",
    "RequestStore",
    "RevokeNotAllowed",
    "Workflow",
]
