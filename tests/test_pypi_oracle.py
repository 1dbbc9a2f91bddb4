"""The PyPI chain against the real uv 0.11.15 (and py-rattler for rattler's layer).

Every case gets its own HOME, netrc, credentials.toml and keyring file; the real
`uv pip compile` asks the case's index through a recording proxy that refuses everything, and
`resolve_pypi` must name exactly the credential uv sent (or that it sent none). Hand-written
cases cover each rule of uv's chain; generated ones combine them.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pixi_auth_tui.core.model import BasicHTTP, BearerToken
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.engine.pypi_chain import PypiResolution, UvSide, resolve_pypi
from pixi_auth_tui.system.paths import Environment

from tests.conftest import refuse_real_home
from tests.uv_oracle import PROJECT, UvCase, case_env, credential_sent, run_all, start_refusing_proxy


@dataclass
class Spec:
    name: str
    url: str  # the index URL, `{h}` standing for the case's own host
    netrc: str | None = None
    store: str | None = None
    keyring: dict[str, str] = field(default_factory=dict)  # "service\0user" -> password
    provider: str = "disabled"
    env: dict[str, str] = field(default_factory=dict)  # `{home}` expands to the case's home
    local: bool = False  # host is localhost:<port> (uv's store takes plain http only there)


def _toml(service: str, user: str | None = None, password: str | None = None, token: str | None = None) -> str:
    lines = ["[[credential]]", f'service = "{service}"']
    if user is not None:
        lines.append(f'username = "{user}"')
    if token is not None:
        lines += ['scheme = "bearer"', f'token = "{token}"']
    elif password is not None:
        lines.append(f'password = "{password}"')
    return "\n".join(lines) + "\n"


HAND: list[Spec] = [
    # netrc as uv reads it
    Spec("netrc-host", "http://{h}/simple", netrc="machine {h} login u password p1\n"),
    Spec(
        "netrc-default",
        "http://{h}/simple",
        netrc="machine other.test login x password y\ndefault login d password dp\n",
    ),
    Spec(
        "netrc-host-before-default",
        "http://{h}/simple",
        netrc="default login d password dp\nmachine {h} login u password hp\n",
    ),
    Spec(
        "netrc-last-wins", "http://{h}/simple", netrc="machine {h} login a password 1\nmachine {h} login b password 2\n"
    ),
    Spec("netrc-comment", "http://{h}/simple", netrc="# a comment\nmachine {h} login u password p # trailing words\n"),
    Spec(
        "netrc-hash-word-breaks", "http://{h}/simple", netrc="#nospace comment words\nmachine {h} login u password p\n"
    ),
    Spec("netrc-quoted-space", "http://{h}/simple", netrc='machine {h} login u password "p w"\n'),
    Spec("netrc-quote-inside", "http://{h}/simple", netrc='machine {h} login u password pa"ss\n'),
    Spec("netrc-backslash", "http://{h}/simple", netrc="machine {h} login u password a\\ b\n"),
    Spec("netrc-user-keyword", "http://{h}/simple", netrc="machine {h} user u2 password p2\n"),
    Spec("netrc-macdef", "http://{h}/simple", netrc="macdef init\ncd x\n\nmachine {h} login u password pm\n"),
    Spec("netrc-bad-token", "http://{h}/simple", netrc="machine {h} login u password p port 8\n"),
    Spec("netrc-upper-case-machine", "http://{h}/simple", netrc="machine {H} login u password p\n"),
    Spec(
        "netrc-missing-NETRC",
        "http://{h}/simple",
        netrc="machine {h} login u password pn\n",
        env={"NETRC": "{home}/nope"},
    ),
    Spec("netrc-empty-NETRC", "http://{h}/simple", netrc="machine {h} login u password pe\n", env={"NETRC": ""}),
    Spec(
        "netrc-tilde-NETRC", "http://{h}/simple", netrc="machine {h} login u password pt\n", env={"NETRC": "~/.netrc"}
    ),
    Spec("netrc-empty-password", "http://{h}/simple", netrc="machine {h} login u\n"),
    # the URL's own credentials
    Spec("url-user-password", "http://u:p%40w@{h}/simple"),
    Spec("url-user-password-beats-netrc", "http://u:pw@{h}/simple", netrc="machine {h} login u password other\n"),
    Spec("url-user-netrc-login", "http://bob@{h}/simple", netrc="machine {h} login bob password bp\n"),
    Spec(
        "url-user-netrc-other-login",
        "http://bob@{h}/simple",
        netrc="machine {h} login al password ap\ndefault login bob password dp\n",
    ),
    Spec("url-user-default", "http://bob@{h}/simple", netrc="default login bob password dp\n"),
    Spec("url-user-nothing", "http://bob@{h}/simple"),
    # uv's credentials.toml
    Spec("store-root", "http://{h}/simple", store=_toml("http://{h}/", "su", "sp"), local=True),
    Spec("store-http-other-host", "http://{h}/simple", store=_toml("http://{h}/", "su", "sp")),
    Spec("store-bearer", "http://{h}/simple", store=_toml("http://{h}/", token="tk-123")),
    Spec(
        "store-ambiguous",
        "http://{h}/simple",
        store=_toml("http://{h}/", "a", "1") + "\n" + _toml("http://{h}/", "b", "2"),
    ),
    Spec(
        "store-longest-path",
        "http://{h}/simple",
        store=_toml("http://{h}/", "r", "root") + _toml("http://{h}/simple", "s", "deep"),
    ),
    Spec("store-path-mismatch", "http://{h}/simple", store=_toml("http://{h}/other", "r", "x")),
    Spec(
        "store-user-match",
        "http://zed@{h}/simple",
        store=_toml("http://{h}/", "su", "sp") + _toml("http://{h}/simple", "zed", "zp"),
    ),
    Spec(
        "store-host-port-is-a-scheme",
        "http://{h}/simple",
        store=_toml("{h}", "su", "sp") + _toml("http://{h}/", "b", "2"),
        local=True,
    ),
    Spec("store-no-credential-key", "http://{h}/simple", store="x = 1\n"),
    Spec(
        "store-basic-without-user",
        "http://{h}/simple",
        store='[[credential]]\nservice = "http://{h}/"\npassword = "p"\n',
    ),
    Spec(
        "store-broken-netrc-still", "http://{h}/simple", store="not toml [", netrc="machine {h} login n password np\n"
    ),
    Spec(
        "netrc-before-store",
        "http://{h}/simple",
        store=_toml("http://{h}/", "su", "sp"),
        netrc="machine {h} login n password np\n",
    ),
    Spec(
        "store-dir-env",
        "http://{h}/simple",
        env={"UV_CREDENTIALS_DIR": "{home}/creds"},
        store=_toml("http://{h}/", "cd", "cdp"),
    ),
    Spec(
        "store-xdg-relative",
        "http://{h}/simple",
        env={"XDG_DATA_HOME": "rel/data"},
        store=_toml("http://{h}/", "x", "xp"),
    ),
    Spec("store-port-differs", "http://{h}/simple", store=_toml("http://localhost:1/", "x", "xp"), local=True),
    # the keyring command
    Spec("keyring-url", "http://bob@{h}/simple", provider="subprocess", keyring={"http://{h}/simple\0bob": "k-url"}),
    Spec("keyring-host", "http://bob@{h}/simple", provider="subprocess", keyring={"{h}\0bob": "k-host"}),
    Spec("keyring-scheme-host", "http://bob@{h}/simple", provider="subprocess", keyring={"http://{h}\0bob": "k-sh"}),
    Spec(
        "keyring-url-first",
        "http://bob@{h}/simple/",
        provider="subprocess",
        keyring={"http://{h}/simple/\0bob": "first", "{h}\0bob": "second"},
    ),
    Spec("keyring-other-user", "http://bob@{h}/simple", provider="subprocess", keyring={"{h}\0alice": "no"}),
    Spec("keyring-without-user", "http://{h}/simple", provider="subprocess", keyring={"{h}\0bob": "never"}),
    Spec("keyring-disabled", "http://bob@{h}/simple", provider="disabled", keyring={"{h}\0bob": "never"}),
    Spec("keyring-empty-password", "http://bob@{h}/simple", provider="subprocess", keyring={"{h}\0bob": "  "}),
    Spec(
        "keyring-after-netrc",
        "http://bob@{h}/simple",
        provider="subprocess",
        netrc="machine {h} login bob password n",
        keyring={"{h}\0bob": "k"},
    ),
    Spec(
        "keyring-after-store",
        "http://bob@{h}/simple",
        provider="subprocess",
        store=_toml("http://{h}/", "bob", "s"),
        keyring={"{h}\0bob": "k"},
    ),
]


def generated(count: int, seed: int = 21) -> list[Spec]:
    """Random combinations of the layers above (same seed, same cases)."""
    rng = random.Random(seed)
    users = [None, "alice", "bob"]
    specs = []
    for n in range(count):
        user = rng.choice(users)
        netrc_user = rng.choice(["alice", "bob", "carol"])
        netrc = rng.choice(
            [
                None,
                f"machine {{h}} login {netrc_user} password n{n}\n",
                f"default login {netrc_user} password d{n}\n",
                f'# note\nmachine {{h}} login {netrc_user} password "n {n}"\n',
                f"machine {{h}} login {netrc_user} password n{n} bogus\n",
            ]
        )
        store_user = rng.choice(["alice", "bob"])
        store = rng.choice(
            [
                None,
                _toml("http://{h}/", store_user, f"s{n}"),
                _toml("http://{h}/simple", store_user, f"s{n}") + _toml("http://{h}/", "carol", f"c{n}"),
                _toml("http://{h}/", token=f"tok{n}"),
                "broken = [",
            ]
        )
        key_user = rng.choice(["alice", "bob"])
        keyring = rng.choice(
            [
                {},
                {f"http://{{h}}/simple\0{key_user}": f"k{n}"},
                {f"{{h}}\0{key_user}": f"h{n}"},
                {f"http://{{h}}\0{key_user}": f"s{n}"},
            ]
        )
        url = f"http://{user}@{{h}}/simple" if user else "http://{h}/simple"
        provider = rng.choice(["disabled", "subprocess"])
        specs.append(Spec(f"gen-{n}", url, netrc, store, keyring, provider))
    return specs


def _fill(text: str, host: str, home: Path) -> str:
    return text.replace("{h}", host).replace("{H}", host.upper()).replace("{home}", str(home))


def build_cases(specs: list[Spec], base: Path, proxy_port: int) -> list[UvCase]:
    cases = []
    for number, spec in enumerate(specs):
        home = base / spec.name
        home.mkdir(parents=True)
        refuse_real_home(home)
        host = f"localhost:{20000 + number}" if spec.local else f"h{number}.idx.test"
        env = case_env(home, proxy_port, {k: _fill(v, host, home) for k, v in spec.env.items()})
        if spec.netrc is not None:
            (home / ".netrc").write_text(_fill(spec.netrc, host, home))
        if spec.store is not None:
            folder = (
                Path(env["UV_CREDENTIALS_DIR"]) if "UV_CREDENTIALS_DIR" in env else home / ".local/share/uv/credentials"
            )
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "credentials.toml").write_text(_fill(spec.store, host, home))
        if spec.keyring:
            entries = {_fill(k, host, home): v for k, v in spec.keyring.items()}
            (home / "keyring.json").write_text(json.dumps(entries))
        cases.append(UvCase(spec.name, _fill(spec.url, host, home), host, home, env, spec.provider))
    return cases


def said(result: PypiResolution) -> str | None:
    """What our model says uv sends, spelled as uv_oracle.decode spells a header."""
    if result.winner is None:
        return None
    cred = result.winner.credential
    if result.sends_user_only:
        return f"basic {result.winner.username}:"
    if isinstance(cred, BasicHTTP):
        return f"basic {cred.username}:{cred.password}"
    if isinstance(cred, BearerToken):
        return f"bearer {cred.token}"
    raise AssertionError(f"unexpected winner {result.winner}")


def our_answer(case: UvCase, with_pixi: bool = False) -> PypiResolution:
    environment = Environment(home=case.home, env=case.env)
    inventory = load_inventory(environment) if with_pixi else None
    side = UvSide.load(case.env, case.home, case.keyring_provider)
    return resolve_pypi(inventory, case.index_url, side, project=PROJECT)


@pytest.fixture(scope="module")
def refusing_proxy():
    recorder, server = start_refusing_proxy()
    yield recorder, server.server_address[1]
    server.shutdown()


def test_uv_sends_what_resolve_says(refusing_proxy, tmp_path: Path) -> None:
    recorder, port = refusing_proxy
    specs = HAND + generated(16)
    assert len(specs) >= 60
    cases = build_cases(specs, tmp_path / "cases", port)
    results = run_all(cases)
    with ThreadPoolExecutor(max_workers=4) as pool:  # (ours runs the keyring command too)
        answers = dict(zip([c.name for c in cases], pool.map(our_answer, cases), strict=True))
    problems = []
    for case in cases:
        headers = recorder.sent(case.host_port)
        if not headers:
            problems.append(f"{case.name}: uv sent nothing at all: {results[case.name].stderr.decode()[-400:]}")
            continue
        ours = answers[case.name]
        if said(ours) != credential_sent(headers):
            problems.append(f"{case.name}: we say {said(ours)!r} ({ours.winner and ours.winner.id}); uv sent {headers}")
        # Sent with the first request exactly when we say so (no anonymous attempt first).
        first_anonymous = headers[0] is None
        if ours.winner is not None and first_anonymous != (ours.when != "first request"):
            problems.append(f"{case.name}: we say {ours.when!r}; uv's requests were {headers}")
    assert problems == []


def test_rattlers_layer_is_what_py_rattler_sends(tmp_path: Path) -> None:
    """pixi's layer in front of uv's: py-rattler shows what rattler's middleware puts on the
    request (a wildcard key included), and that a rejected file leaves no rattler layer."""
    from tests.oracle import STORE_FAILED, Case, basic, run_oracle

    cases, sides = [], []
    for n, (stores, netrc) in enumerate(
        [
            ({"*.idx.test": {"BasicHTTP": {"username": "w", "password": "wild-pw"}}}, None),
            ({"p1.idx.test": {"BearerToken": "tok-0123456789"}}, "machine p1.idx.test login n password np\n"),
            (
                {"p2.idx.test": {"BasicHttp": {"username": "x", "password": "y"}}},
                "machine p2.idx.test login n password p\n",
            ),
        ]
    ):
        home = tmp_path / f"r{n}"
        (home / ".rattler").mkdir(parents=True)
        (home / ".rattler" / "credentials.json").write_text(json.dumps(stores))
        if netrc:
            (home / ".netrc").write_text(netrc)
        host = f"p{n}.idx.test"
        cases.append(Case(home, f"http://{host}/simple/c{n}", label=host))
        sides.append(UvSide.load({"HOME": str(home)}, home, "disabled"))
    outcomes = run_oracle(cases)
    for case, side, outcome in zip(cases, sides, outcomes, strict=True):
        inventory = load_inventory(case.environment())
        ours = resolve_pypi(inventory, case.url, side)
        rattler = ours.layers[0]
        assert rattler.id == "rattler"
        if STORE_FAILED in outcome.result:
            # rattler cannot build its store: pixi drops its layer; uv's own netrc still answers.
            assert rattler.outcome == "skipped" and ours.winner is not None and ours.winner.id == "netrc"
            continue
        sent = {r.authorization for r in outcome.requests}
        cred = rattler.credential
        expected = basic(cred.username, cred.password) if isinstance(cred, BasicHTTP) else f"Bearer {cred.token}"
        assert sent == {expected} and ours.winner is rattler, case.label
