"""Finding the daemon and the token, and turning the daemon's answers into exit codes."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from tailjit.cli import _client, main
from tailjit.cli._client import DEFAULT_URL, DaemonClient, DaemonError, discover

TOKEN = "a" * 43


def test_url_defaults_to_loopback_8765(tmp_path: Path) -> None:
    connection = discover(url=None, token_file=None, environ={"TAILJIT_STATE_DIR": str(tmp_path)})

    assert connection.url == DEFAULT_URL == "http://127.0.0.1:8765"


def test_url_option_wins_over_environment() -> None:
    environ = {"TAILJIT_URL": "http://10.0.0.1:1/", "TAILJIT_TOKEN": TOKEN}

    assert discover(url=None, token_file=None, environ=environ).url == "http://10.0.0.1:1"
    assert discover(url="http://[::1]:9/", token_file=None, environ=environ).url == "http://[::1]:9"


def test_url_that_is_not_http_is_a_usage_error() -> None:
    with pytest.raises(click.BadParameter, match="not an http:// or https:// URL") as caught:
        discover(url="ftp://x", token_file=None, environ={"TAILJIT_TOKEN": TOKEN})

    assert caught.value.exit_code == 2


def test_token_file_option_wins_over_environment_and_state_dir(tmp_path: Path) -> None:
    (tmp_path / "admin.token").write_text("from-state-dir\n")
    token_file = tmp_path / "mine"
    token_file.write_text("from-file\n")
    environ = {"TAILJIT_TOKEN": "from-env", "TAILJIT_STATE_DIR": str(tmp_path)}

    connection = discover(url=None, token_file=token_file, environ=environ)

    assert (connection.token, connection.token_source) == ("from-file", str(token_file))


def test_environment_token_wins_over_state_dir(tmp_path: Path) -> None:
    (tmp_path / "admin.token").write_text("from-state-dir\n")
    environ = {"TAILJIT_TOKEN": " from-env\n", "TAILJIT_STATE_DIR": str(tmp_path)}

    connection = discover(url=None, token_file=None, environ=environ)

    assert (connection.token, connection.token_source) == ("from-env", "TAILJIT_TOKEN")


def test_state_dir_admin_token_is_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "admin.token").write_text(TOKEN + "\n")

    connection = discover(url=None, token_file=None, environ={"TAILJIT_STATE_DIR": str(tmp_path)})

    assert (connection.token, connection.token_source) == (TOKEN, str(tmp_path / "admin.token"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_state_dir_token_means_no_token_and_says_why(tmp_path: Path) -> None:
    admin_token = tmp_path / "admin.token"
    admin_token.write_text(TOKEN)
    admin_token.chmod(0)

    connection = discover(url=None, token_file=None, environ={"TAILJIT_STATE_DIR": str(tmp_path)})

    assert connection.token is None
    assert connection.token_source == f"no token ({admin_token}: Permission denied)"


def test_missing_state_dir_token_means_no_token(tmp_path: Path) -> None:
    connection = discover(url=None, token_file=None, environ={"TAILJIT_STATE_DIR": str(tmp_path)})

    assert connection.token is None
    assert "No such file" in connection.token_source


def test_unreadable_token_file_option_is_exit_2_naming_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["whoami", "--token-file", str(tmp_path / "absent")])

    assert result.exit_code == 2
    assert "--token-file" in result.output
    assert "No such file" in result.output


def test_malformed_token_is_refused_without_showing_it(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("secret part\nmore secret\n")

    result = CliRunner().invoke(main, ["whoami", "--token-file", str(token_file)])

    assert result.exit_code == 2
    assert str(token_file) in result.output
    assert "secret" not in result.output.replace(str(token_file), "")


def test_token_is_sent_as_bearer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"login": "a@b.c", "admin": False})

    connection = _client.Connection("http://daemon:1", TOKEN, "test")
    with DaemonClient(connection, http=httpx.Client(transport=httpx.MockTransport(handler))) as c:
        assert c.get("/v1/whoami") == {"login": "a@b.c", "admin": False}

    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert str(seen[0].url) == "http://daemon:1/v1/whoami"
    assert TOKEN not in repr(connection)


@pytest.mark.parametrize(
    ("status", "code", "exit_code"),
    [
        (400, "invalid-input", 2),
        (401, "unauthenticated", 4),
        (403, "not-an-admin", 1),
        (404, "not-found", 5),
        (409, "transition-not-allowed", 1),
        (409, "stale", 1),
        (422, "duration-too-long", 1),
        (503, "not-ready", 3),
        (500, "internal", 3),
    ],
)
def test_error_answers_become_the_contracts_exit_codes(
    status: int, code: str, exit_code: int
) -> None:
    body = {"error": {"code": code, "message": "it went wrong", "field": "target"}}
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body))
    connection = _client.Connection("http://daemon:1", TOKEN, "TAILJIT_TOKEN")

    with pytest.raises(DaemonError) as caught:
        DaemonClient(connection, http=httpx.Client(transport=transport)).get("/v1/whoami")

    assert caught.value.exit_code == exit_code
    assert (caught.value.status, caught.value.code, caught.value.field) == (status, code, "target")
    assert caught.value.message.startswith(f"it went wrong ({code})")
    assert TOKEN not in caught.value.message


def test_401_says_where_the_token_came_from_and_how_to_pass_one() -> None:
    body = {"error": {"code": "unauthenticated", "message": "unknown token", "field": None}}
    transport = httpx.MockTransport(lambda _: httpx.Response(401, json=body))
    connection = _client.Connection("http://daemon:1", TOKEN, "TAILJIT_TOKEN")

    with pytest.raises(DaemonError) as caught:
        DaemonClient(connection, http=httpx.Client(transport=transport)).get("/v1/whoami")

    assert "token: TAILJIT_TOKEN" in caught.value.message
    assert "--token-file" in caught.value.message


def test_an_answer_that_is_not_tailjits_is_exit_3_asking_about_the_url() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(404, text="<html>nginx</html>"))
    connection = _client.Connection("http://daemon:1", TOKEN, "TAILJIT_TOKEN")

    with pytest.raises(DaemonError) as caught:
        DaemonClient(connection, http=httpx.Client(transport=transport)).get("/v1/whoami")

    assert caught.value.exit_code == 3
    assert "not as a tailjit daemon does" in caught.value.message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_refused_connection_is_exit_3_saying_how_to_start_the_daemon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("TAILJIT_URL", url)
    monkeypatch.setenv("TAILJIT_TOKEN", TOKEN)

    result = CliRunner().invoke(main, ["ls"])

    assert result.exit_code == 3, result.output
    assert f"the tailjit daemon at {url} is not running" in result.stderr
    assert "tailjit daemon --config FILE" in result.stderr
    assert "tailjit daemon --sandbox DIR" in result.stderr
    assert TOKEN not in result.output


def test_whoami_json_is_the_daemons_answer(daemon: object) -> None:
    result = CliRunner().invoke(main, ["whoami", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"login": "carol@example.com", "admin": True}


def test_whoami_names_the_token_source_not_the_token(daemon: object) -> None:
    result = CliRunner().invoke(main, ["whoami"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "carol@example.com (admin)",
        "daemon http://127.0.0.1:8765, token from TAILJIT_TOKEN",
    ]


def test_no_token_anywhere_is_exit_4(daemon: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAILJIT_TOKEN")

    result = CliRunner().invoke(main, ["whoami"])

    assert result.exit_code == 4
    assert "no token (" in result.stderr


def test_state_dir_token_that_cannot_be_read_means_no_token(tmp_path: Path) -> None:
    """Even for root: a directory where the token should be is not readable as a file."""
    (tmp_path / "admin.token").mkdir()

    connection = discover(url=None, token_file=None, environ={"TAILJIT_STATE_DIR": str(tmp_path)})

    assert connection.token is None
    assert connection.token_source.startswith(f"no token ({tmp_path / 'admin.token'}: ")
