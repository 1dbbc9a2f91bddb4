"""A generated, throw-away set of stores so anyone can try the app without real credentials."""

from __future__ import annotations

import atexit
import base64
import json
import shutil
import tempfile
import time
from pathlib import Path

from pixi_auth_tui.stores.memory import MemoryKeychainStore
from pixi_auth_tui.system.paths import Environment


def _jwt(exp: int) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': 'demo', 'exp': exp})}.c2lnbmF0dXJl"


def write_demo_home(home: Path, now: float | None = None) -> dict[str, str]:
    """Create the demo files under `home`; returns the environment variables that point at them."""
    now = time.time() if now is None else now
    rattler = home / ".rattler"
    rattler.mkdir(parents=True, mode=0o700)
    (rattler / "credentials.json").write_text(
        json.dumps(
            {
                "*.prefix.dev": {"BearerToken": "pfx_demo0000000000000000000000Xq7f"},
                "conda.anaconda.org": {"CondaToken": "xy-72b9demo000000000000000000c0de"},
                "files.example.org": {"BasicHTTP": {"username": "alice", "password": "demo-password-1"}},
                "s3://demo-bucket": {
                    "S3Credentials": {
                        "access_key_id": "AKIADEMO000000000000",
                        "secret_access_key": "demo/secret/key/0000000000000000000000",
                        "session_token": None,
                    }
                },
            },
            separators=(",", ":"),
        )
    )
    (rattler / "credentials.json").chmod(0o644)  # deliberately too open: the audit notices
    override = home / "pixi-override.json"
    override.write_text(
        json.dumps(
            {
                "quetz.internal.example": {"BasicHttp": {"username": "bob", "password": "demo-password-2"}},
            }
        )
    )
    config = home / ".pixi" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'authentication-override-file = "{override}"\n')
    (home / ".netrc").write_text(
        "machine files.example.org login alice-old password demo-old-password\n"
        "machine artifactory.example.com login ci password demo-ci-password\n"
    )
    (home / ".netrc").chmod(0o600)
    return {"HOME": str(home), "NETRC": str(home / ".netrc")}


def demo_keychain(now: float | None = None) -> MemoryKeychainStore:
    now = time.time() if now is None else now
    return MemoryKeychainStore(
        [
            ("repo.prefix.dev", json.dumps({"BearerToken": _jwt(int(now) + 20 * 86400)})),
            ("conda.anaconda.org", json.dumps({"CondaToken": "xy-ffffdemo0000000000000000001234"})),
            ("private.example.net", json.dumps({"BearerToken": _jwt(int(now) - 3 * 86400)})),
            (
                "auth.example.com",
                json.dumps(
                    {
                        "OAuth": {
                            "access_token": "demo-oauth-access-000000000000",
                            "refresh_token": None,
                            "expires_at": int(now) + 3600,
                            "token_endpoint": "https://auth.example.com/token",
                            "revocation_endpoint": None,
                            "client_id": "rattler",
                        }
                    }
                ),
            ),
        ]
    )


def demo_environment(home: Path | None = None, now: float | None = None) -> Environment:
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-demo-"))
        atexit.register(shutil.rmtree, home, True)
    env = write_demo_home(home, now)
    # No DBUS address and no real netrc/config: nothing outside `home` is ever read or written.
    env["PIXI_CONFIG_FILE"] = str(home / ".pixi" / "config.toml")
    env["XDG_STATE_HOME"] = str(home / ".local" / "state")  # test results and backups stay in the demo
    return Environment(home=home, env=env, keychain=demo_keychain(now), label="demo")
