"""What a SIGHUP applies from the configuration file: the receivers' secrets, and nothing else.

`plan_reload` compares the configuration the daemon runs with and the one just loaded again
(both as `tailjit.config.load_config` returns them) and says what to do, without doing it:

* the inbound secrets (``okta_secret``, ``scim_token``, ``generic_secret``, ``tailscale_secret``,
  ``slack_signing_secret``) of a receiver that is on, and stays on, are replaced by the new
  values, so a secret is rotated by adding the new value, reloading, switching the sender over,
  removing the old value and reloading again;
* a receiver turned on or off is left as it is (its routes, queue and group mapping are set up
  at start, and half a change is worse than none): that needs a restart;
* any other difference (the listen address, tokens, Tailscale credentials, ``okta_header``,
  ``groups``, ...) is not applied either and needs a restart; it is named, never its value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from tailjit.api import ReceiverSecrets
from tailjit.config import INBOUND_SECRETS, DaemonConfig, ReceiverSettings, Secrets

__all__ = ["ConfigSource", "ReloadPlan", "plan_reload", "receiver_secrets"]


@dataclass(frozen=True)
class ConfigSource:
    """How the daemon's configuration was loaded: ``load`` repeats the very call, and
    ``loaded`` is what it returned at start (before ``--sandbox`` filled anything in)."""

    load: Callable[[], DaemonConfig]
    loaded: DaemonConfig


@dataclass(frozen=True)
class ReloadPlan:
    """What a reload does. ``running`` is the configuration in force afterwards (the old one
    with the new secrets); ``rotated`` names the secrets that changed, ``toggled`` the ones
    turned on or off and ``restart`` the other keys that differ (neither is applied)."""

    running: DaemonConfig
    rotated: tuple[str, ...]
    toggled: tuple[str, ...]
    restart: tuple[str, ...]

    def summary(self) -> str:
        """One line for the log and the audit trail: key names only, never a value."""
        parts = [
            f"new secrets for {', '.join(self.rotated)}" if self.rotated else "no secret changed"
        ]
        if self.toggled:
            parts.append(
                f"not applied, a receiver is turned on or off only by a restart: "
                f"{', '.join(self.toggled)}"
            )
        if self.restart:
            parts.append(f"not applied, needs a restart: {', '.join(self.restart)}")
        return "; ".join(parts)


def plan_reload(running: DaemonConfig, new: DaemonConfig) -> ReloadPlan:
    """What reloading ``new`` over ``running`` does (see the module docstring)."""
    restart = [
        name
        for name in DaemonConfig.model_fields
        if name != "receivers" and getattr(running, name) != getattr(new, name)
    ]
    restart += [
        f"receivers.{name}"
        for name in ReceiverSettings.model_fields
        if name not in INBOUND_SECRETS
        and getattr(running.receivers, name) != getattr(new.receivers, name)
    ]
    rotated: list[str] = []
    toggled: list[str] = []
    kept: dict[str, Secrets | None] = {}
    for name in INBOUND_SECRETS:
        old, fresh = getattr(running.receivers, name), getattr(new.receivers, name)
        if (old is None) != (fresh is None):
            toggled.append(f"receivers.{name}")
        elif old != fresh:  # SecretStr compares the values
            rotated.append(f"receivers.{name}")
            kept[name] = fresh
    receivers = running.receivers.model_copy(update=kept)
    return ReloadPlan(
        running=running.model_copy(update={"receivers": receivers}),
        rotated=tuple(rotated),
        toggled=tuple(toggled),
        restart=tuple(restart),
    )


def receiver_secrets(receivers: ReceiverSettings) -> ReceiverSecrets:
    """The receivers' secrets as the HTTP API takes them: plain strings, None for off."""

    def plain(values: Secrets | None) -> tuple[str, ...] | None:
        return None if values is None else tuple(_plain(v) for v in values)

    return ReceiverSecrets(
        okta_header=receivers.okta_header,
        okta_secret=plain(receivers.okta_secret),
        scim_token=plain(receivers.scim_token),
        slack_signing_secret=plain(receivers.slack_signing_secret),
        generic_secret=plain(receivers.generic_secret),
        tailscale_secret=plain(receivers.tailscale_secret),
    )


def _plain(secret: SecretStr) -> str:
    return secret.get_secret_value()
