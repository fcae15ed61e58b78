"""The commands that talk to a running daemon: request, grant, approve, ls, show, ...

Each one checks its arguments locally first (a bad duration, port, id or login is exit 2 before
any call), then calls the daemon's HTTP API through `DaemonClient`, whose `DaemonError` carries
the exit code. ``--json`` prints the daemon's JSON as it is (``grant`` adds a summary),
``--dry-run`` asks the daemon for the plan without changing anything and prints it.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tailjit.cli import _client
from tailjit.cli._client import EXIT_CODES, DaemonClient, DaemonError, ExitCode, discover
from tailjit.cli._main import _parsed, main
from tailjit.cli._main import audit as audit_group
from tailjit.cli._render import describe_opens, describe_plan, show_lines, summary, table
from tailjit.durations import format_duration, parse_duration
from tailjit.ids import Login, RequestId
from tailjit.targets import ALL_PORTS, PROTOCOLS, parse_port_range, parse_protocol

LIVE_STATES = ("pending", "approved", "active")
STATES = (*LIVE_STATES, "expired", "revoked", "released", "denied", "cancelled", "lapsed")
FINAL_STATES = frozenset(STATES) - frozenset(LIVE_STATES)
POLL_INTERVAL = 0.2
"""Seconds between two looks at a grant that --wait is waiting for."""
_WITH_PORTS = frozenset({"tcp", "udp", "sctp"})


# --- the shared pieces ----------------------------------------------------------------------


def _uses_daemon(command: Callable[..., None]) -> Callable[..., None]:
    """Add --url and --token-file, and hand the command a `DaemonClient` as its first argument."""

    @click.option(
        "--url",
        metavar="URL",
        help="The daemon's address (default: $TAILJIT_URL, else http://127.0.0.1:8765).",
    )
    @click.option(
        "--token-file",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read the API token from FILE (default: $TAILJIT_TOKEN, else "
        "$TAILJIT_STATE_DIR/admin.token when readable; state dir default /var/lib/tailjit).",
    )
    @functools.wraps(command)
    def wrapper(url: str | None, token_file: Path | None, **kwargs: Any) -> None:
        connection = discover(url=url, token_file=token_file, environ=os.environ)
        ctx = click.get_current_context()
        daemon = ctx.with_resource(DaemonClient(connection, http=_client.new_http_client()))
        command(daemon, **kwargs)

    return wrapper


def _target_shape(text: str) -> str:
    """HOST:PORT checked for shape and port; the daemon resolves the host (it may be a device)."""
    host, colon, ports = text.rpartition(":")
    if not colon or not host or any(c.isspace() for c in host):
        raise ValueError(f"{text!r} is not HOST:PORT (such as db-prod:5432)")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(
            f"{text!r} is not HOST:PORT: an IPv6 address goes in brackets ([fd7a::1]:22), "
            "and the protocol goes in --proto"
        )
    parse_port_range(ports)  # InvalidInput (a ValueError) names the ports
    return text


def _api_target(proto: str, target: str) -> str:
    """``<proto>:<HOST:PORT>``, refusing ports on a protocol that carries none."""
    ports = target.rpartition(":")[2]
    if proto not in _WITH_PORTS and parse_port_range(ports) != ALL_PORTS:
        raise click.BadParameter(
            f"{proto} carries no ports: use HOST:* with --proto {proto}", param_hint="'HOST:PORT'"
        )
    return f"{proto}:{target}"


def _duration(text: str) -> str:
    return format_duration(parse_duration(text))


_PROTO_OPTION = click.option(
    "--proto",
    default="tcp",
    metavar="PROTO",
    show_default=True,
    callback=_parsed(parse_protocol),
    help=f"Protocol: one of {', '.join(PROTOCOLS)}, or a number 1-255.",
)
_JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print the daemon's answer as JSON."
)
_DRY_RUN_OPTION = click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would happen and change nothing (exit 1 if refused).",
)
_ID_ARGUMENT = click.argument("request_id", metavar="ID", callback=_parsed(RequestId.parse))
_COMMENT_OPTION = click.option("--comment", metavar="TEXT", help="A comment for the audit log.")


def _wait_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--wait/--no-wait (default: wait) and --timeout, for the commands that make a grant."""
    command = click.option(
        "--timeout",
        type=click.FloatRange(min=0),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="How long --wait waits (exit 6 after that).",
    )(command)
    return click.option(
        "--wait/--no-wait",
        default=True,
        show_default=True,
        help="Wait until the grant is active in the tailnet.",
    )(command)


def _interactive() -> bool:
    """Whether a person can answer a question on standard input."""
    return sys.stdin.isatty()


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _finish_dry_run(answer: dict[str, Any], as_json: bool) -> None:
    plan = answer.get("plan") or {}
    if as_json:
        _print_json(answer)
    else:
        click.echo(describe_plan(plan))
    if not plan.get("allowed"):
        raise click.exceptions.Exit(ExitCode.REFUSED)


def _wait_active(daemon: DaemonClient, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The request once its grant is active, polling every `POLL_INTERVAL` seconds."""
    deadline = time.monotonic() + timeout
    while request.get("state") != "active":
        if request.get("state") in FINAL_STATES:
            raise DaemonError(
                f"request {request.get('id')} ended as {request.get('state')} before its grant "
                "became active",
                exit_code=ExitCode.REFUSED,
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DaemonError(
                f"request {request.get('id')} is still {request.get('state')} after {timeout:g}s: "
                "the daemon has not applied the grant to the tailnet yet; see `tailjit plan` "
                f"and the daemon's log, or look again with `tailjit show {request.get('id')}`",
                exit_code=ExitCode.TIMED_OUT,
            )
        time.sleep(min(POLL_INTERVAL, remaining))
        request = daemon.get(f"/v1/requests/{request.get('id')}")["request"]
    return request


def _act(
    daemon: DaemonClient,
    request_id: str,
    action: str,
    body: dict[str, Any],
    *,
    as_json: bool,
    dry_run: bool,
) -> dict[str, Any] | None:
    """POST an action on a request; print a dry run and return None, else return the answer."""
    answer = daemon.post(f"/v1/requests/{request_id}/{action}", {**body, "dry_run": dry_run})
    if dry_run:
        _finish_dry_run(answer, as_json)
        return None
    return answer


def _report(answer: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(answer)
    else:
        click.echo(summary(answer["request"]))


# --- grant and request ----------------------------------------------------------------------


@main.command("grant", epilog=EXIT_CODES)
@click.argument("user", callback=_parsed(Login.parse))
@click.argument("target", metavar="HOST:PORT", callback=_parsed(_target_shape))
@click.argument("duration", callback=_parsed(_duration))
@_PROTO_OPTION
@click.option("--reason", metavar="TEXT", help="Why the access is needed.")
@click.option("--ticket", metavar="ID", help="The ticket this access is for.")
@click.option(
    "--override",
    metavar="REASON",
    help="Grant even though no eligibility allows it, flagged and audited with REASON.",
)
@click.option("--yes", "-y", is_flag=True, help="Grant without asking.")
@_wait_options
@_JSON_OPTION
@_DRY_RUN_OPTION
@_uses_daemon
def grant(
    daemon: DaemonClient,
    user: str,
    target: str,
    duration: str,
    proto: str,
    reason: str | None,
    ticket: str | None,
    override: str | None,
    yes: bool,
    wait: bool,
    timeout: float,
    as_json: bool,
    dry_run: bool,
) -> None:
    """Give USER access to HOST:PORT for DURATION now (admins only).

    First shows what the grant would newly open in the tailnet and asks before granting; --yes
    skips the question, and is required when standard input is not a terminal or with --json.
    By default it waits until the grant is active in the tailnet. HOST may be a host alias, a
    tag, an address or a device name; DURATION is like 30m, 1h or 1h30m. --json prints id,
    grant_id, state, expires_at, override, opens and the whole request.
    """
    api_target = _api_target(proto, target)
    if not (yes or dry_run) and (as_json or not _interactive()):
        raise click.UsageError(
            "refusing to grant without confirmation: pass --yes (standard input is not a "
            "terminal, or --json was given), or --dry-run to see what would happen"
        )
    body = {
        "user": user,
        "target": api_target,
        "duration": duration,
        "reason": reason,
        "ticket": ticket,
        "override": override,
    }
    if dry_run:
        answer = daemon.post("/v1/grants", {**body, "dry_run": True})
        if not as_json and answer.get("opens") is not None:
            click.echo(describe_opens(user, api_target, answer["opens"]))
        _finish_dry_run(answer, as_json)
        return
    if not as_json:
        opens = daemon.post("/v1/preview", {"user": user, "target": api_target}).get("opens")
        click.echo(describe_opens(user, api_target, opens or []))
        if not yes and not click.confirm("Grant?", default=False):
            click.echo("nothing granted")
            raise click.exceptions.Exit(ExitCode.REFUSED)
    answer = daemon.post("/v1/grants", {**body, "dry_run": False})
    request = answer["request"]
    if wait:
        request = _wait_active(daemon, request, timeout)
    if as_json:
        _print_json(
            {
                "id": request.get("id"),
                "grant_id": request.get("grant_id"),
                "state": request.get("state"),
                "expires_at": request.get("expires_at"),
                "override": bool(request.get("override")),
                "opens": answer.get("opens"),
                "request": request,
            }
        )
    else:
        click.echo(summary(request))


@main.command("request", epilog=EXIT_CODES)
@click.argument("target", metavar="HOST:PORT", callback=_parsed(_target_shape))
@click.argument("duration", required=False, callback=_parsed(_duration))
@_PROTO_OPTION
@click.option("--reason", metavar="TEXT", help="Why you need the access.")
@click.option("--ticket", metavar="ID", help="The ticket this access is for.")
@click.option(
    "--breakglass",
    is_flag=True,
    help="Emergency access without approval, where an eligibility allows it (flagged and "
    "announced).",
)
@_JSON_OPTION
@_DRY_RUN_OPTION
@_uses_daemon
def request(
    daemon: DaemonClient,
    target: str,
    duration: str | None,
    proto: str,
    reason: str | None,
    ticket: str | None,
    breakglass: bool,
    as_json: bool,
    dry_run: bool,
) -> None:
    """Ask for access to HOST:PORT for DURATION (default: the eligibility's).

    Prints the new request's id and state, and who may approve it when it waits for approval.
    """
    body = {
        "target": _api_target(proto, target),
        "duration": duration,
        "reason": reason,
        "ticket": ticket,
        "breakglass": breakglass,
        "dry_run": dry_run,
    }
    answer = daemon.post("/v1/requests", body)
    if dry_run:
        _finish_dry_run(answer, as_json)
        return
    if as_json:
        _print_json(answer)
        return
    found = answer["request"]
    line = summary(found)
    if found.get("eligibility"):
        line += f", eligibility {found['eligibility']}"
    click.echo(line)
    approvers = ((answer.get("plan") or {}).get("approvals") or {}).get("approvers")
    if found.get("state") == "pending" and approvers:
        click.echo(f"waiting for approval by one of: {', '.join(approvers)}")


# --- actions on a request -------------------------------------------------------------------


@main.command("approve", epilog=EXIT_CODES)
@_ID_ARGUMENT
@_COMMENT_OPTION
@_wait_options
@_JSON_OPTION
@_DRY_RUN_OPTION
@_uses_daemon
def approve(
    daemon: DaemonClient,
    request_id: str,
    comment: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
    dry_run: bool,
) -> None:
    """Approve request ID (or its current stage).

    When this approval completes the request, waits (unless --no-wait) until its grant is active;
    with --json the printed request is the one after waiting.
    """
    answer = _act(
        daemon, request_id, "approve", {"comment": comment}, as_json=as_json, dry_run=dry_run
    )
    if answer is None:
        return
    if wait and answer["request"].get("state") == "approved":
        answer = {**answer, "request": _wait_active(daemon, answer["request"], timeout)}
    _report(answer, as_json)


def _simple_action(name: str, doc: str, *, takes_comment: bool) -> None:
    """Register ``tailjit NAME ID`` posting to /v1/requests/ID/NAME."""

    @_ID_ARGUMENT
    @_JSON_OPTION
    @_DRY_RUN_OPTION
    @_uses_daemon
    def command(
        daemon: DaemonClient,
        request_id: str,
        as_json: bool,
        dry_run: bool,
        comment: str | None = None,
    ) -> None:
        body = {"comment": comment} if takes_comment else {}
        answer = _act(daemon, request_id, name, body, as_json=as_json, dry_run=dry_run)
        if answer is not None:
            _report(answer, as_json)

    if takes_comment:
        command = _COMMENT_OPTION(command)
    main.command(name, help=doc, epilog=EXIT_CODES)(command)


_simple_action("deny", "Deny pending request ID.", takes_comment=True)
_simple_action(
    "revoke", "End request ID's access now (or withdraw its approval).", takes_comment=True
)
_simple_action(
    "release", "Give back your own active access ID before it expires.", takes_comment=False
)
_simple_action("cancel", "Withdraw your own request ID before it is approved.", takes_comment=False)


@main.command("extend", epilog=EXIT_CODES)
@_ID_ARGUMENT
@click.argument("duration", callback=_parsed(_duration))
@_JSON_OPTION
@_DRY_RUN_OPTION
@_uses_daemon
def extend(
    daemon: DaemonClient, request_id: str, duration: str, as_json: bool, dry_run: bool
) -> None:
    """Add DURATION (like 30m or 1h) to active access ID, within its eligibility's limits."""
    answer = _act(
        daemon, request_id, "extend", {"duration": duration}, as_json=as_json, dry_run=dry_run
    )
    if answer is not None:
        _report(answer, as_json)


# --- reading ----------------------------------------------------------------------------------


@main.command("ls", epilog=EXIT_CODES)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(STATES),
    help="Only requests in this state. Repeatable (default: pending, approved and active).",
)
@click.option("--user", callback=_parsed(Login.parse), help="Only requests by this login.")
@click.option("--all", "show_all", is_flag=True, help="Requests in every state.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N requests.")
@_JSON_OPTION
@_uses_daemon
def ls(
    daemon: DaemonClient,
    states: tuple[str, ...],
    user: str | None,
    show_all: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """List access requests: by default the live ones (pending, approved, active).

    The table shows each request's expiry (or, while pending, when it lapses) and flags
    OVERRIDE and BREAKGLASS grants.
    """
    if show_all and states:
        raise click.UsageError("--all and --state exclude each other")
    params: dict[str, Any] = {}
    if not show_all:
        params["state"] = list(states or LIVE_STATES)
    if user is not None:
        params["requester"] = user
    if limit is not None:
        params["limit"] = limit
    answer = daemon.get("/v1/requests", params)
    if as_json:
        _print_json(answer)
        return
    requests = answer.get("requests") or []
    if not requests:
        click.echo("no requests" if show_all or states else "no live requests (--all shows all)")
        return
    for line in table(requests):
        click.echo(line)


@main.command("show", epilog=EXIT_CODES)
@_ID_ARGUMENT
@_JSON_OPTION
@_uses_daemon
def show(daemon: DaemonClient, request_id: str, as_json: bool) -> None:
    """Show request ID: its fields, approvals and extensions."""
    answer = daemon.get(f"/v1/requests/{request_id}")
    if as_json:
        _print_json(answer)
        return
    for line in show_lines(answer["request"]):
        click.echo(line)


@main.command("plan", epilog=EXIT_CODES)
@_JSON_OPTION
@_uses_daemon
def plan(daemon: DaemonClient, as_json: bool) -> None:
    """Show what the daemon would change in the tailnet right now, changing nothing (admins)."""
    answer = daemon.get("/v1/plan")
    if as_json:
        _print_json(answer)
        return
    if answer.get("summary"):
        click.echo(answer["summary"])
    for op in answer.get("ops") or []:
        text = op.get("text") if isinstance(op, dict) else None
        click.echo(f"  {text if isinstance(text, str) else json.dumps(op, sort_keys=True)}")


@audit_group.command("log", epilog=EXIT_CODES)
@click.option("--after", type=click.IntRange(min=0), metavar="SEQ", help="Records after SEQ.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    metavar="N",
    help="At most N records.",
)
@click.option("--subject", metavar="ID", help="Only records about this request or grant.")
@_JSON_OPTION
@_uses_daemon
def audit_log(
    daemon: DaemonClient, after: int | None, limit: int, subject: str | None, as_json: bool
) -> None:
    """Print audit records from the running daemon (admins): SEQ AT ACTOR EVENT SUBJECT: what.

    Records come oldest first, starting after --after SEQ (to follow the log, pass the last SEQ
    printed). Unlike verify and export, this asks the daemon over its API and needs no database
    file.
    """
    params: dict[str, Any] = {"limit": limit}
    if after is not None:
        params["after"] = after
    if subject is not None:
        params["subject"] = subject
    answer = daemon.get("/v1/audit", params)
    if as_json:
        _print_json(answer)
        return
    for record in answer.get("records") or []:
        click.echo(
            f"{record.get('seq')} {record.get('at')} {record.get('actor')} "
            f"{record.get('event')} {record.get('subject')}: {record.get('sentence')}"
        )


@main.command("whoami", epilog=EXIT_CODES)
@_JSON_OPTION
@_uses_daemon
def whoami(daemon: DaemonClient, as_json: bool) -> None:
    """Show who the daemon takes you for, and where the token came from."""
    answer = daemon.get("/v1/whoami")
    if as_json:
        _print_json(answer)
        return
    admin = " (admin)" if answer.get("admin") else ""
    click.echo(f"{answer.get('login')}{admin}")
    click.echo(f"daemon {daemon.connection.url}, token from {daemon.connection.token_source}")
