"""Where `ci setup` puts the job's credentials, how later steps find them, and `ci teardown`.

The credentials file is rattler's credentials.json (keys sorted, compact), `0600`, in a fresh
`0700` folder `pixi-auth-tui-ci-*` in the job's temp dir (`RUNNER_TEMP` on GitHub Actions, else
`TMPDIR`, else /tmp) — never in the checkout, where an artifact or cache step could pick it up.
Later steps get `RATTLER_AUTH_FILE` (pixi and every rattler tool consult it before every other
store but the override file; pixi's uv layer too, for PyPI indexes). When RATTLER_AUTH_FILE
already names a file of the user's, its entries are copied in beside the job's (that file is
never written: pointing RATTLER_AUTH_FILE elsewhere must not hide them), and teardown points
later steps back at it. For uv run on its own, basic
credentials for exact hosts also go into a `netrc` beside it (`NETRC`), unless the machine
already has a netrc that it would hide.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixi_auth_tui.ci.credentials import CiCredentials, document_of
from pixi_auth_tui.core.model import authorise
from pixi_auth_tui.stores.jsonfile import serialise_document
from pixi_auth_tui.system.safeio import create_private_file

FOLDER_PREFIX = "pixi-auth-tui-ci-"
MARKER = ".pixi-auth-tui-ci"  # says the folder is ours: teardown removes nothing else
CREDENTIALS_NAME = "credentials.json"
NETRC_NAME = "netrc"
# A netrc value both rattler's parser (netrc_rs) and uv's read alike: printable ASCII, no
# space, no quote, no backslash, not starting a comment.
_NETRC_SAFE = re.compile(r"""[^\s"'\\#][^\s"'\\]*""", re.ASCII)


def _netrc_safe(value: str) -> bool:
    return value.isascii() and value.isprintable() and _NETRC_SAFE.fullmatch(value) is not None


class CannotMerge(Exception):
    """RATTLER_AUTH_FILE names a file whose entries cannot be carried over (one line)."""


def read_existing(path: Path) -> dict[str, Any] | None:
    """The entries of the user's RATTLER_AUTH_FILE as rattler holds them (key → its JSON, kept as
    written), None when there is no such file; CannotMerge when rattler would not read it."""
    from pixi_auth_tui.stores.base import StoreState
    from pixi_auth_tui.stores.jsonfile import MAX_FILE_BYTES, JsonFileStore, parse_document
    from pixi_auth_tui.system.safeio import read_limited

    snapshot = JsonFileStore("auth-file", "RATTLER_AUTH_FILE", path).load()
    if snapshot.state is StoreState.MISSING:
        return None
    if snapshot.state is not StoreState.OK:
        detail = f" ({'; '.join(snapshot.problems[:3])})" if snapshot.problems else ""
        raise CannotMerge(f"{path} is not a file rattler reads: {snapshot.message}{detail}")
    try:
        return parse_document(read_limited(path, MAX_FILE_BYTES))
    except Exception as err:  # changed between the two reads: say so rather than copy half of it
        raise CannotMerge(f"{path} changed while it was read ({type(err).__name__}); run ci setup again") from err


def recorded_original(auth_file: str) -> str | None:
    """The user's RATTLER_AUTH_FILE that an earlier `ci setup` merged into `auth_file` (from
    its marker), or None."""
    try:
        text = (Path(auth_file).parent / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.startswith(_ORIGINAL):
            return line[len(_ORIGINAL) :] or None
    return None


_ORIGINAL = "RATTLER_AUTH_FILE before: "


@dataclass
class SetupResult:
    folder: Path
    credentials_file: Path
    netrc_file: Path | None = None
    exports: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def temp_base(env: Mapping[str, str]) -> Path:
    for name in ("RUNNER_TEMP", "TMPDIR"):
        value = env.get(name)
        if value and os.path.isabs(value) and os.path.isdir(value):
            return Path(value)
    return Path(tempfile.gettempdir())


def _netrc_lines(credentials: CiCredentials) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    skipped: list[str] = []
    for key, cred in credentials.entries.items():
        plan = authorise(cred, f"https://{key}/")
        if plan.basic is None:
            continue  # netrc carries only a user and a password
        if key.startswith("*.") or "://" in key or ":" in key:
            skipped.append(f"{key} (netrc names exact hosts only)")
        elif _netrc_safe(plan.basic[0]) and _netrc_safe(plan.basic[1]):
            lines.append(f"machine {key} login {plan.basic[0]} password {plan.basic[1]}")
        else:
            skipped.append(f"{key} (a value netrc cannot carry: spaces, quotes or a backslash)")
    return lines, skipped


def existing_netrc(env: Mapping[str, str], home: Path) -> Path | None:
    named = env.get("NETRC")
    if named:
        return Path(named)
    default = home / ".netrc"
    return default if default.exists() else None


def write_setup(
    credentials: CiCredentials,
    env: Mapping[str, str],
    home: Path,
    base: Path | None = None,
    original: tuple[str, dict[str, Any] | None] | None = None,
) -> SetupResult:
    """The private folder, the credentials file and (when it hides nothing) the netrc. With
    `original` (the user's RATTLER_AUTH_FILE and its entries, read_existing), its entries are
    kept beside the job's; for a key in both, the job's is used, and a note says so."""
    base = base or temp_base(env)
    document = document_of(credentials)
    notes: list[str] = []
    marker = "written by pixi-auth-tui ci setup; removed by ci teardown\n"
    if original is not None:
        where, entries = original
        marker += f"{_ORIGINAL}{where}\n"
        if entries is None:
            notes.append(f"RATTLER_AUTH_FILE named {where}, which does not exist: nothing to keep from it")
        else:
            both = sorted(k for k in entries if k in document and entries[k] != document[k])
            notes.append(
                f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} of {where} (RATTLER_AUTH_FILE) kept beside "
                "the job's, so pixi still sees them; that file is not changed"
            )
            if both:
                notes.append(
                    f"{', '.join(both)}: in {where} and in the job's variables, different: the job's credential "
                    "is used here (the file keeps its own)"
                )
            document = {**entries, **document}
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=base))  # 0700, a fresh name
    create_private_file(folder / MARKER, marker.encode("utf-8", "surrogateescape"))
    path = folder / CREDENTIALS_NAME
    create_private_file(path, serialise_document(document))
    result = SetupResult(folder, path, exports={"RATTLER_AUTH_FILE": str(path)}, notes=notes)
    lines, skipped = _netrc_lines(credentials)
    if lines:
        present = existing_netrc(env, home)
        if present is not None:
            result.notes.append(
                f"no netrc written for uv: {present} exists and NETRC would hide it (pixi's uv still gets "
                "these credentials through RATTLER_AUTH_FILE)"
            )
        else:
            result.netrc_file = folder / NETRC_NAME
            create_private_file(result.netrc_file, ("\n".join(lines) + "\n").encode("ascii"))
            result.exports["NETRC"] = str(result.netrc_file)
    if skipped:
        result.notes.append(
            "not in the netrc for uv run on its own (pixi's uv gets them through RATTLER_AUTH_FILE): "
            + ", ".join(skipped)
        )
    return result


def export_lines(exports: Mapping[str, str]) -> list[str]:
    """`export NAME='value'` lines for `eval "$(pixi-auth-tui ci setup)"` in any POSIX shell."""
    return [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]


def dotenv_lines(exports: Mapping[str, str]) -> list[str]:
    """`NAME=value` lines: GitHub's `$GITHUB_ENV` and GitLab's dotenv report read them alike."""
    for name, value in exports.items():
        if "\n" in value or "\r" in value:
            raise ValueError(f"{name} would hold a line break; no env file can carry it")
    return [f"{name}={value}" for name, value in exports.items()]


def append_env_file(path: Path, exports: Mapping[str, str]) -> None:
    """Adds the lines to an env file the CI reads after this step (appended, as the runner expects)."""
    text = "".join(line + "\n" for line in dotenv_lines(exports))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(text)


def is_ours(auth_file: str) -> bool:
    """Whether `auth_file` is a credentials file `ci setup` wrote (its folder carries our marker)."""
    path = Path(auth_file)
    folder = path.parent
    return path.name == CREDENTIALS_NAME and folder.name.startswith(FOLDER_PREFIX) and (folder / MARKER).is_file()


class NotOurs(Exception):
    """RATTLER_AUTH_FILE names a file `ci setup` did not write: teardown leaves it alone."""


def teardown(auth_file: str) -> list[Path]:
    """Removes what `ci setup` wrote for `auth_file` (its folder, marked as ours); the files removed."""
    path = Path(auth_file)
    folder = path.parent
    marker = folder / MARKER
    if not folder.name.startswith(FOLDER_PREFIX) or path.name != CREDENTIALS_NAME or not marker.is_file():
        raise NotOurs(f"{path} was not written by `pixi-auth-tui ci setup`; it is left alone")
    if folder.is_symlink() or (hasattr(os, "getuid") and folder.stat().st_uid != os.getuid()):
        raise NotOurs(f"{folder} is not a folder of ours; it is left alone")
    removed: list[Path] = []
    for name in (CREDENTIALS_NAME, NETRC_NAME, MARKER):
        target = folder / name
        if target.exists() or target.is_symlink():
            target.unlink()
            removed.append(target)
    with contextlib.suppress(OSError):  # something else was put there: kept (only what setup wrote goes)
        folder.rmdir()
    return removed
