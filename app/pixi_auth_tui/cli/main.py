"""`pixi-auth-tui` command line. With no command it starts the terminal UI.

Exit codes:
  0  success
  1  the operation failed (store error, file changed on disk, keychain locked, output that
     cannot be written …)
  2  usage error (bad arguments, invalid key, secret missing)
  3  nothing found (`resolve` with no matching credential, `remove` of a missing key)
  4  `test`: at least one credential was rejected by its server (or has expired)
  5  `audit`: findings at or above --fail-on
  6  `test`: a credential could not be verified (network, TLS, timeout, server error, not found,
     public URL, redirected away)
  7  `test`: a credential was not tested (its key does not cover the URL or it needs one, plain
     http needs --allow-http, the kind cannot be tested, --demo)
  8  `check`: a host the workspace needs has no credential (see app/pixi_auth_tui/cli/check.py)
`ci setup` / `ci teardown` use 0, 1, 2 and 3 (see app/pixi_auth_tui/cli/ci.py); `status` 0, 1, 3 and 4
(see app/pixi_auth_tui/cli/status.py).
 70  an internal error: one line on stderr and a redacted report file (see app/pixi_auth_tui/system/crash.py)

Everything written to stdout and stderr passes the redactor (app/pixi_auth_tui/core/redact.py); text output
also has control characters escaped.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, NoReturn, TextIO

from pixi_auth_tui import __version__
from pixi_auth_tui.cli.common import (  # re-exported: scripts and tests read the codes from cli
    EXIT_FAILED as EXIT_FAILED,
)
from pixi_auth_tui.cli.common import (
    EXIT_FINDINGS as EXIT_FINDINGS,
)
from pixi_auth_tui.cli.common import (
    EXIT_NOT_FOUND as EXIT_NOT_FOUND,
)
from pixi_auth_tui.cli.common import (
    EXIT_NOT_TESTED as EXIT_NOT_TESTED,
)
from pixi_auth_tui.cli.common import (
    EXIT_OK as EXIT_OK,
)
from pixi_auth_tui.cli.common import (
    EXIT_REJECTED as EXIT_REJECTED,
)
from pixi_auth_tui.cli.common import (
    EXIT_UNVERIFIED as EXIT_UNVERIFIED,
)
from pixi_auth_tui.cli.common import (
    EXIT_USAGE as EXIT_USAGE,
)
from pixi_auth_tui.cli.common import (
    PYPI_STORE_CHOICES,
    UV_NETRC_STORE,
    UV_STORE,
    UsageError,
    environment_for,
)
from pixi_auth_tui.core.redact import OutputError, SafeWriter, safe
from pixi_auth_tui.engine.inventory import Inventory, gc_paused, load_inventory
from pixi_auth_tui.stores.base import StoreError

# The commands that only read, which scripts call in loops (see main).
READING_COMMANDS = ("list", "resolve", "audit", "status")


class _Parser(argparse.ArgumentParser):
    """argparse echoes arguments in its usage errors: all it prints passes the same gate as all
    output (its usage, help and exit messages, through their public methods)."""

    def print_usage(self, file: IO[str] | None = None) -> None:
        _write(self.format_usage(), file or sys.stdout)

    def print_help(self, file: IO[str] | None = None) -> None:
        _write(self.format_help(), file or sys.stdout)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            _write(message, sys.stderr)
        sys.exit(status)


class CommandParser(_Parser):
    """A command's own parser, built the first time it is used: when argparse hands it the
    command's words, when its usage or help is formatted, or when anything reads it. Building
    it then runs ArgumentParser's own `__init__` and adds the command's arguments
    (`arguments(parser)`, beside the command's module). argparse makes a parser per command
    (its help option, a help formatter per argument, translations of its titles), so a command
    line pays for its own command's parser only; the program is still the one parser, and every
    usage, help and error reads as if all of it had been built at once."""

    def __init__(
        self, *args: Any, arguments: Callable[[argparse.ArgumentParser], None] | None = None, **kwargs: Any
    ) -> None:
        # ArgumentParser.__init__ waits (see build): until then the parser holds only this.
        self.unbuilt = (args, kwargs, arguments)

    def build(self) -> None:
        """ArgumentParser's `__init__` with the options argparse gave, then the command's arguments."""
        unbuilt = self.__dict__.pop("unbuilt", None)
        if unbuilt is not None:
            args, kwargs, arguments = unbuilt
            super().__init__(*args, **kwargs)
            if arguments is not None:
                arguments(self)

    def __getattr__(self, name: str) -> Any:
        # Only for an attribute the parser does not have: before it is built, any of
        # ArgumentParser's own (whoever reads it), which building sets.
        if "unbuilt" not in self.__dict__:
            raise AttributeError(name)
        self.build()
        return getattr(self, name)

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> tuple[Any, list[str]]:
        self.build()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self.build()
        return super().format_usage()

    def format_help(self) -> str:
        self.build()
        return super().format_help()


def _write(message: str, file: IO[str]) -> None:
    """As argparse writes: nothing when the stream is gone."""
    if message:
        with contextlib.suppress(AttributeError, OSError):
            file.write(safe(message, keep="\n\t"))


def build_parser() -> argparse.ArgumentParser:
    """The program's parser: the global options, then each command's own (beside its module)."""
    parser = _Parser(
        prog="pixi-auth-tui",
        description="Browse, add, rotate, remove, test and audit the credentials pixi and rattler use.",
        epilog="Without a command, starts the terminal UI. "
        "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 a credential was rejected (test), "
        "5 findings at or above --fail-on (audit), 6 a credential could not be verified (test), "
        "7 a credential was not tested (test), 8 a needed credential is missing (check), 70 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"pixi-auth-tui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="use a generated demo set of stores instead of this machine's"
    )
    parser.add_argument(
        "--workspace",
        metavar="PATH",
        help="the pixi workspace whose .pixi/config.toml applies (default: the one the current directory is in)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="the terminal UI's config.toml (theme, sort, …; keymap.toml beside it); "
        "default: $PIXI_AUTH_TUI_CONFIG, else the user config folder",
    )
    sub = parser.add_subparsers(dest="command", parser_class=CommandParser)
    for name, arguments, help_line in COMMANDS:
        # (argparse's subparsers action is a private class: its method is public)
        sub.add_parser(name, arguments=_arguments_from(arguments), help=help_line)
    return parser


# Every command, in the order the program's help lists them: its name, the function beside it
# (`module.function` in this package) that adds its arguments to its parser, and its help line.
# A command's module is imported when its parser is built (see CommandParser): a command line
# imports its own command's module only.
COMMANDS = (
    ("list", "listing.add_arguments", "every stored credential, in pixi's lookup order (secrets masked)"),
    ("resolve", "resolve.add_arguments", "which credential pixi would send for a URL, and how"),
    (
        "set",
        "setting.add_arguments",
        "add or rotate a credential; secrets come from a hidden prompt or stdin, never from arguments",
    ),
    (
        "test",
        "testing_args.add_arguments",
        "make a real authenticated request and say whether the server accepts the credential",
    ),
    ("audit", "audit.add_arguments", "what is wrong with the secrets on this machine (never prints a secret)"),
    ("remove", "remove.add_arguments", "remove a credential from one store"),
    (
        "login",
        "oauth_args.login_arguments",
        "sign in with OAuth/OIDC (device code or browser) and store the entry as `pixi auth login` does",
    ),
    ("refresh", "oauth_args.refresh_arguments", "refresh an OAuth entry now and write it back in place"),
    (
        "logout",
        "oauth_args.logout_arguments",
        "revoke OAuth tokens at the provider (RFC 7009), then remove the entry",
    ),
    (
        "token",
        "oauth_args.token_arguments",
        "print the token pixi would send for HOST (refreshing it first if due)",
    ),
    (
        "check",
        "check_args.add_arguments",
        "which hosts a pixi workspace needs, the credential pixi sends to each, and what will fail",
    ),
    ("ci", "ci.add_arguments", "CI runners: turn the job's secrets into pixi credentials, and remove them"),
    (
        "status",
        "status.add_arguments",
        "per host: the credential pixi sends, its kind, expiry and last test (exit 4: expired or rejected)",
    ),
)


def _arguments_from(where: str) -> Callable[[argparse.ArgumentParser], None]:
    """The function `where` (`module.function`, a module of this package's cli), imported when called."""
    module, function = where.rsplit(".", 1)

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        getattr(importlib.import_module(f"pixi_auth_tui.cli.{module}"), function)(parser)

    return add_arguments


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    safe_out = SafeWriter(out or sys.stdout)
    safe_err = SafeWriter(err or sys.stderr)
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
        if args.command in READING_COMMANDS:
            with gc_paused():  # a short process over many acyclic objects (see gc_paused)
                return _run(args, safe_out, safe_err, stdin or sys.stdin)  # type: ignore[arg-type]
        return _run(args, safe_out, safe_err, stdin or sys.stdin)  # type: ignore[arg-type]
    finally:
        try:
            safe_out.flush()
        finally:
            safe_err.flush()  # even when stdout cannot take what is left


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    try:
        if args.command is None:
            from pixi_auth_tui.ui.main import run_tui

            return run_tui(environment_for(args), config=args.config)
        if args.command == "ci":
            from pixi_auth_tui.cli.ci import cmd_ci

            environment = environment_for(args)
            return cmd_ci(args, dict(environment.env), environment.home, out, err)
        if args.command == "check":
            from pixi_auth_tui.cli.check import cmd_check

            return cmd_check(args, environment_for(args), out, err)
        if getattr(args, "pypi", False) and args.command in ("resolve", "test"):
            # A PyPI index: rattler's layer, then uv's own chain (app/pixi_auth_tui/pypi).
            from pixi_auth_tui.cli.pypi import cmd_resolve_pypi, cmd_test_pypi

            if args.command == "resolve":
                return cmd_resolve_pypi(environment_for(args), args, out)
            return cmd_test_pypi(environment_for(args), args, out, err)
        if args.command == "test" and args.store in (UV_STORE, UV_NETRC_STORE) and not args.pypi:
            from pixi_auth_tui.cli.pypi import cmd_test_uv_entry

            return cmd_test_uv_entry(environment_for(args), args, out)
        if args.command in ("set", "remove") and args.store == UV_STORE:
            from pixi_auth_tui.cli.pypi import cmd_remove_uv, cmd_set_uv

            if args.command == "set":
                return cmd_set_uv(environment_for(args), args, out, stdin)
            return cmd_remove_uv(environment_for(args), args, out)
        if args.command == "resolve":
            environment = environment_for(args)
            if not args.conda and environment.workspace is not None:
                # A URL under one of the workspace's PyPI indexes is answered as pixi sends it, through
                # uv (outside a workspace there is no such index: uv's modules are not even imported).
                from pixi_auth_tui.cli.pypi import cmd_resolve_pypi, workspace_index_for

                index = workspace_index_for(environment, args.url)
                if index is not None:
                    return cmd_resolve_pypi(environment, args, out, index)
            # Only the rows of the keys rattler would try for this URL (every store still read whole).
            from pixi_auth_tui.cli.resolve import cmd_resolve
            from pixi_auth_tui.core.hostkeys import candidate_keys

            return cmd_resolve(load_inventory(environment, keys=candidate_keys(args.url)), args, out)
        # uv's stores are read inside a workspace with PyPI indexes, and whenever a command names one.
        pypi_store = getattr(args, "store", None) in PYPI_STORE_CHOICES
        inv = load_inventory(environment_for(args), pypi=True if pypi_store else None)
        if pypi_store and args.command in ("set", "remove", "test"):
            return _run_pypi_keyring(inv, args, out, err, stdin)
        if args.command == "list":
            from pixi_auth_tui.cli.listing import cmd_list

            return cmd_list(inv, args, out)
        if args.command == "set":
            from pixi_auth_tui.cli.setting import cmd_set

            return cmd_set(inv, args, out, err, stdin)
        if args.command == "remove":
            from pixi_auth_tui.cli.remove import cmd_remove

            return cmd_remove(inv, args, out)
        if args.command == "audit":
            from pixi_auth_tui.cli.audit import cmd_audit

            return cmd_audit(inv, args, out)
        if args.command == "status":
            from pixi_auth_tui.cli.status import cmd_status

            return cmd_status(inv, args, out)
        if args.command in ("login", "refresh", "logout", "token"):
            from pixi_auth_tui.cli.oauth import run as run_oauth

            return run_oauth(inv, args, out, err, stdin)
        if args.command == "test":
            from pixi_auth_tui.cli.testing import cmd_test

            return cmd_test(inv, args, out, err)
    except UsageError as exc:
        err.write(f"pixi-auth-tui: {exc}\n")
        return EXIT_USAGE
    except StoreError as exc:
        err.write(f"pixi-auth-tui: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.write("pixi-auth-tui: interrupted; nothing was written\n")
        return EXIT_FAILED
    raise AssertionError(f"unhandled command {args.command}")


def _run_pypi_keyring(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """`set`, `remove` and `test` of a Python keyring entry (--store keyring-pypi)."""
    from pixi_auth_tui.cli import pypi_keyring
    from pixi_auth_tui.cli.setting import KIND_CHOICES, credential_from_args, secret_reader

    if args.command == "set":
        pypi_keyring.check_set_args(args)  # before the secret is asked for
        cred = credential_from_args(args, secret_reader(args.stdin, stdin, KIND_CHOICES[args.kind]))
        return pypi_keyring.cmd_set_keyring(inv, args, cred, out, err)
    if args.command == "remove":
        return pypi_keyring.cmd_remove_keyring(inv, args, out)
    return pypi_keyring.cmd_test_keyring(inv, args, out, err)


def _discard_stdout() -> None:
    """What stdout still buffers goes nowhere: the exit must not try to write it again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main_entry() -> None:
    """Runs a command as the program does, ending in SystemExit with its exit code."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error worth a traceback.
        _discard_stdout()
        code = EXIT_OK
    except OutputError as error:
        # Output that cannot be written (a full disk, a closed file) is no internal error: say so.
        _discard_stdout()
        with contextlib.suppress(OSError):
            sys.stderr.write(f"pixi-auth-tui: cannot write the output: {error.strerror or error}\n")
        code = EXIT_FAILED
    except Exception as error:
        # Never Python's own traceback: its messages may quote a secret. One line, and a report.
        from pixi_auth_tui.system.crash import EXIT_CRASH, crash_message, write_report

        sys.stderr.write(crash_message(error, write_report(error)))
        code = EXIT_CRASH
    sys.exit(code)


def program() -> None:
    """The installed `pixi-auth-tui` and `python -m pixi_auth_tui`: main_entry in a process of
    its own, which ends here. Its objects are frozen first so that the interpreter's collections
    at exit do not walk them all (reference counting still frees them, and atexit runs); only
    here, never in main, which tests and scripts call in their own process."""
    try:
        main_entry()
    finally:
        gc.freeze()
