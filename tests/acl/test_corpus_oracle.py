"""The corpus as an oracle nobody here wrote: real policies Tailscale accepted, tests passing.

Every valid policy in ../shared/corpus/policies with a ``tests`` section was saved by Tailscale,
which runs those tests on every save, so each of them must pass under our evaluator too (with
the per-file tailnet facts of `corpus_facts`). Flipping any single ``accept`` into ``deny`` (or
back) must make exactly that test fail: the tests are not passing by accident. The corpus lives
in ../shared (no licences, never copied here); these tests skip without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailjit import acl
from tailjit.acl import PolicyTest
from tailjit.hujson import HuJSONError, parse
from tailjit.testing import load_module

FACTS = load_module(Path(__file__).with_name("corpus_facts.py"), "acl_corpus_facts")

CORPUS_FILES = 23
CORPUS_ENTRIES = 463
"""What the oracle covers: files with tests, and their accept/deny entries (issue 4, item 2)."""


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> dict[str, acl.Evaluator]:
    """Every policy of the corpus that is valid HuJSON and a valid policy, compiled."""
    compiled = {}
    for path in sorted((shared_dir / "corpus" / "policies").glob("*.hujson")):
        data = path.read_bytes()
        try:
            parse(data)
        except HuJSONError:
            continue
        if path.name in FACTS.INVALID:
            continue
        compiled[path.name] = acl.Evaluator(acl.load(data), FACTS.FACTS.get(path.name))
    return compiled


def _entries(tests: tuple[PolicyTest, ...]) -> int:
    return sum(len(t.accepts) + len(t.deny) for t in tests)


def test_every_valid_corpus_policy_loads_and_compiles(shared_dir: Path) -> None:
    """Valid HuJSON is a valid policy except the files listed, which fail with their issue."""
    checked = 0
    for path in sorted((shared_dir / "corpus" / "policies").glob("*.hujson")):
        data = path.read_bytes()
        try:
            parse(data)
        except HuJSONError:
            with pytest.raises(acl.PolicyError):
                acl.load(data)
            continue
        checked += 1
        if path.name in FACTS.INVALID:
            with pytest.raises(acl.PolicyError) as caught:
                acl.Evaluator(data)
            assert FACTS.INVALID[path.name] in str(caught.value), path.name
        else:
            acl.Evaluator(data, FACTS.FACTS.get(path.name))
    assert checked == 57


def test_every_test_of_every_accepted_policy_passes(corpus: dict[str, acl.Evaluator]) -> None:
    with_tests = {name: ev for name, ev in corpus.items() if ev.policy.tests}
    failures = {name: [r for r in ev.run_tests() if r.errors] for name, ev in with_tests.items()}

    assert {name: f for name, f in failures.items() if f} == {}
    assert len(with_tests) == CORPUS_FILES
    assert sum(_entries(ev.policy.tests) for ev in with_tests.values()) == CORPUS_ENTRIES
    assert set(FACTS.EXCLUDED) <= set(FACTS.INVALID)


def test_every_ssh_test_of_every_accepted_policy_passes(corpus: dict[str, acl.Evaluator]) -> None:
    with_tests = {name: ev for name, ev in corpus.items() if ev.policy.ssh_tests}
    failures = {
        name: [r for r in ev.run_ssh_tests() if r.errors] for name, ev in with_tests.items()
    }

    assert {name: f for name, f in failures.items() if f} == {}
    assert len(with_tests) == 9


def _flipped(test: PolicyTest, field: str, index: int) -> PolicyTest:
    """``test`` with entry ``index`` of ``field`` moved to the opposite list."""
    values = getattr(test, field)
    other = "deny" if field in ("accept", "allow") else "accept"
    data = test.model_dump(by_alias=True, exclude_none=True)
    data[field] = [v for i, v in enumerate(values) if i != index]
    data[other] = [*data.get(other, ()), values[index]]
    return PolicyTest.model_validate(data)


def test_flipping_any_single_expectation_fails_exactly_that_test(
    corpus: dict[str, acl.Evaluator],
) -> None:
    """Mutation check: each accept made a deny (and back) is reported, and nothing else is."""
    mutants = survived = 0
    for name, evaluator in corpus.items():
        tests = evaluator.policy.tests
        for i, test in enumerate(tests):
            for field in ("accept", "allow", "deny"):
                for j, address in enumerate(getattr(test, field)):
                    mutated = list(tests)
                    mutated[i] = _flipped(test, field, j)
                    results = evaluator.run_tests(mutated)
                    failing = [(r.index, r.errors) for r in results if r.errors]
                    mutants += 1
                    want = "Drop" if field != "deny" else "Accept"
                    got = "Accept" if field != "deny" else "Drop"
                    expected = [(i, (f'address "{address}": want: {want}, got: {got}',))]
                    if failing != expected:
                        survived += 1
                        print(name, i, field, address, failing)
    assert (mutants, survived) == (CORPUS_ENTRIES, 0)


def test_failures_come_in_tailscales_words(shared_dir: Path) -> None:
    """The wire body Tailscale sends for a failing test is what `failures_json` builds."""
    import json

    wire = (
        shared_dir / "ref" / "wire" / "docs" / "publicapi-update-policy-test-failed.response.json"
    )
    body = json.loads(wire.read_text())
    policy = """{
        "grants": [{"src": ["user1@example.com"], "dst": ["user2@example.com"], "ip": ["22"]}],
        "tests": [{"src": "user1@example.com", "accept": ["user2@example.com:400"]}],
    }"""

    results = acl.Evaluator(policy).run_tests()

    assert {"message": "test(s) failed", "data": acl.failures_json(results)} == body
