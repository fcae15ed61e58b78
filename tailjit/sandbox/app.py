"""The Starlette application: HTTP in, `Call` to the `Emulator`, `Reply` back out.

All emulation lives in framework-free modules; this file only converts requests and
responses, applies the injected latency and faults to ``/api/v2`` calls, and logs them.
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tailjit.instants import format_instant
from tailjit.sandbox.emulator import Emulator
from tailjit.sandbox.faults import Injection
from tailjit.sandbox.messages import Call, Reply, message_reply
from tailjit.sandbox.routes import API, Router

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_app(emulator: Emulator) -> Starlette:
    router = Router()

    async def handle(request: Request) -> Response:
        path: str = request.scope["path"]
        is_api = path == API or path.startswith(API + "/")
        injection = emulator.faults.decide() if is_api else Injection()
        if injection.delay:
            await asyncio.sleep(injection.delay)
        call = Call(
            method=request.method,
            path=path,
            query=request.query_params.multi_items(),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.body(),
        )
        match = router.match(call.method, path)
        fault = None
        if match.endpoint is None:
            reply = message_reply(
                match.status, "not found" if match.status == 404 else "method not allowed"
            )
        elif injection.status is not None and not injection.after_apply:
            reply, fault = (
                _injected(injection),
                "rate_limit" if injection.status == 429 else "error",
            )
        else:
            call = Call(call.method, path, match.params, call.query, call.headers, call.body)
            reply = await run_in_threadpool(emulator.dispatch, match.endpoint, call)
            if injection.status is not None:
                reply, fault = _injected(injection), "error_after_apply"
        if is_api:
            emulator.requests.record(
                time=format_instant(emulator.state.clock()),
                method=call.method,
                path=path,
                query=request.url.query,
                status=reply.status,
                fault=fault,
            )
        return Response(reply.body, reply.status, dict(reply.headers), reply.content_type)

    return Starlette(routes=[Route("/{path:path}", handle, methods=_METHODS)])


def _injected(injection: Injection) -> Reply:
    return message_reply(injection.status or 500, injection.message, injection.headers)
