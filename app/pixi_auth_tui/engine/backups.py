"""Private backups of secrets a write would otherwise drop (the entry a move replaces, the
one a person chose not to keep): 0600 files in a 0700 folder of our state folder, written
fresh (never through a link). The audit reports them while they hold a secret, and offers to
delete one once every secret in it is stored elsewhere."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

from pixi_auth_tui.core.model import Credential, credential_to_json
from pixi_auth_tui.core.redact import redact
from pixi_auth_tui.system.paths import state_folder
from pixi_auth_tui.system.safeio import create_private_file

# Backups of single entries; the audit's dedupe writes `keychain-*.json` in the same folder.
ENTRY_BACKUP_GLOB = "entry-*.json"


def backup_folder(env: Mapping[str, str] | None = None) -> Path:
    """Where backups go: a private folder of our state folder."""
    return state_folder(env) / "backups"


def file_safe(key: str) -> str:
    """A key as part of a file name: no path separators, no controls, never a secret."""
    return "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in redact(key))[:80]


def backup_entries(folder: Path, key: str, entries: dict[str, Credential], why: str) -> Path:
    """Write `entries` (where it was → credential) for `key` to a new private backup file."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    data = {
        "key": key,
        "why": why,
        "items": {where: credential_to_json(cred) for where, cred in entries.items()},
    }
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
    for n in range(1000):
        path = folder / (f"entry-{file_safe(key)}-{stamp}" + (f"-{n}" if n else "") + ".json")
        try:
            create_private_file(path, text, base=folder.parent)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"could not find a free backup name in {folder}")
