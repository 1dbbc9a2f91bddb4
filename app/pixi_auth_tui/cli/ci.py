"""`pixi-auth-tui ci setup` / `ci teardown`: a CI job's secrets become pixi credentials, safely.

setup reads the credentials from the job's environment only (never argv: see
app/pixi_auth_tui/ci/credentials.py for the variables), checks every one as rattler reads it,
writes them to a private file in the job's temp dir and makes later steps use it through
`RATTLER_AUTH_FILE` (GitHub Actions: a line in `$GITHUB_ENV`; `--dotenv FILE`: GitLab's dotenv
report; otherwise `export` lines on stdout for `eval "$(pixi-auth-tui ci setup)"`).
On GitHub Actions the first lines it prints are `::add-mask::` for every secret and each
spelling of it a log could show, before any other output.

Exit codes: 0 done · 1 a file could not be written, or RATTLER_AUTH_FILE is already another
file · 2 a credential is refused (nothing written) · 3 no credential in the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
from pathlib import Path
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from pixi_auth_tui.core.words import plural

GITHUB_MASK = "::add-mask::"


def add_arguments(p_ci: argparse.ArgumentParser) -> None:
    # Its commands' parsers are of its own class (cli.main's CommandParser): each takes its arguments
    # as a command does, when used.
    ci_sub = p_ci.add_subparsers(dest="ci_command", required=True)
    ci_sub.add_parser(
        "setup",
        arguments=_setup_arguments,
        help="write the credentials in PIXI_AUTH_TUI_CREDENTIALS and PIXI_AUTH_TUI_<NAME>_* to a private file "
        "and point RATTLER_AUTH_FILE at it for the job's later steps",
    )
    ci_sub.add_parser("teardown", help="remove the file `ci setup` wrote (found through RATTLER_AUTH_FILE)")


def _setup_arguments(p_setup: argparse.ArgumentParser) -> None:
    p_setup.add_argument(
        "--dir", metavar="PATH", help="folder for the private file (default: $RUNNER_TEMP, $TMPDIR or /tmp)"
    )
    p_setup.add_argument(
        "--dotenv", metavar="FILE", help="also append NAME=value lines to FILE (GitLab's artifacts:reports:dotenv)"
    )


def github_escape(value: str) -> str:
    # The runner unescapes a command's data (%25, %0D, %0A): escape so the mask is the value itself.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def cmd_ci(args: argparse.Namespace, env: dict[str, str], home: Path, out: TextIO, err: TextIO) -> int:
    if args.ci_command == "teardown":
        return _teardown(env, out, err)
    return _setup(args, env, home, out, err)


def _setup(args: argparse.Namespace, env: dict[str, str], home: Path, out: TextIO, err: TextIO) -> int:
    from pixi_auth_tui.ci.credentials import (
        DOCUMENT_VARIABLE,
        PREFIX,
        CiInputError,
        mask_spellings,
        read_ci_credentials,
        secret_values,
        secrets_of,
    )
    from pixi_auth_tui.ci.files import NotOurs, append_env_file, export_lines, teardown, write_setup

    github = env.get("GITHUB_ACTIONS") == "true"
    # Read everything first, silently: nothing may be printed before the masks.
    problem: str | None = None
    credentials = None
    try:
        credentials = read_ci_credentials(env)
    except CiInputError as exc:
        problem = str(exc)
    if github:
        masks: set[str] = set()
        for value in secret_values(env):
            masks.update(mask_spellings(value))
        for secret, credential in secrets_of(credentials) if credentials else []:
            masks.update(mask_spellings(secret, credential))
        for value in sorted(masks):
            out.write_requested_secret(f"{GITHUB_MASK}{github_escape(value)}\n")  # type: ignore[attr-defined]
    # Messages for people: on GitHub stdout is the log; elsewhere stdout is for `eval`.
    say = out if github else err
    if problem is not None or credentials is None:
        err.write(f"pixi-auth-tui: ci setup: {problem}; nothing was written\n")
        return EXIT_USAGE
    if not credentials.entries:
        err.write(
            f"pixi-auth-tui: ci setup: no credential in the environment (set {DOCUMENT_VARIABLE}, or "
            f"{PREFIX}<NAME>_HOST with {PREFIX}<NAME>_TOKEN, …); nothing was written\n"
        )
        return EXIT_NOT_FOUND
    previous = env.get("RATTLER_AUTH_FILE")
    original: tuple[str, dict[str, object] | None] | None = None
    if previous:
        from pixi_auth_tui.ci.files import CannotMerge, is_ours, read_existing, recorded_original

        # An earlier `ci setup` of this job: replaced, keeping what it kept of the user's file.
        where = recorded_original(previous) if is_ours(previous) else previous
        if where:
            try:
                original = (where, read_existing(Path(where)))
            except CannotMerge as exc:
                err.write(
                    f"pixi-auth-tui: ci setup: RATTLER_AUTH_FILE: {exc}; its entries cannot be kept beside the "
                    "job's (pixi would fail on the whole file either way): fix it or unset RATTLER_AUTH_FILE; "
                    "nothing was written\n"
                )
                return EXIT_FAILED
    for key in credentials.entries:
        if key == "prefix.dev":
            say.write(
                "warning: the key prefix.dev covers only prefix.dev itself; channels are fetched from "
                "repo.prefix.dev: use *.prefix.dev (what `pixi auth login prefix.dev` stores)\n"
            )
    base = Path(args.dir).expanduser() if args.dir else None
    try:
        result = write_setup(credentials, env, home, base, original)
        if github and env.get("GITHUB_ENV"):
            append_env_file(Path(env["GITHUB_ENV"]), result.exports)
        if args.dotenv:
            append_env_file(Path(args.dotenv), result.exports)
    except (OSError, ValueError) as exc:
        err.write(f"pixi-auth-tui: ci setup: cannot write the credentials: {exc}\n")
        return EXIT_FAILED
    if previous and previous != str(result.credentials_file):
        with contextlib.suppress(NotOurs, OSError):
            teardown(previous)  # the file an earlier `ci setup` of this job wrote: replaced
    keys = ", ".join(sorted(credentials.entries))
    say.write(
        f"ci setup: {plural(len(credentials.entries), 'credential')} ({keys}) written to "
        f"{result.credentials_file} (0600)\n"
    )
    for note in result.notes:
        say.write(f"note: {note}\n")
    names = " and ".join(result.exports)
    if github and env.get("GITHUB_ENV"):
        out.write(f"ci setup: {names} set for the later steps of this job (through $GITHUB_ENV)\n")
    else:
        for line in export_lines(result.exports):
            out.write(line + "\n")
        if args.dotenv:
            err.write(f"ci setup: {names} appended to {args.dotenv}\n")
    return EXIT_OK


def _teardown(env: dict[str, str], out: TextIO, err: TextIO) -> int:
    from pixi_auth_tui.ci.files import NotOurs, append_env_file, recorded_original, teardown

    auth_file = env.get("RATTLER_AUTH_FILE")
    if not auth_file:
        out.write("ci teardown: RATTLER_AUTH_FILE is not set; nothing to remove\n")
        return EXIT_OK
    if not os.path.exists(auth_file):
        out.write(f"ci teardown: {auth_file} is already gone\n")
        return EXIT_OK
    before = recorded_original(auth_file)  # the user's own file, which setup's copy stood in for
    try:
        removed = teardown(auth_file)
    except NotOurs as exc:
        err.write(f"pixi-auth-tui: ci teardown: {exc}\n")
        return EXIT_FAILED
    except OSError as exc:
        err.write(f"pixi-auth-tui: ci teardown: cannot remove {auth_file}: {exc}\n")
        return EXIT_FAILED
    out.write(f"ci teardown: removed {', '.join(str(p) for p in removed)}\n")
    if before:
        github_env = env.get("GITHUB_ENV") if env.get("GITHUB_ACTIONS") == "true" else None
        try:
            if github_env:
                append_env_file(Path(github_env), {"RATTLER_AUTH_FILE": before})
                out.write(f"ci teardown: RATTLER_AUTH_FILE is {before} again for the later steps (via $GITHUB_ENV)\n")
            else:
                out.write(
                    f"ci teardown: RATTLER_AUTH_FILE was {before} before ci setup; to use it again: "
                    f"export RATTLER_AUTH_FILE={shlex.quote(before)}\n"
                )
        except (OSError, ValueError) as exc:
            err.write(f"pixi-auth-tui: ci teardown: cannot point RATTLER_AUTH_FILE back at {before}: {exc}\n")
            return EXIT_FAILED
    return EXIT_OK
