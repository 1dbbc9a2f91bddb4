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
 70  an internal error: one line on stderr and a redacted report file (see app/pixi_auth_tui/system/crash.py)

Everything written to stdout and stderr passes the redactor (app/pixi_auth_tui/core/redact.py); text output
also has control characters escaped.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, NoReturn, TextIO

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
    STORE_CHOICES as STORE_CHOICES,
)
from pixi_auth_tui.cli.common import (
    UsageError as UsageError,
)
from pixi_auth_tui.core.model import KIND_LABELS, KINDS, Credential, public_identity
from pixi_auth_tui.core.redact import OutputError, SafeWriter, plain, safe, write_json
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.inventory import (
    WINNING,
    Inventory,
    WriteChoice,
    gc_paused,
    load_inventory,
    order_note,
)
from pixi_auth_tui.engine.inventory_json import (  # re-exported: tests read the JSON shapes from cli
    inventory_json as inventory_json,
)
from pixi_auth_tui.engine.inventory_json import (
    inventory_json_text,
    row_json,
    with_inventory_text,
)
from pixi_auth_tui.stores.base import StoreError
from pixi_auth_tui.system.paths import Environment

KIND_CHOICES = {spec.cli: name for name, spec in KINDS.items() if spec.cli}


def _typed_options() -> dict[str, list[str]]:
    """`set`'s option per non-secret field (`--username`, `--access-key-id`) and its kinds."""
    options: dict[str, list[str]] = {}
    for spec in KINDS.values():
        for field in spec.fields:
            if spec.cli and not field.secret:
                options.setdefault(field.name, []).append(spec.cli)
    return options


class _Parser(argparse.ArgumentParser):
    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        # argparse echoes arguments in its errors: they pass the same gate as all output.
        if message:
            (file or sys.stderr).write(safe(message, keep="\n\t"))


# The reading commands scripts call in loops: for these, the other commands' parsers are made
# empty (their arguments import the OAuth and workspace modules: ~6 ms of a ~50 ms command).
LEAN_COMMANDS = ("list", "resolve", "audit")
# Every command, in the parser's order (tests/test_cli.py checks it against the full parser).
COMMANDS = ("list", "resolve", "set", "test", "audit", "remove", "login", "refresh", "logout", "token", "check")


def lean_command(argv: Sequence[str]) -> str | None:
    """The command of `argv` when it is one of LEAN_COMMANDS and nothing before it could make
    argparse read it otherwise (only `--demo` and `--workspace PATH` may come first); else None."""
    at = 0
    while at < len(argv):
        word = argv[at]
        if word == "--demo" or word.startswith("--workspace="):
            at += 1
        elif word == "--workspace":
            at += 2
        else:
            return word if word in LEAN_COMMANDS else None
    return None


def quick_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """What argparse makes of the plainest lines of the reading commands (`list --json`,
    `resolve URL`, `audit --fail-on warning`, after `--demo` / `--workspace PATH`), without
    building a parser (argparse's formatter alone imports shutil, bz2 and lzma); None for any
    other line, which argparse then reads. tests/test_cli.py compares the two."""
    demo, workspace, at = False, None, 0
    while at < len(argv):
        word = argv[at]
        if word == "--demo":
            demo, at = True, at + 1
        elif word.startswith("--workspace="):
            workspace, at = word.removeprefix("--workspace="), at + 1
        elif word == "--workspace" and at + 1 < len(argv) and not argv[at + 1].startswith("-"):
            workspace, at = argv[at + 1], at + 2
        else:
            break
    if at == len(argv) or argv[at] not in LEAN_COMMANDS:
        return None
    command, rest = argv[at], argv[at + 1 :]
    found: dict[str, object] = {"demo": demo, "workspace": workspace, "command": command, "json": False}
    values: list[str] = []  # resolve's URL, audit's --fail-on level
    word_at = 0
    # Word by word, as argparse reads them: an option's value must follow it directly.
    while word_at < len(rest):
        word = rest[word_at]
        if word == "--json":
            found["json"], word_at = True, word_at + 1
        elif command == "audit" and word == "--fail-on" and rest[word_at + 1 : word_at + 2] in (["warning"], ["error"]):
            values, word_at = [*values, rest[word_at + 1]], word_at + 2
        elif command == "resolve" and not word.startswith("-"):
            values, word_at = [*values, word], word_at + 1
        else:
            return None
    if command == "list" and not values:
        return argparse.Namespace(**found)
    if command == "resolve" and len(values) == 1:
        return argparse.Namespace(**found, url=values[0])
    if command == "audit" and len(values) <= 1:
        return argparse.Namespace(**found, fail_on=values[0] if values else "error")
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or with `only` (one of LEAN_COMMANDS) just that one's arguments:
    the others are there by name, so usage lines and errors read the same."""
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
    sub = parser.add_subparsers(dest="command")
    if only is not None:
        for name in COMMANDS:
            if name == only:
                _ADD_LEAN[name](sub)
            else:
                sub.add_parser(name)
        return parser
    _add_list(sub)
    _add_resolve(sub)
    _add_set(sub)
    _add_test(sub)
    _add_audit(sub)
    _add_remove(sub)
    from pixi_auth_tui.cli.oauth_args import add_commands as add_oauth_commands  # login/refresh/logout/token

    add_oauth_commands(sub)
    from pixi_auth_tui.cli.check_args import add_check_parser

    add_check_parser(sub)
    return parser


def _add_list(sub: argparse._SubParsersAction) -> None:
    p_list = sub.add_parser("list", help="every stored credential, in pixi's lookup order (secrets masked)")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")


def _add_resolve(sub: argparse._SubParsersAction) -> None:
    p_resolve = sub.add_parser("resolve", help="which credential pixi would send for a URL, and how")
    p_resolve.add_argument("url")
    p_resolve.add_argument("--json", action="store_true")


def _add_set(sub: argparse._SubParsersAction) -> None:
    p_set = sub.add_parser(
        "set",
        help="add or rotate a credential; secrets come from a hidden prompt or stdin, never from arguments",
    )
    p_set.add_argument("key", help="host or wildcard key, e.g. repo.prefix.dev or *.prefix.dev")
    p_set.add_argument("--kind", choices=sorted(KIND_CHOICES), required=True)
    for name, kinds in _typed_options().items():  # the kinds' non-secret fields (KindSpec.fields)
        p_set.add_argument(f"--{name.replace('_', '-')}", help=f"for --kind {' or '.join(kinds)}")
    p_set.add_argument(
        "--store",
        choices=STORE_CHOICES,
        help="default: where `pixi auth login` writes (RATTLER_AUTH_FILE if set, "
        "else the keychain, else credentials.json)",
    )
    p_set.add_argument(
        "--stdin",
        action="store_true",
        help="read the secret from stdin (first line; for s3 a second line may hold a session token)",
    )


def _add_test(sub: argparse._SubParsersAction) -> None:
    p_test = sub.add_parser(
        "test", help="make a real authenticated request and say whether the server accepts the credential"
    )
    p_test.add_argument("key", nargs="?", help="the key to test (the entry pixi uses for it)")
    p_test.add_argument("--all", action="store_true", help="test every credential pixi uses")
    p_test.add_argument("--store", choices=(*STORE_CHOICES, "netrc"), help="test the entry in this store")
    p_test.add_argument("--url", help="the URL to request (needed for wildcard and s3 keys; remembered)")
    p_test.add_argument("--allow-http", action="store_true", help="allow sending the secret over plain http")
    p_test.add_argument("--timeout", type=float, default=15.0, help="seconds for the whole request (default 15)")
    p_test.add_argument("--json", action="store_true")


def _add_audit(sub: argparse._SubParsersAction) -> None:
    p_audit = sub.add_parser("audit", help="what is wrong with the secrets on this machine (never prints a secret)")
    p_audit.add_argument("--json", action="store_true", help="the inventory and the findings, machine-readable")
    p_audit.add_argument(
        "--fail-on", choices=("warning", "error"), default="error", help="exit 5 at this severity or worse"
    )


def _add_remove(sub: argparse._SubParsersAction) -> None:
    p_remove = sub.add_parser("remove", help="remove a credential from one store")
    p_remove.add_argument("key")
    p_remove.add_argument("--store", choices=(*STORE_CHOICES, "netrc"))
    p_remove.add_argument("--item", help="keychain item path, to remove one of several duplicates")


_ADD_LEAN: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "list": _add_list,
    "resolve": _add_resolve,
    "audit": _add_audit,
}


# -- output helpers --------------------------------------------------------------------


def _table(headers: Sequence[str], rows: list[Sequence[str]], out: TextIO) -> None:
    if plain(cells := "".join(itertools.chain.from_iterable(rows))) != cells:  # (one scan, in C)
        rows = [[plain(cell) for cell in row] for row in rows]  # a key with a line break stays on its line
    widths = [max(len(h), *map(len, column)) for h, column in zip(headers, zip(*rows, strict=True), strict=True)]
    # Each line padded by one format (as str.ljust pads: to a width in characters), in C.
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = map(str.rstrip, itertools.starmap(line.format, [headers, *rows]))
    # One write: the gate then scans the table once, not once per 256 kB piece.
    out.write("\n".join(lines) + "\n")


def print_inventory(inv: Inventory, out: TextIO) -> None:
    if inv.blocked:
        out.write(f"!! {inv.blocked}\n\n")
    out.write("Stores, in pixi's lookup order:\n")
    for i, store in enumerate(inv.stores, 1):
        snap = inv.snapshots[store.id]
        out.write(f"  {i}. {store.name:<18} {snap.state.value:<11} {store.location}  ({snap.message})\n")
        note = order_note(inv, store.id)
        if note:
            out.write(f"       note: {note}\n")
        for problem in snap.problems:
            out.write(f"       - {plain(problem)}\n")
    out.write("\n")
    if not inv.rows:
        out.write("No credentials stored. Add one with: pixi-auth-tui set HOST --kind bearer\n")
        return
    _table(
        ["KEY", "KIND", "STORE", "STATUS", "USER / SECRET", "NOTE"],
        [
            [
                r.entry.key,
                KIND_LABELS[r.entry.credential.kind],
                r.store.name,
                r.status._value_,  # (Enum's `value` is a descriptor: a Python call per row)
                public_identity(r.entry.credential),
                "" if r.reason == "pixi uses this entry" else r.reason,
            ]
            for r in inv.rows
        ],
        out,
    )


# -- commands --------------------------------------------------------------------------


def cmd_list(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    if args.json and out.isatty():
        write_json(out, inventory_json(inv))  # indented, for a person
    elif args.json:
        out.write(inventory_json_text(inv) + "\n")  # what write_json writes, without a dict per entry
    else:
        print_inventory(inv, out)
    return EXIT_OK


def cmd_resolve(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    res = inv.resolve(args.url)
    if res.error:
        raise UsageError(res.error)
    if args.json:
        write_json(
            out,
            {
                "url": res.url,
                "candidates": res.candidates,
                "match": row_json(res.row) if res.row else None,
                "request": vars(res.request) if res.request else None,
                "blocked": res.blocked,
                "url_credentials": res.userinfo is not None,
                "note": order_note(inv, res.row.store.id) if res.row else None,
                "host": res.normalised_host or (res.candidates[0] if res.candidates else None),
            },
        )
    else:
        out.write(f"URL:        {res.url}\n")
        if res.normalised_host:
            out.write(f"Host:       {res.normalised_host} (as rattler normalises it)\n")
        if res.userinfo is not None:
            out.write(f"Match:      none needed — {res.request.note if res.request else ''}\n")
        elif res.row is None:
            out.write(f"Keys tried: {', '.join(res.candidates)}\n")
            out.write("Match:      none — pixi sends this request without credentials\n")
        else:
            out.write(f"Keys tried: {', '.join(res.candidates)}\n")
            would = " — what pixi would use once the store below is fixed" if res.blocked else ""
            out.write(
                f"Match:      {res.row.key} in {res.row.store.name} ({res.row.store.location}){would}\n"
                f"Kind:       {KIND_LABELS[res.row.entry.credential.kind]}\n"
            )
        if res.blocked:
            out.write("Request:    none with credentials: pixi stops before choosing one (see below)\n")
        elif res.request:
            nothing = " — with NO credential" if res.blocking else ""
            out.write(f"Request:    {res.request.method} {res.request.url}{nothing}\n")
            for name, value in res.request.headers.items():
                out.write(f"            {name}: {value}\n")
            if res.request.note and res.userinfo is None:
                out.write(f"            ({res.request.note})\n")
            if res.request.refresh_first:
                out.write(f"            (first: {res.request.refresh_first})\n")
        note = order_note(inv, res.row.store.id) if res.row else None
        if note:
            out.write(f"Note:       {note}\n")
        if res.blocked:
            out.write(f"!! {res.blocked}\n")
    return EXIT_OK if res.sends_credential else EXIT_NOT_FOUND


SecretReader = Callable[[str], str]


def _secret_reader(use_stdin: bool, stdin: TextIO, kind: str) -> SecretReader:
    if use_stdin:
        # Only "\n" ends a line (and "\r\n"): str.splitlines would also split at \x85, U+2028,
        # \x1c … and silently store the front of a secret. Those stay in and are refused.
        text = stdin.read()
        lines = [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]
        wanted = [f for f in KINDS[kind].fields if f.secret]
        if len(lines) > len(wanted) and any(lines[len(wanted) :]):
            # The form refuses a multi-line paste; so does `set`, rather than store the first line.
            raise UsageError(
                f"stdin holds {plural(len(lines), 'line')}, but {KINDS[kind].label} takes "
                f"{plural(len(wanted), 'secret')}, one per line: nothing was stored"
            )
        queue = iter(lines)
        return lambda _prompt: next(queue, "")
    if not stdin.isatty():
        raise UsageError("no terminal for a hidden prompt; pass --stdin and pipe the secret")
    import getpass

    return lambda prompt: getpass.getpass(prompt)


def credential_from_args(args: argparse.Namespace, read: SecretReader) -> Credential:
    """The kind's fields: secrets from the prompt or stdin (in the kind's order), the others
    from their options; checked by the same `build_credential` the UI's form uses."""
    from pixi_auth_tui.core.validation import build_credential

    kind = KIND_CHOICES[args.kind]
    values: dict[str, str] = {}
    for field in KINDS[kind].fields:
        if field.secret:
            values[field.name] = read(f"{field.prompt}: ")
            continue
        value = getattr(args, field.name, None)  # argparse's attribute for the field's option
        if value is None:
            raise UsageError(f"--kind {args.kind} needs --{field.name.replace('_', '-')}")
        values[field.name] = value
    cred, errors = build_credential(kind, values)
    if cred is None:
        raise UsageError(next(iter(errors.values())))  # the form's own sentence for it
    return cred


def cmd_set(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    # (the writing commands' modules: imported when one runs, not by `list` and the like)
    from pixi_auth_tui.core.hostkeys import normalise_login_key
    from pixi_auth_tui.core.validation import key_refusal
    from pixi_auth_tui.engine.operations import save_credential

    bad_key = key_refusal(args.key)  # the form's own sentence for it
    if bad_key:
        raise UsageError(bad_key)
    choice = None
    if args.store:
        store = inv.store(args.store)
        if store is None:
            raise UsageError(f"store {args.store!r} is not configured on this machine")
    else:
        choice = inv.write_choice()
        store = choice.store
    reader = _secret_reader(args.stdin, stdin, KIND_CHOICES[args.kind])
    warned = False
    if choice is not None and choice.warning and not args.stdin:
        err.write(f"warning: {choice.warning}\n")  # before the person types the secret
        warned = True
    cred = credential_from_args(args, reader)
    refusal = store.write_problem(cred) if choice is not None else None
    if choice is not None and refusal and inv.store("credentials") is not None:
        # `pixi auth login` falls back to credentials.json when the keychain refuses the write.
        store = inv.store("credentials")
        assert store is not None
        choice = WriteChoice(
            store, f"the keychain refuses it ({refusal})", warning=f"stored in PLAIN TEXT in {store.location}"
        )
        warned = False
    # The CLI shows nothing it could have read stale: the store applies the change to what it
    # holds under its lock (re-read, then write), and reports whether the key was there.
    outcome = save_credential(inv, store, args.key, cred, as_seen=False)
    if outcome.changed:
        verb = "rotated" if outcome.message.startswith("Rotated") else "added"
        out.write(f"{verb} {args.key} ({KIND_LABELS[cred.kind]}) in {store.name} ({store.location})\n")
    else:
        out.write(f"{outcome.message}\n")
    if choice is not None:
        err.write(f"store chosen: {store.name}, because {choice.reason}\n")
        if choice.warning and not warned:
            err.write(f"warning: {choice.warning}\n")
    suggestion = normalise_login_key(args.key)
    if suggestion.changed:
        err.write(
            f"note: `pixi auth login {args.key}` would have stored this under {suggestion.key!r} "
            f"({suggestion.reason}); stored under {args.key!r} as given\n"
        )
    return EXIT_OK


def cmd_remove(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    from pixi_auth_tui.engine.operations import successor_after_delete

    holders = [r for r in inv.rows if r.key == args.key and (args.store is None or r.store.id == args.store)]
    if args.item:
        holders = [r for r in holders if r.entry.item_ref == args.item]
    if not holders:
        where = f" in {args.store}" if args.store else ""
        out.write(f"{args.key} is not stored{where}\n")
        return EXIT_NOT_FOUND
    stores = {r.store.id for r in holders}
    if len(stores) > 1:
        raise UsageError(f"{args.key} is in several stores ({', '.join(sorted(stores))}); choose one with --store")
    if len(holders) > 1:
        refs = ", ".join(r.entry.item_ref or "?" for r in holders)
        raise UsageError(f"{len(holders)} keychain items hold {args.key} ({refs}); choose one with --item")
    row = holders[0]
    if args.item is None and row.entry.item_ref is not None and not row.key:
        args.item = row.entry.item_ref  # a keychain item without a username is found by its path
    # The same successor (rattler's lookup, wildcards included) as the UI's delete names.
    after = successor_after_delete(inv, row) if row.status in WINNING else None
    row.store.remove(args.key, expect=None, item_ref=args.item)
    out.write(f"removed {args.key} from {row.store.name} ({row.store.location})\n")
    if after is not None:
        what = "the entry" if after.key == row.key else after.key
        out.write(f"pixi now uses {what} in {after.store.name} for {args.key}\n")
    return EXIT_OK


def cmd_audit(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    from pixi_auth_tui.audit.findings import Severity, run_audit, summary
    from pixi_auth_tui.probe.state import ProbeState

    environment = environment_for(args)
    findings = run_audit(inv, environment.home, ProbeState.default(environment.env))
    counts = summary(findings)
    if args.json:
        report = {"summary": counts, "findings": [f.to_json() for f in findings]}
        if out.isatty():
            write_json(out, {**report, "inventory": inventory_json(inv)})  # indented, for a person
        else:
            out.write(with_inventory_text(report, inv) + "\n")
    else:
        if not findings:
            out.write("No findings: every stored credential is where pixi can use it, and nothing is exposed.\n")
        for finding in findings:
            where = " · ".join(x for x in (finding.key, finding.path) if x)
            out.write(f"[{finding.severity.value.upper():<7}] {plain(finding.title)}\n")
            out.write(f"          {plain(finding.explanation)}\n")
            if where:
                out.write(f"          ({plain(where)})\n")
            for fix in finding.fixes:
                out.write(f"          fix in the UI (a): {fix.label} — {fix.preview}\n")
        tally = [plural(counts["error"], "error"), plural(counts["warning"], "warning"), plural(counts["info"], "note")]
        out.write(f"\n{', '.join(tally)}\n")
    worst = {"error": (Severity.ERROR,), "warning": (Severity.ERROR, Severity.WARNING)}[args.fail_on]
    return EXIT_FINDINGS if any(f.severity in worst for f in findings) else EXIT_OK


def environment_for(args: argparse.Namespace) -> Environment:
    if getattr(args, "demo", False):
        from pixi_auth_tui.engine.demo import demo_environment

        return demo_environment()
    workspace = getattr(args, "workspace", None)
    try:
        return Environment.current(Path(workspace).expanduser() if workspace else None)
    except ValueError as err:
        raise UsageError(str(err)) from err


def load_inventory_for(args: argparse.Namespace) -> Inventory:
    return load_inventory(environment_for(args))


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    safe_out = SafeWriter(out or sys.stdout)
    safe_err = SafeWriter(err or sys.stderr)
    try:
        words = sys.argv[1:] if argv is None else argv
        args = quick_args(words) or build_parser(lean_command(words)).parse_args(words)
        if args.command in LEAN_COMMANDS:
            global _reading_command_ran
            _reading_command_ran = True
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

            return run_tui(environment_for(args))
        if args.command == "check":
            from pixi_auth_tui.cli.check import cmd_check

            return cmd_check(args, environment_for(args), out, err)
        if args.command == "resolve":
            # Only the rows of the keys rattler would try for this URL (every store still read whole).
            from pixi_auth_tui.core.hostkeys import candidate_keys

            return cmd_resolve(load_inventory(environment_for(args), keys=candidate_keys(args.url)), args, out)
        inv = load_inventory_for(args)
        if args.command == "list":
            return cmd_list(inv, args, out)
        if args.command == "set":
            return cmd_set(inv, args, out, err, stdin)
        if args.command == "remove":
            return cmd_remove(inv, args, out)
        if args.command == "audit":
            return cmd_audit(inv, args, out)
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


_reading_command_ran = False  # set by main() for list/resolve/audit (see finish)


def finish(code: int) -> NoReturn:
    """Exit with `code`. After a reading command (list, resolve, audit) the process ends without
    freeing its heap one object at a time: those made several objects per entry (at 10,000
    entries freeing them took ~10% of `list --json`), and hold nothing to write or close but
    the standard streams, flushed here first."""
    if _reading_command_ran:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # e.g. the reader went away: the usual exit reports it as before
            sys.exit(code)
        import atexit

        atexit._run_exitfuncs()  # what was registered to run at exit (the demo's temporary home)
        os._exit(code)
    sys.exit(code)


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
    """The installed `pixi-auth-tui`: main_entry, then the process ends (see finish)."""
    try:
        main_entry()
    except SystemExit as stop:
        if isinstance(stop.code, int):
            finish(stop.code)
        raise
