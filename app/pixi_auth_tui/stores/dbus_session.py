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
from dataclasses import dataclass

ADDRESS_VARIABLE = "DBUS_SESSION_BUS_ADDRESS"
PLAIN_TEXT = "`pixi auth login` then stores secrets in plain text in ~/.rattler/credentials.json"
AVOID = "or give pixi its credentials in RATTLER_AUTH_FILE (`pixi-auth-tui ci setup`), which it asks first"


@dataclass(frozen=True)
class SessionBus:
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
        where = f"no user bus at {path}"
    else:
        where = "XDG_RUNTIME_DIR is not set either"
    return SessionBus(None, "", f"no D-Bus session ({ADDRESS_VARIABLE} is not set and {where})")


@dataclass(frozen=True)
class Diagnosis:
    code: str  # see DIAGNOSES
    line: str  # one line for the store header and `list`: what, what pixi does, the fix


# code → (what pixi does, the fix)
DIAGNOSES = {
    "no-session-bus": (
        f"pixi finds no keychain either; {PLAIN_TEXT}",
        "run inside `dbus-run-session` with `gnome-keyring-daemon --unlock` (password on stdin), " + AVOID,
    ),
    "no-bus-connection": (
        f"pixi cannot reach a keychain either; {PLAIN_TEXT}",
        f"unset a stale {ADDRESS_VARIABLE} or start the bus it names, " + AVOID,
    ),
    "no-secret-service": (
        f"pixi finds no keychain either; {PLAIN_TEXT}",
        "start `gnome-keyring-daemon --unlock --components=secrets` (password on stdin) in this session, " + AVOID,
    ),
    "not-answering": (
        "pixi waits on it too: 2 s for each keychain call, without limit for an unlock prompt",
        "restart the keychain daemon, " + AVOID,
    ),
    "locked-no-prompter": (
        "pixi asks the keychain to unlock and may wait without limit for a prompt no one can see here",
        "unlock it first (`u` in the UI, or `printf %s PASSWORD | gnome-keyring-daemon --unlock --replace`), " + AVOID,
    ),
}


def diagnose(code: str, what: str) -> Diagnosis:
    pixi, fix = DIAGNOSES[code]
    return Diagnosis(code, f"{what}: {pixi} — fix: {fix}")


def can_prompt(env: Mapping[str, str]) -> bool:
    """Whether an unlock prompt could be shown to someone (a graphical session)."""
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
