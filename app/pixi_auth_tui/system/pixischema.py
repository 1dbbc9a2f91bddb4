"""Which pixi config files pixi loads: the type check serde makes of pixi_config's `Config`.

pixi reads each config file with serde into its `Config` struct (pixi_config, prefix-dev/pixi,
August 2026). A value of the wrong type anywhere — `tls-no-verify = "yes"`, a mirror that is
no URL, an unknown `pinning-strategy` — fails the whole file: pixi logs the error and merges
nothing from it, its `authentication-override-file` included. Unknown keys are only warned
about (serde_ignored); a key given twice through its snake_case alias is a "duplicate field".
After parsing, `Config::validate` wants every `[cache]` path absolute once `~` is expanded.

`config_problem(doc)` answers whether pixi would skip a parsed TOML document, and why. The
schema below is pixi's, field by field; types are checked as serde checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any, str], str | None]


def _bool(value: Any, where: str) -> str | None:
    return None if isinstance(value, bool) else f"{where} must be true or false, not {_shown(value)}"


def _string(value: Any, where: str) -> str | None:
    return None if isinstance(value, str) else f"{where} must be a string, not {_shown(value)}"


def _uint(value: Any, where: str) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64
    return None if ok else f"{where} must be a whole number of 0 or more, not {_shown(value)}"


def _url(value: Any, where: str) -> str | None:
    if not isinstance(value, str):
        return f"{where} must be a URL string, not {_shown(value)}"
    from pixi_auth_tui.core.hostkeys import parse_url

    return None if parse_url(value) is not None else f"{where} is not a URL: {value!r}"


def _one_of(*names: str) -> Check:
    def check(value: Any, where: str) -> str | None:
        if isinstance(value, str) and value in names:
            return None
        return f"{where} must be one of {', '.join(names)}, not {_shown(value)}"

    return check


def _list(item: Check) -> Check:
    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, list):
            return f"{where} must be a list, not {_shown(value)}"
        return next((p for i, v in enumerate(value) if (p := item(v, f"{where}[{i}]"))), None)

    return check


def _map(key: Check | None, item: Check) -> Check:
    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} must be a table, not {_shown(value)}"
        for name, v in value.items():
            problem = (key(name, f"{where} key") if key else None) or item(v, f"{where}.{name}")
            if problem:
                return problem
        return None

    return check


def _either(*checks: Check) -> Check:
    def check(value: Any, where: str) -> str | None:
        problems = [c(value, where) for c in checks]
        return None if None in problems else problems[0]

    return check


def _absolute_path(value: Any, where: str) -> str | None:
    """A `[cache]` path: `~` expanded, then it must be absolute (pixi's CacheConfig::validate)."""
    problem = _string(value, where)
    if problem:
        return problem
    expanded = value if not value.startswith("~") else "/home" + value[1:]  # only its form matters here
    return None if expanded.startswith("/") else f"{where} must be an absolute path, not {value!r}"


def struct(fields: dict[str, Check], required: tuple[str, ...] = (), aliases: dict[str, str] | None = None) -> Check:
    """A serde struct (kebab-case names; `aliases` maps a snake_case alias to its field)."""
    aliases = aliases or {}

    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} must be a table, not {_shown(value)}"
        seen: set[str] = set()
        for name, v in value.items():
            field = aliases.get(name, name)
            if field not in fields:
                continue  # serde_ignored: pixi warns and goes on
            if field in seen:
                return f"{where}{'.' if where else ''}{field} is given twice (also as {name})"
            seen.add(field)
            problem = fields[field](v, f"{where}{'.' if where else ''}{name}")
            if problem:
                return problem
        missing = [name for name in required if name not in seen]
        return f"{where} lacks {', '.join(missing)}" if missing else None

    return check


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return type(value).__name__.replace("dict", "a table").replace("list", "a list")


_REPODATA_FLAGS = ("disable-jlap", "disable-bzip2", "disable-zstd", "disable-sharded")
PLATFORMS = (
    "noarch", "unknown", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
    "linux-loong64", "linux-ppc64le", "linux-ppc64", "linux-ppc", "linux-s390x", "linux-riscv32",
    "linux-riscv64", "freebsd-64", "osx-64", "osx-arm64", "win-32", "win-64", "win-arm64",
    "emscripten-wasm32", "wasi-wasm32", "zos-z",
)  # fmt: skip


CACHE_PATHS = (
    "root", "conda-packages", "repodata", "pypi-wheels", "pypi-mapping",
    "exec-environments", "build-tool-environments", "detached-environments",
)  # fmt: skip


def _repodata(value: Any, where: str) -> str | None:
    """`[repodata-config]`: the flags for every channel, and tables of them per channel URL."""
    if not isinstance(value, dict):
        return f"{where} must be a table, not {_shown(value)}"
    flags = struct({name: _bool for name in _REPODATA_FLAGS})
    for name, v in value.items():
        problem = flags({name: v}, where) if name in _REPODATA_FLAGS else None
        if problem is None and isinstance(v, dict):
            problem = flags(v, f"{where}.{name}")
        if problem:
            return problem
    return None


CONFIG: Check = struct(
    {
        "default-channels": _list(_string),
        "authentication-override-file": _string,
        "tls-no-verify": _bool,
        "tls-root-certs": _one_of("webpki", "system", "native"),
        "offline": _bool,
        "mirrors": _map(_url, _list(_url)),
        "pinning-strategy": _one_of("semver", "minor", "major", "latest-up", "exact-version", "no-pin"),
        "repodata-config": _repodata,
        "pypi-config": struct(
            {
                "index-url": _url,
                "extra-index-urls": _list(_url),
                "keyring-provider": _one_of("disabled", "subprocess"),
                "allow-insecure-host": _list(_string),
            }
        ),
        "s3-options": _map(
            None,
            struct(
                {"endpoint-url": _url, "region": _string, "force-path-style": _bool},
                required=("endpoint-url", "region", "force-path-style"),
            ),
        ),
        "detached-environments": _either(_bool, _absolute_path),
        "shell": struct({"force-activate": _bool, "source-completion-scripts": _bool, "change-ps1": _bool}),
        "experimental": struct({"use-environment-activation-cache": _bool}),
        "concurrency": struct({"solves": _uint, "downloads": _uint}),
        "run-post-link-scripts": _one_of("insecure", "false"),
        "allow-symbolic-links": _bool,
        "allow-hard-links": _bool,
        "allow-ref-links": _bool,
        "proxy-config": struct({"https": _url, "http": _url, "non-proxy-hosts": _list(_string)}),
        "build": struct({"package-format": _string}),
        "tool-platform": _one_of(*PLATFORMS),
        "cache": struct(
            {**{name: _absolute_path for name in CACHE_PATHS}, "netfs-redirect": _one_of("auto", "always", "never")}
        ),
        "change-ps1": _bool,
        "force-activate": _bool,
    },
    aliases={
        "default_channels": "default-channels",
        "authentication_override_file": "authentication-override-file",
        "tls_no_verify": "tls-no-verify",
        "repodata_config": "repodata-config",
        "change_ps1": "change-ps1",
    },
)


def config_problem(doc: dict[str, Any]) -> str | None:
    """Why pixi skips this whole config file (None: it loads it)."""
    return CONFIG(doc, "")
