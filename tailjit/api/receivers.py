"""The receivers of identity providers and Tailscale, and ``/metrics``, on the daemon's listener.

Each receiver authenticates a delivery its own way (Okta: a header secret; SCIM: its own bearer
token; Standard Webhooks and Tailscale: an HMAC signature with a timestamp window), never with
the API's bearer tokens. Each secret may hold several values while it is rotated; a delivery
that verifies under any of them is accepted, each comparison in constant time. A receiver whose
secret is not configured answers 404, as if it were not there. The secrets are read once per
request from a `LiveReceiverSecrets`, which a reload replaces whole (SIGHUP: see
`tailjit.daemon.runtime`; it never turns a receiver on or off); the Okta header's name is fixed
when the routes are built. The body is read
up to `tailjit.identity.MAX_BODY_BYTES`; a refused delivery gets a 4xx whose JSON names what was
wrong (401 for authentication, 400 for the body, 413 for the size) and changes nothing. An
accepted one is parsed, handed to the backend's queue and answered at once (Okta waits three
seconds at most): 204 for Okta, 202 for the others. Every outcome is counted in the metrics.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tailjit.api.backend import Backend
from tailjit.api.bodies import BodyTooLarge, read_body
from tailjit.identity import (
    MAX_BODY_BYTES,
    DeliveryRejected,
    IdentityEvent,
    Parsed,
    Reason,
    Source,
    okta,
    signed,
    slack,
    tailscale_events,
)
from tailjit.identity.scim import CONTENT_TYPE as SCIM_CONTENT_TYPE
from tailjit.identity.scim import error_body as scim_error
from tailjit.identity.wire import same_secret, secrets_of

__all__ = ["LiveReceiverSecrets", "ReceiverSecrets", "Secret", "receiver_routes"]

log = logging.getLogger("tailjit.receivers")

_STATUS = {
    Reason.MISSING_HEADER: 401,
    Reason.MALFORMED_HEADER: 401,
    Reason.BAD_SIGNATURE: 401,
    Reason.WRONG_SECRET: 401,
    Reason.STALE_TIMESTAMP: 401,
    Reason.TOO_LARGE: 413,
    Reason.MALFORMED_BODY: 400,
    Reason.UNKNOWN_EVENT: 400,
}


Secret = str | tuple[str, ...]
"""One secret, or several while it is being rotated (any of them verifies a delivery)."""


@dataclass(frozen=True)
class ReceiverSecrets:
    """The receivers' secrets (None: that receiver is off)."""

    okta_header: str = "Authorization"
    okta_secret: Secret | None = None
    scim_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    generic_secret: Secret | None = None
    tailscale_secret: Secret | None = None

    def __repr__(self) -> str:
        on = [name for name in ("okta", "generic", "tailscale") if getattr(self, f"{name}_secret")]
        on += ["scim"] if self.scim_token else []
        on += ["slack"] if self.slack_signing_secret else []
        return f"ReceiverSecrets(on={on})"


class LiveReceiverSecrets:
    """The receivers' secrets as they are now: `replace` swaps them whole, from any thread.

    A request reads them once (``live()``), so it is verified under one set, old or new, never a
    mix of the two.
    """

    def __init__(self, secrets: ReceiverSecrets) -> None:
        self._lock = threading.Lock()
        self._secrets = secrets

    def __call__(self) -> ReceiverSecrets:
        with self._lock:
            return self._secrets

    def replace(self, secrets: ReceiverSecrets) -> None:
        with self._lock:
            self._secrets = secrets

    def __repr__(self) -> str:
        return f"LiveReceiverSecrets({self()!r})"


async def _body(request: Request) -> bytes:
    return await read_body(request, MAX_BODY_BYTES)


def _refused(status: int, reason: str, message: str) -> JSONResponse:
    body = {"error": {"code": reason, "message": message, "field": None}}
    return JSONResponse(body, status, headers={"Cache-Control": "no-store"})


class _Receivers:
    def __init__(self, backend: Backend, secrets: LiveReceiverSecrets) -> None:
        self.backend = backend
        self.secrets = secrets
        self.okta_header = secrets().okta_header

    def receiver(
        self,
        source: Source,
        secret_of: Callable[[ReceiverSecrets], Secret | None],
        handle: Callable[[Request, bytes, Secret], list[IdentityEvent]],
        accepted: int = 202,
    ) -> Callable[[Request], Awaitable[Response]]:
        """A POST endpoint: read, authenticate and parse with ``handle``, queue, answer."""

        async def endpoint(request: Request) -> Response:
            secret = secret_of(self.secrets())
            if secret is None:
                return _refused(404, "not-found", f"the {source} receiver is not configured")
            try:
                body = await _body(request)
                events = handle(request, body, secret)
            except BodyTooLarge:
                self.backend.count_webhook(str(source), "rejected", str(Reason.TOO_LARGE))
                return _refused(413, str(Reason.TOO_LARGE), f"over {MAX_BODY_BYTES} bytes")
            except DeliveryRejected as rejected:
                self.backend.count_webhook(str(source), "rejected", str(rejected.reason))
                return _refused(_STATUS[rejected.reason], str(rejected.reason), rejected.message)
            self.backend.identity(events)
            self.backend.count_webhook(str(source), "accepted")
            return Response(status_code=accepted)

        return endpoint

    # --- Okta ------------------------------------------------------------------------------

    async def okta_check(self, request: Request) -> Response:
        """The one-time verification GET: the configured secret, then the challenge echoed."""
        secret = self.secrets().okta_secret
        if secret is None:
            return _refused(404, "not-found", "the okta receiver is not configured")
        try:
            okta.check_secret(request.headers, header_name=self.okta_header, secret=secret)
            answer = okta.verification_response(request.headers)
        except DeliveryRejected as rejected:
            self.backend.count_webhook("okta", "rejected", str(rejected.reason))
            return _refused(_STATUS[rejected.reason], str(rejected.reason), rejected.message)
        return JSONResponse(answer)

    def okta(self, request: Request, body: bytes, secret: Secret) -> list[IdentityEvent]:
        okta.check_secret(request.headers, header_name=self.okta_header, secret=secret)
        return _kept(Source.OKTA, okta.parse_delivery(body))

    # --- Standard Webhooks and Tailscale ---------------------------------------------------

    def generic(self, request: Request, body: bytes, secret: Secret) -> list[IdentityEvent]:
        delivery = signed.verify(request.headers, body, secret=secret, now=self.backend.now())
        return signed.parse_event(body, delivery)

    def tailscale(self, request: Request, body: bytes, secret: Secret) -> list[IdentityEvent]:
        tailscale_events.verify(request.headers, body, secret=secret, now=self.backend.now())
        delivery = tailscale_events.delivery_id(body)
        return _kept(Source.TAILSCALE, tailscale_events.parse_events(body, delivery))

    # --- SCIM ------------------------------------------------------------------------------

    async def scim(self, request: Request) -> Response:
        """``/scim/v2/...``: bearer-token authentication, then the SCIM directory."""
        token = self.secrets().scim_token
        if token is None:
            return _scim(404, scim_error(404, "SCIM is not configured"))
        if not bearer_matches(request.headers.get("authorization", ""), token):
            self.backend.count_webhook("scim", "rejected", str(Reason.WRONG_SECRET))
            return _scim(401, scim_error(401, "missing or wrong bearer token"))
        try:
            body = await _body(request)
        except BodyTooLarge:
            self.backend.count_webhook("scim", "rejected", str(Reason.TOO_LARGE))
            return _scim(413, scim_error(413, f"over {MAX_BODY_BYTES} bytes"))
        path = "/" + request.path_params["path"]
        status, answer = await run_in_threadpool(
            self.backend.scim, request.method, path, dict(request.query_params), body
        )
        outcome = "accepted" if status < 400 else "rejected"
        self.backend.count_webhook("scim", outcome, "" if status < 400 else str(status))
        return _scim(status, answer)

    # --- Slack -----------------------------------------------------------------------------

    async def slack(self, request: Request) -> Response:
        """A button click: Slack's signature, then the approval as the clicking user. Slack
        shows nothing of the answer; the outcome goes into the message itself."""
        secret = self.secrets().slack_signing_secret
        if secret is None:
            return _refused(404, "not-found", "the slack receiver is not configured")
        try:
            body = await _body(request)
            slack.verify(request.headers, body, signing_secret=secret, now=self.backend.now())
            click = slack.parse_interaction(body)
        except BodyTooLarge:
            self.backend.count_webhook("slack", "rejected", str(Reason.TOO_LARGE))
            return _refused(413, str(Reason.TOO_LARGE), f"over {MAX_BODY_BYTES} bytes")
        except DeliveryRejected as rejected:
            self.backend.count_webhook("slack", "rejected", str(rejected.reason))
            return _refused(_STATUS[rejected.reason], str(rejected.reason), rejected.message)
        self.backend.count_webhook("slack", "accepted")
        outcome = await run_in_threadpool(self.backend.slack_click, click)
        return JSONResponse({"text": outcome})

    # --- metrics ---------------------------------------------------------------------------

    async def metrics(self, request: Request) -> Response:
        body, content_type = self.backend.metrics()
        return Response(body, headers={"Content-Type": content_type})


def bearer_matches(authorization: str, token: Secret) -> bool:
    """Whether an ``Authorization: Bearer`` header carries ``token`` (any of them, during a
    rotation). Every token is compared, so the time taken does not say which one matched."""
    offered = authorization.removeprefix("Bearer ").strip()
    return bool(sum(same_secret(offered, t) for t in secrets_of(token, "scim token")))


def _kept(source: Source, parsed: Parsed) -> list[IdentityEvent]:
    """The events of a delivery; the ones tailjit acts on but could not use are logged."""
    for reason in parsed.skipped:
        log.warning("%s delivery: skipped %s", source, reason)
    return list(parsed.events)


def _scim(status: int, body: Mapping[str, Any] | None) -> Response:
    if body is None:
        return Response(status_code=status)
    return Response(json.dumps(body), status, media_type=SCIM_CONTENT_TYPE)


def receiver_routes(
    backend: Backend, secrets: ReceiverSecrets | LiveReceiverSecrets
) -> list[Route]:
    """The receivers' routes, at their documented paths. Pass a `LiveReceiverSecrets` to be
    able to replace the secrets while the app runs."""
    live = secrets if isinstance(secrets, LiveReceiverSecrets) else LiveReceiverSecrets(secrets)
    receivers = _Receivers(backend, live)
    okta_post = receivers.receiver(Source.OKTA, lambda s: s.okta_secret, receivers.okta, 204)
    generic = receivers.receiver(Source.GENERIC, lambda s: s.generic_secret, receivers.generic)
    tailscale = receivers.receiver(
        Source.TAILSCALE, lambda s: s.tailscale_secret, receivers.tailscale
    )
    return [
        Route("/v1/webhooks/okta", receivers.okta_check, methods=["GET"]),
        Route("/v1/webhooks/okta", okta_post, methods=["POST"]),
        Route("/v1/webhooks/generic", generic, methods=["POST"]),
        Route("/v1/webhooks/tailscale", tailscale, methods=["POST"]),
        Route(
            "/scim/v2/{path:path}",
            receivers.scim,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        ),
        Route("/v1/slack/interactions", receivers.slack, methods=["POST"]),
        Route("/metrics", receivers.metrics, methods=["GET"]),
    ]
