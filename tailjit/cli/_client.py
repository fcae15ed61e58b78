"""The CLI's client of the daemon's HTTP API: where the daemon is, which token to send, and what
its answers mean as exit codes.

`discover` finds the URL and the token (the command line wins over the environment, which wins
over the defaults); `DaemonClient` sends JSON and turns every answer that is not a 2xx JSON object
into a `DaemonError` carrying the exit code of the contract. The token is sent, never shown: error
messages name where it came from instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import click
import httpx

from tailjit import __version__

__all__ = [
    "DEFAULT_STATE_DIR",
    "DEFAULT_URL",
    "EXIT_CODES",
    "Connection",
    "DaemonClient",
    "DaemonError",
    "ExitCode",
    "discover",
    "new_http_client",
]

DEFAULT_URL = "http://127.0.0.1:8765"
DEFAULT_STATE_DIR = Path("/var/lib/tailjit")


class ExitCode:
    """The exit statuses of the commands that talk to the daemon."""

    OK = 0
    REFUSED = 1
    INVALID = 2
    UNREACHABLE = 3
    UNAUTHENTICATED = 4
    NOT_FOUND = 5
    TIMED_OUT = 6


EXIT_CODES = """\
\b
Exit status:
  0  done
  1  refused: not allowed, or not in this state (also a refused --dry-run plan)
  2  invalid input: a bad argument or option, or one the daemon refused
  3  the daemon is not reachable or not ready
  4  not authenticated: no token, or one the daemon does not know
  5  no such request
  6  timed out waiting for the grant to become active
"""
"""The epilog every daemon command shows under its help."""

_STATUS_EXIT = {
    400: ExitCode.INVALID,
    401: ExitCode.UNAUTHENTICATED,
    403: ExitCode.REFUSED,
    404: ExitCode.NOT_FOUND,
    409: ExitCode.REFUSED,
    422: ExitCode.REFUSED,
    503: ExitCode.UNREACHABLE,
}
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: anything else is a typo
_HOW_TO_START = (
    "start it with `tailjit daemon --config FILE`, or try tailjit without a tailnet with "
    "`tailjit daemon --sandbox DIR`; --url or TAILJIT_URL name another address"
)
_BODY_SHOWN = 200


class DaemonError(click.ClickException):
    """The daemon refused, failed, or could not be reached; ``exit_code`` says which.

    ``status``, ``code`` and ``field`` are those of the daemon's error answer, when there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        # ClickException declares exit_code on the class; click reads it from the instance.
        self.exit_code = exit_code  # type: ignore[misc]
        self.status = status
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Connection:
    """Where the daemon is and what to authenticate with.

    ``token_source`` says where the token came from (or why there is none), for messages;
    ``token`` itself is left out of the repr.
    """

    url: str
    token: str | None = field(repr=False)
    token_source: str


def discover(*, url: str | None, token_file: Path | None, environ: Mapping[str, str]) -> Connection:
    """The connection the options and the environment describe.

    URL: ``url``, else ``TAILJIT_URL``, else `DEFAULT_URL`. Token: the contents of
    ``token_file``, else ``TAILJIT_TOKEN``, else ``$TAILJIT_STATE_DIR/admin.token`` (state dir
    default `DEFAULT_STATE_DIR`) when it is readable, else none. A token file named on the
    command line that cannot be read, and a malformed URL or token, are usage errors.
    """
    hint = "'--url'" if url else "TAILJIT_URL"
    base = _checked_url(url or environ.get("TAILJIT_URL") or DEFAULT_URL, hint)
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise click.BadParameter(
                f"cannot read {token_file}: {reason}", param_hint="'--token-file'"
            ) from exc
        return Connection(base, _checked_token(text, f"--token-file {token_file}"), str(token_file))
    if environ.get("TAILJIT_TOKEN", "").strip():
        text = environ["TAILJIT_TOKEN"].strip()
        return Connection(base, _checked_token(text, "TAILJIT_TOKEN"), "TAILJIT_TOKEN")
    state_dir = Path(environ.get("TAILJIT_STATE_DIR") or DEFAULT_STATE_DIR)
    admin_token = state_dir / "admin.token"
    try:
        text = admin_token.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return Connection(base, None, f"no token ({admin_token}: {reason})")
    if not text:
        return Connection(base, None, f"no token ({admin_token} is empty)")
    return Connection(base, _checked_token(text, str(admin_token)), str(admin_token))


def _checked_url(text: str, hint: str) -> str:
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise click.BadParameter(f"{text!r} is not a URL: {exc}", param_hint=hint) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise click.BadParameter(
            f"{text!r} is not an http:// or https:// URL such as {DEFAULT_URL}", param_hint=hint
        )
    return text.rstrip("/")


def _checked_token(text: str, source: str) -> str:
    if not _TOKEN.fullmatch(text):
        # The token is not shown, not even in part: say where it came from instead.
        raise click.BadParameter(
            f"the token from {source} is empty or holds spaces, line breaks or non-ASCII "
            "characters; a token is one line of printable ASCII",
            param_hint="token",
        )
    return text


def new_http_client() -> httpx.Client:
    """The `httpx.Client` the commands use: the seam tests replace to hand in a transport."""
    return httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))


class DaemonClient:
    """JSON over HTTP to the daemon at ``connection.url``, through ``http``.

    Each call returns the answer's JSON object or raises `DaemonError`. Closing the client closes
    ``http``.
    """

    def __init__(self, connection: Connection, *, http: httpx.Client) -> None:
        self.connection = connection
        self._http = http

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET ``path`` (``/v1/...``) with query ``params`` (a list value repeats the key)."""
        return self._call("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST the JSON ``body`` to ``path``."""
        return self._call("POST", path, json=dict(body))

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self.connection.url
        headers = {"Accept": "application/json", "User-Agent": f"tailjit-cli/{__version__}"}
        if self.connection.token is not None:
            headers["Authorization"] = f"Bearer {self.connection.token}"
        try:
            response = self._http.request(method, url + path, headers=headers, **kwargs)
        except httpx.ConnectError as exc:
            raise DaemonError(
                f"the tailjit daemon at {url} is not running (connection refused): {_HOW_TO_START}",
                exit_code=ExitCode.UNREACHABLE,
            ) from exc
        except httpx.TimeoutException as exc:
            raise DaemonError(
                f"the tailjit daemon at {url} did not answer in time ({type(exc).__name__}); "
                f"if it is not running, {_HOW_TO_START}",
                exit_code=ExitCode.UNREACHABLE,
            ) from exc
        except httpx.TransportError as exc:
            raise DaemonError(
                f"could not talk to the tailjit daemon at {url}: {exc}; if it is not running, "
                f"{_HOW_TO_START}",
                exit_code=ExitCode.UNREACHABLE,
            ) from exc
        return self._translate(method, path, response)

    def _translate(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and isinstance(data, dict):
            return data
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            body = response.text[:_BODY_SHOWN]
            raise DaemonError(
                f"{self.connection.url} answered {method} {path} with HTTP "
                f"{response.status_code} and {body!r}, not as a tailjit daemon does; "
                "is --url (or TAILJIT_URL) right?",
                exit_code=ExitCode.UNREACHABLE,
                status=response.status_code,
            )
        status = response.status_code
        code = error.get("code") if isinstance(error.get("code"), str) else None
        where = error.get("field") if isinstance(error.get("field"), str) else None
        message = f"{error['message']} ({code})" if code else error["message"]
        if status == 401:
            message += (
                f"; token: {self.connection.token_source}. Pass --token-file FILE or set "
                "TAILJIT_TOKEN; the daemon writes its admin token to STATE_DIR/admin.token"
            )
        elif status == 503:
            message += "; the daemon is starting or cannot reach the tailnet: see its log"
        elif status >= 500:
            message += "; the daemon failed: see its log"
        exit_code = _STATUS_EXIT.get(status)
        if exit_code is None:
            exit_code = ExitCode.UNREACHABLE if status >= 500 else ExitCode.REFUSED
        raise DaemonError(message, exit_code=exit_code, status=status, code=code, field=where)
