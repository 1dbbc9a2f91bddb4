"""Audit: which hosts hold secrets on this machine, what is wrong with them, and fixes.

Each finding offers the fixes that apply to it; the fixes themselves (apply, undo, what they do
besides themselves) are declared in audit/fixes.py.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from pixi_auth_tui.audit.fixes import (
    ChmodFile,
    ChmodFolder,
    Fix,
    KeepOneItem,
    MoveToKeychain,
    RemoveBackup,
    RespellKeychainItem,
    RewriteSpelling,
    mode_of,
    secrets_in_backup,
    stored_secrets,
)
from pixi_auth_tui.core import expiry as expiry_module
from pixi_auth_tui.core.hostkeys import key_problem, never_matched
from pixi_auth_tui.core.model import (
    KINDS,
    Credential,
    dumps_credential,
    expires_at,
    is_misspelled,
    is_oauth,
    is_readable,
    rattler_accepts,
    reading_problem,
    secret_of,
)
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.backups import ENTRY_BACKUP_GLOB
from pixi_auth_tui.engine.inventory import (
    AUTH_FILE,
    KEYCHAIN,
    NETRC,
    OVERRIDE,
    WINNING,
    Inventory,
    Row,
    Status,
    fails_every_request,
    fallthrough,
    tilde_note,
)
from pixi_auth_tui.probe.state import FAILING, ProbeState
from pixi_auth_tui.stores.base import Ability, StoreState
from pixi_auth_tui.stores.dbus_session import fix_for
from pixi_auth_tui.stores.netrc import DEFAULT_KEY

SOON = 7 * 86400


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Finding(NamedTuple):
    code: str
    severity: Severity
    title: str
    explanation: str
    store_id: str | None = None
    key: str | None = None
    path: str | None = None
    item_ref: str | None = None
    fixes: Sequence[Fix] = ()

    @property
    def id(self) -> str:
        return ":".join(part for part in (self.code, self.store_id or "", self.key or "") if part)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "explanation": self.explanation,
            "store": self.store_id,
            "key": self.key,
            "path": self.path,
            "fixes": [{"id": f.id, "label": f.label, "preview": f.preview} for f in self.fixes],
        }


def _is_private_folder(folder: Path, home: Path) -> bool:
    """Folders we may tighten: never the home folder itself or a system folder."""
    return folder != home and folder != Path("/") and home in folder.parents


def run_audit(
    inventory: Inventory,
    home: Path,
    state: ProbeState | None = None,
    now: float | None = None,
    backup_dir: Path | None = None,
) -> list[Finding]:
    now = time.time() if now is None else now
    findings: list[Finding] = []
    keychain_usable = inventory.store(KEYCHAIN) is not None and inventory.snapshots[KEYCHAIN].state is StoreState.OK
    findings += _store_findings(inventory, home, keychain_usable)
    if backup_dir is None and state is not None:
        backup_dir = state.path.parent / "backups"
    findings += _backup_findings(inventory, backup_dir)
    findings += _entry_findings(inventory, now, state)
    findings += _environment_findings(inventory)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.key or ""))
    return findings


def _store_findings(inventory: Inventory, home: Path, keychain_usable: bool) -> list[Finding]:
    findings: list[Finding] = []
    for store in inventory.stores:
        snap = inventory.snapshots[store.id]
        path = store.path
        if path is not None and Ability.BLOCKS_WHEN_BAD in store.abilities:  # a credentials file
            if snap.state in (StoreState.MALFORMED, StoreState.REJECTED):
                misspelled = [e.key for e in snap.entries if is_misspelled(e.credential)]
                only_spelling = snap.state is StoreState.REJECTED and len(misspelled) == len(snap.problems)
                fixes = [RewriteSpelling.offer(path, misspelled)] if only_spelling else []
                detail = "; ".join(snap.problems) if snap.problems else snap.message
                findings.append(
                    Finding(
                        "unreadable-file",
                        Severity.ERROR,
                        f"pixi ignores every credential in {store.name}",
                        f"rattler cannot parse {path} ({detail}). Because the file is parsed as a whole, rattler "
                        "refuses it and pixi cannot build its credential store: its conda requests fail with an "
                        "error and its PyPI requests (uv) go out without rattler's credentials (uv still sends "
                        "what the URL, netrc, its credentials.toml or the keyring supply)."
                        + ("" if fixes else " Fix the file by hand; this tool will not write to it."),
                        store.id,
                        path=str(path),
                        fixes=fixes,
                    )
                )
            findings += _permission_findings(store.id, store.name, path, home)
            secrets = [e for e in snap.entries if secret_of(e.credential)]
            if secrets:
                fixes = (
                    [MoveToKeychain.offer(path, len(secrets))]
                    if keychain_usable and snap.state is StoreState.OK
                    else []
                )
                findings.append(
                    Finding(
                        "plaintext-secrets",
                        Severity.WARNING,
                        f"{plural(len(secrets), 'secret')} in plain text in {store.name}",
                        f"{path} keeps secrets unencrypted on disk"
                        + ("" if keychain_usable else " (no keychain is usable here to move them to)")
                        + ".",
                        store.id,
                        path=str(path),
                        fixes=fixes,
                    )
                )
        elif path is not None and not store.writable:  # a file rattler only reads (netrc)
            if snap.state in (StoreState.REJECTED, StoreState.MALFORMED):
                findings.append(
                    Finding(
                        "unreadable-netrc",
                        Severity.WARNING,
                        "rattler ignores the whole netrc",
                        f"{path} has lines rattler cannot parse ({'; '.join(snap.problems)}), so rattler "
                        "uses none of its machines.",
                        store.id,
                        path=str(path),
                    )
                )
            if snap.entries:
                findings += _permission_findings(store.id, store.name, path, home, tighten_folder=False)
                findings.append(
                    Finding(
                        "plaintext-secrets",
                        Severity.WARNING,
                        f"{plural(len(snap.entries), 'password')} in plain text in netrc",
                        f"{path} keeps passwords unencrypted; rattler only reads it. Move them with "
                        "`pixi-auth-tui set` into the keychain and remove the lines by hand.",
                        store.id,
                        path=str(path),
                    )
                )
        elif store.id == KEYCHAIN:
            findings += _keychain_findings(inventory)
    return findings


def _permission_findings(
    store_id: str, name: str, path: Path, home: Path, tighten_folder: bool = True
) -> list[Finding]:
    findings: list[Finding] = []
    mode = mode_of(path)
    if mode is not None and mode & 0o077:
        findings.append(
            Finding(
                "file-permissions",
                Severity.ERROR if mode & 0o004 else Severity.WARNING,
                f"{name} is readable by {'everyone' if mode & 0o004 else 'its group'}",
                f"{path} has mode {mode:04o}; credentials files should be 0600 (owner only).",
                store_id,
                path=str(path),
                fixes=[ChmodFile.offer(path, mode)],
            )
        )
    folder = path.parent
    folder_mode = mode_of(folder)
    if tighten_folder and folder_mode is not None and folder_mode & 0o077 and _is_private_folder(folder, home):
        findings.append(
            Finding(
                "folder-permissions",
                Severity.WARNING,
                f"the folder of {name} is open to others",
                f"{folder} has mode {folder_mode:04o}; others can list it and see when credentials change.",
                store_id,
                path=str(folder),
                fixes=[ChmodFolder.offer(folder, folder_mode)],
            )
        )
    return findings


def _keychain_findings(inventory: Inventory) -> list[Finding]:
    snap = inventory.snapshots[KEYCHAIN]
    findings: list[Finding] = []
    if snap.state in (StoreState.LOCKED, StoreState.UNAVAILABLE, StoreState.ERROR):
        # A keychain pixi would wait on is worth a warning; one it merely cannot use, a note.
        hangs = snap.diagnosis in ("not-answering", "locked-no-prompter")
        findings.append(
            Finding(
                "keychain-state",
                Severity.WARNING if hangs else Severity.INFO,
                f"keychain {snap.state.value}" + (f" ({snap.diagnosis})" if snap.diagnosis else ""),
                # A diagnosed keychain's detail is the first of its problems (stores/secretservice.py).
                f"{snap.problems[0]}. Fix: {fix_for(snap.diagnosis)}."
                if snap.diagnosis and snap.problems
                else snap.message,
                KEYCHAIN,
            )
        )
    by_key: dict[str, list[Row]] = {}
    for row in inventory.rows:
        if row.store.id == KEYCHAIN:
            by_key.setdefault(row.key, []).append(row)
    for key, rows in by_key.items():
        if len(rows) < 2:
            continue
        same = len({dumps_credential(r.entry.credential) for r in rows}) == 1
        fixes = [KeepOneItem.offer(r.entry.item_ref or "", i + 1, len(rows) - 1, same) for i, r in enumerate(rows)]
        findings.append(
            Finding(
                "duplicate-keychain",
                Severity.ERROR,
                f"{len(rows)} keychain items for {key}: pixi cannot use any of them",
                "rattler finds items by service and username and fails when more than one matches (often one was "
                "written by Python's keyring, which adds an attribute)."
                + (" They hold the same secret." if same else " They hold different secrets: choose which to keep."),
                KEYCHAIN,
                key,
                fixes=fixes,
            )
        )
    return findings


def _expired_fix(row: Row) -> str:
    """What to do about an expired entry: rotate a token; refresh or sign in again for OAuth."""
    cred = row.entry.credential
    if not is_oauth(cred):
        return "rotate it."
    if row.status is Status.BLOCKING:
        return (
            "it has no refresh token, so pixi sends no credential for its hosts and does not fall back to a "
            f"wildcard or a later store. Sign in again (`l`, or `pixi-auth-tui login {row.key}`)."
        )
    return (
        "rattler refreshes it before its next request, and sends nothing (no fallback) if the provider refuses. "
        f"Refresh it now (`R`, or `pixi-auth-tui refresh {row.key}`) to know; if that fails, sign in again."
    )


def _unreadable_keychain_item(inventory: Inventory, row: Row) -> Finding:
    """A keychain item rattler skips (it goes on to the next store): why, what pixi uses
    instead, and the repair (a misspelled `BasicHttp` is rewritten in rattler's spelling)."""
    cred, key = row.entry.credential, row.key
    fixes = [RespellKeychainItem.offer(key)] if is_misspelled(cred) else []
    winner = inventory.active_row(key)
    instead = fallthrough(winner.store if winner is not None else None)
    return Finding(
        "unreadable-entry",
        Severity.WARNING,
        f"keychain item for {key} is not a credential rattler can read",
        f"rattler cannot parse its secret ({reading_problem(cred)}) and skips it"
        + f": {instead}."
        + ("" if fixes else " Replace it (`e`, or `pixi-auth-tui set`) or delete it (`d`, or `pixi-auth-tui remove`)."),
        KEYCHAIN,
        key,
        item_ref=row.entry.item_ref,
        fixes=fixes,
    )


def keychain_json(inventory: Inventory) -> dict[str, object] | None:
    """`audit --json`'s `keychain`: its state, the diagnosis code, the one-line explanation and the fix."""
    if inventory.store(KEYCHAIN) is None:
        return None
    snap = inventory.snapshots[KEYCHAIN]
    fix = fix_for(snap.diagnosis) if snap.diagnosis else None
    return {"state": snap.state.value, "diagnosis": snap.diagnosis, "message": snap.message, "fix": fix}


def _entry_findings(inventory: Inventory, now: float, state: ProbeState | None) -> list[Finding]:
    findings: list[Finding] = []
    for row in inventory.rows:
        if row.store.chain != "conda":
            continue  # uv's stores: their keys are keyring services, judged by `check` for PyPI indexes
        entry = row.entry
        cred = entry.credential
        sid, key = row.store.id, entry.key
        if row.status is Status.SHADOWED:
            winner = inventory.active_row(key)
            differs = winner is not None and not _same_credential(winner.entry.credential, cred)
            findings.append(
                Finding(
                    "conflict" if differs else "shadowed",
                    Severity.WARNING if differs else Severity.INFO,
                    f"{key} in {row.store.name} is never used" + (" and differs" if differs else ""),
                    f"{row.reason}: pixi uses the entry there"
                    + (", which holds a different credential." if differs else "; this copy is redundant."),
                    sid,
                    key,
                )
            )
        if key == DEFAULT_KEY and sid == NETRC:
            findings.append(
                Finding(
                    "netrc-default",
                    Severity.INFO,
                    "netrc `default` entry is never used",
                    "rattler looks netrc entries up by machine name only.",
                    sid,
                    key,
                )
            )
            continue
        if row.status is Status.BLOCKING and fails_every_request(key, cred):
            findings.append(
                Finding(
                    "s3-wrong-kind",
                    Severity.ERROR,
                    f"pixi fails every request for {key}",
                    f"{key} holds a {KINDS[cred.kind].label}, not S3 keys: rattler fails each request for the "
                    'bucket ("not S3 credentials") and tries no other key or store. Store the bucket\'s access '
                    "key id and secret key under it instead (`e`, or `pixi-auth-tui set KEY --kind s3`).",
                    sid,
                    key,
                )
            )
        if sid == KEYCHAIN and not rattler_accepts(cred) and is_readable(cred):
            findings.append(_unreadable_keychain_item(inventory, row))
        problem = key_problem(key)
        if problem:
            never = never_matched(key)
            findings.append(
                Finding(
                    "unmatchable-key",
                    Severity.WARNING,
                    f"pixi never matches the key {key!r}",
                    f"The key {never}.",
                    sid,
                    key,
                )
                if never is not None
                # Matched, and sent, by rattler (its wildcard walk reaches it): it matches too much.
                else Finding(
                    "broad-key",
                    Severity.WARNING,
                    f"the key {key!r} matches too many hosts",
                    f"The key {problem}: pixi sends this credential to every one of them.",
                    sid,
                    key,
                )
            )
        expiry = expires_at(cred)
        if expiry is not None and row.status is not Status.IGNORED:
            if expiry <= now:
                findings.append(
                    Finding(
                        "expired",
                        Severity.ERROR if row.status in WINNING else Severity.WARNING,
                        f"the token for {key} has expired",
                        f"It expired {expiry_module.utc(expiry, '%Y-%m-%d')}; {_expired_fix(row)}",
                        sid,
                        key,
                    )
                )
            elif expiry - now < SOON:
                left = expiry - now
                span = plural(int(left // 86400), "day") if left >= 86400 else plural(max(1, int(left // 3600)), "hour")
                findings.append(
                    Finding(
                        "expiring",
                        Severity.WARNING,
                        f"the token for {key} expires in {span}",
                        f"It expires {expiry_module.utc(expiry, '%Y-%m-%d')}.",
                        sid,
                        key,
                    )
                )
        if is_oauth(cred) and not cred.refresh_token:
            findings.append(
                Finding(
                    "oauth-no-refresh",
                    Severity.WARNING,
                    f"OAuth login for {key} cannot renew itself",
                    "It has no refresh token: when the access token expires, log in again.",
                    sid,
                    key,
                )
            )
        if state is not None and (state.urls or state.results):  # (both empty until a test ran)
            url = state.urls.get(key)
            if url and url.startswith("http://") and row.status is Status.ACTIVE:
                findings.append(
                    Finding(
                        "plain-http",
                        Severity.WARNING,
                        f"{key} is used over plain http",
                        f"Its test URL {url} sends the secret unencrypted.",
                        sid,
                        key,
                    )
                )
            result = state.result_for(sid, key, cred)
            if result is not None and result.verdict in FAILING:
                findings.append(
                    Finding(
                        "rejected-test",
                        Severity.ERROR,
                        f"the server rejected {key} at the last test",
                        f"{result.message} ({result.url}).",
                        sid,
                        key,
                    )
                )
    return findings


def _same_credential(a: Credential, b: Credential) -> bool:
    """Both hold what rattler would write the same: equal credentials of one kind do (compared
    without serialising both; a misspelling, say, is only equal once written)."""
    return (type(a) is type(b) and a == b and is_readable(a)) or dumps_credential(a) == dumps_credential(b)


def _environment_findings(inventory: Inventory) -> list[Finding]:
    findings: list[Finding] = []
    auth = inventory.store(AUTH_FILE)
    if auth is not None:
        findings.append(
            Finding(
                "auth-file-set",
                Severity.INFO,
                "RATTLER_AUTH_FILE is set",
                f"Its entries ({auth.location}) win over every other store, the keychain included.",
                AUTH_FILE,
                path=auth.location,
            )
        )
    for store_id in (AUTH_FILE, OVERRIDE):
        store = inventory.store(store_id)
        if store is not None and inventory.snapshots[store_id].state is StoreState.MISSING:
            findings.append(
                Finding(
                    "missing-file",
                    Severity.WARNING,
                    f"{store.name} points at a missing file",
                    f"{store.location} does not exist, so it adds nothing.",
                    store_id,
                    path=store.location,
                )
            )
    for store_id in (AUTH_FILE, OVERRIDE):
        store = inventory.store(store_id)
        tilde = tilde_note(inventory, store_id) if store is not None else None
        if store is not None and tilde is not None:
            findings.append(
                Finding(
                    "literal-tilde",
                    Severity.WARNING,
                    f"{store.name} starts with a literal `~`",
                    f"{tilde}.",
                    store_id,
                    path=store.location,
                )
            )
    for error in inventory.override.errors:
        findings.append(Finding("pixi-config", Severity.WARNING, "a pixi config file cannot be read", error))
    return findings


# -- leftover backups -----------------------------------------------------------------------


def backup_files(inventory: Inventory, backup_dir: Path | None) -> list[Path]:
    """Backups this tool wrote: `<file>.bak-*` next to each credentials file, keychain items in backup_dir."""
    found: list[Path] = []
    for store in inventory.stores:
        if store.path is not None and Ability.REPAIR in store.abilities:  # files a fix rewrites
            found += sorted(store.path.parent.glob(f"{glob_escape(store.path.name)}.bak-*"))
    if backup_dir is not None:
        found += sorted(backup_dir.glob("keychain-*.json")) + sorted(backup_dir.glob(ENTRY_BACKUP_GLOB))
    return found


def glob_escape(name: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


def _backup_findings(inventory: Inventory, backup_dir: Path | None) -> list[Finding]:
    stored: set[str] | None = None  # every secret stored: only worked out once a backup holds one
    findings: list[Finding] = []
    for path in backup_files(inventory, backup_dir):
        secrets = secrets_in_backup(path)
        if not secrets:
            continue
        if stored is None:
            stored = stored_secrets(inventory)
        elsewhere = all(secret in stored for secret in secrets)
        findings.append(
            Finding(
                "leftover-backup",
                Severity.WARNING,
                f"a backup holds {len(secrets)} secret(s) in plain text",
                f"{path} is a backup written by a fix; it keeps secrets unencrypted on disk. "
                + (
                    "Every secret in it is still stored, so it can go."
                    if elsewhere
                    else "Some of its secrets are stored nowhere else: restore what you need "
                    "(pixi-auth-tui set), then delete it by hand."
                ),
                path=str(path),
                fixes=[RemoveBackup.offer(path)] if elsewhere else [],
            )
        )
    return findings


def summary(findings: list[Finding]) -> dict[str, int]:
    return {s.value: sum(f.severity is s for f in findings) for s in Severity}
