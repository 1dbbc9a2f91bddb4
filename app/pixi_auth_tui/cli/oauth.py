"""`login`, `refresh`, `logout` and `token`: the OAuth lifecycle on the command line.

Instructions and progress go to stderr (as rattler prints them); stdout carries the result
(`token` prints only the token, for scripts). No token, refresh token, device code or client
secret is ever printed, except the token `token` was asked for.
"""

from __future__ import annotations

import argparse
import getpass
import time
import webbrowser
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, UsageError
from pixi_auth_tui.core.hostkeys import normalise_login_key
from pixi_auth_tui.core.model import KINDS, is_oauth, secret_of
from pixi_auth_tui.core.redact import SafeWriter
from pixi_auth_tui.engine.inventory import WINNING, Inventory, Row
from pixi_auth_tui.engine.operations import with_secret
from pixi_auth_tui.oauth import flow as oauth
from pixi_auth_tui.oauth.flow import OAuthFailure
from pixi_auth_tui.stores.base import StoreError


def open_browser(url: str) -> bool:
    """The system browser, when there is one (False on a headless machine)."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def run(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    try:
        if args.command == "login":
            return cmd_login(inv, args, out, err, stdin)
        if args.command == "refresh":
            return cmd_refresh(inv, args, out, err)
        if args.command == "logout":
            return cmd_logout(inv, args, out, err, stdin)
        return cmd_token(inv, args, out, err)
    except OAuthFailure as failure:
        if failure.reason == "usage":
            raise UsageError(str(failure)) from failure
        err.write(f"pixi-auth-tui: {failure}\n")
        return EXIT_FAILED


# -- login -------------------------------------------------------------------------------


def _client_secret(args: argparse.Namespace, stdin: TextIO) -> str | None:
    if args.client_secret_stdin:
        secret = stdin.readline().rstrip("\r\n")
    elif args.client_secret:
        if not stdin.isatty():
            raise UsageError("no terminal for a hidden prompt; use --client-secret-stdin")
        secret = getpass.getpass("Client secret: ")
    else:
        return None
    if not secret:
        raise UsageError("the client secret is empty")
    return secret


def cmd_login(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    plan = oauth.plan_login(args.host, args.issuer, args.client_id, args.scope, args.flow, args.redirect_uri)
    store = inv.store(args.store) if args.store else oauth.login_store(inv)
    if store is None:
        raise UsageError(f"store {args.store!r} is not configured on this machine")
    secret = _client_secret(args, stdin)
    err.write(f"Signing in to {plan.issuer} as client {plan.client_id!r} (scopes: {' '.join(plan.scopes)})\n")
    session = oauth.SignIn(plan, secret)

    def show(code: oauth.DeviceCode) -> None:
        if code.verification_uri_complete:
            err.write(f"\nOpen this link to sign in:\n\n  {code.verification_uri_complete}\n\n")
            err.write(f"Or visit {code.verification_uri} and enter the code:  {code.user_code}\n\n")
        else:
            err.write(f"\nVisit {code.verification_uri} and enter the code:  {code.user_code}\n\n")
        err.write(f"Waiting for approval (the code expires in {code.expires_in // 60} min; Ctrl+C cancels)…\n")
        err.flush()

    def slow(interval: int) -> None:
        err.write(f"The provider asked to slow down: polling every {interval} s now\n")

    def browser(url: str) -> bool:
        if not open_browser(url):
            return False
        err.write("Opened the browser to sign in; waiting for it to come back to this machine…\n")
        return True

    try:
        result = session.run(browser, show, slow)
    except KeyboardInterrupt:
        session.cancel()
        err.write("pixi-auth-tui: sign-in cancelled; nothing was stored\n")
        return EXIT_FAILED
    finally:
        session.close()
    out.write(oauth.store_sign_in(inv, result, store) + "\n")
    out.write(f"Access token {oauth.countdown(result.credential.expires_at)}")
    out.write("; refresh token stored\n" if result.credential.refresh_token else "; no refresh token (cannot renew)\n")
    # rattler looks an exact host up, then only `*.` wildcards: the bare key never covers subdomains.
    err.write(f"note: pixi sends it for URLs on {result.key} itself, not on its subdomains\n")
    return EXIT_OK


# -- refresh / logout / token --------------------------------------------------------------


def _rows_for(inv: Inventory, host: str, store_id: str | None) -> list[Row]:
    """Entries a HOST argument means: as given, the OAuth key, and the `pixi auth login` key."""
    keys = list(dict.fromkeys([host, oauth.oauth_login_key(host), normalise_login_key(host).key]))
    return [r for r in inv.rows if r.key in keys and (store_id is None or r.store.id == store_id)]


def _oauth_row(inv: Inventory, host: str, store_id: str | None) -> Row | None:
    rows = [r for r in _rows_for(inv, host, store_id) if is_oauth(r.entry.credential)]
    return next((r for r in rows if r.status in WINNING), rows[0] if rows else None)


def cmd_refresh(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    row = _oauth_row(inv, args.host, args.store)
    if row is None:
        err.write(f"pixi-auth-tui: no OAuth entry for {args.host}\n")
        return EXIT_NOT_FOUND
    try:
        outcome = oauth.refresh_row(inv, row)
    except (OAuthFailure, StoreError) as failure:
        err.write(f"pixi-auth-tui: refresh of {row.key} failed: {failure}; the entry was left untouched\n")
        return EXIT_FAILED
    out.write(outcome.message + "\n")
    note = rattler_target_note(inv, row)
    if note:
        err.write(note + "\n")
    return EXIT_OK


def rattler_target_note(inv: Inventory, row: Row) -> str | None:
    """rattler's own refresh writes to the first writable store, which may not hold the entry."""
    target = oauth.login_store(inv)
    if target.id == row.store.id:
        return None
    return (
        f"note: refreshed in place in {row.store.name}; rattler's own refresh would write the new "
        f"tokens to {target.name} instead (its first writable store), leaving this entry behind"
    )


def _confirm(question: str, stdin: TextIO, err: TextIO) -> bool:
    if not stdin.isatty():
        return False
    err.write(f"{question} [y/N] ")
    err.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


def cmd_logout(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    rows = [r for r in _rows_for(inv, args.host, args.store) if r.store.writable]
    if not rows:
        err.write(f"pixi-auth-tui: nothing stored for {args.host}\n")
        return EXIT_NOT_FOUND
    code = EXIT_OK
    for row in rows:
        cred = row.entry.credential
        if is_oauth(cred):
            err.write(f"Revoking the OAuth tokens of {row.key} ({row.store.name})\n")
            problems = oauth.revoke(cred)
            if problems:
                for problem in problems:
                    err.write(f"  {problem}\n")
                if not (args.yes or _confirm(f"Remove {row.key} from {row.store.name} anyway?", stdin, err)):
                    err.write(f"{row.key} was kept in {row.store.name} (pass --yes to remove it anyway)\n")
                    code = EXIT_FAILED
                    continue
        try:
            out.write(oauth.sign_out(inv, row) + "\n")
        except StoreError as failure:
            err.write(f"pixi-auth-tui: could not remove {row.key} from {row.store.name}: {failure}\n")
            code = EXIT_FAILED
    return code


def refresh_before_use(inv: Inventory, row: Row, err: TextIO) -> Row:
    """Refresh first when rattler would (within 300 s of expiry), and say so on stderr."""
    row, said = oauth.refresh_before_use(inv, row)
    if said:
        err.write(said + "\n")
    return row


def cmd_token(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    resolution = inv.resolve(oauth.ensure_scheme(args.host))
    if resolution.error:
        raise UsageError(resolution.error)
    if resolution.row is None:
        err.write(f"pixi-auth-tui: no stored credentials for {args.host}\n")
        return EXIT_NOT_FOUND
    row = refresh_before_use(inv, with_secret(resolution.row), err)
    cred = row.entry.credential
    if is_oauth(cred) and cred.expires_at is not None and cred.expires_at <= time.time():
        err.write(f"pixi-auth-tui: the OAuth token for {row.key} has expired and could not be refreshed\n")
        return EXIT_FAILED
    token = secret_of(cred) if KINDS[cred.kind].sends in ("bearer", "conda-path") else None
    if token is None:
        err.write(f"pixi-auth-tui: {row.key} holds {cred.kind} credentials, not a printable token\n")
        return EXIT_FAILED
    if isinstance(out, SafeWriter):
        out.write_requested_secret(token + "\n")  # what the user asked for: the only unredacted output
    else:
        out.write(token + "\n")
    return EXIT_OK
