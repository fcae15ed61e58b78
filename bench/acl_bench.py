"""Compile a policy and ask 100,000 random `may` questions; print queries per second.

Two policies: (a) the real 1.17 MB corpus policy, read from ../shared when present (about 45,000
CIDRs, all in an app-connector's routes: its two grants are `*` to `*`), and (b) a generated one
with 2,000 rules (grants and legacy acls) over 500 groups, 200 tags, 300 host aliases, 50 ipsets
and about 2,000 destination CIDRs, for a tailnet of 2,000 users and 3,000 devices. Questions name
users, devices, tags, host aliases and random addresses (most never seen before, so each costs a
full resolution); the figure is for one pass over all of them, caches cold at the start. Target
(issue 4): at least 20,000 queries/s on both. Compile cost is best of N.

    python bench/acl_bench.py [--queries N] [--repeat N]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tailjit import acl
from tailjit.testing import find_shared_dir

REAL = "ponomarev-studio__VPN__policy.hujson"
TARGET = 20_000


def generated_policy(seed: int = 4) -> tuple[str, acl.Tailnet]:
    """A large policy (2,000 rules, 500 groups) and a tailnet for it."""
    rng = random.Random(seed)
    users = [f"user{i}@example.com" for i in range(2000)]
    groups = {f"group:g{i}": rng.sample(users, rng.randint(4, 12)) for i in range(500)}
    tags = [f"tag:t{i}" for i in range(200)]
    hosts = {
        f"host{i}": f"10.{200 + i // 250}.{i % 250}.{rng.choice(['10', '0/24'])}"
        for i in range(300)
    }
    ipsets = {
        f"ipset:s{i}": [f"add 172.{16 + i % 16}.{rng.randrange(256)}.0/24" for _ in range(5)]
        + [f"remove 172.{16 + i % 16}.{rng.randrange(256)}.1"]
        for i in range(50)
    }
    postures = {
        f"posture:p{i}": [f"custom:jit{i} == true", "node:os IN ['macos', 'linux']"]
        for i in range(10)
    }

    def sources() -> list[str]:
        pool = [rng.choice(list(groups)), rng.choice(users), rng.choice(tags)]
        return rng.sample(pool, rng.randint(1, 2)) + (
            ["autogroup:member"] if rng.random() < 0.02 else []
        )

    def destination() -> str:
        roll = rng.random()
        if roll < 0.4:
            return rng.choice(tags)
        if roll < 0.6:
            return rng.choice(list(hosts))
        if roll < 0.7:
            return rng.choice(list(ipsets))
        return f"10.{rng.randrange(200)}.{rng.randrange(256)}.0/24"

    def ports() -> str:
        return rng.choice(["22", "443", "5432", "8000-8100", str(rng.randrange(1, 65535))])

    grants: list[dict[str, Any]] = []
    for _ in range(1400):
        grant: dict[str, Any] = {
            "src": sources(),
            "dst": [destination() for _ in range(rng.randint(1, 3))],
            "ip": [rng.choice(["tcp:", "udp:", ""]) + ports() for _ in range(rng.randint(1, 3))],
        }
        if rng.random() < 0.1:
            grant["srcPosture"] = [rng.choice(list(postures))]
        grants.append(grant)
    acls = [
        {
            "action": "accept",
            "src": sources(),
            "dst": [f"{destination()}:{ports()},{ports()}" for _ in range(rng.randint(1, 3))],
            **({"proto": "tcp"} if rng.random() < 0.3 else {}),
        }
        for _ in range(600)
    ]
    policy = {
        "groups": groups,
        "tagOwners": {tag: ["autogroup:admin"] for tag in tags},
        "hosts": hosts,
        "ipsets": ipsets,
        "postures": postures,
        "grants": grants,
        "acls": acls,
    }
    roles = ["member"] * 18 + ["admin", "auditor"]
    devices = []
    for i in range(3000):
        address = f"100.{64 + i // 60000}.{(i // 250) % 240}.{i % 250 + 1}"
        if i % 3 == 0:
            picked = tuple(rng.sample(tags, rng.randint(1, 2)))
            devices.append(acl.Device(f"server{i}", (address,), tags=picked))
        else:
            attrs = {"node:os": rng.choice(["macos", "linux", "windows"])}
            devices.append(
                acl.Device(f"laptop{i}", (address,), user=rng.choice(users), attributes=attrs)
            )
    tailnet = acl.Tailnet(
        users=tuple(acl.User(u, role=rng.choice(roles)) for u in users), devices=tuple(devices)
    )
    return json.dumps(policy, indent="\t"), tailnet


def questions(
    evaluator: acl.Evaluator, count: int, seed: int = 9
) -> list[tuple[str, str, int, str]]:
    """Random questions over the names of the policy and tailnet, and fresh addresses."""
    rng = random.Random(seed)
    policy, tailnet = evaluator.policy, evaluator.tailnet
    users = [u.login for u in tailnet.users] or ["alice@example.com", "bob@example.com"]
    devices = [d.name for d in tailnet.devices]
    tags = list(policy.tag_owners)
    hosts = list(policy.hosts)
    out = []
    for _ in range(count):
        src_pool = [users, devices or users, tags or users]
        src = rng.choice(rng.choices(src_pool, weights=[5, 3, 2])[0])
        roll = rng.random()
        if roll < 0.35 and tags:
            dst = rng.choice(tags)
        elif roll < 0.55 and devices:
            dst = rng.choice(devices)
        elif roll < 0.65 and hosts:
            dst = rng.choice(hosts)
        elif roll < 0.8:
            dst = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        else:
            dst = str(ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24)))
        port = rng.choice([22, 443, 5432, 8080, rng.randrange(1, 65536)])
        out.append((src, dst, port, rng.choice(["tcp", "tcp", "tcp", "udp"])))
    return out


def matching_questions(
    evaluator: acl.Evaluator, count: int, seed: int = 11
) -> list[tuple[str, str, int, str]]:
    """Questions drawn from the rules themselves (a source and a destination of one rule, a port
    it opens), so that most are allowed and every decision lists its rules."""
    rng = random.Random(seed)
    policy = evaluator.policy
    rules = [r for r in evaluator.rules.rules if r.targets and r.sources]
    out = []
    while len(out) < count:
        rule = rng.choice(rules)
        src = rng.choice(rule.sources).text
        if src.startswith("group:"):
            src = rng.choice(policy.groups[src])
        elif src == "*" or src.startswith("autogroup:"):
            src = rng.choice([u.login for u in evaluator.tailnet.users] or ["alice@example.com"])
        target = rng.choice(rule.targets)
        if target.selector.prefixes:
            prefix = rng.choice(target.selector.prefixes)
            dst = str(ipaddress.ip_address(prefix.network + (prefix.last - prefix.network) // 2))
        elif target.selector.key in (None, "*", "autogroup:self"):
            continue
        else:
            dst = target.selector.text
            if dst.startswith(("group:", "autogroup:")):
                continue
        ports = rng.choice(target.ports)
        out.append((src, dst, rng.randint(ports.lo, min(ports.hi, ports.lo + 10)), "tcp"))
    return out


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, text: str | bytes, tailnet: acl.Tailnet, count: int, repeat: int) -> None:
    size = len(text) / 1e6
    parse = best(lambda: acl.load(text), repeat)
    compile_all = best(lambda: acl.Evaluator(text, tailnet), repeat)
    print(f"{name}: {size:.2f} MB, {len(acl.Evaluator(text, tailnet).rules.rules)} rules")
    print(f"  load (parse + validate)        {parse * 1e3:8.1f} ms")
    print(f"  compile (load, rules, indexes) {compile_all * 1e3:8.1f} ms")
    for kind, pick in (("random", questions), ("from the rules", matching_questions)):
        evaluator = acl.Evaluator(text, tailnet)  # caches cold
        asked = pick(evaluator, count)
        start = time.perf_counter()
        allowed = sum(1 for src, dst, port, proto in asked if evaluator.may(src, dst, port, proto))
        elapsed = time.perf_counter() - start
        rate = count / elapsed
        print(
            f"  {count:,} {kind} queries: {elapsed * 1e3:7.1f} ms, {rate:8,.0f}/s "
            f"({allowed:,} allowed; target >= {TARGET:,}/s: {_met(rate >= TARGET)})"
        )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100_000, help="questions per policy")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per compile figure (best is kept)"
    )
    args = parser.parse_args()
    shared = find_shared_dir(Path(__file__).resolve().parent.parent)
    real = shared / "corpus" / "policies" / REAL if shared else None
    if real is not None and real.is_file():
        tailnet = acl.Tailnet(
            users=(acl.User("alice@example.com", role="admin"), acl.User("bob@example.com")),
            devices=(
                acl.Device("mow", ("100.64.0.1",), tags=("tag:ru",)),
                acl.Device("aah", ("100.64.0.2",), tags=("tag:eu",)),
                acl.Device("alice-laptop", ("100.64.0.3",), user="alice@example.com"),
            ),
        )
        measure(f"(a) real policy ({REAL})", real.read_bytes(), tailnet, args.queries, args.repeat)
    else:
        print("(a) real policy: skipped (../shared is not present)")
    text, tailnet = generated_policy()
    measure(
        "(b) generated policy (2,000 rules, 500 groups)", text, tailnet, args.queries, args.repeat
    )


if __name__ == "__main__":
    main()
