"""py-rattler as the oracle: run many (stores, URL) cases through it in one process, with a
recording proxy on 127.0.0.1 standing in for every host, and compare with what we say.

Each case has its own HOME (its own credentials.json and netrc), so cases never mix; the
proxy answers 404 to everything and records the URL and Authorization header it received.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, OAuth
from pixi_auth_tui.engine.inventory import Inventory, Resolution, load_inventory
from pixi_auth_tui.system.paths import Environment

from tests.conftest import NO_BUS, refuse_real_home
from tests.servers import ProxiedRequest, start_recording_proxy

STORE_FAILED = "AuthenticationStorageError"


@dataclass
class Case:
    home: Path
    url: str  # its path must start with /c<n>/ for a number unique to the case
    env: dict[str, str] = field(default_factory=dict)  # RATTLER_AUTH_FILE, NETRC
    config: str | None = None  # pixi config TOML: then the client is Client.from_config
    label: str = ""

    def environment(self, keychain=None) -> Environment:
        refuse_real_home(self.home)
        env = {"HOME": str(self.home), "DBUS_SESSION_BUS_ADDRESS": NO_BUS, **self.env}
        return Environment(home=self.home, env=env, keychain=keychain)


@dataclass
class Outcome:
    result: str  # "OK" or "ERR <type>: <message>"
    requests: list[ProxiedRequest]


def run_oracle(cases: list[Case], bus: str = NO_BUS) -> list[Outcome]:
    seen, proxy = start_recording_proxy()
    try:
        payload = []
        for case in cases:
            env: dict[str, str | None] = {"RATTLER_AUTH_FILE": None, "NETRC": None, **case.env}
            env["HOME"] = str(case.home)
            payload.append({"url": case.url, "env": env, "config": case.config})
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("rattler_fetch.py"))],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            env={
                "PATH": os.environ.get("PATH", ""),
                "DBUS_SESSION_BUS_ADDRESS": bus,
                "XDG_CACHE_HOME": str(cases[0].home.parent / ".oracle-cache"),
                "http_proxy": f"http://127.0.0.1:{proxy.server_address[1]}",
                "no_proxy": "",
            },
            timeout=300,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
        if not lines:
            raise AssertionError(f"py-rattler oracle failed: {proc.stderr[-2000:]}")
        results = json.loads(lines[-1])
    finally:
        proxy.shutdown()
    outcomes = []
    for case, result in zip(cases, results, strict=True):
        marker = "/" + case.url.rsplit("/", 1)[-1] + "/"
        outcomes.append(Outcome(result, [r for r in seen if marker in r.url]))
    return outcomes


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def expected_request(res: Resolution) -> tuple[str | None, str | None]:
    """(Authorization header, conda token in the path) rattler sends, by our resolution."""
    if res.userinfo is not None:
        return basic(*res.userinfo), None
    if res.blocking is not None:
        return None, None  # matched, but rattler puts nothing on the request
    if res.request is not None and res.request.refresh_first and "expired" in res.request.refresh_first:
        # rattler refreshes first; the recording proxy refuses every refresh, and an expired
        # token whose refresh fails is not sent.
        return None, None
    cred = res.row.entry.credential if res.row else None
    if isinstance(cred, BearerToken):
        return f"Bearer {cred.token}", None
    if isinstance(cred, OAuth):
        return f"Bearer {cred.access_token}", None
    if isinstance(cred, BasicHTTP):
        return basic(cred.username, cred.password), None
    if isinstance(cred, CondaToken):
        return None, cred.token
    return None, None


def _utf8(header: str | None) -> str | None:
    return None if header is None else header.encode("latin-1", "replace").decode("utf-8", "replace")


def cli_resolve(inv: Inventory, url: str) -> tuple:
    """What `pixi-auth-tui resolve URL --json` names: (key, store, item, URL credentials)."""
    import argparse
    import io

    from pixi_auth_tui.cli.resolve import cmd_resolve

    out = io.StringIO()
    cmd_resolve(inv, argparse.Namespace(url=url, json=True), out)
    said = json.loads(out.getvalue())
    match = said["match"] or {}
    return match.get("key"), match.get("store"), match.get("item_ref"), said["url_credentials"]


def disagreement(inv: Inventory, case: Case, outcome: Outcome) -> str | None:
    """Why our picture differs from what py-rattler did, or None when they agree."""
    failed = STORE_FAILED in outcome.result
    if inv.blocked:
        return None if failed else f"we say the store cannot be built ({inv.blocked}); rattler: {outcome.result}"
    if failed:
        states = {s.id: inv.snapshots[s.id].state.value for s in inv.stores}
        return f"rattler could not build its store ({outcome.result[:300]}); we say {states}"
    res = inv.resolve(case.url)
    # The command line names exactly the entry compared below.
    row = res.row
    engine = (row.key, row.store.id, row.entry.item_ref, False) if row else (None, None, None, bool(res.userinfo))
    if cli_resolve(inv, case.url) != engine:
        return f"`resolve` names {cli_resolve(inv, case.url)}, the engine {engine}"
    if res.request is not None and res.request.fails:
        # rattler fails the request before sending it: a header it cannot build, or a credential
        # that is not S3 keys for an s3:// URL.
        return None if not outcome.requests else f"we say it fails; rattler: {outcome.result}"
    header, token = expected_request(res)
    if not outcome.requests:
        return f"rattler sent no request ({outcome.result[:200]})"
    # http.server decodes header bytes as latin-1; rattler sent UTF-8 bytes.
    got = {_utf8(r.authorization) for r in outcome.requests}
    # The token goes into the path percent-encoded (as a URL path segment).
    tokens = {unquote(r.url.split("/t/", 1)[1].split("/", 1)[0]) if "/t/" in r.url else None for r in outcome.requests}
    if got != {header} or tokens != {token}:
        where = f"{res.row.key} in {res.row.store.id}" if res.row else ("the URL" if res.userinfo else "nothing")
        return f"we send {header!r}/{token!r} (from {where}); rattler sent {got}/{tokens}"
    return None


def check_all(cases: list[Case], bus: str = NO_BUS, keychain_for=None) -> list[str]:
    """Every case's disagreement with py-rattler, labelled; empty when all agree."""
    outcomes = run_oracle(cases, bus)
    problems = []
    for case, outcome in zip(cases, outcomes, strict=True):
        keychain = keychain_for(case) if keychain_for else None
        inv = load_inventory(case.environment(keychain))
        problem = disagreement(inv, case, outcome)
        if problem:
            problems.append(f"{case.label or case.url}: {problem}")
    return problems
