"""The `test` command's arguments, apart from the command (app/pixi_auth_tui/cli/testing.py) so
that building the parser never imports the HTTP client."""

from __future__ import annotations

import argparse

from pixi_auth_tui.cli.common import PYPI_STORE_CHOICES, STORE_CHOICES, UV_NETRC_STORE, UV_STORE


def add_arguments(p_test: argparse.ArgumentParser) -> None:
    p_test.add_argument("key", nargs="?", help="the key to test (the entry pixi uses for it)")
    p_test.add_argument("--all", action="store_true", help="test every credential pixi uses")
    p_test.add_argument(
        "--store",
        choices=(*STORE_CHOICES, "netrc", *PYPI_STORE_CHOICES, UV_STORE, UV_NETRC_STORE),
        help="test the entry in this store (uv, netrc-uv: the workspace's index it serves, as uv sends it)",
    )
    p_test.add_argument("--username", help="keyring-pypi: the user name uv asks keyring for; uv: the entry's user name")
    p_test.add_argument("--url", help="the URL to request (needed for wildcard and s3 keys; remembered)")
    p_test.add_argument("--allow-http", action="store_true", help="allow sending the secret over plain http")
    p_test.add_argument("--timeout", type=float, default=15.0, help="seconds for the whole request (default 15)")
    p_test.add_argument("--json", action="store_true")
    p_test.add_argument(
        "--pypi",
        action="store_true",
        help="KEY is a PyPI index URL: request it with the credential pixi's uv sends (and without)",
    )
    p_test.add_argument("--project", help="with --pypi: request <index>/<project>/ instead of the index root")
    p_test.add_argument("--keyring-provider", choices=("disabled", "subprocess"), help="with --pypi: as for resolve")
