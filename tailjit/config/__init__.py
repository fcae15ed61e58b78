"""The daemon's configuration: one TOML file, overridden by environment variables.

`load_config` reads the file named by ``--config`` (else ``$TAILJIT_CONFIG``; with neither, every
key takes its default), lets environment variables override it, reads secrets from files, and
returns one frozen `DaemonConfig`. Any problem raises `ConfigError`, whose message names the key
(a TOML key path such as ``tailscale.api_key_file``, or an environment variable) and the file.
Unknown keys are errors, so a misspelt key cannot silently fall back to its default. Relative
paths in the file are relative to the file's directory.

Keys (TOML key / environment variable / default):

``state_dir`` / ``TAILJIT_STATE_DIR`` / ``/var/lib/tailjit``
    Directory of the daemon's state: the database ``tailjit.db``, ``admin.token`` (the bearer
    token of ``admin_login``, written 0600 on first start when no token is configured for it)
    and ``marker.key``. Keep it private (mode 0700).
``listen`` / ``TAILJIT_LISTEN`` / ``127.0.0.1:8765``
    Address of the HTTP API, ``host:port``; an IPv6 address in brackets, ``[::1]:8765``. Port 0
    lets the system choose one.
``policy`` / ``TAILJIT_POLICY`` / ``/etc/tailjit/policy.hujson``
    The eligibility policy file: who may request what, for how long, with whose approval.
``resync_interval`` / ``TAILJIT_RESYNC_INTERVAL`` / ``300`` (seconds)
    Seconds between full reads of the tailnet when nothing else wakes the reconcile loop: a
    number of seconds (``300``, ``2.5``) or a duration (``5m``, ``1h``). At least 1 second.
``admin_login`` / ``TAILJIT_ADMIN_LOGIN`` / the first login in the policy's ``settings.admins``
    The login whose token the daemon writes to ``admin.token``.
``trust_identity_header`` / ``TAILJIT_TRUST_IDENTITY_HEADER`` / ``false``
    Take the caller's login from a ``Tailscale-User-Login`` header (as ``tailscale serve`` sets
    it). Honoured only when ``listen`` is a loopback address and the peer is loopback too.
    The environment variable takes ``true``/``false`` (also ``1``/``0``, ``yes``/``no``).
``write_attempts`` / (none) / ``5``
    Policy writes per reconcile cycle, each after a fresh read, before a conflict is audited and
    left to the next cycle. At least 1.
``log_level`` / ``TAILJIT_LOG_LEVEL`` / ``info``
    One of ``debug``, ``info``, ``warning``, ``error``, ``critical``.

``[tailscale]``: the Tailscale API client (`tailjit.tailscale.TailscaleSettings`)
    ``api_key`` (an API access token, ``tskey-api-…``), or an OAuth client: ``oauth_client_id``
    and ``oauth_client_secret`` (``tskey-client-…``). ``api_key_file`` and
    ``oauth_client_secret_file`` read the secret from a file instead (one line; surrounding
    whitespace is dropped). ``tailnet`` (default ``-``, the credentials' own tailnet) and
    ``base_url`` (default ``https://api.tailscale.com``). The client's tuning keys may be set here
    too: ``timeout_seconds`` (30), ``retry_max_attempts`` (5), ``retry_max_total_wait_seconds``
    (60), ``retry_initial_wait_seconds`` (0.5), ``retry_max_wait_seconds`` (10),
    ``retry_jitter_seconds`` (0.5), ``oauth_renew_before_seconds`` (300).

    Environment variables win over the file: ``TAILSCALE_API_KEY``,
    ``TAILSCALE_OAUTH_CLIENT_ID``, ``TAILSCALE_OAUTH_CLIENT_SECRET``, ``TAILSCALE_TAILNET``,
    ``TAILSCALE_BASE_URL``, and ``TAILSCALE_API_KEY_FILE`` / ``TAILSCALE_OAUTH_CLIENT_SECRET_FILE``
    naming a file that holds the secret. Under systemd, ``LoadCredential=`` files named
    ``tailscale-api-key`` or ``tailscale-oauth-client-secret`` in ``$CREDENTIALS_DIRECTORY`` are
    used too: they win over the file, and the environment wins over them. Credentials are
    required: either an API access token or an OAuth client, not both.

``[receivers]``: identity-provider, Tailscale and Slack receivers (each off until configured)
    ``okta_header`` (default ``Authorization``) and ``okta_secret`` / ``okta_secret_file``: the
    header and value Okta's event hook sends; ``scim_token`` / ``scim_token_file``: the bearer
    token of the SCIM endpoints; ``generic_secret`` / ``generic_secret_file``: the Standard
    Webhooks secret (``whsec_…``); ``tailscale_secret`` / ``tailscale_secret_file``: the
    Tailscale webhook secret; ``slack_signing_secret`` / ``slack_signing_secret_file``: Slack's
    signing secret. Each of these five inbound secrets may hold several values, so one can be
    rotated: the key takes a string or a list of strings, the ``_file`` one secret per non-empty
    line, and a delivery that verifies under any of them is accepted; SIGHUP re-reads them.
    Outbound, one value each:
    ``slack_bot_token`` / ``slack_bot_token_file`` with ``slack_channel``, or
    ``slack_webhook_url`` / ``slack_webhook_url_file`` (``slack_api_url``, default
    ``https://slack.com/api``, is where the bot token's Web API calls go;
    ``slack_expiring_lead``, seconds or a duration, default ``15m``, is how long before its
    expiry a grant is announced as expiring); ``groups``: a table mapping an identity
    provider's group name to a tailnet group (``"On-call" = "group:oncall"``; unmapped names
    become ``group:<name>``); ``slack_users``: a table mapping a Slack user id to a login
    (``U0123ABC = "alice@example.com"``; others are matched by their email); ``sync_groups``:
    a list of ``group:`` entries of the tailnet policy that tailjit keeps equal to what the
    identity sources report, as marked entries (default none: the policy's groups are the
    humans'; see the README before naming one).

``[[tokens]]``: API bearer tokens, one table each
    ``login = "alice@example.com"`` (the token's principal) and exactly one of ``token`` (the
    token itself) or ``token_file`` (a file holding it). A token is visible ASCII, no spaces, and
    no two entries share one.
"""

from tailjit.config._load import load_config
from tailjit.config._model import (
    DEFAULT_POLICY,
    DEFAULT_STATE_DIR,
    ENV_CONFIG,
    INBOUND_SECRETS,
    ConfigError,
    DaemonConfig,
    ListenAddress,
    LogLevel,
    ReceiverSettings,
    Secrets,
    TokenEntry,
    parse_listen,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_STATE_DIR",
    "ENV_CONFIG",
    "INBOUND_SECRETS",
    "ConfigError",
    "DaemonConfig",
    "ListenAddress",
    "LogLevel",
    "ReceiverSettings",
    "Secrets",
    "TokenEntry",
    "load_config",
    "parse_listen",
]
