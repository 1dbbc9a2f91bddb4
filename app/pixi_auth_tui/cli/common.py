"""What every CLI command module shares (exit codes, the usage error, store choices, the
environment the global options name), so none imports another: `cli.main` imports the command
modules, never the reverse."""

from __future__ import annotations

import argparse
from pathlib import Path

from pixi_auth_tui.system.paths import Environment

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_REJECTED, EXIT_FINDINGS = 0, 1, 2, 3, 4, 5
EXIT_UNVERIFIED, EXIT_NOT_TESTED, EXIT_MISSING = 6, 7, 8

STORE_CHOICES = ("keychain", "credentials", "auth-file", "override")
# uv's own stores, for PyPI indexes only (`set`, `remove`, `test`; never OAuth).
PYPI_STORE_CHOICES = ("keyring-pypi",)
# uv's credentials.toml (PyPI indexes): `set`/`remove --store uv`, as `uv auth login/logout`.
UV_STORE = "uv"
UV_NETRC_STORE = "netrc-uv"  # netrc as uv reads it (read-only; `test` only)


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit code 2."""


def environment_for(args: argparse.Namespace) -> Environment:
    """The machine's stores and config as `--demo` / `--workspace PATH` name them."""
    if getattr(args, "demo", False):
        from pixi_auth_tui.engine.demo import demo_environment

        return demo_environment()
    workspace = getattr(args, "workspace", None)
    try:
        return Environment.current(Path(workspace).expanduser() if workspace else None)
    except ValueError as err:
        raise UsageError(str(err)) from err
