"""Secrets written into URLs are masked in every output and file, before any parsing that may
fail: `user:password@` (a password holding `/`, a malformed IPv6 host), conda's `/t/<token>`
with and without a trailing slash, and credential-like query parameters."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pixi_auth_tui.core.urlmask import MASK, mask_url, mask_urls
from pixi_auth_tui.probe.state import ProbeState, remembered_url_problem
from pixi_auth_tui.workspace.check import report_json, run_check

from tests.conftest import NO_BUS, make_env


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://alice:Sekr1t/Pw@host.example/chan", f"https://{MASK}@host.example/chan"),
        ("https://alice:Se#kr?1t@host.example/chan", f"https://{MASK}@host.example/chan"),
        ("https://bob:pw-0123@[::1/chan", f"https://{MASK}@[::1/chan"),
        ("https://TOKEN0123456789@host.example/", f"https://{MASK}@host.example/"),
        ("https://h.example/t/TOK-0123/chan/", f"https://h.example/t/{MASK}/chan/"),
        ("https://h.example/t/TOK-0123", f"https://h.example/t/{MASK}"),
        ("https://h.example/simple?token=T0&x=1", f"https://h.example/simple?token={MASK}&x=1"),
        ("https://h.example/s?access_token=T0", f"https://h.example/s?access_token={MASK}"),
        ("https://h.example/s?a=1&X-Amz-Signature=S&X-Amz-Credential=C", None),
        ("https://h.example/s?Password=P&api-key=K&sig=S&client_secret=C", None),
        ("https://h.example/cb#access_token=T0", f"https://h.example/cb#access_token={MASK}"),
        # not secrets: left as they are
        ("git+https://github.com/org/repo@v1.0", "git+https://github.com/org/repo@v1.0"),
        ("https://h.example/chan?max-keys=10&list-type=2", "https://h.example/chan?max-keys=10&list-type=2"),
        ("https://h.example:8443/chan/noarch/repodata.json", "https://h.example:8443/chan/noarch/repodata.json"),
    ],
)
def test_one_masking_of_secrets_in_urls(url, shown):
    masked, had_secret = mask_url(url)
    if shown is None:
        assert had_secret and "=S" not in masked and "=C" not in masked and "=P" not in masked and "=K" not in masked
    else:
        assert masked == shown and had_secret == (shown != url)
    assert mask_urls(f"see {url}, then") == f"see {masked}, then"  # inside a message too


SECRETS = [
    "QTOKEN-0123456789",  # ?token= in the index URL
    "FLTOKEN-0123456789",  # /t/… without a trailing slash (find-links)
    "Sekr1t/Pw",  # a password holding `/`: no URL parser takes it
    "v6-pw-0123456789",  # user:pw@ before a malformed IPv6 host
    "v6-in-user-0123456789",  # a `[` in the user info: WHATWG finds host `bad`, urlsplit raises
    "v6-mirror-0123456789",  # the same in a mirror key (mirrors are sorted by their path)
    "v6-s3-0123456789",  # … in an s3:// channel
    "v6-endpoint-0123456789",  # … in its endpoint-url
    "mirror-pw-0123456789",  # a mirror key with user:pw@
    "tomlkey-pw-0123456789",  # an unknown TOML key holding a URL
]


def hostile_workspace(root):
    root.mkdir()
    (root / "pixi.toml").write_text(
        """
"https://carol:tomlkey-pw-0123456789@h.example/" = 1
[workspace]
channels = ["https://alice:Sekr1t/Pw@host.example/chan", "https://bob:v6-pw-0123456789@[::1/chan",
            "https://[::1:u:v6-in-user-0123456789@bad.example/chan", "s3://[::1:u:v6-s3-0123456789@bucket/c",
            "s3://bucket/c",
            "https://conda.anaconda.org/private"]
platforms = ["linux-64"]
[pypi-options]
index-url = "https://idx.example/simple?token=QTOKEN-0123456789"
find-links = [{url = "https://fl.example/t/FLTOKEN-0123456789"}]
[pypi-dependencies]
x = "*"
"""
    )
    (root / ".pixi").mkdir()
    (root / ".pixi" / "config.toml").write_text(
        '[mirrors]\n"https://dave:mirror-pw-0123456789@conda.anaconda.org/" = ["https://m.example/"]\n'
        '"https://conda.anaconda.org/" = ["https://dave:mirror-pw-0123456789@m.example/"]\n'
        '"https://[::1:u:v6-mirror-0123456789@c.example/" = ["https://m.example/"]\n'
        '[s3-options.bucket]\nendpoint-url = "https://[::1:u:v6-endpoint-0123456789@s3.example"\n'
        'region = "x"\nforce-path-style = false\n'
    )
    return root


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_check_masks_every_url_secret_in_text_json_and_the_engine_report(home, tmp_path):
    root = hostile_workspace(tmp_path / "w")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": NO_BUS,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }
    for args in (["check"], ["check", "--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "pixi_auth_tui", *args, str(root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode != 70, done.stderr
        assert not leaks(done.stdout + done.stderr), (args, done.stdout, done.stderr)
    assert "Not a URL pixi can fetch" in done.stdout + done.stderr or "[::1" in done.stdout
    # What the Workspace view shows is this report: no secret in any of its strings either.
    environment = make_env(home, XDG_STATE_HOME=str(home / ".local" / "state"))
    report = run_check([root], environment, ProbeState.default(environment.env))
    assert not leaks(json.dumps(report_json(report), ensure_ascii=False))
    assert not leaks(repr([(f.title, f.explanation) for f in report.findings]))


def test_the_state_file_never_stores_a_url_secret(home):
    state = ProbeState(home / "state.json")
    state.urls["*.example"] = "https://h.example/t/STATE-TOKEN-0123456789/chan/noarch/repodata.json"
    state.urls["other.example"] = "https://u:state-pw-0123456789@other.example/"
    state.save()
    text = (home / "state.json").read_text()
    assert "STATE-TOKEN-0123456789" not in text and "state-pw-0123456789" not in text
    # and the dialogs refuse to remember such a URL in the first place
    assert "token" in (remembered_url_problem("https://h.example/t/TOK-0123/x") or "")
    assert remembered_url_problem("https://h.example/chan/noarch/repodata.json") is None
