"""`set`, `remove` and `test` with `--store keyring-pypi`: Python keyring entries uv reads."""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_NOT_FOUND, EXIT_NOT_TESTED, EXIT_OK, UsageError
from pixi_auth_tui.core.model import KIND_LABELS, Credential, field_value
from pixi_auth_tui.core.redact import plain, write_json
from pixi_auth_tui.engine.inventory import Inventory
from pixi_auth_tui.pypi.keyring_entries import keyring_services, service_problem, url_username, user_at_advice
from pixi_auth_tui.pypi.keyring_store import STORE_ID, PythonKeyringStore
from pixi_auth_tui.pypi.keyring_tool import find_keyring
from pixi_auth_tui.stores.base import StoreError


def keyring_store(inv: Inventory) -> PythonKeyringStore:
    store = inv.store(STORE_ID)
    if not isinstance(store, PythonKeyringStore):
        raise UsageError(f"store {STORE_ID!r} is not configured on this machine")
    return store


def _refresh(inv: Inventory, store: PythonKeyringStore, service: str, username: str | None) -> None:
    """Look `service` up for `username` too (keyring cannot list), then re-read the store."""
    if username:
        store.ask(service, username)
    elif service not in store.services:
        store.services.append(service)
    inv.snapshots[store.id] = store.load()


def hints(inv: Inventory, store: PythonKeyringStore, service: str, username: str) -> list[str]:
    """What still keeps uv from asking for this entry: the provider, the `user@` in the index URL,
    the `keyring` command on PATH."""
    notes: list[str] = []
    if store.keyring_provider != "subprocess":
        notes.append(
            'uv asks keyring only with pypi-config.keyring-provider = "subprocess" '
            "(pixi config or .pixi/config.toml, or pixi install --pypi-keyring-provider subprocess)"
        )
    for url in store.index_urls:
        if service in keyring_services(url) and url_username(url) != username:
            notes.append(f"uv asks keyring only with the user in the index URL: {user_at_advice(url, username)}")
    if find_keyring(inv.env) is None:
        notes.append("no `keyring` command on PATH: uv runs that program, not a library (pipx install keyring)")
    return notes


def check_set_args(args: argparse.Namespace) -> None:
    """Refuse a bad service or kind before the secret is asked for."""
    problem = service_problem(args.key)
    if problem:
        raise UsageError(f"Invalid keyring service: {problem}")
    if args.kind != "basic":
        raise UsageError(
            "Python keyring holds a user name and a password (uv sends them as HTTP Basic): use --kind basic"
        )


def cmd_set_keyring(inv: Inventory, args: argparse.Namespace, cred: Credential, out: TextIO, err: TextIO) -> int:
    """`set --store keyring-pypi` with the credential read by `set` (checked by check_set_args)."""
    from pixi_auth_tui.engine.operations import save_credential

    store = keyring_store(inv)
    user = field_value(cred, "username")
    _refresh(inv, store, args.key, user)
    if inv.snapshots[store.id].state.value not in ("ok",):
        raise StoreError(f"{store.name} cannot be used: {inv.snapshots[store.id].message}")
    outcome = save_credential(inv, store, args.key, cred, as_seen=False)
    if outcome.changed:
        verb = "rotated" if outcome.message.startswith("Rotated") else "added"
        out.write(f"{verb} {args.key} for {user} ({KIND_LABELS[cred.kind]}) in {store.name} ({store.location})\n")
    else:
        out.write(f"{outcome.message}\n")
    for note in hints(inv, store, args.key, user):
        err.write(f"note: {note}\n")
    return EXIT_OK


def cmd_remove_keyring(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    store = keyring_store(inv)
    user = args.username or args.item
    _refresh(inv, store, args.key, user)
    entries = [e for e in inv.snapshots[store.id].entries if e.key == args.key and (user is None or e.item_ref == user)]
    if not entries:
        who = f" for {user}" if user else ""
        out.write(f"{args.key}{who} is not stored in {store.name}\n")
        return EXIT_NOT_FOUND
    if len(entries) > 1:
        names = ", ".join(str(e.item_ref) for e in entries)
        raise UsageError(f"{args.key} has entries for {len(entries)} user names ({names}); choose one with --username")
    entry = entries[0]
    store.remove(args.key, item_ref=entry.item_ref)
    out.write(f"removed {args.key} for {entry.item_ref} from {store.name} ({store.location})\n")
    return EXIT_OK


def cmd_test_keyring(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pixi_auth_tui.cli.testing import exit_code
    from pixi_auth_tui.probe.keyring_entry import check_keyring_entry

    if not args.key:
        raise UsageError("give the keyring service to test (an index URL or host)")
    store = keyring_store(inv)
    username = args.username
    index_url = args.url
    if index_url and url_username(index_url) and not username:
        username = url_username(index_url)
    if not username:
        users = sorted({q.username for q in store.queries if q.service == args.key})
        if len(users) != 1:
            raise UsageError("give --username: uv asks keyring for one user name (the one in the index URL)")
        username = users[0]
    if index_url is None:
        index_url = next((q.index_url for q in store.queries if q.service == args.key and q.username == username), None)
    test = asyncio.run(
        check_keyring_entry(
            args.key, username, index_url, dict(inv.env), allow_http=args.allow_http, timeout=args.timeout
        )
    )
    if args.json:
        write_json(out, test.to_json())
    else:
        out.write(f"keyring: {plain(test.tool.summary())}\n")
        for answer in test.answers:
            said = "a password" if answer.found else f"nothing ({plain(answer.message)})"
            out.write(f"  keyring get {plain(answer.service)} {plain(answer.username)} → {said}\n")
        for note in test.notes:
            out.write(f"  {plain(note)}\n")
        if test.result is not None:
            res = test.result
            label = f"{plain(args.key)} for {plain(username)} ({store.name})"
            out.write(f"{label}: {res.verdict.value.upper()} — {plain(res.message)}\n")
            if res.url:
                anonymous = f", without credential {res.anonymous_status}" if res.anonymous_status is not None else ""
                status = f" → HTTP {res.status}{anonymous}" if res.status is not None else ""
                out.write(f"  {plain(res.url)}{status}\n")
    return exit_code([test.result]) if test.result is not None else EXIT_NOT_TESTED
