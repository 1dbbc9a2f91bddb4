"""The real program in a real pseudo-terminal: keys and pastes in, the raw bytes the terminal
receives out (not Textual's idea of the screen). Waits are for text to appear, with a deadline
only against a hang."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

# What Textual itself writes around the text: SGR colours, cursor moves and mode switches.
CSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
DEADLINE = 60.0  # seconds: only to end a hung run, never an assertion about speed


def screen_text(raw: bytes) -> str:
    """The drawn text, with Textual's own escape sequences taken out (so a word split by a
    colour change reads whole)."""
    return CSI.sub(b"", raw).decode("utf-8", "replace")


class Terminal:
    def __init__(self, home: Path, env: dict[str, str], size: tuple[int, int] = (120, 40), *args: str) -> None:
        self.master, slave = os.openpty()
        columns, lines = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pixi_auth_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={"TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", ""), **env},
            cwd=home,
            start_new_session=True,
        )
        os.close(slave)
        self.raw = bytearray()

    def _read_some(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the program ended and the pty closed
            return False
        self.raw += data
        return bool(data)

    def wait_for(self, text: str, since: int = 0) -> int:
        """Reads until `text` is drawn after byte `since`; returns the offset where the search began."""
        end = time.monotonic() + DEADLINE
        while text not in screen_text(bytes(self.raw[since:])):
            if time.monotonic() > end or (self.process.poll() is not None and not self._read_some(0)):
                raise AssertionError(f"{text!r} never appeared; last output: {screen_text(bytes(self.raw[-2000:]))!r}")
            self._read_some(0.2)
        return since

    def send(self, data: str | bytes) -> int:
        """Writes keys; returns the output offset before them (for `wait_for(..., since=)`)."""
        while self._read_some(0):  # what was drawn before the keys
            pass
        offset = len(self.raw)
        os.write(self.master, data.encode() if isinstance(data, str) else data)
        return offset

    def paste(self, text: str) -> int:
        return self.send(b"\x1b[200~" + text.encode() + b"\x1b[201~")

    def finish(self) -> bytes:
        """Quits (q) and reads everything until the program ends."""
        self.send("q")
        end = time.monotonic() + DEADLINE
        while self.process.poll() is None or self._read_some(0):
            if time.monotonic() > end:
                self.process.kill()
                raise AssertionError("the program did not quit")
            self._read_some(0.2)
        os.close(self.master)
        return bytes(self.raw)
