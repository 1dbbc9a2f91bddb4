"""A program on a real pseudo-terminal, timed by what the terminal receives.

The bench plays the terminal: it answers Textual's query for synchronized output (DECRQM 2026),
so every frame arrives between "begin" and "end update" marks, and it notes when each frame's
end mark arrived. A keystroke's time is from writing the key to the end of the last frame it
caused — what the person at the terminal sees.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # "supported, reset": Textual then brackets every frame
FRAME_END = b"\x1b[?2026l"


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, size: tuple[int, int]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.output = bytearray()
        self.frames: list[tuple[float, int]] = []  # (arrival of a frame's end mark, output length then)
        self.cpu: float | None = None

    def read(self, timeout: float) -> bool:
        """Read what arrived within `timeout` seconds; False when nothing did."""
        readable, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not readable:
            return False
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:
            return False
        now = time.perf_counter()
        seen = len(self.output)
        self.output += chunk
        window = bytes(self.output[max(0, seen - 16) :])  # a mark may straddle two reads
        if SYNC_QUERY in window and SYNC_QUERY not in bytes(self.output[max(0, seen - 16) : seen]):
            os.write(self.master, SYNC_REPLY)
        start = max(0, seen - len(FRAME_END) + 1)
        while (found := self.output.find(FRAME_END, start)) != -1:
            self.frames.append((now, found + len(FRAME_END)))
            start = found + 1
        return True

    def wait_for(self, mark: bytes, since: int = 0, timeout: float = 120.0) -> float:
        """Read until `mark` appears after output position `since`; the time it arrived."""
        deadline = time.perf_counter() + timeout
        while self.output.find(mark, max(0, since - len(mark))) == -1:
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                tail = bytes(self.output[-1500:]).decode(errors="replace")
                raise RuntimeError(f"never saw {mark!r} (exit {self.proc.poll()}); last output:\n{tail}")
            self.read(deadline - time.perf_counter())
        return time.perf_counter()

    def drain(self, quiet: float, limit: float = 3.0) -> None:
        """Read until nothing arrived for `quiet` seconds (or for `limit` seconds at most: a
        program that draws on a timer is never quiet)."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end and self.read(min(quiet, end - time.perf_counter())):
            pass

    def press(self, key: bytes) -> tuple[float, int]:
        """Write a key; when, and how much output there was then."""
        at = time.perf_counter()
        os.write(self.master, key)
        return at, len(self.output)

    def last_frame_within(self, at: float, window: float) -> float | None:
        """Read for `window` seconds after `at`; the end of the last frame that arrived in it."""
        end = at + window
        while (left := end - time.perf_counter()) > 0:
            self.read(left)
        ends = [t for t, _ in self.frames if at < t <= end]
        return max(ends) if ends else None

    def last_frame_before_pause(self, at: float, pause: float, limit: float) -> float | None:
        """The end of the last frame after `at` that was followed by `pause` seconds without a
        frame (a blinking cursor draws every 0.5 s: a shorter pause ends a key's frames)."""
        end = at + limit
        last: float | None = None
        while (now := time.perf_counter()) < end and (last is None or now - last < pause):
            self.read(end - now if last is None else min(pause - (now - last), end - now))
            ends = [t for t, _ in self.frames if t > at]
            if ends:
                last = max(ends)
        return last

    def bytes_within(self, seconds: float) -> tuple[int, int]:
        """Read for `seconds`: the bytes and frames that arrived."""
        size, frames = len(self.output), len(self.frames)
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.read(left)
        return len(self.output) - size, len(self.frames) - frames

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)  # only the process this bench started
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.cpu = usage.ru_utime + usage.ru_stime
                break
            self.drain(0.002)
        else:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
