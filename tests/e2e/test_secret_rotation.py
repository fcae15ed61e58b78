"""Rotating a receiver secret without a restart: the config file is rewritten, SIGHUP swaps the
secrets in, the old one is refused from then on, the new one accepted, and no delivery accepted
on either side of the swap is lost. A file that does not load is refused and the secrets kept."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx

from tailjit.testing import okta_delivery
from tests.e2e.conftest import Daemon, Sandbox, wait_for

A, B = "okta-secret-A", "okta-secret-B"


def events(daemon: Daemon) -> list[str]:
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    return [record["event"] for record in records]


def okta(daemon: Daemon, secret: str, kind: str) -> httpx.Response:
    body = okta_delivery("On-call", "alice@example.com", added=kind == "add").body
    return httpx.post(
        daemon.url + "/v1/webhooks/okta",
        content=body,
        headers={"Authorization": secret, "Content-Type": "application/json"},
    )


def hup_and_wait(daemon: Daemon, event: str) -> None:
    seen = events(daemon).count(event)
    assert daemon.process.popen is not None
    daemon.process.popen.send_signal(signal.SIGHUP)
    wait_for(lambda: events(daemon).count(event) > seen)


def test_sighup_rotates_the_okta_secret_without_losing_a_delivery(
    start_daemon: Callable[..., Daemon], sandbox_process: Sandbox, tmp_path: Path
) -> None:
    receivers = '[receivers]\nokta_secret = {}\n[receivers.groups]\n"On-call" = "group:oncall"\n'
    daemon = start_daemon(sandbox_process, config_extra=receivers.format(f'"{A}"'))
    config = tmp_path / "daemon.toml"  # where start_daemon wrote it
    assert okta(daemon, A, "add").status_code == 204
    assert okta(daemon, B, "remove").status_code == 401

    config.write_text(config.read_text().replace(f'"{A}"', f'["{B}"]'))
    hup_and_wait(daemon, "config.reloaded")

    assert okta(daemon, A, "remove").status_code == 401
    assert okta(daemon, B, "remove").status_code == 204
    wait_for(lambda: events(daemon).count("membership.removed") == 1)
    audit = events(daemon)
    assert audit.count("membership.added") == 1  # the delivery accepted under A
    assert audit.count("membership.removed") == 1  # the one accepted under B
    assert "okta-secret" not in daemon.process.output()

    config.write_text(config.read_text().replace(f'["{B}"]', "[]"))
    hup_and_wait(daemon, "config.reload-refused")

    assert okta(daemon, B, "add").status_code == 204  # B is still the secret in use
    assert daemon.ready()
