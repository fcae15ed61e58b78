"""The policy file endpoints: ``/tailnet/{tailnet}/acl``, ``/acl/validate``, ``/acl/preview``.

TAILSCALE_API.md §1 and §8: HuJSON unless ``Accept: application/json``; the exact stored bytes;
a quoted ETag on GET and POST; ``If-Match`` (and ``"ts-default"``) with 412 on mismatch;
``details=1|true``; 400 for a bad policy on POST but 200 with a ``message`` on validate; an empty
POST body resets to the default policy.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tailjit.sandbox.acl_checker import SourcedPolicy
from tailjit.sandbox.checker import (
    PolicyChecker,
    TailnetView,
    TestFailure,
    failures_body,
    parse_tests,
)
from tailjit.sandbox.emulator import Emulator
from tailjit.sandbox.errors import BadRequest
from tailjit.sandbox.messages import Call, Reply, json_reply, message_reply
from tailjit.sandbox.policy import (
    CheckedPolicy,
    PolicyRejected,
    check_policy,
    decode,
    etag,
    user_warnings,
)
from tailjit.sandbox.policy_refs import check_references
from tailjit.sandbox.policy_schema import TEST, PolicyIssue, check_shape

HUJSON = "application/hujson"


class TestsFailed(Exception):
    __test__ = False

    def __init__(self, failures: list[TestFailure]) -> None:
        super().__init__("test(s) failed")
        self.failures = failures


def _policy_reply(call: Call, text: bytes) -> Reply:
    headers = {"ETag": etag(text)}
    if call.wants_json():
        body = json.dumps(decode(text), indent=2).encode()
        return Reply(200, body, "application/json", headers)
    return Reply(200, text, HUJSON, headers)


def _run_tests(checker: PolicyChecker, policy: CheckedPolicy, view: TailnetView) -> None:
    failures = checker.run_tests(policy.data, policy.tests, policy.ssh_tests, tailnet=view)
    if any(f.errors for f in failures):
        raise TestsFailed(failures)


def get_policy(emu: Emulator, call: Call) -> Reply:
    text, tag = emu.state.policy_snapshot()
    if call.arg("details") in ("1", "true"):
        logins = [u["loginName"] for u in emu.state.view().users]
        body: dict[str, Any] = {"acl": base64.b64encode(text).decode()}
        try:  # a policy file edited on disk by hand may not pass; report it as Tailscale would
            body["warnings"] = user_warnings(check_policy(text).data, logins) or None
            body["errors"] = None
        except PolicyRejected as exc:
            body["warnings"] = None
            body["errors"] = [issue.message for issue in exc.issues]
        reply = json_reply(body, headers={"ETag": tag})
    else:
        reply = _policy_reply(call, text)
    kind = emu.faults.take_human_edit()
    if kind is not None:
        emu.human_edit(kind)
    return reply


def set_policy(emu: Emulator, call: Call) -> Reply:
    text = call.body if call.body.strip() else None

    def check(candidate: bytes) -> None:
        _run_tests(emu.checker, check_policy(candidate), emu.state.view())

    try:
        change = emu.state.replace_policy(text, call.headers.get("if-match"), check)
    except PolicyRejected as exc:
        return message_reply(400, exc.message)
    except TestsFailed as exc:
        return json_reply(failures_body(exc.failures), 400)
    emu.policy_changed(change, emu.actor(call))
    return _policy_reply(call, change.new)


def validate_policy(emu: Emulator, call: Call) -> Reply:
    """200 for every well-formed request; a ``message`` in the body says what failed."""
    if not call.body.strip():
        raise BadRequest("request body must be a policy file or an array of tests")
    try:
        value = decode(call.body)
        view = emu.state.view()
        if isinstance(value, list):
            failures = _validate_tests(emu, value, view)
        else:
            policy = check_policy(call.body)
            failures = emu.checker.run_tests(
                policy.data, policy.tests, policy.ssh_tests, tailnet=view
            )
    except PolicyRejected as exc:
        return json_reply({"message": exc.message})
    return json_reply(failures_body(failures) if failures else {})


def _validate_tests(emu: Emulator, tests: list[Any], view: TailnetView) -> list[TestFailure]:
    """Array mode: the tests run against the tailnet's current policy."""
    issues: list[PolicyIssue] = []
    shaped = check_shape(tests, issues, ("list", TEST), "/tests")
    current = check_policy(emu.state.policy_snapshot()[0])
    if not issues:
        issues = [
            issue
            for issue in check_references({**current.data, "tests": shaped})
            if issue.path.startswith("/tests")
        ]
    if issues:
        raise PolicyRejected(issues)
    return emu.checker.run_tests(current.data, parse_tests(shaped), [], tailnet=view)


def preview_policy(emu: Emulator, call: Call) -> Reply:
    kind, preview_for = call.arg("type"), call.arg("previewFor")
    if kind not in ("user", "ipport") or not preview_for:
        raise BadRequest("type (user or ipport) and previewFor are required")
    try:
        policy = check_policy(call.body)
    except PolicyRejected as exc:
        return message_reply(400, exc.message)
    try:
        body = emu.checker.preview(
            SourcedPolicy(policy.data, policy.text),
            kind=kind,
            preview_for=preview_for,
            tailnet=emu.state.view(),
        )
    except NotImplementedError:
        return message_reply(501, "not implemented")
    return Reply(200, json.dumps(body).encode())
