"""Each command imports only what it needs: the read-only commands never load the UI
(Textual, Rich), the HTTP client (httpx), the S3 signer (botocore) or the OAuth library
(authlib). Checked in a fresh interpreter that runs the command, then lists the modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("textual", "rich", "httpx", "httpcore", "botocore", "boto3", "authlib")
CHILD = """
import io, json, sys
from pixi_auth_tui.cli import main as cli
code = cli.main(sys.argv[1:], out=io.StringIO(), err=io.StringIO())
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))]))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--json"],
        ["list"],
        ["audit", "--json"],
        ["audit"],
        ["resolve", "https://a.example/channel/noarch/repodata.json"],
        ["resolve", "s3://bucket/key", "--json"],
    ],
    ids=" ".join,
)
def test_read_only_commands_import_no_heavy_library(argv: list[str], home: Path, monkeypatch: pytest.MonkeyPatch):
    credentials = home / ".rattler" / "credentials.json"
    credentials.parent.mkdir(mode=0o700)
    credentials.write_text(
        json.dumps(
            {
                "a.example": {"BearerToken": "tok-1234567890"},
                "s3://bucket": {"S3Credentials": {"access_key_id": "AKIA1", "secret_access_key": "s3-secret-12345"}},
                "o.example": {
                    "OAuth": {
                        "access_token": "access-1234567",
                        "expires_at": 1,
                        "token_endpoint": "https://o.example/token",
                        "client_id": "rattler",
                    }
                },
            }
        )
    )
    credentials.chmod(0o600)
    child = CHILD.replace("json.loads(HEAVY)", repr(json.dumps(HEAVY)).join(("json.loads(", ")")))
    run = subprocess.run([sys.executable, "-c", child, *argv], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    code, heavy = json.loads(run.stdout)
    assert code in (0, 3, 5)  # ran to its end (audit may have findings)
    assert heavy == [], f"`{' '.join(argv)}` imported {heavy}"
