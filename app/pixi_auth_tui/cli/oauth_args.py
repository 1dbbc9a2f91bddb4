"""The arguments of `login`, `refresh`, `logout` and `token` (light: imported for every command;
the commands themselves, in cli_oauth, load the OAuth libraries only when run)."""

from __future__ import annotations

import argparse

from pixi_auth_tui.cli.common import STORE_CHOICES
from pixi_auth_tui.oauth import DEFAULT_CLIENT_ID, FLOWS


def login_arguments(p_login: argparse.ArgumentParser) -> None:
    p_login.add_argument("host", help="e.g. prefix.dev; stored under the bare host, as rattler's OAuth login does")
    p_login.add_argument("--issuer", help="OIDC issuer URL (default https://HOST)")
    p_login.add_argument("--client-id", help=f"OAuth client id (default {DEFAULT_CLIENT_ID})")
    p_login.add_argument(
        "--scope", action="append", default=[], help="scope to request (repeatable; default: the host's defaults)"
    )
    p_login.add_argument("--flow", choices=FLOWS, default="device-code")
    p_login.add_argument("--redirect-uri", help="fixed http://127.0.0.1:PORT/… redirect for --flow auth-code")
    secret = p_login.add_mutually_exclusive_group()
    secret.add_argument("--client-secret", action="store_true", help="ask for a client secret (hidden prompt)")
    secret.add_argument("--client-secret-stdin", action="store_true", help="read a client secret from stdin")
    p_login.add_argument("--store", choices=STORE_CHOICES, help="default: where `pixi auth login` would store")


def refresh_arguments(p_refresh: argparse.ArgumentParser) -> None:
    p_refresh.add_argument("host")
    p_refresh.add_argument("--store", choices=STORE_CHOICES)


def logout_arguments(p_logout: argparse.ArgumentParser) -> None:
    p_logout.add_argument("host")
    p_logout.add_argument("--store", choices=STORE_CHOICES)
    p_logout.add_argument("--yes", action="store_true", help="remove locally even when revocation fails")


def token_arguments(p_token: argparse.ArgumentParser) -> None:
    p_token.add_argument("host")
