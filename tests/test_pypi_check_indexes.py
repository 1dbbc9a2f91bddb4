"""`check` resolves PyPI per index URL, as uv does, not per host.

uv looks a credential up per URL: the user name written in it, netrc by host (and that login),
credentials.toml by URL prefix, the keyring by URL then host. So two indexes on one host can get
different credentials — or one gets none. The real `uv` (tests/uv_oracle.py) asks each index of
one workspace through a refusing proxy; `check --json` must name, per index, what uv sent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.workspace.check import report_json, run_check

from tests.conftest import refuse_real_home
from tests.test_ui import screen_text
from tests.test_workspace_ui import settle
from tests.uv_oracle import UvCase, case_env, credential_sent, run_all, start_refusing_proxy

SCHEMA = json.loads((Path(__file__).with_name("check.schema.json")).read_text())
H, H2 = "one.pfidx.test", "two.pfidx.test"
INDEXES = {
    # path on the host → (index URL as the manifest writes it, what uv sends, the layer we must name)
    "a": (f"http://alice@{H}/a/simple", "basic alice:alice-pw", "uv-store"),  # netrc's login is bob
    "b": (f"http://bob@{H}/b/simple", "basic bob:bob-pw", "netrc"),
    "e": (f"http://eve@{H}/e/simple", "basic eve:eve-kr-pw", "keyring"),  # keyring by this URL
    "f": (f"http://eve@{H}/f/simple", "basic eve:", "url"),  # same user, no entry for this URL
    "x": (f"http://{H2}/x/simple", "basic x1:x1-pw", "uv-store"),  # credentials.toml by URL prefix
    "y": (f"http://{H2}/y/simple", "basic y1:y1-pw", "uv-store"),
    "z": (f"http://dave@{H2}/z/simple", "basic dave:", "url"),
}


@dataclass
class Setup:
    home: Path
    env: dict[str, str]
    workspace: Path
    sent: dict[str, str | None]  # index path → what the real uv sent it
    stderr: dict[str, str]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """One HOME with netrc, credentials.toml and a keyring file; the real uv asks each index
    once, through a refusing proxy (one run per URL keeps each answer apart)."""
    recorder, server = start_refusing_proxy()
    base = tmp_path_factory.mktemp("indexes")
    home = base / "home"
    home.mkdir()
    refuse_real_home(home)
    _write_home(home)
    env = case_env(home, server.server_address[1])
    cases = [
        UvCase(path, url, host_port=H, home=home, env=env, keyring_provider="subprocess")
        for path, (url, _, _) in INDEXES.items()
    ]
    results = run_all(cases)
    sent = {path: credential_sent(recorder.sent_under(f"{_host(path)}/{path}/")) for path in INDEXES}
    server.shutdown()
    yield Setup(
        home, env, _write_workspace(base / "ws"), sent, {k: v.stderr.decode()[-300:] for k, v in results.items()}
    )


def _host(path: str) -> str:
    url = INDEXES[path][0]
    return H if f"//{H}" in url or f"@{H}" in url else H2


def _environment(setup: Setup) -> Environment:
    return Environment(home=setup.home, env={**setup.env, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})


def _write_home(home: Path) -> None:
    (home / ".netrc").write_text(f"machine {H} login bob password bob-pw\n")
    store = home / ".local" / "share" / "uv" / "credentials"
    store.mkdir(parents=True)
    (store / "credentials.toml").write_text(
        "".join(
            f'[[credential]]\nservice = "{service}"\nusername = "{user}"\npassword = "{password}"\n\n'
            for service, user, password in (
                (f"http://{H}/a/", "alice", "alice-pw"),
                (f"http://{H2}/x/", "x1", "x1-pw"),
                (f"http://{H2}/y/", "y1", "y1-pw"),
            )
        )
    )
    (home / "keyring.json").write_text(json.dumps({f"http://{H}/e/simple\0eve": "eve-kr-pw"}))


def _write_workspace(root: Path) -> Path:
    root.mkdir(parents=True)
    first, *extra = (url for url, _, _ in INDEXES.values())
    extras = ", ".join(f'"{u}"' for u in extra)
    (root / "pixi.toml").write_text(
        '[workspace]\nchannels = []\nplatforms = ["linux-64"]\n'
        f'[pypi-options]\nindex-url = "{first}"\nextra-index-urls = [{extras}]\n[pypi-dependencies]\nx = "*"\n'
    )
    (root / ".pixi").mkdir()
    (root / ".pixi" / "config.toml").write_text('[pypi-config]\nkeyring-provider = "subprocess"\n')
    return root


def _index(data: dict, host: str, path: str) -> dict:
    entry = next(h for h in data["hosts"] if h["host"] == host)
    return next(i for i in entry["indexes"] if f"/{path}/simple" in i["url"])


def test_each_index_on_a_host_gets_what_uv_sends_to_it(setup: Setup) -> None:
    environment = _environment(setup)
    data = report_json(run_check([setup.workspace], environment, ProbeState.default(environment.env)))
    jsonschema.validate({**data, "exit_code": 0}, SCHEMA)

    problems = []
    for path, (_, expected, layer) in INDEXES.items():
        host, sent = _host(path), setup.sent[path]
        if sent != expected:
            problems.append(f"{path}: uv sent {sent!r}, expected {expected!r}: {setup.stderr[path]}")
        ours = _index(data, host, path)
        pypi = ours["pypi"]
        user, _, password = expected.removeprefix("basic ").partition(":")
        if (pypi["layer"], pypi["username"], pypi["sends_credential"]) != (layer, user, bool(password)):
            problems.append(f"{path}: we say {pypi['layer']} {pypi['username']!r}; uv sent {sent!r}")
        if ours["verdict"] != ("untested" if password else "no credential"):
            problems.append(f"{path}: verdict {ours['verdict']!r}")
    assert problems == []

    # One finding per index that gets no password, naming that index (not one for the host).
    user_only = sorted(
        f["index"] for f in data["findings"] if f["code"] == "pypi-no-credential" and f["index"] is not None
    )
    assert [u.rsplit("/", 3)[-3] for u in user_only] == ["f", "z"]
    assert len({f["id"] for f in data["findings"]}) == len(data["findings"])
    # The host-wide fields stay (the first index's chain), for consumers of the old schema.
    first = next(h for h in data["hosts"] if h["host"] == H)
    assert first["pypi"]["username"] == "alice" and len(first["indexes"]) == 4
    for secret in ("alice-pw", "bob-pw", "eve-kr-pw", "x1-pw", "y1-pw"):
        assert secret not in json.dumps(data)


def test_the_text_report_and_the_workspace_view_show_each_index(setup: Setup) -> None:
    import asyncio
    import io

    from pixi_auth_tui.cli.check import print_report
    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.ui.widgets.line_table import LineTable
    from pixi_auth_tui.ui.workspace_screen import WorkspaceScreen

    environment = _environment(setup)
    out = io.StringIO()
    print_report(run_check([setup.workspace], environment, ProbeState.default(environment.env)), out)
    text = out.getvalue()
    for line in (
        "/a/simple/: untested · uv's credentials.toml · alice",
        "/b/simple/: untested · netrc (as uv reads it) · bob",
        "/e/simple/: untested · keyring command (subprocess) · eve",
        "/f/simple/: no credential · user name eve alone",
    ):
        assert line in text, text

    async def view() -> str:
        app = AuthApp(environment)
        app.workspace_paths = [setup.workspace / "pixi.toml"]
        async with app.run_test(size=(120, 60)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, WorkspaceScreen) and screen.report is not None
            row = next(i for i, h in enumerate(screen.report.hosts) if h.host == H)
            screen.query_one("#hosts", LineTable).move_cursor(row=row)
            await settle(pilot)
            column = screen.report.hosts[row].pypi_credential or ""  # the table's "Credential" cell
            return screen_text(app) + str(screen.query_one("#host-detail").render()) + column

    shown = asyncio.run(view())
    for path, verdict in (("a", "untested"), ("b", "untested"), ("e", "untested"), ("f", "no credential")):
        assert f"{H}/{path}/simple/  {verdict}" in shown, shown
    assert "/e/simple/: keyring command (subprocess) · eve; /f/simple/: none" in shown


def test_check_test_asks_each_index_of_a_host_without_a_credential(home: Path, tmp_path: Path) -> None:
    """`check --test` asked a host once, at its first URL: an index that lets anyone in made the
    host's other, private index "public" too (failed before). Each index is asked now."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pixi_auth_tui.workspace.probe import ProbePlan

    from tests.conftest import make_env
    from tests.servers import serve_in_background

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            public = self.path.startswith("/a/")
            self.send_response(200 if public else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serve_in_background(server)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        root = tmp_path / "ws"
        root.mkdir()
        (root / "pixi.toml").write_text(
            '[workspace]\nchannels = []\nplatforms = ["linux-64"]\n'
            f'[pypi-options]\nindex-url = "{base}/a/simple"\nextra-index-urls = ["{base}/b/simple"]\n'
            '[pypi-dependencies]\nx = "*"\n'
        )
        environment = make_env(home, XDG_STATE_HOME=str(home / ".local/state"), NO_PROXY="*")
        report = run_check([root], environment, ProbeState.default(environment.env), ProbePlan(allow_http=True))
        data = report_json(report)
    finally:
        server.shutdown()
    jsonschema.validate({**data, "exit_code": 8}, SCHEMA)
    (host,) = data["hosts"]
    verdicts = {i["url"].rsplit("/", 3)[-3]: i["verdict"] for i in host["indexes"]}
    assert verdicts == {"a": "public", "b": "missing"}
    missing = [f for f in data["findings"] if f["code"] == "missing-credential"]
    assert [f["index"].rsplit("/", 3)[-3] for f in missing] == ["b"] and missing[0]["fails"] == "missing"
    assert {i["anonymous"]["status"] for i in host["indexes"]} == {200, 401}


def test_one_index_url_with_two_user_names_stays_two_indexes(home: Path, tmp_path: Path) -> None:
    """`https://alice@h/simple` and `https://bob@h/simple` are two indexes to uv (each user's own
    password), but masked alike (a bare user name may be a token): their findings shared one id
    (failed before). The second is told apart by its place."""
    from tests.conftest import make_env

    root = tmp_path / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text(
        '[workspace]\nchannels = []\nplatforms = ["linux-64"]\n[pypi-options]\n'
        'index-url = "https://alice@idx.example.com/simple"\n'
        'extra-index-urls = ["https://bob@idx.example.com/simple"]\n[pypi-dependencies]\nx = "*"\n'
    )
    environment = make_env(home, XDG_STATE_HOME=str(home / ".local/state"))
    data = report_json(run_check([root], environment, ProbeState.default(environment.env)))
    jsonschema.validate({**data, "exit_code": 0}, SCHEMA)
    (host,) = data["hosts"]
    assert [i["pypi"]["username"] for i in host["indexes"]] == ["alice", "bob"]
    assert len({i["url"] for i in host["indexes"]}) == 2
    ids = [f["id"] for f in data["findings"]]
    assert len(ids) == len(set(ids)) and sum(f["code"] == "pypi-no-credential" for f in data["findings"]) == 2
