"""The audit on a machine prepared with every problem: real files, the real gnome-keyring,
and py-rattler to prove each fix leaves pixi working."""

import base64
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import keyring.backends.SecretService
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.audit.findings import Severity, run_audit
from pixi_auth_tui.audit.fixes import apply_fix, undo_fix
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.probe.state import ProbeResult, ProbeState, Verdict

from tests.conftest import make_env, rattler_fetch

NOW = time.time()
SECRETS = [
    "file-bearer-secret-1111",
    "misspelled-password-2222",
    "netrc-password-3333",
    "kc-secret-a-4444",
    "kc-secret-b-5555",
    "shadowed-password-6666",
    "override-conda-7777",
]


def jwt(exp):
    body = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{body}.c2ln"


def write(path: Path, data, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    path.chmod(mode)
    return path


@pytest.fixture
def prepared(home, keychain, keyring_daemon):
    """Every problem the audit knows, on one machine."""
    (home / ".rattler").mkdir(mode=0o755)
    write(
        home / ".rattler/credentials.json",
        {
            "127.0.0.1": {"BearerToken": SECRETS[0]},
            "expired.example": {"BearerToken": jwt(int(NOW) - 86400)},
            "soon.example": {"BearerToken": jwt(int(NOW) + 3 * 86400)},
            "host.example:8080": {"CondaToken": "port-key-token-0000"},
            "*.com": {"CondaToken": "tld-wildcard-token-0000"},
            "shared.example": {"BasicHTTP": {"username": "u", "password": SECRETS[5]}},
            "oauth.example": {
                "OAuth": {
                    "access_token": "oauth-access-token-0000",
                    "refresh_token": None,
                    "expires_at": int(NOW) + 30 * 86400,
                    "token_endpoint": "https://oauth.example/token",
                    "revocation_endpoint": None,
                    "client_id": "rattler",
                }
            },
        },
        mode=0o644,
    )
    override = write(
        home / "team/override.json",
        {
            "localhost": {"BasicHttp": {"username": "team", "password": SECRETS[1]}},
            "other.example": {"CondaToken": SECRETS[6]},
        },
    )
    write(home / ".pixi/config.toml", f'authentication-override-file = "{override}"\n')
    write(home / ".netrc", f"machine netrc.example login n password {SECRETS[2]}\ndefault login a password b\n", 0o640)
    keychain.set("shared.example", BasicHTTP("u", "different-kc-password-0000"))
    keychain.set("dup.example", BearerToken(SECRETS[3]))
    keyring.backends.SecretService.Keyring().set_password(
        "rattler", "dup.example", json.dumps({"BearerToken": SECRETS[4]})
    )
    state = ProbeState.default({"XDG_STATE_HOME": str(home / ".local/state")})
    state.urls["127.0.0.1"] = "http://127.0.0.1:1/chan"
    state.record(
        "credentials",
        "127.0.0.1",
        BearerToken(SECRETS[0]),
        ProbeResult("127.0.0.1", "http://127.0.0.1:1/chan", Verdict.REJECTED, "rejected"),
    )
    state.save()
    env = make_env(
        home,
        DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address,
        RATTLER_AUTH_FILE=str(home / "missing-auth.json"),
        XDG_STATE_HOME=str(home / ".local/state"),
    )
    return env, state


def audit_of(env, state):
    inv = load_inventory(env)
    return inv, run_audit(inv, env.home, state, now=NOW)


def test_every_problem_is_named(prepared):
    env, _state = prepared
    _inv, findings = audit_of(*prepared)
    by_code = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    expected = {
        "unreadable-file": Severity.ERROR,
        "file-permissions": Severity.ERROR,
        "folder-permissions": Severity.WARNING,
        "plaintext-secrets": Severity.WARNING,
        "duplicate-keychain": Severity.ERROR,
        "conflict": Severity.WARNING,
        "expired": Severity.ERROR,
        "expiring": Severity.WARNING,
        "oauth-no-refresh": Severity.WARNING,
        "missing-file": Severity.WARNING,
        "auth-file-set": Severity.INFO,
        "unmatchable-key": Severity.WARNING,
        "broad-key": Severity.WARNING,
        "plain-http": Severity.WARNING,
        "rejected-test": Severity.ERROR,
        "netrc-default": Severity.INFO,
    }
    for code, severity in expected.items():
        assert code in by_code, f"missing finding {code}"
        assert any(f.severity is severity for f in by_code[code]), (code, [f.severity for f in by_code[code]])
    assert {f.key for f in by_code["unmatchable-key"]} == {"host.example:8080"}
    assert {f.key for f in by_code["broad-key"]} == {"*.com"}  # matched, and sent: it matches too much
    assert {f.path for f in by_code["file-permissions"]} >= {
        str(env.home / ".rattler/credentials.json"),
        str(env.home / ".netrc"),
    }
    assert [f.severity for f in findings] == sorted(
        (f.severity for f in findings), key=["error", "warning", "info"].index
    )


def test_no_output_contains_a_secret(prepared):
    env, _state = prepared
    _inv, findings = audit_of(*prepared)
    dumped = json.dumps([f.to_json() for f in findings])
    cli_env = {**env.env, "PATH": os.environ["PATH"]}
    for args in (["audit"], ["audit", "--json"], ["audit", "--fail-on", "warning"], ["list"], ["list", "--json"]):
        out = subprocess.run(
            [sys.executable, "-m", "pixi_auth_tui", *args], capture_output=True, text=True, env=cli_env, timeout=60
        )
        dumped += out.stdout + out.stderr
    for secret in SECRETS:
        assert secret not in dumped


def test_audit_json_matches_the_golden_schema_and_exit_codes(prepared):
    env, _state = prepared
    cli_env = {**env.env, "PATH": os.environ["PATH"]}
    out = subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", "audit", "--json"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert out.returncode == 5
    schema = json.loads((Path(__file__).with_name("audit.schema.json")).read_text())
    data = json.loads(out.stdout)
    jsonschema.validate(data, schema)
    assert data["summary"]["error"] >= 4


def test_exit_codes_on_a_clean_machine(home):
    write(home / ".rattler/credentials.json", {"a.example": {"BearerToken": "t"}})
    (home / ".rattler").chmod(0o700)
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "pixi_auth_tui", "audit", *args], capture_output=True, text=True, env=env, timeout=60
        )

    assert run().returncode == 0  # only a warning (plain text): not an error
    assert run("--fail-on", "warning").returncode == 5


def fix_for(findings, code, store=None, key=None):
    return next(
        f
        for f in findings
        if f.code == code and (store is None or f.store_id == store) and (key is None or f.key == key)
    )


def test_rewrite_spelling_makes_the_file_work_again_and_can_be_undone(prepared, server, keyring_daemon):
    env, state = prepared
    inv, findings = audit_of(env, state)
    finding = fix_for(findings, "unreadable-file", "override")
    override = env.home / "team/override.json"
    before = override.read_bytes()
    outcome, record = apply_fix(inv, finding, "rewrite-spelling", env.home / "backups")
    assert outcome.ok and record.backup
    backup = Path(record.backup)
    assert backup.read_bytes() == before and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert json.loads(override.read_text())["localhost"] == {"BasicHTTP": {"username": "team", "password": SECRETS[1]}}
    assert json.loads(override.read_text())["other.example"] == {"CondaToken": SECRETS[6]}
    server.expect["sp"] = BasicHTTP("team", SECRETS[1])
    url = server.url("sp", host="localhost")
    assert rattler_fetch(env.home, [(url, {"RATTLER_AUTH_FILE": str(override)})], bus=keyring_daemon.address) == ["OK"]
    undo_fix(record)
    assert override.read_bytes() == before


def test_chmod_fixes_and_undo(prepared):
    env, state = prepared
    inv, findings = audit_of(env, state)
    path = env.home / ".rattler/credentials.json"
    finding = fix_for(findings, "file-permissions", "credentials")
    _outcome, record = apply_fix(inv, finding, "chmod-file", env.home / "backups")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    folder_finding = fix_for(findings, "folder-permissions", "credentials")
    apply_fix(inv, folder_finding, "chmod-folder", env.home / "backups")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    undo_fix(record)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # the home folder itself is never tightened
    assert not any(f.code == "folder-permissions" and f.path == str(env.home) for f in findings)


def test_dedupe_keeps_the_chosen_secret_and_backs_up_the_other(prepared, server, keyring_daemon, keychain):
    env, state = prepared
    inv, findings = audit_of(env, state)
    finding = fix_for(findings, "duplicate-keychain", key="dup.example")
    rows = [r for r in inv.rows_for("dup.example") if r.store.id == "keychain"]
    keep = next(r for r in rows if r.entry.credential == BearerToken(SECRETS[4]))  # the keyring-made one
    outcome, record = apply_fix(inv, finding, f"dedupe:{keep.entry.item_ref}", env.home / "backups")
    assert outcome.ok and record.backup
    saved = json.loads(Path(record.backup).read_text())
    assert SECRETS[3] in json.dumps(saved) and stat.S_IMODE(Path(record.backup).stat().st_mode) == 0o600
    assert [e.credential for e in keychain.load().entries if e.key == "dup.example"] == [BearerToken(SECRETS[4])]


def test_move_plaintext_into_the_keychain_loses_nothing(home, keychain, keyring_daemon, server):
    path = write(
        home / ".rattler/credentials.json",
        {"127.0.0.1": {"CondaToken": "to-keychain"}, "x.example": {"BearerToken": "x"}},
    )
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    inv = load_inventory(env)
    finding = fix_for(run_audit(inv, home), "plaintext-secrets", "credentials")
    outcome, record = apply_fix(inv, finding, "move-to-keychain", home / "backups")
    assert outcome.ok, outcome.message
    assert json.loads(path.read_text()) == {}
    assert {e.key for e in keychain.load().entries} == {"127.0.0.1", "x.example"}
    # No plaintext copy is left behind (no backup), and undo moves them back.
    assert record.backup is None and not list(path.parent.glob("*.bak-*"))
    server.expect["mk"] = CondaToken("to-keychain")
    assert rattler_fetch(home, [(server.url("mk"), {})], bus=keyring_daemon.address) == ["OK"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_shadowed_copies_are_told_apart_as_their_serialised_forms(data):
    from pixi_auth_tui.audit.findings import _same_credential
    from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, Unrecognised, dumps_credential

    text = st.sampled_from(["t1", "t2", "é"])
    creds = st.one_of(
        st.builds(BearerToken, text),
        st.builds(CondaToken, text),
        st.builds(BasicHTTP, text, text, st.booleans()),
        st.builds(Unrecognised, st.sampled_from([{"x": 1}, {"x": float("nan")}, "t1"]), text),
    )
    a, b = data.draw(creds), data.draw(creds)
    assert _same_credential(a, b) == (dumps_credential(a) == dumps_credential(b))


def test_every_fix_is_declared_once_with_its_offer_apply_undo_and_consequence():
    """Fixes are a registry (audit/fixes.py), as credential kinds are: a finding only offers them."""
    import ast

    from pixi_auth_tui.audit import fixes

    kinds = [cls for cls in vars(fixes).values() if isinstance(cls, type) and issubclass(cls, fixes.FixKind)]
    concrete = {cls.id: cls for cls in kinds if getattr(cls, "id", None)}
    assert set(fixes.FIXES) == set(concrete)
    for fix_id, kind in fixes.FIXES.items():
        assert type(kind) is concrete[fix_id] and kind.consequence and hasattr(kind, "offer")
    # No fix is spelled out anywhere else: every Fix(...) is built by its kind's offer.
    app = Path(fixes.__file__).parents[1]
    for path in app.rglob("*.py"):
        if path == Path(fixes.__file__):
            continue
        calls = [
            n.lineno
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Fix"
        ]
        assert calls == [], f"{path.relative_to(app)} builds a Fix by hand at lines {calls}"
