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


# What a reading command outside a workspace, with no uv credentials.toml, has no use for:
# uv's chain and uv's and Python keyring's store modules (and pypi.stores, which finds them),
# the manifest reader, OpenSSL (hashlib), the WHATWG parse (plain host keys are never parsed;
# `resolve` parses its URL), html (only a word holding an escape is decoded) and the engine's
# writers (an audit applies no fix), and expiry (only a JWT or an OAuth entry has one to read);
# nor dataclasses (it imports inspect, and each class it makes execs its generated methods: the
# records these commands make are NamedTuples and classes with __slots__).
UNUSED_OUTSIDE_WORKSPACE = (
    "dataclasses",
    "hashlib",
    "pixi_auth_tui.cli.pypi",
    "pixi_auth_tui.engine.pypi_chain",
    "pixi_auth_tui.engine.operations",
    "html",
    "pixi_auth_tui.core.whatwg",
    "pixi_auth_tui.system.manifest",
    "pixi_auth_tui.pypi.stores",
    "pixi_auth_tui.core.expiry",
    "pixi_auth_tui.pypi.keyring_entries",
    "pixi_auth_tui.pypi.keyring_store",
    "pixi_auth_tui.pypi.uv_credentials",
    "pixi_auth_tui.pypi.uv_netrc_store",
    "pixi_auth_tui.pypi.uv_store",
)
# ... except what one of them needs: `resolve` parses its URL; the audit and `status` read expiry.
USED_BY = {
    "resolve": ("pixi_auth_tui.core.whatwg",),
    "audit": ("pixi_auth_tui.core.expiry",),
    "status": ("pixi_auth_tui.core.expiry",),
}
CHILD_MODULES = """
import io, json, sys
from pixi_auth_tui.cli import main as cli
code = cli.main(sys.argv[1:], out=io.StringIO(), err=io.StringIO())
print(json.dumps([code, sorted(set(sys.modules) & set(json.loads(sys.stdin.read())))]))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--json"],
        ["list"],
        ["audit", "--json"],
        ["audit"],
        ["status"],
        ["resolve", "https://a.example/channel/noarch/repodata.json"],
    ],
    ids=" ".join,
)
def test_reading_commands_outside_a_workspace_import_nothing_they_do_not_use(argv: list[str], home: Path):
    credentials = home / ".rattler" / "credentials.json"
    credentials.parent.mkdir(mode=0o700)
    credentials.write_text(json.dumps({"a.example": {"BearerToken": "tok-1234567890"}}))
    credentials.chmod(0o600)
    run = subprocess.run(
        [sys.executable, "-c", CHILD_MODULES, *argv],
        input=json.dumps([m for m in UNUSED_OUTSIDE_WORKSPACE if m not in USED_BY.get(argv[0], ())]),
        cwd=home,  # no pixi workspace here
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    code, unused = json.loads(run.stdout)
    assert code in (0, 1, 3, 4, 5)  # ran to its end
    assert unused == [], f"`{' '.join(argv)}` imported {unused}"


def test_check_that_asks_no_host_runs_no_event_loop(home: Path):
    """`check` without --test only reads: asyncio (and the ssl and logging it pulls in) is loaded
    by --test alone, and uv's chain for a workspace with PyPI indexes alone."""
    workspace = home / "ws"
    workspace.mkdir()
    (workspace / "pixi.toml").write_text(
        '[workspace]\nname = "ws"\nchannels = ["https://a.example/channel"]\nplatforms = ["linux-64"]\n'
    )
    run = subprocess.run(
        [sys.executable, "-c", CHILD_MODULES, "check", "--json"],
        input=json.dumps(["asyncio", "ssl", "logging", "pixi_auth_tui.engine.pypi_chain"]),
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    code, unused = json.loads(run.stdout)
    assert code in (0, 4, 5, 8)  # ran to its end (a.example has no credential: exit 8)
    assert unused == [], f"`check --json` imported {unused}"


CHILD_PARSERS = """
import argparse, io, json, sys
built = []
argparse_init = argparse.ArgumentParser.__init__
def counted_init(self, *args, **kwargs):
    built.append(kwargs.get("prog"))
    argparse_init(self, *args, **kwargs)
argparse.ArgumentParser.__init__ = counted_init
from pixi_auth_tui.cli import main as cli
code = cli.main(sys.argv[1:], out=io.StringIO(), err=io.StringIO())
print(json.dumps([code, built, sorted(m for m in sys.modules if m.startswith("pixi_auth_tui.cli."))]))
"""


@pytest.mark.parametrize(
    ("argv", "command_module"),
    [
        (["list", "--json"], "listing"),
        (["--demo", "audit", "--json"], "audit"),
        (["status"], "status"),
        (["resolve", "https://a.example/x"], "resolve"),
        (["ci", "teardown"], "ci"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_a_command_builds_and_imports_its_own_parser_only(argv: list[str], command_module: str, home: Path):
    """argparse builds a parser per command (a help formatter per argument, translated titles):
    a command line builds the program's and its own command's (cli.main's CommandParser, `ci
    teardown` its nested one), and imports its own command's module, never the other twelve."""
    run = subprocess.run(
        [sys.executable, "-c", CHILD_PARSERS, *argv], cwd=home, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    code, built, cli_modules = json.loads(run.stdout)
    assert code in (0, 1, 3, 4, 5)  # ran to its end
    words = [word for word in argv if not word.startswith(("-", "https:"))]
    assert built == ["pixi-auth-tui", *(" ".join(["pixi-auth-tui", *words[: n + 1]]) for n in range(len(words)))]
    assert cli_modules == [f"pixi_auth_tui.cli.{name}" for name in sorted(("common", "main", command_module))]


CHILD_PATTERNS = """
import io, json, re, sys
compiled = []
class Counted:
    # A compiled pattern that counts its uses (any method or attribute asked of it).
    def __init__(self, pattern, where):
        self.pattern, self.where, self.uses = pattern, where, 0
    def __getattr__(self, name):
        self.uses += 1
        return getattr(self.pattern, name)
compile_pattern = re.compile
def counted_compile(pattern, flags=0):
    where = sys._getframe(1).f_globals.get("__name__", "")
    if not where.startswith("pixi_auth_tui."):
        return compile_pattern(pattern, flags)
    compiled.append(Counted(compile_pattern(pattern, flags), where))
    return compiled[-1]
re.compile = counted_compile
from pixi_auth_tui.cli import main as cli
code = cli.main(sys.argv[1:], out=io.StringIO(), err=io.StringIO())
print(json.dumps([code, sorted(f"{c.where}: {c.pattern.pattern}" for c in compiled if not c.uses)]))
"""


@pytest.mark.parametrize(
    "argv",
    [["list", "--json"], ["list"], ["audit", "--json"], ["status"]],
    ids=" ".join,
)
def test_reading_commands_compile_only_the_patterns_they_use(argv: list[str], home: Path):
    """The patterns for unusual input (escapes, URLs, control characters, text that is not ASCII,
    a netrc the quick reader leaves to the full one) are compiled when first used: a reading
    command over plain entries compiles only what it uses."""
    (home / ".rattler").mkdir(mode=0o700)
    entries = {f"h{i}.example": {"BearerToken": f"tok-{i:04d}-abcdefgh"} for i in range(20)}
    entries["u.example"] = {"BasicHTTP": {"username": "user", "password": "pass-word-1"}}
    entries["c.example"] = {"CondaToken": "ct-0001-abcdefgh"}
    (home / ".rattler" / "credentials.json").write_text(json.dumps(entries))
    (home / ".netrc").write_text("machine n.example login u password p-123456\n")
    for path in (home / ".rattler" / "credentials.json", home / ".netrc"):
        path.chmod(0o600)
    run = subprocess.run(
        [sys.executable, "-c", CHILD_PATTERNS, *argv], cwd=home, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    code, unused = json.loads(run.stdout)
    assert code in (0, 1, 3, 4, 5)  # ran to its end
    assert unused == []
