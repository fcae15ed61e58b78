"""The ``[receivers]`` table: `ReceiverSettings` for the webhook, SCIM and Slack receivers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tailjit.config._model import INBOUND_SECRETS, ConfigError, ReceiverSettings
from tailjit.config._sources import (
    Where,
    checked,
    expect,
    interval,
    refuse_unknown,
    secret_pair,
    secret_values,
    toml_table,
)
from tailjit.ids import GroupName, Login

__all__ = ["receiver_settings"]

_RECEIVER_SECRETS = (*INBOUND_SECRETS, "slack_bot_token", "slack_webhook_url")
_RECEIVER_KEYS = frozenset(
    (
        *_RECEIVER_SECRETS,
        *(f"{key}_file" for key in _RECEIVER_SECRETS),
        *("okta_header", "slack_channel", "slack_api_url", "slack_expiring_lead"),
        *("groups", "slack_users", "sync_groups"),
    )
)


def receiver_settings(document: Mapping[str, object], file: Path | None) -> ReceiverSettings:
    table = toml_table(document, "receivers", file)
    refuse_unknown(table, sorted(_RECEIVER_KEYS), prefix="receivers.", file=file)
    values: dict[str, object] = {}
    for key in _RECEIVER_SECRETS:
        where, where_file = Where(f"receivers.{key}", file), Where(f"receivers.{key}_file", file)
        if key in INBOUND_SECRETS:
            secret: object = secret_values(table, key, where, where_file)
        else:
            secret = secret_pair(table, key, where, where_file)
        if secret is not None:
            values[key] = secret
    for key in ("okta_header", "slack_channel", "slack_api_url"):
        if key in table:
            values[key] = expect(str, table[key], Where(f"receivers.{key}", file), "a string")
    if "slack_expiring_lead" in table:
        where = Where("receivers.slack_expiring_lead", file)
        values["slack_expiring_lead"] = interval(table["slack_expiring_lead"], where)
    groups: dict[str, str] = {}
    table_of = expect(dict, table.get("groups", {}), Where("receivers.groups", file), "a table")
    for name, group in table_of.items():
        where = Where(f"receivers.groups.{name}", file)
        text = expect(str, group, where, "a group:name")
        groups[name] = str(checked(GroupName.parse, text, where))
    users: dict[str, str] = {}
    table_of = expect(
        dict, table.get("slack_users", {}), Where("receivers.slack_users", file), "a table"
    )
    for user, login in table_of.items():
        where = Where(f"receivers.slack_users.{user}", file)
        users[user] = str(checked(Login.parse, expect(str, login, where, "a login"), where))
    values["groups"], values["slack_users"] = groups, users
    synced = expect(
        list, table.get("sync_groups", []), Where("receivers.sync_groups", file), "a list"
    )
    names: list[str] = []
    for index, name in enumerate(synced):
        where = Where(f"receivers.sync_groups[{index}]", file)
        group = str(checked(GroupName.parse, expect(str, name, where, "a group:name"), where))
        if group in names:
            raise where.error(f"{group} is named twice")
        names.append(group)
    values["sync_groups"] = tuple(names)
    if "slack_bot_token" in values and "slack_channel" not in values:
        raise ConfigError(
            "slack_bot_token needs slack_channel (where to post)", key="receivers", file=file
        )
    return ReceiverSettings.model_validate(values)
