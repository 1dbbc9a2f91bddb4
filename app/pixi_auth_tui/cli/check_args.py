"""The `check` command's arguments, apart from its engine so that building the parser for
any command never imports the workspace reader (see app/pixi_auth_tui/cli/check.py for the command)."""

from __future__ import annotations

import argparse

FAIL_ON = ("missing", "rejected", "warning")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="workspace folder or manifest (default: here, upward)")
    p.add_argument(
        "--workspace", action="append", default=[], dest="workspace_paths", metavar="PATH", help="same as PATH"
    )
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument(
        "--annotations",
        action="store_true",
        help="also print each finding as a GitHub Actions annotation (::error file=pixi.toml,line=…::)",
    )
    p.add_argument(
        "--step-summary",
        metavar="FILE",
        nargs="?",
        const="",
        help="append the report as Markdown to FILE (default: $GITHUB_STEP_SUMMARY)",
    )
    p.add_argument("--test", action="store_true", help="ask every host now, with and without the credential")
    p.add_argument("--allow-http", action="store_true", help="with --test: send credentials over plain http too")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per request with --test (default 15)")
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="rejected",
        help="missing: exit 8 when a host lacks a needed credential; rejected (default): also exit 4 when a "
        "credential is refused; warning: also exit 5 on warnings",
    )
