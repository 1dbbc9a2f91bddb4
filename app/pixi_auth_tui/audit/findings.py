"""Audit: which hosts hold secrets on this machine, what is wrong with them, and fixes.

Every fix is described before it runs (`consequence` says what it does besides itself) and
never deletes a secret that is not stored somewhere else. A fix that rewrites a file writes a
backup first (next to the file, 0600, timestamped); moving entries into the keychain writes
none (a backup would be the very plaintext copy the move removes) and is undone by moving
them back. Undo never discards a change made after the fix: it refuses, saying why, or
re-applies on top of it.
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pixi_auth_tui.core import expiry as expiry_module
from pixi_auth_tui.core.hostkeys import key_problem, never_matched
from pixi_auth_tui.core.model import (
    Credential,
    all_secrets,
    dumps_credential,
    expires_at,
    is_misspelled,
    is_oauth,
    is_readable,
    parse_credential,
    rattler_accepts,
    reading_problem,
    respelled,
    secret_of,
)
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.backups import ENTRY_BACKUP_GLOB, file_safe
from pixi_auth_tui.engine.inventory import (
    AUTH_FILE,
    KEYCHAIN,
    NETRC,
    OVERRIDE,
    WINNING,
    Inventory,
    Row,
    Status,
    fallthrough,
    inventory_from,
    tilde_note,
)
from pixi_auth_tui.engine.operations import MoveUndo, Outcome, TargetHoldsKey, move_entry, undo_move
from pixi_auth_tui.probe.state import FAILING, ProbeState
from pixi_auth_tui.stores.base import Ability, ConflictError, StoreError, StoreState
from pixi_auth_tui.stores.jsonfile import atomic_write, parse_document
from pixi_auth_tui.stores.netrc import DEFAULT_KEY

SOON = 7 * 86400


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Fix:
    id: str
    label: str
    preview: str  # what will happen, shown before it runs


def consequence(fix: Fix) -> str:
    """What happens besides the fix itself, as the fix really does it."""
    if fix.id in ("chmod-file", "chmod-folder"):
        return "Only the permissions change; undo puts the old mode back."
    if fix.id.startswith("dedupe:"):
        return (
            "The other items are deleted from the keychain; a secret that differs from the one kept is "
            "first saved to a private (0600) backup file. Undo cannot bring deleted keychain items back."
        )
    if fix.id == "respell-keychain":
        return "Nothing else changes; there is no undo (rattler cannot read the old spelling)."
    if fix.id == "move-to-keychain":
        return (
            "No backup file is written (it would be another plaintext copy of the secrets); a key the keychain "
            "already holds with a different credential is left in the file. Undo puts the file and the keychain "
            "back as they were."
        )
    return "The file is first copied to a private (0600) backup next to it; undo restores that copy."


@dataclass
class Finding:
    code: str
    severity: Severity
    title: str
    explanation: str
    store_id: str | None = None
    key: str | None = None
    path: str | None = None
    item_ref: str | None = None
    fixes: list[Fix] = field(default_factory=list)

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


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


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
                fixes = (
                    [
                        Fix(
                            "rewrite-spelling",
                            "Rewrite as BasicHTTP",
                            f"Back up {path}, then rewrite {', '.join(misspelled)} from `BasicHttp` to `BasicHTTP`; "
                            "every other entry stays byte-for-byte as it is.",
                        )
                    ]
                    if only_spelling
                    else []
                )
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
                    [
                        Fix(
                            "move-to-keychain",
                            "Move into the keychain",
                            f"Move the {plural(len(secrets), 'entry')} of {path} "
                            "into the keychain one by one (each is read back from the keychain before it is "
                            "removed from the file). A key the keychain already holds with a different "
                            "credential is left in the file, never overwritten. No backup file is written — it "
                            "would be another plaintext copy; undo moves them back.",
                        )
                    ]
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
    mode = _mode(path)
    if mode is not None and mode & 0o077:
        findings.append(
            Finding(
                "file-permissions",
                Severity.ERROR if mode & 0o004 else Severity.WARNING,
                f"{name} is readable by {'everyone' if mode & 0o004 else 'its group'}",
                f"{path} has mode {mode:04o}; credentials files should be 0600 (owner only).",
                store_id,
                path=str(path),
                fixes=[Fix("chmod-file", "chmod 0600", f"Change {path} from {mode:04o} to 0600.")],
            )
        )
    folder = path.parent
    folder_mode = _mode(folder)
    if tighten_folder and folder_mode is not None and folder_mode & 0o077 and _is_private_folder(folder, home):
        findings.append(
            Finding(
                "folder-permissions",
                Severity.WARNING,
                f"the folder of {name} is open to others",
                f"{folder} has mode {folder_mode:04o}; others can list it and see when credentials change.",
                store_id,
                path=str(folder),
                fixes=[Fix("chmod-folder", "chmod 0700", f"Change {folder} from {folder_mode:04o} to 0700.")],
            )
        )
    return findings


def _keychain_findings(inventory: Inventory) -> list[Finding]:
    snap = inventory.snapshots[KEYCHAIN]
    findings: list[Finding] = []
    if snap.state in (StoreState.LOCKED, StoreState.UNAVAILABLE, StoreState.ERROR):
        findings.append(
            Finding("keychain-state", Severity.INFO, f"keychain {snap.state.value}", snap.message, KEYCHAIN)
        )
    by_key: dict[str, list[Row]] = {}
    for row in inventory.rows:
        if row.store.id == KEYCHAIN:
            by_key.setdefault(row.key, []).append(row)
    for key, rows in by_key.items():
        if len(rows) < 2:
            continue
        same = len({dumps_credential(r.entry.credential) for r in rows}) == 1
        fixes = [
            Fix(
                f"dedupe:{r.entry.item_ref}",
                f"Keep item {i + 1}",
                f"Keep {r.entry.item_ref} (made rattler-style: exactly service+username, rattler's label) and "
                "delete the other "
                + ("item" if len(rows) == 2 else "items")
                + ("" if same else "; their differing secrets are first saved to a 0600 backup file")
                + ".",
            )
            for i, r in enumerate(rows)
        ]
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
    fixes = (
        [
            Fix(
                "respell-keychain",
                "Rewrite as BasicHTTP",
                f"Rewrite the keychain item for {key} from `BasicHttp` to `BasicHTTP` in place: the same "
                "username and password, in the spelling rattler reads.",
            )
        ]
        if is_misspelled(cred)
        else []
    )
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


def _secrets_in_backup(path: Path) -> list[str] | None:
    """Every secret a backup of ours holds (a credentials-file copy or a keychain-items file)."""
    try:
        if path.stat().st_size > 64 * 1024 * 1024 or not path.is_file():
            return None
        doc = parse_document(path.read_bytes())
    except Exception:  # OSError or the parser's own error: an unreadable backup is skipped, never fatal
        return None
    values = doc.get("items", {}).values() if isinstance(doc.get("items"), dict) else doc.values()
    return [secret for value in values for secret in all_secrets(parse_credential(value))]


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
        secrets = _secrets_in_backup(path)
        if not secrets:
            continue
        if stored is None:
            stored = {secret for row in inventory.rows for secret in all_secrets(row.entry.credential)}
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
                fixes=[Fix("remove-backup", "Delete the backup", f"Delete {path}. This cannot be undone.")]
                if elsewhere
                else [],
            )
        )
    return findings


def summary(findings: list[Finding]) -> dict[str, int]:
    return {s.value: sum(f.severity is s for f in findings) for s in Severity}


# -- fixes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixRecord:
    """Enough to undo a fix — and to notice when something changed after it."""

    target: str
    backup: str | None = None
    previous_mode: int | None = None
    mode_after: int | None = None
    digest_after: str | None = None  # the file as the fix left it
    moved_to_keychain: tuple[MoveUndo, ...] = ()  # what each move of a move-to-keychain changed
    store_id: str | None = None
    undoable: bool = True


class FixHistory:
    """The fixes applied in this session, newest last. Lives with the app, not with a screen,
    so leaving the audit screen does not forget what can be undone."""

    def __init__(self) -> None:
        self.records: list[FixRecord] = []

    def __bool__(self) -> bool:
        return bool(self.records)

    def push(self, record: FixRecord) -> None:
        self.records.append(record)

    def last(self) -> FixRecord:
        return self.records[-1]

    def pop(self) -> FixRecord:
        return self.records.pop()


def _digest_of(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def backup_file(path: Path, now: float | None = None) -> Path:
    """A timestamped 0600 copy next to `path`."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now or time.time()))
    backup = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(path.read_bytes())
        out.flush()
        os.fsync(out.fileno())
    return backup


def apply_fix(inventory: Inventory, finding: Finding, fix_id: str, backup_dir: Path) -> tuple[Outcome, FixRecord]:
    if fix_id not in {f.id for f in finding.fixes}:
        raise StoreError(f"{fix_id} is not a fix for this finding")
    if fix_id in ("chmod-file", "chmod-folder"):
        target = Path(finding.path or "")
        previous = _mode(target)
        wanted = 0o600 if fix_id == "chmod-file" else 0o700
        os.chmod(target, wanted)
        return Outcome(f"{target} is now {wanted:04o}"), FixRecord(
            str(target), previous_mode=previous, mode_after=wanted
        )
    if fix_id == "remove-backup":
        target = Path(finding.path or "")
        secrets = _secrets_in_backup(target) or []
        stored = {secret for row in inventory.rows for secret in all_secrets(row.entry.credential)}
        if not all(secret in stored for secret in secrets):
            raise StoreError(f"{target} holds a secret stored nowhere else now; it was kept")
        target.unlink()
        return Outcome(f"Deleted the backup {target}"), FixRecord(str(target), undoable=False)
    store = inventory.store(finding.store_id or "")
    path = store.path if store is not None else None
    if fix_id == "rewrite-spelling" and store is not None and path is not None and Ability.REPAIR in store.abilities:
        snap = inventory.snapshots[store.id]
        backup = backup_file(path)
        repaired: dict[str, Credential] = {
            e.key: respelled(e.credential) for e in snap.entries if is_misspelled(e.credential)
        }
        store.repair(repaired, expect=snap.version)
        return Outcome(f"Rewrote {plural(len(repaired), 'entry')}; backup: {backup}"), FixRecord(
            str(path), str(backup), digest_after=_digest_of(path), store_id=store.id
        )
    if fix_id == "move-to-keychain" and store is not None and path is not None:
        keychain = inventory.store(KEYCHAIN)
        if keychain is None:
            raise StoreError("no keychain to move to")
        moved: list[MoveUndo] = []
        problems: list[str] = []
        current = inventory
        for row in [r for r in inventory.rows if r.store.id == store.id and rattler_accepts(r.entry.credential)]:
            # Each move re-reads both stores, so every step compares against what is on disk now.
            current = inventory_from(inventory.stores, inventory.override)
            fresh = next((r for r in current.rows if r.store.id == store.id and r.key == row.key), None)
            if fresh is None:
                continue
            try:
                # A key the keychain already holds with another credential is never overwritten.
                outcome = move_entry(current, fresh, keychain)
            except TargetHoldsKey:
                problems.append(
                    f"{row.key}: the keychain already holds a different credential for it, so it was left in "
                    f"{store.name} (select it and press m to choose which to keep)"
                )
                continue
            except StoreError as err:
                problems.append(f"{row.key}: {err}")
                continue
            if outcome.ok and outcome.undo is not None:
                moved.append(outcome.undo)
            else:
                problems.append(outcome.message)
        message = f"Moved {plural(len(moved), 'entry')} into the keychain (no plaintext copy kept)"
        return Outcome(message + ("; " + "; ".join(problems) if problems else ""), ok=not problems), FixRecord(
            str(path), moved_to_keychain=tuple(moved), store_id=store.id
        )
    if fix_id == "respell-keychain" and store is not None and finding.key is not None:
        item = next((r for r in inventory.rows_for(finding.key) if r.store.id == store.id), None)
        if item is None or not is_misspelled(item.entry.credential):
            raise StoreError("that keychain item changed since the audit; refresh and audit again")
        store.set(finding.key, respelled(item.entry.credential))
        # Undoing would write back what rattler cannot read: there is nothing to undo to.
        return Outcome(f"Rewrote the keychain item for {finding.key} as BasicHTTP"), FixRecord(
            f"keychain:{finding.key}", undoable=False
        )
    if fix_id.startswith("dedupe:") and store is not None and Ability.DEDUPE in store.abilities and finding.key:
        keep = fix_id.split(":", 1)[1]
        rows = [r for r in inventory.rows_for(finding.key) if r.store.id == store.id]
        kept = next((r for r in rows if r.entry.item_ref == keep), None)
        if kept is None:
            raise StoreError("that keychain item no longer exists; refresh and audit again")
        others = [
            r
            for r in rows
            if r is not kept and dumps_credential(r.entry.credential) != dumps_credential(kept.entry.credential)
        ]
        backup_path = None
        if others:
            # A secret that exists nowhere else is never simply deleted: keep a private copy.
            from pixi_auth_tui.system.safeio import create_private_file  # (fixes only)

            backup_path = backup_dir / f"keychain-{file_safe(finding.key)}-{time.strftime('%Y%m%dT%H%M%S')}.json"
            data = {r.entry.item_ref: json.loads(dumps_credential(r.entry.credential)) for r in others}
            # A fresh 0600 file in our private folder, never written through a link.
            create_private_file(
                backup_path, json.dumps({"key": finding.key, "items": data}).encode("utf-8"), base=backup_dir.parent
            )
        removed = store.dedupe(finding.key, keep)
        tail = f"; the differing secrets are saved in {backup_path}" if backup_path else ""
        return Outcome(f"Removed {plural(removed, 'duplicate item')} for {finding.key}{tail}"), FixRecord(
            f"keychain:{finding.key}", str(backup_path) if backup_path else None
        )
    raise StoreError(f"cannot apply {fix_id} here")


def undo_fix(record: FixRecord, inventory: Inventory | None = None) -> Outcome:
    """Undo a fix — unless something changed after it, which undo would silently discard."""
    target = Path(record.target)
    if not record.undoable:
        if record.target.startswith("keychain:"):
            raise StoreError("a respelled keychain item is not undone: rattler cannot read the old spelling")
        raise StoreError("a deleted backup cannot be restored")
    if record.previous_mode is not None:
        now_mode = _mode(target)
        if record.mode_after is not None and now_mode != record.mode_after:
            raise StoreError(
                f"{target} has changed mode since the fix ({now_mode:04o} now); undo would discard that"
                if now_mode is not None
                else f"{target} no longer exists"
            )
        os.chmod(target, record.previous_mode)
        return Outcome(f"{target} is back to mode {record.previous_mode:04o}")
    if record.moved_to_keychain:
        if inventory is None:
            raise StoreError("undoing a move needs the current stores")
        return _move_back_from_keychain(record, inventory)
    if record.backup is None or record.target.startswith("keychain:"):
        raise StoreError("this fix has no file to restore; removed keychain items are in the backup named when it ran")
    if record.digest_after is not None and _digest_of(target) != record.digest_after:
        raise StoreError(
            f"{target} changed after the fix (another program or a later edit wrote it); restoring the backup "
            f"would discard that change, so nothing was restored. The backup is {record.backup}"
        )
    atomic_write(target, Path(record.backup).read_bytes())
    return Outcome(f"Restored {target} from {record.backup}")


def _move_back_from_keychain(record: FixRecord, inventory: Inventory) -> Outcome:
    """Each move undone exactly (engine.operations.undo_move): the file's entry back, and the
    keychain as it was — an item it held before the fix is kept (restored), never deleted."""
    store = inventory.store(record.store_id or "")
    if store is None or store.path is None or inventory.store(KEYCHAIN) is None:
        raise StoreError("the file or the keychain is no longer available; nothing was moved back")
    moved, problems = 0, []
    for undo in record.moved_to_keychain:
        try:
            outcome = undo_move(inventory, undo)
        except ConflictError:
            problems.append(f"{undo.key} is in {store.name} again (written after the fix); left as it is")
            continue
        except StoreError as err:
            problems.append(f"{undo.key}: {err}")
            continue
        moved += outcome.ok
        if not outcome.ok:
            problems.append(outcome.message)
    message = f"Moved {moved} entr{'y' if moved == 1 else 'ies'} back from the keychain to {store.path}"
    return Outcome(message + ("; " + "; ".join(problems) if problems else ""), ok=not problems)
