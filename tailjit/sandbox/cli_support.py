"""What ``tailjit sandbox`` does once click has parsed its flags (the CLI stays thin)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tailjit.sandbox.config import FaultConfig, OAuthClient, SandboxConfig, WebhookTarget
from tailjit.sandbox.policy import PolicyRejected, check_policy
from tailjit.sandbox.server import SandboxServer, run_until_signalled

_FAULT_PREFIX = "fault_"


def read_policy(path: Path) -> bytes:
    """The file's bytes once they pass every check Tailscale makes; ValueError says why not
    (``FILE: line N, column M: ...`` for invalid HuJSON, every problem otherwise)."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc
    try:
        check_policy(text)
    except PolicyRejected as exc:
        problems = "; ".join(
            f"{issue.path}: {issue.message}" if issue.path else issue.message
            for issue in exc.issues
        )
        raise ValueError(f"{path}: {problems}") from exc
    return text


def build_config(
    *,
    api_key: str | None,
    oauth_clients: tuple[OAuthClient, ...],
    webhook_urls: tuple[str, ...],
    webhook_secret: str | None,
    attribute_expiry_lag: float,
    attribute_key_max_length: str,
    **faults: Any,
) -> SandboxConfig:
    """The settings from the flags; ``fault_*`` flags become the `FaultConfig`."""
    secret = webhook_secret or f"tskey-webhook-{secrets.token_hex(16)}"
    fault_settings = {name.removeprefix(_FAULT_PREFIX): value for name, value in faults.items()}
    return SandboxConfig(
        api_key=api_key,
        oauth_clients=oauth_clients or None,
        webhooks=tuple(WebhookTarget(url, secret) for url in webhook_urls),
        attribute_expiry_lag=attribute_expiry_lag,
        attribute_key_max_length=int(attribute_key_max_length),
        faults=FaultConfig(**fault_settings),
    )


def serve(
    state_dir: Path,
    listen: tuple[str, int],
    config: SandboxConfig,
    *,
    seed: str,
    policy: bytes | None,
    echo: Callable[[str], None],
) -> None:
    """Serve until SIGINT or SIGTERM, announcing where and how to reach the sandbox."""
    host, port = listen
    server = SandboxServer(state_dir, host=host, port=port, config=config, seed=seed, policy=policy)
    existed = server.files.initialized()

    def announce(running: SandboxServer) -> None:
        if existed and (policy is not None or seed != "demo"):
            echo(f"note: {state_dir} already holds a sandbox; --seed and --policy were ignored")
        info = running.discovery()
        echo(f"tailjit sandbox serving {info['base_url']} (API: {info['api_url']}, tailnet '-')")
        echo(f"API key: {info['api_key']}")
        for client in info["oauth_clients"]:
            echo(f"OAuth client: {client['client_id']} scopes {','.join(client['scopes'])}")
        for hook in info["webhooks"]:
            echo(f"webhook: {hook['url']} (secret {hook['secret']})")
        echo(f"state: {running.state_dir} (discovery file {running.files.discovery_file})")

    run_until_signalled(server, announce)
    echo("tailjit sandbox stopped")
