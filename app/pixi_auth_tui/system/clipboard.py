"""The system clipboard, through the commands every desktop has: `wl-copy` (Wayland), `xclip`
or `xsel` (X11), `pbcopy` (macOS); inside tmux without a desktop (an ssh session), tmux's own
paste buffer, which (unlike the terminal's OSC 52, which tmux drops by default and otherwise
keeps in its buffers for good) we can read back and delete. A password manager's manners: we say which tool took the
secret, and clear the clipboard after a while — only if it still holds our secret, so a
person's later copy is never lost.

No library: each of these is one subprocess, and reading the clipboard back (to clear it only
when it is still ours) needs the matching paste command, which the libraries do not offer for
every tool. Windows has no reading counterpart to `clip.exe`: there the UI falls back to the
terminal's clipboard (OSC 52) and says that it may not have worked.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from typing import NamedTuple

CLEAR_SECONDS = 30.0  # as KeePassXC and `pass -c` do (45 s), a little shorter
_TIMEOUT = 5.0  # seconds a clipboard command may take (a hung X server must not hang a worker)
_SETTLE = 2.0  # seconds a copied text may take to be served (see copy)


class Clipboard(NamedTuple):
    """One clipboard tool: how to put text in, read it back, and empty it."""

    name: str
    put: tuple[str, ...]
    get: tuple[str, ...]
    clear: tuple[str, ...] | None  # None: put an empty text instead
    where: str = "the clipboard"  # what the person is told holds the text


_WAYLAND = Clipboard("wl-copy", ("wl-copy",), ("wl-paste", "--no-newline"), ("wl-copy", "--clear"))
_XCLIP = Clipboard("xclip", ("xclip", "-selection", "clipboard"), ("xclip", "-selection", "clipboard", "-o"), None)
_XSEL = Clipboard("xsel", ("xsel", "--clipboard", "--input"), ("xsel", "--clipboard", "--output"), ("xsel", "-bc"))
_MACOS = Clipboard("pbcopy", ("pbcopy",), ("pbpaste",), None)
_TMUX_BUFFER = "pixi-auth-tui"  # one named buffer: never one of the person's own
_TMUX = Clipboard(
    "tmux",
    ("tmux", "load-buffer", "-b", _TMUX_BUFFER, "-"),
    ("tmux", "show-buffer", "-b", _TMUX_BUFFER),
    ("tmux", "delete-buffer", "-b", _TMUX_BUFFER),
    where="tmux's paste buffer",
)


class ClipboardError(Exception):
    """The tool was there but failed (one line for a person)."""


def system_clipboard(env: dict[str, str]) -> Clipboard | None:
    """The clipboard tool this session can use, or None (no desktop session, no tool)."""
    path = env.get("PATH")
    candidates: list[Clipboard] = []
    if sys.platform == "darwin":
        candidates.append(_MACOS)
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(_WAYLAND)
    if env.get("DISPLAY"):
        candidates += [_XCLIP, _XSEL]
    if env.get("TMUX"):  # (after a desktop's clipboard: that is the one other programs paste from)
        candidates.append(_TMUX)
    for tool in candidates:
        if all(shutil.which(command[0], path=path) for command in (tool.put, tool.get)):
            return tool
    return None


def _run(command: tuple[str, ...], env: dict[str, str], text: str | None = None) -> str:
    # The copying tools stay in the background to serve the selection: their output must not
    # be a pipe we wait on, or we would wait for them to exit.
    reading = text is None
    try:
        done = subprocess.run(
            command,
            input=None if reading else text.encode("utf-8"),
            stdin=subprocess.DEVNULL if reading else None,
            stdout=subprocess.PIPE if reading else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ClipboardError(f"{command[0]} failed ({type(err).__name__})") from err
    if done.returncode != 0:
        raise ClipboardError(f"{command[0]} failed (exit code {done.returncode})")
    return done.stdout.decode("utf-8", "replace") if reading else ""


def copy(tool: Clipboard, text: str, env: dict[str, str]) -> None:
    """Puts `text` on the clipboard and checks that it is there (raises ClipboardError).

    xclip and xsel take the selection from the process they leave in the background, which a
    loaded machine may not have run yet when the put command returns: the check waits for the
    text to arrive, for _SETTLE seconds at most, before it says the copy did not work."""
    _run(tool.put, env, text)
    deadline = time.monotonic() + _SETTLE
    while _run(tool.get, env) != text:
        if time.monotonic() > deadline:
            raise ClipboardError(f"{tool.name} ran, but the clipboard does not hold the text")
        time.sleep(0.05)


def clear_if_unchanged(tool: Clipboard, text: str, env: dict[str, str]) -> bool:
    """Empties the clipboard if it still holds `text`; whether it did."""
    if _run(tool.get, env) != text:
        return False  # the person copied something else since: leave it
    if tool.clear is not None:
        _run(tool.clear, env)
    else:
        _run(tool.put, env, "")
    return True
