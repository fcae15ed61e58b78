"""Running the daemon: the parts wired together, the API served, the loop driven, signals.

`Daemon.start` prepares the state directory (the marker key and, when no token is configured
for the admin, ``admin.token``, both 0600), loads the eligibility policy, opens the store and the
Tailscale client, and serves the HTTP API; `Daemon.run` drives the reconcile loop on the
calling thread until its ``stop`` event is set, with the periodic jobs (resync, OAuth token
renewal, store maintenance) run by a `schedule.Scheduler`, every job wrapped so that a failure
is logged and audited and never stops the loop. `run_daemon` adds what a process needs: SIGTERM
and SIGINT finish the current cycle and stop, SIGHUP reloads the eligibility policy (a broken
one is refused and the old one kept) and, when the daemon was given its `ConfigSource`, the
receivers' secrets from the configuration file (`tailjit.daemon.reload` says what else is left
to a restart), and systemd hears READY, STATUS, WATCHDOG and STOPPING.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import logging
import os
import secrets
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import schedule
from pydantic import SecretStr

from tailjit.api import Authenticator, LiveReceiverSecrets, create_app
from tailjit.api.server import ThreadedServer, bind, url_of
from tailjit.config import DaemonConfig
from tailjit.daemon import systemd
from tailjit.daemon.backend import DaemonBackend, LiveDirectory
from tailjit.daemon.identity import IdentityDirectory, IdentityService, ScimService
from tailjit.daemon.loop import LoopSettings, ReconcileLoop
from tailjit.daemon.reload import ConfigSource, plan_reload, receiver_secrets
from tailjit.daemon.slack import SlackBridge
from tailjit.eligibility import EligibilityInvalid, EligibilityPolicy, load_policy
from tailjit.errors import TailjitError
from tailjit.ids import GrantId, GroupName, Login, RequestId
from tailjit.metrics import Metrics
from tailjit.notify import SlackNotifier
from tailjit.store import Store
from tailjit.tailscale import TailscaleClient
from tailjit.workflow import Workflow

__all__ = ["Daemon", "DaemonError", "run_daemon", "utc_now"]

log = logging.getLogger("tailjit.daemon")

KEY_BYTES = 32
DELIVERIES_KEPT = timedelta(days=30)
"""How long a delivery id is remembered: Okta retries within minutes, Entra within hours."""


class DaemonError(TailjitError):
    """The daemon cannot start: a missing policy, no admin, an unusable state directory."""


def _plain(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    """A fresh API bearer token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def new_ids() -> tuple[RequestId, GrantId]:
    return RequestId.new(), GrantId.new()


def write_private(path: Path, text: str) -> None:
    """Create ``path`` with ``text``, mode 0600, refusing to replace an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
        out.flush()
        os.fsync(out.fileno())


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The first line of ``path``, created 0600 with ``make()`` when it does not exist."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # created meanwhile: read that one
            write_private(path, make())
    text = path.read_text(encoding="ascii").strip()
    if not text:
        raise DaemonError(f"{path} is empty; delete it to have a new one created")
    return text


def load_eligibility(path: Path) -> EligibilityPolicy:
    try:
        return load_policy(path.read_bytes())
    except OSError as error:
        raise DaemonError(
            f"cannot read the eligibility policy {path}: {error.strerror or error} "
            "(set policy in the config file or TAILJIT_POLICY)"
        ) from error
    except EligibilityInvalid as error:
        hint = f"check it with: tailjit policy check {path}"
        raise DaemonError(f"{path}: {error} ({hint})") from error


class Daemon:
    """One daemon: see the module docstring. ``clock`` is read once per cycle and per call."""

    def __init__(
        self,
        config: DaemonConfig,
        *,
        clock: Callable[[], datetime] = utc_now,
        source: ConfigSource | None = None,
    ) -> None:
        if config.tailscale is None:
            raise DaemonError(
                "no Tailscale API credentials: set TAILSCALE_API_KEY (or an OAuth client, "
                "TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET)"
            )
        self.config = config
        self.clock = clock
        policy = load_eligibility(config.policy)
        self.admin = self._admin_login(policy)
        self._prepare_state_dir()
        self.key = bytes.fromhex(
            read_or_create(config.marker_key_path, lambda: secrets.token_hex(KEY_BYTES))
        )
        self.tokens = self._tokens()
        self.store = Store.open(config.database, clock=clock)
        self.stopping = threading.Event()
        self.http = httpx.Client()
        # Waits between retries end when the daemon is stopping: a stop then costs the
        # remaining attempts, not their waits.
        self.client = TailscaleClient(self.http, config.tailscale, sleep=self._pause)
        self.loop = ReconcileLoop(
            store=self.store,
            workflow=lambda: self.workflow,
            client=self.client,
            settings=LoopSettings(
                key=self.key,
                resync_interval=config.resync_interval,
                attempts=config.write_attempts,
                policy_file=str(config.policy),
                sync_groups=tuple(GroupName(g) for g in config.receivers.sync_groups),
            ),
            clock=clock,
            metrics=Metrics(request_counts=self.store.counts),
        )
        self.directory = IdentityDirectory(
            self.store, LiveDirectory(lambda: self.loop.view), config.receivers.sync_groups
        )
        self.workflow = self._workflow(policy)
        self.identity = IdentityService(
            store=self.store,
            workflow=lambda: self.workflow,
            wake=self.loop.wake,
            verify_now=self.loop.wake,
            clock=clock,
            groups=config.receivers.groups,
            synced=config.receivers.sync_groups,
            count=self.loop.metrics.count_webhook,
        )
        self.scim = ScimService(store=self.store, submit=self.identity.submit, clock=clock)
        self.slack = self._slack_bridge()
        self.backend = DaemonBackend(
            self.loop,
            lambda: self.workflow,
            identity=self.identity.submit,
            scim=self.scim,
            slack=None if self.slack is None else self.slack.click,
            clock=clock,
        )
        self._server: ThreadedServer | None = None
        self.url = ""
        self.reload_requested = threading.Event()
        # SIGHUP re-reads the file's [receivers] secrets only when we know how it was loaded.
        self.source = source
        self._loaded = None if source is None else source.loaded
        self.receiver_secrets = LiveReceiverSecrets(receiver_secrets(config.receivers))

    # --- setting up ------------------------------------------------------------------------

    def _admin_login(self, policy: EligibilityPolicy) -> Login:
        if self.config.admin_login is not None:
            return self.config.admin_login
        for principal in policy.admins:
            if isinstance(principal, Login):
                return principal
        raise DaemonError(
            f"no admin login: list a login in settings.admins of {self.config.policy}, "
            "or set admin_login in the config file (TAILJIT_ADMIN_LOGIN)"
        )

    def _prepare_state_dir(self) -> None:
        state = self.config.state_dir
        try:
            state.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise DaemonError(
                f"cannot create the state directory {state}: {error.strerror or error} "
                "(set state_dir in the config file or TAILJIT_STATE_DIR)"
            ) from error

    def _tokens(self) -> dict[str, Login]:
        tokens = {entry.token.get_secret_value(): entry.login for entry in self.config.tokens}
        if self.admin not in tokens.values():
            path = self.config.admin_token_path
            tokens[read_or_create(path, new_token)] = self.admin
        return tokens

    def _slack_bridge(self) -> SlackBridge | None:
        """Slack notifications and clicks, when a bot token or an incoming webhook is set."""
        receivers = self.config.receivers
        token, webhook = _plain(receivers.slack_bot_token), _plain(receivers.slack_webhook_url)
        if token is None and webhook is None:
            return None
        notifier = SlackNotifier(
            self.http,
            token=token,
            webhook_url=None if token is not None else webhook,
            channel=receivers.slack_channel,
            api_url=receivers.slack_api_url,
        )
        return SlackBridge(
            store=self.store,
            workflow=lambda: self.workflow,
            notifier=notifier,
            users=receivers.slack_users,
            clock=self.clock,
            wake=self.loop.wake,
            lead=timedelta(seconds=receivers.slack_expiring_lead),
        )

    def _workflow(self, policy: EligibilityPolicy) -> Workflow:
        return Workflow(
            store=self.store,
            policy=policy,
            directory=self.directory,
            ids=new_ids,
            clock=self.clock,
            deactivated=self.store.identity.is_deactivated,
        )

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve the API (the loop runs in `run`). `tailjit.api.server.ServerStartError` when
        the listen address is busy."""
        listen = self.config.listen
        sock = bind(listen.host, listen.port)
        port = sock.getsockname()[1]
        self.url = url_of(listen.host, port)
        auth = Authenticator(
            self.tokens,
            trust_identity_header=self.config.trust_identity_header,
            listening_on_loopback=listen.is_loopback,
        )
        app = create_app(self.backend, auth, self.receiver_secrets)
        self.identity.start()
        if self.slack is not None:
            self.slack.start()
        self._server = ThreadedServer(app, sock, name="tailjit-api")
        self._server.start()
        self._write_discovery()
        self._audit("daemon.started", "daemon", f"serving the API at {self.url}")
        log.info("tailjit daemon serving %s; policy %s", self.url, self.config.policy)

    def _pause(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def run(self, stop: threading.Event) -> None:
        """Drive the reconcile loop until ``stop`` is set (see the module docstring)."""
        scheduler = self._scheduler()
        interval = systemd.watchdog_interval()
        notified = False

        def heartbeat() -> None:
            nonlocal notified
            if not notified:
                notified = True
                systemd.ready()
            systemd.watchdog()
            ready, detail = self.loop.readiness()
            systemd.status(detail if ready else f"not ready: {detail}")

        def before_cycle() -> None:
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload_policy()
                self.reload_config()
                systemd.ready()

        self.loop.run(
            stop,
            scheduler=scheduler,
            heartbeat=heartbeat,
            before_cycle=before_cycle,
            max_sleep=min(interval, 10.0) if interval else 10.0,
        )

    @property
    def discovery_path(self) -> Path:
        """``<state_dir>/daemon.json``: where a running daemon says how to reach it."""
        return self.config.state_dir / "daemon.json"

    def _write_discovery(self) -> None:
        """Write `discovery_path` atomically (tests and scripts find a port-0 daemon here)."""
        temporary = self.discovery_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"url": self.url, "pid": os.getpid()}) + "\n")
        temporary.replace(self.discovery_path)

    def stop(self) -> None:
        """Stop serving and close the store and the client (after `run` returned)."""
        systemd.stopping()
        self.discovery_path.unlink(missing_ok=True)
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._audit("daemon.stopped", "daemon", "stopped")
        self.identity.stop()
        if self.slack is not None:
            self.slack.stop()
        self.store.close()
        self.http.close()

    def reload_policy(self) -> bool:
        """Load the eligibility policy again; a broken one is refused, the old one kept."""
        try:
            policy = load_eligibility(self.config.policy)
        except DaemonError as error:
            log.error("policy reload refused, keeping the policy in use: %s", error)
            self._audit("policy.reload-refused", "policy", str(error))
            return False
        self.workflow = self._workflow(policy)
        self._audit("policy.reloaded", "policy", f"reloaded {self.config.policy}")
        log.info("eligibility policy reloaded from %s", self.config.policy)
        self.loop.wake()
        return True

    def reload_config(self) -> bool:
        """Re-read the configuration file and swap in the receivers' new secrets; a file that
        does not load is refused and the secrets in use kept. Nothing else is applied: what
        differs otherwise is logged as needing a restart. False when refused or not possible."""
        if self.source is None or self._loaded is None:
            return False
        try:
            fresh = self.source.load()
        except TailjitError as error:
            log.error("configuration reload refused, keeping the receivers' secrets: %s", error)
            self._audit("config.reload-refused", "config", str(error))
            return False
        plan = plan_reload(self._loaded, fresh)
        # One swap: each request reads the old set or the new one, never a mix.
        self.receiver_secrets.replace(receiver_secrets(plan.running.receivers))
        self._loaded = plan.running
        summary = plan.summary()
        if plan.toggled or plan.restart:
            log.warning("configuration reloaded, a restart is needed for the rest: %s", summary)
        else:
            log.info("configuration reloaded: %s", summary)
        self._audit("config.reloaded", "config", summary)
        return True

    def _audit(self, event: str, subject: str, summary: str, **detail: Any) -> None:
        try:
            self.store.audit.daemon_event(
                event, subject=subject, summary=summary, at=self.clock(), detail=detail
            )
        except TailjitError:
            log.exception("could not record %s in the audit trail", event)

    # --- periodic jobs ---------------------------------------------------------------------

    def _scheduler(self) -> schedule.Scheduler:
        scheduler = schedule.Scheduler()
        jobs: list[tuple[str, int, Callable[[], None]]] = [
            ("resync", max(1, round(self.config.resync_interval)), self.loop.request_resync),
            ("oauth-token", 60, self._renew_token),
            ("store-maintenance", 3600, self._maintain_store),
        ]
        for name, seconds, job in jobs:
            scheduler.every(seconds).seconds.do(self._guarded, name, job)
        return scheduler

    def _maintain_store(self) -> None:
        """Store upkeep, and forgetting identity deliveries older than any provider retries."""
        self.store.maintain()
        self.store.identity.prune_deliveries(self.clock() - DELIVERIES_KEPT)

    def _renew_token(self) -> None:
        """Renew the OAuth access token when it is due, ahead of any API call needing it."""
        credentials = self.client.credentials
        if credentials.renewable:
            credentials.authorization()

    def _guarded(self, name: str, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception as error:  # one failed job must never stop the loop
            log.exception("periodic job %s failed", name)
            self._audit("daemon.job-failed", name, f"{type(error).__name__}: {error}")


def run_daemon(daemon: Daemon, *, announce: Callable[[Daemon], None] = lambda d: None) -> None:
    """Run ``daemon`` in this process until SIGTERM or SIGINT; SIGHUP reloads its policy."""
    stop = threading.Event()

    def on_stop(signum: int, frame: object) -> None:
        log.info("signal %s: finishing the current cycle, then stopping", signum)
        stop.set()
        daemon.stopping.set()
        daemon.loop.wake()

    def on_hup(signum: int, frame: object) -> None:
        systemd.reloading()
        daemon.reload_requested.set()
        daemon.loop.wake()

    handlers: dict[int, Any] = {
        signal.SIGTERM: on_stop,
        signal.SIGINT: on_stop,
        signal.SIGHUP: on_hup,
    }
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where is each thread?
    try:
        daemon.start()
        announce(daemon)
        daemon.run(stop)
    finally:
        daemon.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
