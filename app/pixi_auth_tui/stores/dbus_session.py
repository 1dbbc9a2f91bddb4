"""Which session bus a keychain client reaches, and what it means for pixi when there is none
or the keychain on it does not answer.

pixi reaches the Secret Service through rattler's keyring store (dbus-secret-service over
libdbus). libdbus takes `DBUS_SESSION_BUS_ADDRESS`; when it is unset, `$XDG_RUNTIME_DIR/bus`
if that is a socket this user owns (systemd's user bus: usually /run/user/$UID/bus — but only
through XDG_RUNTIME_DIR, never that path itself); otherwise X11 autolaunch, which needs
`DISPLAY`. Each Secret Service call of dbus-secret-service waits 2 s for its answer; an unlock
prompt is waited for without a practical limit (a year).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import NamedTuple

ADDRESS_VARIABLE = "DBUS_SESSION_BUS_ADDRESS"
AVOID = "or give pixi its credentials in RATTLER_AUTH_FILE (`pixi-auth-tui ci setup`), which it asks first"


# NamedTuples rather than dataclasses: every command that reads the keychain on Linux imports this
# module, and a NamedTuple class is far cheaper to create.
class SessionBus(NamedTuple):
    """The session bus a keychain client reaches: its address and where that came from, or why
    there is none."""

    address: str | None
    source: str  # "DBUS_SESSION_BUS_ADDRESS", "$XDG_RUNTIME_DIR/bus", or "" when there is none
    reason: str = ""  # why there is none


def session_bus(env: Mapping[str, str]) -> SessionBus:
    """The session bus libdbus connects to in `env` (see the module's docstring)."""
    if ADDRESS_VARIABLE in env:
        address = env[ADDRESS_VARIABLE]
        if address:
            return SessionBus(address, ADDRESS_VARIABLE)
        return SessionBus(None, "", f"{ADDRESS_VARIABLE} is set but empty (libdbus fails on it)")
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        path = os.path.join(runtime, "bus")
        try:
            info = os.lstat(path)
        except OSError:
            info = None
        if info is not None and stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid():
            return SessionBus(f"unix:path={path}", "$XDG_RUNTIME_DIR/bus")
        where = "no $XDG_RUNTIME_DIR/bus"
    else:
        where = "no XDG_RUNTIME_DIR"
    return SessionBus(None, "", f"no D-Bus session (no {ADDRESS_VARIABLE}, {where})")


class Diagnosis(NamedTuple):
    """Why a keychain cannot be used, and what that means for pixi (see DIAGNOSES)."""

    code: str  # see DIAGNOSES
    line: str  # one short line for the store header and `list`
    detail: str  # what exactly, and what pixi does: listed under the store, and the audit's explanation


PLAIN = "pixi has no keychain either: `pixi auth login` stores secrets in plain text in ~/.rattler/credentials.json"
# code → (the short line, what pixi does, the fix: said by the audit finding)
DIAGNOSES = {
    "no-session-bus": (
        "no D-Bus session; logins in plain text",
        PLAIN,
        "run inside `dbus-run-session` with `gnome-keyring-daemon --unlock` (password on stdin), " + AVOID,
    ),
    "no-bus-connection": (
        "D-Bus unreachable; logins in plain text",
        PLAIN,
        f"unset a stale {ADDRESS_VARIABLE} or start the bus it names, " + AVOID,
    ),
    "no-secret-service": (
        "no keychain daemon; logins in plain text",
        PLAIN,
        "start `gnome-keyring-daemon --unlock --components=secrets` (password on stdin) in this session, " + AVOID,
    ),
    "not-answering": (
        "not answering; pixi would wait too",
        "pixi would wait on it too: 2 s for each keychain call, without limit for an unlock prompt",
        "restart the keychain daemon, " + AVOID,
    ),
    "locked-no-prompter": (
        "locked, no display; pixi may hang",
        "pixi would wait without limit for an unlock prompt no one can see here",
        "unlock it first (`u` in the UI, or `printf %s PASSWORD | gnome-keyring-daemon --unlock --replace`), " + AVOID,
    ),
}


def diagnose(code: str, what: str) -> Diagnosis:
    line, pixi, _fix = DIAGNOSES[code]
    return Diagnosis(code, line, f"{what}: {pixi}")


def fix_for(code: str) -> str:
    """The fix the audit finding names for a diagnosis."""
    return DIAGNOSES[code][2]


def can_prompt(env: Mapping[str, str]) -> bool:
    """Whether an unlock prompt could be shown to someone (a graphical session)."""
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
