"""The `test` command's arguments, apart from the command (app/pixi_auth_tui/cli/testing.py) so
that building the parser never imports the HTTP client."""

from __future__ import annotations

import argparse

from pixi_auth_tui.cli.common import STORE_CHOICES


def add_parser(sub: argparse._SubParsersAction) -> None:
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
