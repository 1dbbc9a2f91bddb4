"""`check --test` and a token written into a manifest URL (issue 23, item 3): over plain http the
URL's own credential is sent only with --allow-http, as every other credential; otherwise the
host gets no request at all and the report says why in one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pixi_auth_tui.cli.main import main

TOKEN = "manifest-conda-token-0123456789"


def workspace(root: Path, base: str) -> Path:
    root.mkdir()
    manifest = root / "pixi.toml"
    manifest.write_text(f'[workspace]\nname = "w"\nchannels = ["{base}/t/{TOKEN}/private"]\nplatforms = ["linux-64"]\n')
    return manifest


def check(manifest: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(manifest), "--test", *extra], out=out, err=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


def test_a_token_in_a_plain_http_manifest_url_is_not_sent_without_allow_http(home, tmp_path, http_server):
    manifest = workspace(tmp_path / "ws", http_server.base)
    _code, out, err = check(manifest)
    assert [s for s in http_server.seen if TOKEN in s.path] == [], "the URL's own token went out over http"
    said = out + err
    assert "plain http" in said and "--allow-http" in said and said.count("not tested: the URL holds") == 1, said
    assert TOKEN not in said
    _code, out, err = check(manifest, "--json")
    assert TOKEN not in out + err and [s for s in http_server.seen if TOKEN in s.path] == []
    (host,) = json.loads(out)["hosts"]
    assert "plain http" in json.dumps(host)
    _code, out, err = check(manifest, "--allow-http")  # asked for: sent
    assert [s for s in http_server.seen if TOKEN in s.path], out + err
