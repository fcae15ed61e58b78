"""The daemon's HTTP API, as an ASGI app: JSON in, JSON out, every ``/v1`` call authenticated.

`create_app(backend, auth)` builds the starlette app; `Backend` is what it needs from the
running daemon, `Authenticator` decides who a call comes from, `request_json` is a request as
the API shows it. The routes, bodies and error codes are those of the shared contract ("HTTP
API"); the daemon serves the app with uvicorn.
"""

from tailjit.api.app import create_app
from tailjit.api.auth import Authenticator
from tailjit.api.backend import Backend
from tailjit.api.errors import ApiError
from tailjit.api.receivers import LiveReceiverSecrets, ReceiverSecrets
from tailjit.api.views import plan_json, request_json

__all__ = [
    "ApiError",
    "Authenticator",
    "Backend",
    "LiveReceiverSecrets",
    "ReceiverSecrets",
    "create_app",
    "plan_json",
    "request_json",
]
