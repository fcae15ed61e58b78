"""The daemon's HTTP API (the contract's "HTTP API"): starlette routes over the `Backend`.

Every ``/v1`` call is authenticated first (`Authenticator`), acts as the caller, and ends in one
place that turns any exception into the contract's error body (`tailjit.api.errors.api_error`)
and marks the response ``Cache-Control: no-store``. Workflow calls are synchronous SQLite work:
they run in starlette's threadpool, one at a time under a lock, so two calls on one request are
decided in turn (the second sees the first's result) rather than one failing as stale. After a
committed change, not a dry run, the reconcile loop is woken: a grant to write or remove, or a
new deadline to sleep until.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tailjit.api.auth import Authenticator
from tailjit.api.backend import Backend
from tailjit.api.bodies import Field, json_body, query_int, reject_unknown_query
from tailjit.api.errors import ApiError, api_error
from tailjit.api.receivers import LiveReceiverSecrets, ReceiverSecrets, receiver_routes
from tailjit.api.views import plan_json, request_json
from tailjit.durations import parse_duration
from tailjit.errors import InvalidInput
from tailjit.ids import Login, RequestId
from tailjit.requests import Plan, State
from tailjit.targets import Target

__all__ = ["create_app"]

T = TypeVar("T")
Handler = Callable[[Request, Login], Awaitable[Response]]

_NO_STORE = {"Cache-Control": "no-store"}
_MAX_LIST = 10_000
_MAX_AUDIT = 1_000
_DEFAULT_AUDIT = 100

_DRY_RUN = Field(bool, default=False)
_TEXT = Field(str)
_REQUIRED = Field(str, required=True)


def _json(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status, headers=_NO_STORE)


def _error(error: ApiError) -> JSONResponse:
    response = _json(error.body(), error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tailjit"'
    return response


def _as(key: str, parse: Callable[[str], T], text: str) -> T:
    """``parse(text)``, with a refusal naming ``key`` (the body key or path part) as its field."""
    try:
        return parse(text)
    except InvalidInput as exc:
        raise InvalidInput(key, text, exc.allowed) from exc


def _duration(text: str | None) -> timedelta | None:
    return None if text is None else parse_duration(text, field="duration")


class _Api:
    def __init__(self, backend: Backend, auth: Authenticator) -> None:
        self.backend = backend
        self.auth = auth
        self._lock = threading.Lock()

    # --- plumbing -------------------------------------------------------------------------

    def v1(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """``handler`` behind authentication and the error boundary."""

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                peer = request.client.host if request.client is not None else None
                caller = self.auth.authenticate(request.headers, peer)
                if caller is None:
                    raise ApiError(
                        401,
                        "unauthenticated",
                        "no valid credentials: send 'Authorization: Bearer <token>'",
                    )
                response = await handler(request, caller)
            except Exception as exc:  # the error boundary: every failure becomes an answer
                response = _error(api_error(exc))
            response.headers.update(_NO_STORE)
            return response

        return endpoint

    async def _serial(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call`` in the threadpool, one workflow call at a time."""

        def locked() -> T:
            with self._lock:
                return call(*args, **kwargs)

        return await run_in_threadpool(locked)

    async def _admin(self, caller: Login) -> None:
        if not await run_in_threadpool(self.backend.workflow.is_admin, caller):
            admins = ", ".join(self.backend.workflow.policy.admins) or "nobody"
            raise ApiError(403, "not-an-admin", f"{caller} is not an admin; admins are: {admins}")

    async def _target(self, text: str) -> Target:
        return await run_in_threadpool(_as, "target", self.backend.resolve_target, text)

    def _done(self, plan: Plan, dry_run: bool, status: int = 200, **extra: Any) -> JSONResponse:
        """The answer to a workflow call; wakes the reconcile loop unless it was a dry run."""
        if dry_run:
            return _json({**plan_json(plan), **extra})
        self.backend.wake()
        return _json({**plan_json(plan), **extra}, status)

    # --- unauthenticated ------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        ready, detail = self.backend.readiness()
        return _json({"ready": ready, "detail": detail}, 200 if ready else 503)

    # --- /v1 ------------------------------------------------------------------------------

    async def whoami(self, request: Request, caller: Login) -> Response:
        admin = await run_in_threadpool(self.backend.workflow.is_admin, caller)
        return _json({"login": str(caller), "admin": admin})

    async def submit(self, request: Request, caller: Login) -> Response:
        body = await json_body(
            request,
            {
                "target": _REQUIRED,
                "duration": _TEXT,
                "reason": _TEXT,
                "ticket": _TEXT,
                "breakglass": Field(bool, default=False),
                "dry_run": _DRY_RUN,
            },
        )
        target = await self._target(body["target"])
        plan = await self._serial(
            self.backend.workflow.request,
            caller,
            target,
            _duration(body["duration"]),
            reason=body["reason"] or "",
            ticket=body["ticket"],
            breakglass=body["breakglass"],
            dry_run=body["dry_run"],
        )
        return self._done(plan, body["dry_run"], 201)

    async def grant(self, request: Request, caller: Login) -> Response:
        body = await json_body(
            request,
            {
                "user": _REQUIRED,
                "target": _REQUIRED,
                "duration": _REQUIRED,
                "reason": _TEXT,
                "ticket": _TEXT,
                "override": _TEXT,
                "dry_run": _DRY_RUN,
            },
        )
        user = _as("user", Login, body["user"])
        duration = parse_duration(body["duration"], field="duration")
        await self._admin(caller)
        target = await self._target(body["target"])
        # What the grant opens is measured before it is made: afterwards it is already open.
        opens = await run_in_threadpool(self.backend.opens, user, target)
        plan = await self._serial(
            self.backend.workflow.grant,
            caller,
            user,
            target,
            duration,
            reason=body["reason"] or "",
            ticket=body["ticket"],
            override=body["override"],
            dry_run=body["dry_run"],
        )
        return self._done(plan, body["dry_run"], 201, opens=opens)

    async def preview(self, request: Request, caller: Login) -> Response:
        body = await json_body(request, {"user": _REQUIRED, "target": _REQUIRED})
        user = _as("user", Login, body["user"])
        await self._admin(caller)
        target = await self._target(body["target"])
        return _json({"opens": await run_in_threadpool(self.backend.opens, user, target)})

    async def list_requests(self, request: Request, caller: Login) -> Response:
        reject_unknown_query(request, ("state", "requester", "limit"))
        states: list[State] | None = None
        if "state" in request.query_params:
            states = [_as("state", _state, s) for s in request.query_params.getlist("state")]
        requester_text = request.query_params.get("requester")
        requester = None if requester_text is None else _as("requester", Login, requester_text)
        limit = query_int(request, "limit", default=_MAX_LIST, lowest=1, highest=_MAX_LIST)
        found = await run_in_threadpool(self.backend.store.find, states=states, requester=requester)
        # The newest ``limit``, still oldest first.
        return _json({"requests": [request_json(r) for r in found[-limit:]]})

    async def get_request(self, request: Request, caller: Login) -> Response:
        request_id = _as("id", RequestId, request.path_params["id"])
        found = await run_in_threadpool(self.backend.store.get, request_id)
        return _json({"request": request_json(found)})

    def action(self, name: str, fields: dict[str, Field]) -> Handler:
        """``POST /v1/requests/{id}/<name>``: one workflow decision on an existing request."""

        async def handler(request: Request, caller: Login) -> Response:
            request_id = _as("id", RequestId, request.path_params["id"])
            body = await json_body(request, {**fields, "dry_run": _DRY_RUN})
            workflow = self.backend.workflow
            dry_run: bool = body["dry_run"]
            call: Callable[[], Plan]
            if name in ("approve", "deny", "revoke"):
                method = getattr(workflow, name)
                call = functools.partial(
                    method, request_id, caller, comment=body["comment"], dry_run=dry_run
                )
            elif name == "extend":
                by = parse_duration(body["duration"], field="duration")
                call = functools.partial(workflow.extend, request_id, by, caller, dry_run=dry_run)
            else:
                method = getattr(workflow, name)
                call = functools.partial(method, request_id, caller, dry_run=dry_run)
            return self._done(await self._serial(call), dry_run)

        handler.__name__ = name
        return handler

    async def plan(self, request: Request, caller: Login) -> Response:
        await self._admin(caller)
        return _json(dict(await run_in_threadpool(self.backend.plan)))

    async def audit(self, request: Request, caller: Login) -> Response:
        reject_unknown_query(request, ("after", "limit", "subject"))
        after = query_int(request, "after", default=0, lowest=0, highest=2**63 - 1)
        limit = query_int(request, "limit", default=_DEFAULT_AUDIT, lowest=1, highest=_MAX_AUDIT)
        subject = request.query_params.get("subject")
        await self._admin(caller)

        def collect() -> list[dict[str, Any]]:
            records: list[dict[str, Any]] = []
            for record in self.backend.store.audit.records():
                if record.seq <= after or (subject is not None and record.subject != subject):
                    continue
                records.append(record.to_dict())
                if len(records) >= limit:
                    break
            return records

        return _json({"records": await run_in_threadpool(collect)})

    async def reconcile(self, request: Request, caller: Login) -> Response:
        await json_body(request, {})
        await self._admin(caller)
        self.backend.wake()
        return _json({"woken": True}, 202)


def _state(text: str) -> State:
    try:
        return State(text)
    except ValueError:
        names = ", ".join(s.value for s in State)
        raise InvalidInput("state", text, f"one of {names}") from None


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) in the contract's error body."""
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    response = _error(ApiError(exc.status_code, code, message))
    response.headers.update(exc.headers or {})
    return response


def create_app(
    backend: Backend,
    auth: Authenticator,
    receivers: ReceiverSecrets | LiveReceiverSecrets | None = None,
) -> Starlette:
    """The API as an ASGI app (see the module docstring and the contract's "HTTP API"), with
    the receivers of `tailjit.api.receivers` (off unless their secrets are given; a
    `LiveReceiverSecrets` lets a reload replace them) and ``/metrics``."""
    api = _Api(backend, auth)
    comment, duration = {"comment": _TEXT}, {"duration": _REQUIRED}
    actions = {
        "approve": comment,
        "deny": comment,
        "cancel": {},
        "release": {},
        "revoke": comment,
        "extend": duration,
    }
    routes = [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/readyz", api.readyz, methods=["GET"]),
        Route("/v1/whoami", api.v1(api.whoami), methods=["GET"]),
        Route("/v1/requests", api.v1(api.submit), methods=["POST"]),
        Route("/v1/requests", api.v1(api.list_requests), methods=["GET"]),
        Route("/v1/requests/{id}", api.v1(api.get_request), methods=["GET"]),
        *(
            Route(f"/v1/requests/{{id}}/{name}", api.v1(api.action(name, fields)), methods=["POST"])
            for name, fields in actions.items()
        ),
        Route("/v1/grants", api.v1(api.grant), methods=["POST"]),
        Route("/v1/preview", api.v1(api.preview), methods=["POST"]),
        Route("/v1/plan", api.v1(api.plan), methods=["GET"]),
        Route("/v1/audit", api.v1(api.audit), methods=["GET"]),
        Route("/v1/reconcile", api.v1(api.reconcile), methods=["POST"]),
        *receiver_routes(backend, receivers or ReceiverSecrets()),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
