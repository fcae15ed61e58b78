"""Posting JSON never happens by accident: a round trip through the client keeps every comment.

The policy travels as HuJSON both ways, byte for byte; edits made with `tailjit.hujson` change
only what they add. Checked on the sandbox's commented demo policy and on the spec's examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tailjit.hujson import parse
from tailjit.sandbox import ManualClock, SandboxHandle, serve_in_thread
from tailjit.tailscale import PolicyFile, TailscaleClient

Connect = Callable[..., TailscaleClient]

EXAMPLES = ["policy-example.hujson", "validate-policy.request.hujson"]
"""Commented policies from the spec (shared/ref/wire/openapi-examples), besides the demo's."""


def comments(text: bytes) -> Counter[bytes]:
    """Every comment in ``text``, as often as it occurs.

    `standardize` blanks exactly the comments and trailing commas, so a ``//`` or ``/*`` it
    blanked starts a comment: the editor's own scanner decides, not a regex that a ``//`` inside
    a string (a URL, say) would fool.
    """
    blank = parse(text).standardize()
    found: Counter[bytes] = Counter()
    i = 0
    while i < len(text):
        opener = text[i : i + 2]
        if opener in (b"//", b"/*") and blank[i : i + 2] == b"  ":
            if opener == b"//":
                end = text.find(b"\n", i)
                end = len(text) if end < 0 else end
            else:
                end = text.index(b"*/", i + 2) + 2
            found[text[i:end].rstrip(b"\r")] += 1
            i = end
        else:
            i += 1
    return found


@pytest.fixture(params=["demo", *EXAMPLES])
def commented(
    request: pytest.FixtureRequest, tmp_path: Path, sandbox_clock: ManualClock
) -> Iterator[SandboxHandle]:
    """A sandbox holding a commented policy: the demo seed's, or one of the spec's examples."""
    policy = None
    if request.param != "demo":
        shared: Path = request.getfixturevalue("shared_dir")
        policy = (shared / "ref" / "wire" / "openapi-examples" / request.param).read_bytes()
    with serve_in_thread(tmp_path / "s", clock=sandbox_clock, policy=policy) as handle:
        yield handle


def test_the_policy_set_back_as_read_keeps_every_byte(
    commented: SandboxHandle, connect: Connect
) -> None:
    api = connect(commented)
    original = commented.policy()

    read = api.get_policy()
    stored = api.set_policy(read.raw, if_match=read.etag or "")
    again = api.get_policy()

    assert comments(original)  # there is something to lose
    assert read.raw == stored.raw == again.raw == commented.policy() == original
    assert stored.etag == again.etag == read.etag  # same bytes, same ETag


def test_an_edit_with_hujson_keeps_every_comment_and_adds_only_its_own(
    commented: SandboxHandle, connect: Connect
) -> None:
    api = connect(commented)
    read = api.get_policy()
    edited = (
        parse(read.raw)
        .set_member("/groups", "group:oncall", ["bob@example.com"], comments=["// On call."])
        .pack()
    )

    api.set_policy(edited, if_match=read.etag or "")
    after = api.get_policy().raw

    assert after == edited
    assert comments(after) - comments(read.raw) == Counter({b"// On call.": 1})
    assert comments(read.raw) - comments(after) == Counter()
    # The edit followed by its inverse gives back the exact bytes.
    assert parse(after).remove("/groups/group:oncall").pack() == read.raw


def test_update_policy_keeps_the_comments_of_a_policy_a_human_changed_meanwhile(
    commented: SandboxHandle, connect: Connect
) -> None:
    api = connect(commented)
    original = commented.policy()
    commented.set_faults(human_edits=1, human_edit_kind="comment")

    def add_oncall(policy: PolicyFile) -> bytes:
        return parse(policy.raw).set_member("/groups", "group:oncall", []).pack()

    stored = api.update_policy(add_oncall)

    human = b"// Edited by a human in the admin console (sandbox edit 1)."
    assert comments(stored.raw) - comments(original) == Counter({human: 1})
    assert comments(original) - comments(stored.raw) == Counter()
    assert stored.raw == commented.policy()


def test_a_parsed_policy_is_refused_before_anything_is_sent(
    sandbox: SandboxHandle, connect: Connect
) -> None:
    api = connect(sandbox)
    before = sandbox.policy()

    with pytest.raises(TypeError, match="HuJSON text"):
        api.set_policy(parse(before).to_python(), if_match=sandbox.etag())  # type: ignore[arg-type]

    assert sandbox.requests() == []
    assert sandbox.policy() == before
