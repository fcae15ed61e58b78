"""``tailjit daemon``: run the daemon, against a tailnet or against a sandbox it starts itself."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tailjit.cli._main import main
from tailjit.errors import TailjitError

if TYPE_CHECKING:
    from tailjit.config import DaemonConfig
    from tailjit.daemon.runtime import Daemon
    from tailjit.sandbox import SandboxServer

DEMO_POLICY = Path(__file__).resolve().parents[2] / "policy" / "examples" / "sandbox-demo.hujson"
"""The eligibility policy of the sandbox's demo tailnet, in a checkout of the repository."""

DEMO_USERS = ("alice@example.com", "bob@example.com", "carol@example.com")

_HELP = """\
Run the tailjit daemon: the reconcile loop and the HTTP API, in one process.

Configuration comes from a TOML file (--config, or TAILJIT_CONFIG) and environment variables
(TAILJIT_STATE_DIR, TAILJIT_LISTEN, TAILJIT_POLICY, TAILJIT_RESYNC_INTERVAL, the TAILSCALE_*
credentials); the README lists every key. SIGTERM finishes the current cycle and stops; SIGHUP
reloads the eligibility policy, keeping the old one if the new one is broken, and the receivers'
secrets from the configuration file (anything else in it needs a restart).

With --sandbox DIR, no Tailscale account is needed: the daemon starts a sandbox tailnet in DIR
(seeded with the demo tailnet; DIR/sandbox.json says how to reach it) and runs against it with
the example eligibility policy. Its state goes to DIR/tailjit, with a token for each demo user in
DIR/tailjit/tokens/ (carol, the admin, also in DIR/tailjit/admin.token).
"""


@main.command("daemon", help=_HELP)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The TOML configuration file (default: TAILJIT_CONFIG, else none).",
)
@click.option(
    "--sandbox",
    "sandbox_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Start a demo sandbox tailnet in DIR and run against it.",
)
def daemon(config_file: Path | None, sandbox_dir: Path | None) -> None:
    from tailjit.config import load_config
    from tailjit.daemon.reload import ConfigSource
    from tailjit.daemon.runtime import Daemon, run_daemon

    def load() -> DaemonConfig:
        return load_config(config_file, os.environ, require_tailscale=sandbox_dir is None)

    try:
        config = load()
    except TailjitError as error:
        raise click.ClickException(str(error)) from error
    source = ConfigSource(load=load, loaded=config)
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call is noise
    os.umask(0o077)  # the state directory holds tokens and the marker key
    server = None
    try:
        if sandbox_dir is not None:
            server, config = _start_sandbox(sandbox_dir, config)
        try:
            instance = Daemon(config, source=source)
        except TailjitError as error:
            raise click.ClickException(str(error)) from error
        announce = _announce_sandbox(sandbox_dir) if sandbox_dir is not None else _announce
        try:
            run_daemon(instance, announce=announce)
        except TailjitError as error:
            raise click.ClickException(str(error)) from error
    finally:
        if server is not None:
            server.stop()


def _announce(daemon: Daemon) -> None:
    click.echo(f"tailjit daemon: serving {daemon.url}; Ctrl-C or SIGTERM stops it", err=True)


def _start_sandbox(directory: Path, config: DaemonConfig) -> tuple[SandboxServer, DaemonConfig]:
    """Start the demo sandbox in ``directory`` and point ``config`` at it."""
    from pydantic import SecretStr

    from tailjit.config import DEFAULT_POLICY, DEFAULT_STATE_DIR, TokenEntry
    from tailjit.daemon.runtime import new_token, read_or_create, write_private
    from tailjit.ids import Login
    from tailjit.sandbox import SandboxServer
    from tailjit.tailscale import TailscaleSettings

    server = SandboxServer(directory, seed="demo")
    try:
        emulator = server.start()
    except TailjitError as error:
        raise click.ClickException(f"the sandbox did not start: {error}") from error
    state_dir = directory / "tailjit" if config.state_dir == DEFAULT_STATE_DIR else config.state_dir
    policy = DEMO_POLICY if config.policy == DEFAULT_POLICY else config.policy
    tokens_dir = state_dir / "tokens"
    tokens_dir.mkdir(parents=True, exist_ok=True)
    tokens = tuple(
        TokenEntry(
            login=Login(login),
            token=SecretStr(read_or_create(tokens_dir / f"{login}.token", new_token)),
        )
        for login in DEMO_USERS
    )
    settings = TailscaleSettings(
        base_url=server.base_url, api_key=SecretStr(emulator.state.api_key)
    )
    config = config.model_copy(
        update={"state_dir": state_dir, "policy": policy, "tokens": (*config.tokens, *tokens)}
    )
    config = config.with_tailscale(settings)
    # carol's token is the admin's: write it to admin.token too, as a daemon without one does.
    admin_token = state_dir / "admin.token"
    if not admin_token.exists():
        write_private(admin_token, (tokens_dir / "carol@example.com.token").read_text().strip())
    return server, config


def _announce_sandbox(directory: Path) -> Callable[[Daemon], None]:
    def announce(daemon: Daemon) -> None:
        state = daemon.config.state_dir
        sandbox = json.loads((directory / "sandbox.json").read_text())
        click.echo(
            "\n".join(
                [
                    f"tailjit daemon: serving {daemon.url} against the sandbox tailnet at "
                    f"{sandbox['base_url']}",
                    "In another shell:",
                    f"  export TAILJIT_URL={daemon.url} TAILJIT_STATE_DIR={state}",
                    "  tailjit grant alice@example.com db-prod:5432 1h --reason INC-123 --yes",
                    f"  TAILJIT_TOKEN=$(cat {state}/tokens/alice@example.com.token) "
                    "tailjit request db-prod:5432 30m --reason 'look at a slow query'",
                    "Ctrl-C or SIGTERM stops both.",
                ]
            ),
            err=True,
        )

    return announce
