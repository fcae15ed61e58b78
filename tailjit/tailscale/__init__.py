"""A client of the Tailscale API v2: policy file, devices, users, posture attributes.

Build `TailscaleSettings` once (``TailscaleSettings.from_env(os.environ)`` at the entry point),
then ``TailscaleClient(httpx.Client(), settings)``. The policy file travels as HuJSON text with
its ETag, and is written only under ``If-Match``; errors are `TailscaleError` subclasses;
429, 5xx and transport failures are retried within the settings' budget, nothing else is.
"""

from tailjit.tailscale._auth import ApiKeyAuth, Clock, Credentials, OAuthClientAuth
from tailjit.tailscale._client import TailscaleClient
from tailjit.tailscale._errors import (
    ApiError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServerError,
    SettingsError,
    TailscaleError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    ValidationFailed,
    redact,
)
from tailjit.tailscale._models import (
    TS_DEFAULT,
    AttributeUpdate,
    AttributeValue,
    Device,
    PolicyFile,
    PolicyPreview,
    PostureAttribute,
    PostureAttributes,
    PreviewMatch,
    User,
    format_expiry,
    quote_etag,
)
from tailjit.tailscale._retry import Sleep, is_retryable, next_wait
from tailjit.tailscale._settings import TailscaleSettings
from tailjit.tailscale.tailnet_port import TailscaleTailnet

__all__ = [
    "TS_DEFAULT",
    "ApiError",
    "ApiKeyAuth",
    "AttributeUpdate",
    "AttributeValue",
    "Clock",
    "Credentials",
    "Device",
    "Forbidden",
    "NotFound",
    "OAuthClientAuth",
    "PolicyFile",
    "PolicyPreview",
    "PostureAttribute",
    "PostureAttributes",
    "PreconditionFailed",
    "PreviewMatch",
    "RateLimited",
    "ServerError",
    "SettingsError",
    "Sleep",
    "TailscaleClient",
    "TailscaleError",
    "TailscaleSettings",
    "TailscaleTailnet",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "User",
    "ValidationFailed",
    "format_expiry",
    "is_retryable",
    "next_wait",
    "quote_etag",
    "redact",
]
