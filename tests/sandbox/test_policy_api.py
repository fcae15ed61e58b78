"""The policy file endpoints over real HTTP: formats, ETags, If-Match, validation."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tailjit.sandbox import NoopChecker, SandboxHandle, serve_in_thread

ACL = "/api/v2/tailnet/-/acl"
VALIDATE = "/api/v2/tailnet/-/acl/validate"
PRECONDITION_FAILED = {"message": "precondition failed, invalid old hash"}


def test_get_returns_hujson_by_default_with_a_quoted_sha256_etag(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        reply = client.get(ACL)

    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/hujson"
    assert reply.content == sandbox.policy()
    assert reply.content.startswith(b"// Policy of the tailjit sandbox")
    etag = reply.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    assert etag == sandbox.etag()


def test_accept_json_gives_json_with_the_same_etag(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        hujson = client.get(ACL)
        as_json = client.get(ACL, headers={"Accept": "application/json"})

    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["groups"]["group:eng"] == ["alice@example.com", "bob@example.com"]
    assert b"//" not in as_json.content
    assert as_json.headers["etag"] == hujson.headers["etag"]


@pytest.mark.parametrize("accept", ["application/hujson", "*/*", "text/plain"])
def test_any_other_accept_gives_hujson(sandbox: SandboxHandle, accept: str) -> None:
    with sandbox.client() as client:
        reply = client.get(ACL, headers={"Accept": accept})

    assert reply.headers["content-type"] == "application/hujson"


def test_post_stores_the_exact_bytes_and_returns_the_new_etag(sandbox: SandboxHandle) -> None:
    text = sandbox.policy().replace(b"// Groups of users.", b"/* Groups, edited */\r\n\t")
    with sandbox.client() as client:
        reply = client.post(ACL, content=text, headers={"Content-Type": "application/hujson"})
        again = client.get(ACL)

    assert reply.status_code == 200
    assert reply.content == text
    assert again.content == text
    assert reply.headers["etag"] == again.headers["etag"] == sandbox.etag()


def test_etag_changes_exactly_when_the_text_changes(sandbox: SandboxHandle) -> None:
    original = sandbox.policy()
    with sandbox.client() as client:
        first = client.get(ACL).headers["etag"]
        same = client.post(ACL, content=original).headers["etag"]
        spaced = client.post(ACL, content=original + b"\n").headers["etag"]
        back = client.post(ACL, content=original).headers["etag"]

    assert same == first
    assert spaced != first
    assert back == first


def test_if_match_with_the_current_etag_succeeds(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        etag = client.get(ACL).headers["etag"]
        reply = client.post(ACL, content=sandbox.policy() + b" ", headers={"If-Match": etag})

    assert reply.status_code == 200


@pytest.mark.parametrize(
    "if_match",
    [
        '"0000000000000000000000000000000000000000000000000000000000000000"',
        "stale-unquoted",
        "W/{etag}",
        '"{etag}"',  # quoted twice
        "{bare}",  # the hash without its quotes
    ],
)
def test_if_match_mismatch_is_412_with_tailscales_body(
    sandbox: SandboxHandle, if_match: str
) -> None:
    before = sandbox.policy()
    etag = sandbox.etag()
    header = if_match.format(etag=etag, bare=etag.strip('"'))
    with sandbox.client() as client:
        reply = client.post(ACL, content=before + b"\n", headers={"If-Match": header})

    assert reply.status_code == 412
    assert reply.json() == PRECONDITION_FAILED
    assert sandbox.policy() == before


def test_ts_default_fails_once_the_policy_is_not_the_untouched_default(
    sandbox: SandboxHandle,
) -> None:
    with sandbox.client() as client:
        reply = client.post(ACL, content=sandbox.policy(), headers={"If-Match": '"ts-default"'})

    assert reply.status_code == 412
    assert reply.json() == PRECONDITION_FAILED


def test_ts_default_replaces_the_untouched_default_once(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s", seed="empty") as sandbox, sandbox.client() as client:
        new = b'{"grants": [{"src": ["*"], "dst": ["*"], "ip": ["tcp:22"]}]}'
        first = client.post(ACL, content=new, headers={"If-Match": '"ts-default"'})
        second = client.post(ACL, content=new + b" ", headers={"If-Match": '"ts-default"'})

    assert first.status_code == 200
    assert second.status_code == 412


def test_empty_post_resets_to_the_default_policy(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        reply = client.post(ACL, content=b"")
        then = client.post(ACL, content=b"{}", headers={"If-Match": '"ts-default"'})

    assert reply.status_code == 200
    assert b"The default policy of a new sandbox tailnet" in reply.content
    assert then.status_code == 200


@pytest.mark.parametrize("details", ["1", "true"])
def test_details_gives_base64_text_warnings_and_errors(
    sandbox: SandboxHandle, details: str
) -> None:
    text = sandbox.policy().replace(b'"bob@example.com"]', b'"bob@example.com", "zed@example.com"]')
    with sandbox.client() as client:
        client.post(ACL, content=text)
        reply = client.get(ACL, params={"details": details})

    body = reply.json()
    assert base64.b64decode(body["acl"]) == text
    assert body["warnings"] == ['"group:eng": user not found: "zed@example.com"']
    assert body["errors"] is None
    assert reply.headers["etag"] == sandbox.etag()


def test_details_with_another_value_is_ignored(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        reply = client.get(ACL, params={"details": "yes"})

    assert reply.content == sandbox.policy()


def test_unknown_field_is_400_on_post_and_200_with_a_message_on_validate(
    sandbox: SandboxHandle,
) -> None:
    body = b'{"grants": [], "nodeVisibility": "all"}'
    before = sandbox.policy()
    with sandbox.client() as client:
        posted = client.post(ACL, content=body)
        validated = client.post(VALIDATE, content=body)

    assert posted.status_code == 400
    assert posted.json() == {"message": 'json: unknown field "nodeVisibility"'}
    assert validated.status_code == 200
    assert validated.json() == {"message": 'json: unknown field "nodeVisibility"'}
    assert sandbox.policy() == before


def test_unknown_field_inside_a_test_is_rejected(sandbox: SandboxHandle) -> None:
    body = b'{"tests": [{"src": "alice@example.com", "dst": ["1.2.3.4:22"]}]}'
    with sandbox.client() as client:
        reply = client.post(ACL, content=body)

    assert reply.json() == {"message": 'json: unknown field "dst"'}


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"grants": [{"src": ["group:ops"], "dst": ["*"], "ip": ["*"]}]},
            'src=group not found: "group:ops"',
        ),
        (
            {"acls": [{"action": "accept", "src": ["tag:tag1"], "dst": ["*:*"]}]},
            'src=tag not found: "tag:tag1"',
        ),
        (
            {"grants": [{"src": ["*"], "dst": ["db-staging"], "ip": ["tcp:5432"]}]},
            'dst=host not found: "db-staging"',
        ),
        (
            {"acls": [{"action": "accept", "src": ["*"], "dst": ["nowhere:22"]}]},
            'dst=host not found: "nowhere"',
        ),
        (
            {"grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"], "srcPosture": ["posture:x"]}]},
            'srcPosture=posture not found: "posture:x"',
        ),
        (
            {"tests": [{"src": "group:nobody", "accept": ["1.2.3.4:22"]}]},
            'src=group not found: "group:nobody"',
        ),
    ],
)
def test_undefined_names_are_rejected(
    sandbox: SandboxHandle, policy: dict[str, object], message: str
) -> None:
    body = json.dumps(policy).encode()
    with sandbox.client() as client:
        posted = client.post(ACL, content=body)
        validated = client.post(VALIDATE, content=body)

    assert (posted.status_code, posted.json()) == (400, {"message": message})
    assert (validated.status_code, validated.json()) == (200, {"message": message})


def test_invalid_hujson_reports_line_and_column(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        reply = client.post(ACL, content=b'{\n  "grants": [\n    {"src": ["*"],, }\n  ]\n}')

    assert reply.status_code == 400
    assert reply.json()["message"].startswith("line 3, column 19: ")


def test_keys_match_case_insensitively_like_go(sandbox: SandboxHandle) -> None:
    body = b'{"ACLs": [{"Action": "accept", "Users": ["*"], "Ports": ["*:*"]}], "Hosts": {}}'
    with sandbox.client() as client:
        reply = client.post(ACL, content=body)

    assert reply.status_code == 200


def test_validate_policy_mode_accepts_a_good_policy_without_saving(
    sandbox: SandboxHandle,
) -> None:
    before = sandbox.policy()
    with sandbox.client() as client:
        reply = client.post(VALIDATE, content=before.replace(b"tcp:443", b"tcp:8443"))

    assert (reply.status_code, reply.json()) == (200, {})
    assert sandbox.policy() == before


def test_validate_array_mode_checks_tests_against_the_current_policy(
    sandbox: SandboxHandle,
) -> None:
    good = [{"src": "carol@example.com", "accept": ["db-prod:5432"], "deny": ["tag:prod:22"]}]
    bad = [{"src": "alice@example.com", "accept": ["db-staging:5432"]}]
    with sandbox.client() as client:
        ok = client.post(VALIDATE, json=good)
        refused = client.post(VALIDATE, json=bad)

    assert (ok.status_code, ok.json()) == (200, {})
    assert (refused.status_code, refused.json()) == (
        200,
        {"message": 'accept=host not found: "db-staging"'},
    )


def test_post_and_validate_need_a_body_shape_tailscale_can_decode(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        posted = client.post(ACL, content=b"[1, 2]")
        empty_validate = client.post(VALIDATE, content=b"")

    assert posted.status_code == 400
    assert "cannot unmarshal array" in posted.json()["message"]
    assert empty_validate.status_code == 400


def test_preview_is_not_implemented_without_an_evaluator(tmp_path: Path) -> None:
    with (
        serve_in_thread(tmp_path / "s", checker=NoopChecker()) as sandbox,
        sandbox.client() as client,
    ):
        reply = client.post(
            ACL + "/preview",
            params={"type": "user", "previewFor": "alice@example.com"},
            content=sandbox.policy(),
        )

    assert (reply.status_code, reply.json()) == (501, {"message": "not implemented"})


def test_unknown_tailnet_is_404(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        named = client.get("/api/v2/tailnet/example.com/acl")
        other = client.get("/api/v2/tailnet/other.example/acl")

    assert named.status_code == 200
    assert other.status_code == 404
