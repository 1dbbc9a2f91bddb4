"""The keyring step of uv's chain: the `keyring` executable, run exactly as uv 0.11.15 runs it.

uv (crates/uv-auth keyring.rs, `KeyringProviderBackend::Subprocess`) runs, for a user name U:
`keyring get <index URL without credentials> U`, then `keyring get <host[:port]> U`, then —
only for a URL that is not https — `keyring get <scheme>://<host[:port]> U`; the first that
exits 0 with UTF-8 output wins, its output with trailing whitespace removed is the password
(an empty one is still sent). stdin is /dev/null; `keyring` is found on uv's PATH. This is the
one place that runs it (the `pypi-keyring` half lists and writes entries through the library).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from pixi_auth_tui.core.model import BasicHTTP
from pixi_auth_tui.stores.netrc import RUST_WHITESPACE

TIMEOUT_SECONDS = 30.0
_TRAILING = "".join(RUST_WHITESPACE)


@dataclass(frozen=True)
class KeyringAnswer:
    service: str  # the argument `keyring get` answered for
    credential: BasicHTTP  # the user name asked with, and the password printed


@dataclass
class KeyringTrace:
    """What was run and what came of each call (for `resolve`'s explanation), never a secret."""

    executable: str | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)  # (service, outcome)
    problem: str | None = None


def keyring_urls(index_url: str, scheme: str, host_port: str) -> list[str]:
    """The services uv asks, in its order, for an index URL (credentials already removed)."""
    urls = [index_url, host_port]
    if scheme != "https":
        urls.append(f"{scheme}://{host_port}")
    return urls


def find_executable(env: dict[str, str]) -> str | None:
    return shutil.which("keyring", path=env.get("PATH", os.defpath))


def lookup(
    urls: Sequence[str],
    username: str,
    env: dict[str, str],
    trace: KeyringTrace | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> KeyringAnswer | None:
    """`keyring get URL USER` for each of `urls` in turn, as uv runs it; the first answer."""
    trace = trace if trace is not None else KeyringTrace()
    executable = find_executable(env)
    trace.executable = executable
    if executable is None:
        trace.problem = "no `keyring` command on PATH: uv warns and gets nothing from the keyring"
        return None
    for url in urls:
        try:
            done = subprocess.run(
                [executable, "get", url, username],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            trace.calls.append((url, f"no answer within {timeout:g} s (uv would keep waiting)"))
            continue
        except OSError as err:
            trace.calls.append((url, f"could not run: {err.strerror or err}"))
            continue
        if done.returncode != 0:
            trace.calls.append((url, f"nothing (exit {done.returncode})"))
            continue
        try:
            text = done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            trace.calls.append((url, "an answer that is not UTF-8: uv ignores it"))
            continue
        password = text.rstrip(_TRAILING)
        trace.calls.append((url, "a password" if password else "an EMPTY password (uv still sends it)"))
        return KeyringAnswer(url, BasicHTTP(username, password))
    return None
