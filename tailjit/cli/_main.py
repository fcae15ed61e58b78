"""The ``tailjit`` command-line interface: the group every subcommand attaches to."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tailjit import __version__
from tailjit.errors import TailjitError
from tailjit.hujson import HuJSONError
from tailjit.sandbox.config import (
    DEFAULT_ATTRIBUTE_EXPIRY_LAG,
    parse_api_key,
    parse_listen,
    parse_oauth_client,
    parse_webhook_url,
)

T = TypeVar("T")

# Each command imports what it needs when it runs, so `tailjit --help` stays quick.

_HELP = """\
tailjit: just-in-time access for a Tailscale tailnet.

tailjit turns an approved access request into real, time-limited network access in the tailnet,
removes it when the time is up, and keeps checking that the live tailnet still matches what it
granted. By default a grant is a policy entry gated by a posture attribute that Tailscale itself
expires, so access ends on time even if tailjit is not running. Every policy edit keeps the
file's comments and layout, and is written with an ETag compare-and-swap.

Run the daemon with `tailjit daemon` (or `tailjit daemon --sandbox DIR` to try it without a
tailnet); the other commands are its clients, or work on local files (check, policy check,
audit verify|export, sandbox).
"""


@click.group(help=_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="tailjit")
def main() -> None:
    """Entry point of the ``tailjit`` console script."""


# --- tailjit sandbox -----------------------------------------------------------------------

_SANDBOX_HELP = """\
Serve an emulated Tailscale API, with a persistent tailnet, until stopped.

The sandbox speaks real HTTP on a loopback port. It keeps its tailnet (users, devices, posture
attributes, the policy file byte for byte, OAuth clients) in DIR across restarts, and writes
DIR/sandbox.json (base_url, api_key, oauth_clients, webhooks) once it is serving, so other
processes can find it. The API is under BASE_URL/api/v2 (tailnet "-"). A sandbox-only admin path
under BASE_URL/sandbox, authenticated with the API key, reads and resets the request log, sets
faults, edits the policy as a human would, suspends, deletes or re-roles users, and moves the
sandbox's clock.

--seed and --policy only apply when DIR holds no sandbox yet. Stop with Ctrl-C or SIGTERM.
"""


def _parsed(parser: Callable[[str], T]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that runs ``parser`` on the value (or on each value) and reports a
    ValueError as a usage error."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        try:
            if isinstance(value, tuple):
                return tuple(parser(v) for v in value)
            return None if value is None else parser(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx, param) from exc

    return callback


@main.command("sandbox", help=_SANDBOX_HELP)
@click.option(
    "--state",
    "state_dir",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory that keeps the sandbox's state (created if missing).",
)
@click.option(
    "--listen",
    default="127.0.0.1:0",
    show_default=True,
    metavar="HOST:PORT",
    callback=_parsed(parse_listen),
    help="Address to serve on; port 0 picks a free port.",
)
@click.option(
    "--api-key",
    metavar="KEY",
    callback=_parsed(parse_api_key),
    help="API access token to accept (default: the stored one, or a new tskey-api-...).",
)
@click.option(
    "--policy",
    "policy_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Start from this policy file, byte for byte, instead of the seed's policy.",
)
@click.option(
    "--seed",
    type=click.Choice(["demo", "empty"]),
    default="demo",
    show_default=True,
    help="demo: alice, bob (members), carol (admin), their devices, db-prod and web-staging; "
    "empty: no users and the default policy.",
)
@click.option(
    "--oauth-client",
    "oauth_clients",
    multiple=True,
    metavar="ID:SECRET:SCOPES",
    callback=_parsed(parse_oauth_client),
    help="An OAuth client with comma-separated scopes (default: all). Repeatable; given ones "
    "replace the stored clients.",
)
@click.option(
    "--webhook",
    "webhook_urls",
    multiple=True,
    metavar="URL",
    callback=_parsed(parse_webhook_url),
    help="Deliver signed webhooks (policyUpdate, user and node events) to URL. Repeatable.",
)
@click.option(
    "--webhook-secret",
    metavar="SECRET",
    help="Secret that signs the webhooks (default: a new tskey-webhook-...).",
)
@click.option(
    "--attribute-expiry-lag",
    type=click.FloatRange(min=0),
    default=DEFAULT_ATTRIBUTE_EXPIRY_LAG,
    show_default=True,
    metavar="SECONDS",
    help="How long after its expiry a posture attribute is removed.",
)
@click.option(
    "--attribute-key-max-length",
    type=click.Choice(["128", "50"]),
    default="128",
    show_default=True,
    help="Longest posture attribute key: 128 (current spec) or 50 (older docs).",
)
@click.option(
    "--fault-rate-limit-every",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Answer every Nth /api/v2 call with 429 (0: off).",
)
@click.option(
    "--fault-retry-after",
    type=click.IntRange(min=0),
    metavar="SECONDS",
    help="Retry-After header on injected 429s (default: none).",
)
@click.option(
    "--fault-error-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    metavar="P",
    help="Answer this fraction of /api/v2 calls with a 5xx (0: off).",
)
@click.option(
    "--fault-error-status",
    type=click.IntRange(500, 599),
    default=500,
    show_default=True,
    metavar="CODE",
    help="Status of injected 5xx answers.",
)
@click.option(
    "--fault-error-after-apply",
    is_flag=True,
    help="Carry out the call before answering with the injected 5xx.",
)
@click.option(
    "--fault-seed",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Seed of the random choice behind --fault-error-rate.",
)
@click.option(
    "--fault-latency",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Delay added to every /api/v2 call.",
)
@click.option(
    "--fault-human-edits",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="After each of the next N policy GETs, edit the policy as a human would, so the "
    "caller's next If-Match gets 412.",
)
@click.option(
    "--fault-human-edit-kind",
    type=click.Choice(["comment", "group"]),
    default="comment",
    show_default=True,
    help="comment: add a comment line; group: add an empty group.",
)
def sandbox(
    state_dir: Path,
    listen: tuple[str, int],
    policy_file: Path | None,
    seed: str,
    **options: Any,
) -> None:
    """``tailjit sandbox``: see ``_SANDBOX_HELP``."""
    from tailjit.sandbox import cli_support

    try:
        policy = cli_support.read_policy(policy_file) if policy_file else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--policy'") from exc
    config = cli_support.build_config(**options)
    try:
        cli_support.serve(state_dir, listen, config, seed=seed, policy=policy, echo=click.echo)
    except TailjitError as exc:
        raise click.ClickException(str(exc)) from exc


# --- tailjit audit -------------------------------------------------------------------------

_DB_OPTION = click.option(
    "--db",
    "db_path",
    required=True,
    metavar="PATH",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The tailjit database (opened read-only).",
)


@main.group("audit")
def audit() -> None:
    """Check or export the audit log: every state change, append-only and hash-chained."""


@audit.command("verify")
@_DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def audit_verify(db_path: Path, as_json: bool) -> None:
    """Check the audit log's hash chain; exit 1 naming the first bad record if it is broken.

    Detects any record that was edited, deleted, reordered or cut from the end. The head hash
    printed on success can be kept elsewhere to detect a rewrite of the whole log.
    """
    from tailjit.store import open_audit

    try:
        with open_audit(db_path) as trail:
            result = trail.verify()
    except TailjitError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result.to_dict()) if as_json else result.describe())
    if not result.ok:
        raise click.exceptions.Exit(1)


@audit.command("export")
@_DB_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl"]),
    required=True,
    help="jsonl: one JSON object per record, oldest first, with its prev and hash.",
)
@click.option(
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of standard output.",
)
def audit_export(db_path: Path, fmt: str, output: Path | None) -> None:
    """Write out the audit log (see tailjit/store/chain.py for the hash construction)."""
    from tailjit.store import open_audit

    try:
        with open_audit(db_path) as trail, click.open_file(str(output or "-"), "w") as out:
            count = trail.export_jsonl(out)
    except TailjitError as exc:
        raise click.ClickException(str(exc)) from exc
    if output is not None:
        click.echo(f"exported {count} audit records to {output}", err=True)


# --- tailjit policy ------------------------------------------------------------------------


@main.group("policy")
def policy() -> None:
    """Work with the eligibility policy: who may request which access, approved by whom."""


@policy.command("check")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the issues as one JSON list.")
@click.option(
    "--tailnet-policy",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The tailnet policy file (HuJSON): group names must be among its groups.",
)
def policy_check(file: Path, as_json: bool, tailnet_policy: Path | None) -> None:
    """Check an eligibility policy FILE and print every issue; exit 1 if any is an error.

    Each issue prints as FILE:LINE:COL: CODE severity: message (JSON pointer). policy/README.md
    lists the codes.
    """
    from tailjit.eligibility import Severity, check_policy, issues_text, tailnet_groups

    groups = None
    if tailnet_policy is not None:
        try:
            groups = tailnet_groups(tailnet_policy.read_bytes())
        except HuJSONError as exc:
            raise click.ClickException(f"{tailnet_policy}: {exc}") from exc
    result = check_policy(file.read_bytes(), known_groups=groups)
    if as_json:
        click.echo(json.dumps([issue.to_json() for issue in result.issues], indent=2))
    else:
        click.echo(issues_text(result.issues, str(file)), nl=False)
    errors = sum(issue.severity is Severity.ERROR for issue in result.issues)
    warnings = len(result.issues) - errors
    if not as_json:
        click.echo(f"{file}: {errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        raise click.exceptions.Exit(1)


# --- tailjit check -------------------------------------------------------------------------

_CHECK_HELP = """\
May USER reach HOST:PORT under a policy? Print the verdict and the rules that decided it.

USER is a login (alice@example.com), a tag, a group or an address; HOST a host alias, tag, login,
address or svc: name of the policy. Every matching rule is printed with its line (grants are a
union: they all decided), and so is every rule that would allow the connection but for its
posture. Without a tailnet to ask, logins count as plain members and the source is a
hypothetical device of theirs with the --attr posture attributes.

Exit status: 0 when the connection is accepted, 1 when it is dropped, 2 for bad input (an
invalid policy, an unknown name).
"""


class _CheckFailed(click.ClickException):
    exit_code = 2


def _posture_attribute(text: str) -> tuple[str, str | int | bool]:
    key, equals, raw = text.partition("=")
    if not equals or not key:
        raise ValueError(f"{text!r} is not KEY=VALUE")
    if raw in ("true", "false"):
        return key, raw == "true"
    if raw.lstrip("-").isdigit():
        return key, int(raw)
    return key, raw


@main.command("check", help=_CHECK_HELP)
@click.argument("user")
@click.argument("target", metavar="HOST:PORT")
@click.option(
    "--policy",
    "policy_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The tailnet policy file (HuJSON) to evaluate.",
)
@click.option("--proto", default="tcp", show_default=True, help="Protocol: a name or a number.")
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_parsed(_posture_attribute),
    help="A posture attribute of the source (custom:jit=true). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decision as one JSON object.")
def check(
    user: str,
    target: str,
    policy_file: Path | None,
    proto: str,
    attrs: tuple[tuple[str, str | int | bool], ...],
    as_json: bool,
) -> None:
    """``tailjit check``: see ``_CHECK_HELP``."""
    from tailjit import acl

    if policy_file is None:
        raise _CheckFailed(
            "no policy to check against: pass --policy FILE (reading the live policy from a "
            "sandbox or tailnet is not supported yet)"
        )
    host, colon, port = target.rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"{target!r} is not HOST:PORT", param_hint="'HOST:PORT'")
    try:
        evaluator = acl.Evaluator(policy_file.read_bytes())
        decision = evaluator.may(
            user,
            host.removeprefix("[").removesuffix("]"),
            int(port),
            proto,
            attrs=dict(attrs) or None,
        )
    except acl.PolicyError as exc:
        lines = [f"{policy_file}: {issue}" for issue in exc.issues]
        raise _CheckFailed("invalid policy:\n" + "\n".join(lines)) from exc
    except (acl.UnknownTarget, ValueError) as exc:
        raise _CheckFailed(str(exc)) from exc
    click.echo(json.dumps(decision.to_json(), indent=2) if as_json else decision.describe())
    if not decision.allowed:
        raise click.exceptions.Exit(1)
