"""The `keyring` executable uv runs: where it is, which backends and plugins it has, and its answer.

uv never uses a keyring library: it runs the program called `keyring` found on its PATH
(`Command::new("keyring")`), so what matters is that program's environment, not ours. Its
backends are read from `keyring --list-backends`, and its plugins from the `keyring.backends`
entry points of the Python that runs it (the way keyring itself finds them).

This is the one place that runs `keyring get` (uv-auth keyring.rs, `fetch_subprocess`, for a
user name U): `keyring get SERVICE U` with stdin closed; an exit other than 0 or output that is
not UTF-8 gives nothing; otherwise stdout with trailing white space removed as Rust's
`trim_end` removes it (Unicode White_Space, not Python's wider `str.isspace`) is the password,
an empty one included. `resolve --pypi`, `check`, `test --store keyring-pypi` and the UI all
ask through `uv_keyring_lookup`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pixi_auth_tui.core.hostkeys import parse_url
from pixi_auth_tui.core.redact import REDACTOR
from pixi_auth_tui.stores.netrc import RUST_WHITESPACE

TIMEOUT = 60.0  # uv waits without a limit; a test must end (a plugin may prompt for a sign-in)
_TRAILING = "".join(RUST_WHITESPACE)  # what Rust's str::trim_end removes
_BACKEND_LINE = re.compile(r"^(?P<name>[\w.]+) \(priority: (?P<priority>[-\d.e+]+)\)$")
# Backends that store what was set; any other backend is a plugin that answers by itself.
STORAGE_MODULES = ("keyring.backends.", "keyrings.alt.")
# What `keyring --list-backends` prints (keyring's public get_all_keyring(), after it loaded the
# `keyring.backends` entry points), and those entry points with their distributions, in one run
# of the Python that runs the `keyring` script: one interpreter start instead of two.
_INSPECT = (
    "import json, importlib.metadata as m\n"
    "from keyring.backend import get_all_keyring\n"
    "print(json.dumps({'backends': [str(k) for k in get_all_keyring()], 'entry_points': "
    "[[e.name, e.value, e.dist.name if e.dist else ''] for e in m.entry_points(group='keyring.backends')]}))"
)


@dataclass(frozen=True)
class KnownPlugin:
    """A keyring plugin that mints a token when asked (nothing is stored for it)."""

    distribution: str
    modules: tuple[str, ...]
    service: str
    hosts: tuple[str, ...]  # host suffixes it answers for
    user: str = ""  # the user name its docs put into the index URL

    def covers(self, url: str) -> bool:
        parsed = parse_url(url)
        host = parsed.host if parsed is not None else ""
        return bool(host) and any(host == h.lstrip(".") or host.endswith(h) for h in self.hosts)


KNOWN_PLUGINS = (
    KnownPlugin(
        "keyrings.google-artifactregistry-auth",
        ("keyrings.gauth",),
        "Google Artifact Registry",
        ("-python.pkg.dev",),
        "oauth2accesstoken",
    ),
    KnownPlugin(
        "artifacts-keyring",
        ("artifacts_keyring",),
        "Azure Artifacts",
        ("pkgs.dev.azure.com", ".pkgs.visualstudio.com"),
    ),
    KnownPlugin("keyrings.codeartifact", ("keyrings.codeartifact",), "AWS CodeArtifact", (".amazonaws.com",), "aws"),
)


@dataclass(frozen=True)
class Backend:
    name: str  # module.Class, as `keyring --list-backends` prints it
    priority: float

    @property
    def is_plugin(self) -> bool:
        return not self.name.startswith(STORAGE_MODULES)


@dataclass(frozen=True)
class Plugin:
    """A backend that is not a storage backend: it answers `keyring get` by itself."""

    backend: str
    distribution: str  # "" when the entry points did not say
    known: KnownPlugin | None = None

    @property
    def label(self) -> str:
        name = self.distribution or self.backend.rsplit(".", 1)[0]
        return f"{name} ({self.known.service})" if self.known else name

    def covers(self, url: str) -> bool | None:
        """True/False for a known plugin; None: an unknown plugin may answer for any URL."""
        return self.known.covers(url) if self.known else None


@dataclass
class KeyringTool:
    """What `keyring` on PATH is, as uv would run it."""

    path: str | None
    backends: list[Backend] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)
    problem: str | None = None  # why it cannot answer (missing, fails to start …)

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def storage(self) -> Backend | None:
        """The storage backend keyring would write to and read from first (highest priority)."""
        stores = [b for b in self.backends if not b.is_plugin and b.priority > 0]
        stores = [b for b in stores if b.name not in ("keyring.backends.chainer.ChainerBackend",)]
        return max(stores, key=lambda b: b.priority, default=None)

    def plugin_for(self, url: str) -> Plugin | None:
        """The plugin that supplies a credential for `url` at request time, when one is known to."""
        return next((p for p in self.plugins if p.covers(url)), None)

    def summary(self) -> str:
        if self.path is None:
            return self.problem or "no `keyring` command on PATH"
        storage = self.storage
        parts = [f"`keyring` is {self.path}"]
        parts.append(f"storage: {storage.name}" if storage else "no storage backend it can use")
        if self.plugins:
            parts.append("plugins: " + ", ".join(p.label for p in self.plugins))
        if self.problem:
            parts.append(self.problem)
        return "; ".join(parts)


def find_keyring(env: dict[str, str]) -> str | None:
    """The `keyring` program uv would start: the first on PATH (uv inherits pixi's PATH)."""
    return shutil.which("keyring", path=env.get("PATH") or os.defpath)


def _known(backend: str, distribution: str) -> KnownPlugin | None:
    for plugin in KNOWN_PLUGINS:
        if distribution.lower().replace("_", "-") == plugin.distribution or backend.startswith(plugin.modules):
            return plugin
    return None


def parse_backends(text: str) -> list[Backend]:
    found = []
    for line in text.splitlines():
        match = _BACKEND_LINE.match(line.strip())
        if match:
            found.append(Backend(match["name"], float(match["priority"])))
    return found


def _interpreter(path: str) -> str | None:
    """The Python a console script runs with (its `#!` line), when it names one directly."""
    try:
        with open(path, "rb") as script:
            first = script.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if len(words) == 1 and "python" in Path(words[0]).name:
        return words[0]
    return None


def inspect_keyring(env: dict[str, str], timeout: float = TIMEOUT) -> KeyringTool:
    """The `keyring` program uv would find: its backends (what `keyring --list-backends` prints)
    and its plugins' distributions, read by the Python its script runs with; a script that does
    not name its Python directly is asked `keyring --list-backends` itself."""
    path = find_keyring(env)
    if path is None:
        return KeyringTool(None, problem="no `keyring` command on PATH: uv cannot ask keyring (pip install keyring)")
    python = _interpreter(path)
    argv = [python, "-c", _INSPECT] if python else [path, "--list-backends"]
    try:
        run = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return KeyringTool(path, problem=f"`keyring --list-backends` did not finish within {timeout:g}s")
    except OSError as err:
        return KeyringTool(path, problem=f"`keyring` cannot be started: {err.strerror or err}")
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no message"])[-1][:200]
        return KeyringTool(path, problem=f"`keyring --list-backends` failed: {last}")
    entry_points: dict[str, str] = {}
    text = run.stdout
    if python:
        try:
            found = json.loads(run.stdout.strip().splitlines()[-1])
            text = "\n".join(found["backends"])
            entry_points = {str(value).split(":", 1)[0]: str(dist) for _name, value, dist in found["entry_points"]}
        except (ValueError, KeyError, IndexError, TypeError):
            return KeyringTool(path, problem="`keyring`'s Python gave an answer that cannot be read")
    backends = parse_backends(text)
    plugins = []
    for backend in backends:
        if not backend.is_plugin:
            continue
        module = backend.name.rsplit(".", 1)[0]
        dist = next((d for m, d in entry_points.items() if module == m or module.startswith(m + ".")), "")
        plugins.append(Plugin(backend.name, dist, _known(backend.name, dist)))
    return KeyringTool(path, backends, plugins)


@dataclass
class KeyringAnswer:
    """What `keyring get SERVICE USER` said, read as uv reads it."""

    service: str
    username: str
    password: str | None  # None: uv takes no credential from this call
    exit_code: int | None
    message: str = ""  # the program's stderr (last line) or why it did not run

    @property
    def found(self) -> bool:
        return self.password is not None

    @property
    def outcome(self) -> str:
        """What came of the call, in words (never the secret)."""
        if self.password is None:
            return self.message if self.exit_code in (None, 0) else f"nothing (exit {self.exit_code})"
        return "a password" if self.password else "an EMPTY password (uv still sends it)"


def keyring_get(path: str, env: dict[str, str], service: str, username: str, timeout: float = TIMEOUT) -> KeyringAnswer:
    """`keyring get SERVICE USER`, as uv runs it: stdin closed, the password is stdout with the
    trailing white space removed (as Rust's trim_end); a failing exit or output that is not
    UTF-8 gives nothing."""
    try:
        run = subprocess.run(
            [path, "get", service, username],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return KeyringAnswer(service, username, None, None, f"no answer within {timeout:g}s (uv would keep waiting)")
    except OSError as err:
        return KeyringAnswer(service, username, None, None, f"cannot start keyring: {err.strerror or err}")
    stderr = run.stderr.decode("utf-8", "replace").strip().splitlines()
    message = stderr[-1][:300] if stderr else ""
    if run.returncode != 0:
        return KeyringAnswer(service, username, None, run.returncode, message or "not found")
    try:
        password = run.stdout.decode("utf-8").rstrip(_TRAILING)
    except UnicodeDecodeError:
        return KeyringAnswer(service, username, None, 0, "an answer that is not UTF-8: uv ignores it")
    REDACTOR.add_basic(username, password)  # a secret from here on: no output of ours may carry it
    return KeyringAnswer(service, username, password, 0, message)


def uv_keyring_lookup(path: str, env: dict[str, str], services: list[str], username: str) -> list[KeyringAnswer]:
    """uv's calls for one index, in order, stopping at the first that answers."""
    answers = []
    for service in services:
        answer = keyring_get(path, env, service, username)
        answers.append(answer)
        if answer.found:
            break
    return answers
