"""Tailnet facts the corpus policies rely on but do not state, one entry per file.

A policy's tests were run by Tailscale against the real tailnet, which knew who is an admin and
which address is whose device. These are the facts each file needs for its tests to pass, each
with the evidence for it (a comment in the file, or the only reading under which its tests and
rules agree). A file not listed here needs none: its logins count as plain members.
"""

from __future__ import annotations

from tailjit.acl import Device, Tailnet, User


def device(name: str, address: str, *, user: str | None = None, tag: str | None = None) -> Device:
    return Device(name, (address,), user=user, tags=(tag,) if tag else ())


KATELYN = "katelyn.c.maes@gmail.com"
JACOB = "jacob@mcswain.dev"

FACTS: dict[str, Tailnet] = {
    # jacob reaches every address of the tests through the only rule that could open them,
    # `autogroup:admin -> *:*`: he is an admin. katelyn's accepts are her own devices
    # ("accept phone", `autogroup:self:*`) and a member's device on 443 (100.126.56.39, the
    # "framework 13" she must not reach on 80, so jacob's); the sshTests add one more device for
    # each. torvalds@github must be denied what `autogroup:member` gets: he is no user here.
    "USA-RedDragon__tailscale-acls__policy.hujson": Tailnet(
        users=(User(JACOB, role="admin"), User(KATELYN)),
        devices=(
            device("katelyn-phone", "100.64.23.110", user=KATELYN),
            device("katelyn-laptop", "100.114.185.46", user=KATELYN),
            device("framework-13", "100.126.56.39", user=JACOB),
            device("jacob-other", "100.88.30.18", user=JACOB),
        ),
        unknown_users="outsider",
    ),
    # The header comment lists each host alias's tag: tag:server (doc1, doc2, caddy, pfsense),
    # tag:client (framework, epimetheus, s-a55), tag:edge (homeassistant, kerrynas, rpi) and
    # tag:cullen (the laptop behind the `cullen` alias).
    "abl030__nixosconfig__tailscale_acl.hujson": Tailnet(
        devices=tuple(
            device(name, address, tag=tag)
            for name, address, tag in (
                ("doc1", "100.89.160.60", "tag:server"),
                ("doc2", "100.87.177.120", "tag:server"),
                ("caddy", "100.96.32.96", "tag:server"),
                ("pfsense", "100.123.61.111", "tag:server"),
                ("framework", "100.78.17.73", "tag:client"),
                ("epimetheus", "100.115.114.53", "tag:client"),
                ("s-a55", "100.102.60.123", "tag:client"),
                ("homeassistant", "100.106.165.120", "tag:edge"),
                ("kerrynas", "100.100.237.21", "tag:edge"),
                ("rpi", "100.88.30.54", "tag:edge"),
                ("cullen", "100.75.246.114", "tag:cullen"),
            )
        )
    ),
    # "Admin (you) can access everything": the test source is that admin.
    "davafons__davafons-infra__tailscale_policy.hujson": Tailnet(
        users=(User("davafons@gmail.com", role="admin"),)
    ),
    # Every rule that opens the tested addresses has `autogroup:owner` as its source.
    "jonpulsifer__infra__terraform_network_tailscale_policy.hujson": Tailnet(
        users=(User("jonathan@pulsifer.ca", role="owner"),)
    ),
    # madsbv reaches tag:ephemeral, which only `autogroup:admin -> *:*` opens.
    "madsbv__nix__policy.hujson": Tailnet(users=(User("madsbv@github", role="admin"),)),
    # The only grant is `autogroup:admin -> *`.
    "michaelahern__casa-cirrus-tailscale__policy.hujson": Tailnet(
        users=(User("michaelahern@github", role="admin"),)
    ),
    # "Admin devices reach everything" (the test source); the site subnets are the routes the
    # edge routers advertise (autoApprovers), so they are not part of autogroup:internet (the
    # tests deny a public IPv6 address in one of them that only `* -> autogroup:internet`
    # could otherwise open).
    "regulad__tailscale-acls__policy.hujson": Tailnet(
        users=(User("parkeredwardwahle2017@gmail.com", role="admin"),),
        routes=(
            "fd83:b84c:aa57:1::/64",
            "10.23.0.0/20",
            "2603:c020:4016:ae50::/64",
            "10.131.80.0/24",
        ),
    ),
    # ysun reaches tag:server over SSH (sshTests), which only the `autogroup:admin` rule opens.
    "stepbrobd__tailscale-acls__policy.hujson": Tailnet(
        users=(User("ysun@hey.com", role="admin"),)
    ),
}

EXCLUDED: dict[str, str] = {
    # A client library's test fixture, never a tailnet's policy: it refers to a posture, a
    # group, two tags and an autogroup spelling mix that it never defines, so Tailscale would
    # refuse it before running its tests (and nothing in it grants the tested tag:infra).
    "tailscale__tailscale-client-go-v2__testdata_acl.hujson": "undefined names; a fixture",
}
"""Files with tests that are not valid policies, with the reason."""

INVALID: dict[str, str] = {
    "georgepstaylor__lab-tailscale-config__policy.hujson": 'src=group not found: "group:gs_vnet"',
    "the-technat__networking__policy.hujson": 'dst="*": hostport must contain a colon (":")',
    "tailscale__tailscale-client-go-v2__testdata_acl.hujson": "autogroup:members cannot",
}
"""Valid HuJSON files that are not valid policies (no tests among them but the fixture), and
the start of their first issue."""
