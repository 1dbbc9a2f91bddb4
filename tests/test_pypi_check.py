"""`check` for PyPI indexes uses the same chain as `resolve --pypi`: the findings the issue
reported wrong (a user name called a secret, the keyring without a user, netrc `default`
entries, uv's credentials.toml, the keyring, a broken credentials.json) — real files in a
temporary HOME, the real `keyring` command with a file backend."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.workspace.check import report_json, run_check

from tests.conftest import make_env

SCHEMA = json.loads((Path(__file__).with_name("check.schema.json")).read_text())
TESTS = Path(__file__).resolve().parent
GAR = "https://oauth2accesstoken@europe-west1-python.pkg.dev/my-proj/my-repo/simple"


def workspace(root: Path, index: str, config: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pixi.toml").write_text(
        f'[workspace]\nchannels = []\nplatforms = ["linux-64"]\n[pypi-options]\nindex-url = "{index}"\n'
        '[pypi-dependencies]\nx = "*"\n'
    )
    if config is not None:
        (root / ".pixi").mkdir(exist_ok=True)
        (root / ".pixi" / "config.toml").write_text(config)
    return root


def check(home: Path, root: Path, **env: str) -> dict:
    environment = make_env(
        home,
        XDG_STATE_HOME=str(home / ".local" / "state"),
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        PYTHONPATH=str(TESTS),
        PYTHON_KEYRING_BACKEND="fake_keyring_backend.FileKeyring",
        FAKE_KEYRING_FILE=str(home / "keyring.json"),
        **env,
    )
    data = report_json(run_check([root], environment, ProbeState.default(environment.env)))
    jsonschema.validate({**data, "exit_code": 0}, SCHEMA)
    return data


def codes(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in data["findings"]:
        out.setdefault(finding["code"], []).append(finding)
    return out


def host(data: dict, name: str) -> dict:
    return next(h for h in data["hosts"] if h["host"] == name)


SUBPROCESS = '[pypi-config]\nkeyring-provider = "subprocess"\n'


def test_a_user_name_in_an_index_url_is_no_secret(home, tmp_path):
    # Google Artifact Registry's documented URL: `oauth2accesstoken` is a user name.
    data = check(home, workspace(tmp_path / "w", GAR, SUBPROCESS))
    found = codes(data)
    assert "url-credentials" not in found
    gar = host(data, "europe-west1-python.pkg.dev")
    assert gar["urls"][0]["url"].startswith("https://•••@")  # masked when shown (it could be a token)
    # No keyring entry: uv asks `keyring get URL oauth2accesstoken`, gets nothing, sends the user alone.
    assert gar["pypi"]["layer"] == "url" and gar["pypi"]["authorization"] == "Basic base64(oauth2accesstoken:)"
    assert found["pypi-no-credential"][0]["severity"] == "warning"
    assert "only the user name 'oauth2accesstoken'" in found["pypi-no-credential"][0]["explanation"]


def test_a_password_in_an_index_url_is_still_a_secret(home, tmp_path):
    data = check(home, workspace(tmp_path / "w", "https://u:hunter2-secret@idx.example.com/simple"))
    assert codes(data)["url-credentials"][0]["host"] == "idx.example.com"
    assert "hunter2-secret" not in json.dumps(data)


def test_keyring_provider_without_a_user_says_to_add_one(home, tmp_path):
    data = check(home, workspace(tmp_path / "w", "https://idx.example.com/simple", SUBPROCESS))
    (finding,) = codes(data)["pypi-keyring-no-user"]
    assert finding["severity"] == "warning"
    assert "https://USER@idx.example.com/simple" in finding["explanation"]
    assert host(data, "idx.example.com")["pypi"]["sends_credential"] is False


def test_keyring_entry_for_the_url_and_user_is_found(home, tmp_path):
    url = "https://alice@idx.example.com/simple"
    (home / "keyring.json").write_text(json.dumps({"https://idx.example.com/simple\0alice": "kr-secret-123456"}))
    data = check(home, workspace(tmp_path / "w", url, SUBPROCESS))
    pypi = host(data, "idx.example.com")["pypi"]
    assert pypi["sends_credential"] and pypi["layer"] == "keyring" and pypi["username"] == "alice"
    assert host(data, "idx.example.com")["verdict"] == "untested"
    assert not {"pypi-no-credential", "pypi-keyring-no-user", "missing-credential"} & set(codes(data))
    assert "kr-secret-123456" not in json.dumps(data)


def test_netrc_default_entry_and_uv_store_count_as_present(home, tmp_path):
    # uv reads this; rattler's parser drops the whole file (the comment) and never uses `default`
    (home / ".netrc").write_text("# a comment\ndefault login d password dpw\n")
    data = check(home, workspace(tmp_path / "w", "https://idx.example.com/simple"))
    pypi = host(data, "idx.example.com")["pypi"]
    assert pypi["layer"] == "netrc" and pypi["username"] == "d"
    assert "pypi-no-credential" not in codes(data)

    (home / ".netrc").unlink()
    store = home / ".local" / "share" / "uv" / "credentials"
    store.mkdir(parents=True)
    (store / "credentials.toml").write_text(
        '[[credential]]\nservice = "https://idx.example.com/"\nusername = "s"\nscheme = "basic"\npassword = "spw"\n'
    )
    pypi = host(check(home, workspace(tmp_path / "w", "https://idx.example.com/simple")), "idx.example.com")["pypi"]
    assert pypi["layer"] == "uv-store" and pypi["username"] == "s"


def test_broken_credentials_json_still_leaves_uvs_netrc(home, tmp_path):
    (home / ".rattler").mkdir()
    (home / ".rattler" / "credentials.json").write_text('{"idx.example.com": {"BasicHttp": {}}}')
    (home / ".netrc").write_text("machine idx.example.com login n password npw\n")
    data = check(home, workspace(tmp_path / "w", "https://idx.example.com/simple"))
    (blocked,) = codes(data)["store-blocked"]
    assert "uv sends only what its own chain finds" in blocked["explanation"]
    assert "whatever the other stores hold" not in json.dumps(data)
    pypi = host(data, "idx.example.com")["pypi"]
    assert pypi["layers"][0]["layer"] == "rattler" and pypi["layers"][0]["outcome"] == "skipped"
    assert pypi["layer"] == "netrc" and pypi["sends_credential"]
