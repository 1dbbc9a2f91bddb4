"""`resolve URL --pypi`: what pixi sends to a PyPI index through uv, layer by layer, and why.

The model is pixi_auth_tui.engine.pypi_chain; this module only reads the options and prints."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from pixi_auth_tui.cli.common import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, UsageError
from pixi_auth_tui.core.redact import plain, write_json
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.engine.pypi_chain import (
    IndexMatch,
    PypiResolution,
    UvSide,
    keyring_provider_for,
    resolve_pypi,
    workspace_index,
)
from pixi_auth_tui.system.paths import Environment

if TYPE_CHECKING:
    from pixi_auth_tui.probe.request import ProbeOptions

PROVIDERS = ("disabled", "subprocess")


def workspace_index_for(environment: Environment, url: str) -> IndexMatch | None:
    """The workspace's PyPI index (index-url, extra-index-urls, find-links of any feature, or
    pixi's pypi-config) that `url` is or lies under: `resolve` answers for it as uv sends."""
    if environment.workspace is None:
        return None
    from pixi_auth_tui.pypi.stores import workspace_pypi

    return workspace_index(url, workspace_pypi(environment).index_urls)


def pypi_resolution(
    environment: Environment,
    url: str,
    provider: str | None,
    project: str | None,
    index: IndexMatch | None = None,
) -> PypiResolution:
    """`url` resolved through rattler's layer and uv's chain; with `index` (the workspace's index
    it lies under), as pixi asks it: the index URL as the workspace writes it (its user name
    too), for the asked URL."""
    problems: list[str] = []
    if provider is None:
        provider, problems = keyring_provider_for(environment.env, environment.home, environment.workspace)
        source = "pixi's config"
    else:
        source = "--keyring-provider"
    inventory = load_inventory(environment)
    side = UvSide.load(environment.env, environment.home, provider)
    if index is not None and not _has_userinfo(url):
        request = None if project else index.request_url
        result = resolve_pypi(inventory, index.index_url, side, project, request_url=request)
    else:
        result = resolve_pypi(inventory, url, side, project)
    if index is not None:
        result.notes.insert(
            0,
            f"a PyPI index of this workspace ({index.index_url}): answered as pixi sends it through uv "
            "(--conda: rattler's lookup alone)",
        )
    result.notes.append(f"keyring-provider {provider!r} (from {source})")
    result.notes.extend(problems)
    return result


def _has_userinfo(url: str) -> bool:
    from pixi_auth_tui.core.hostkeys import parse_url

    parsed = parse_url(url)
    return parsed is not None and bool(parsed.username or parsed.password)


def cmd_resolve_pypi(
    environment: Environment, args: argparse.Namespace, out: TextIO, index: IndexMatch | None = None
) -> int:
    result = pypi_resolution(environment, args.url, args.keyring_provider, args.project, index)
    if result.error:
        raise UsageError(result.error)
    if args.json:
        write_json(out, result.to_json())
    else:
        print_resolution(result, out)
    return EXIT_OK if result.sends_credential else EXIT_NOT_FOUND


def print_resolution(result: PypiResolution, out: TextIO) -> None:
    out.write(f"URL:        {result.url}  (a PyPI index: pixi sends through uv)\n")
    winner = result.winner
    if winner is None:
        out.write("Sends:      no credential — pixi's uv asks anonymously\n")
    elif result.sends_user_only:
        out.write(f"Sends:      only the user name {winner.username!r} (no password found) — {result.authorization}\n")
    else:
        out.write(f"Sends:      {winner.name}: {winner.detail}\n")
    request = f"GET {result.request_url}"
    if result.authorization:
        out.write(f"Request:    {request}\n            Authorization: {result.authorization}\n")
    else:
        out.write(f"Request:    {request}\n")
    if result.when:
        why = (
            "with the first request"
            if result.when == "first request"
            else "after the server refuses the anonymous request (401, 403 or 404)"
        )
        out.write(f"When:       {why}\n")
    out.write("Chain, in the order pixi and uv consult it:\n")
    width = max(len(layer.name) for layer in result.layers) if result.layers else 0
    for number, layer in enumerate(result.layers, 1):
        mark = " <- used" if layer is winner else ""
        who = f" {layer.username}" if layer.username else ""
        secret = f" {layer.secret}" if layer.secret else ""
        out.write(f"  {number}. {layer.name:<{width}}  {layer.outcome}{who}{secret}{mark}\n")
        out.write(f"       {plain(layer.detail)}\n")
        if layer.where and layer.where not in layer.detail:
            out.write(f"       ({plain(layer.where)})\n")
    for note in result.notes:
        out.write(f"Note:       {plain(note)}\n")


# -- `set` / `remove --store uv`: uv's credentials.toml ------------------------------------------


def cmd_set_uv(environment: Environment, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """`set KEY --store uv`: the entry `uv auth login KEY` would write, checked by the same
    `build_credential` as every other store (a token goes in as user `__token__`, as `--token`)."""
    from pixi_auth_tui.cli.setting import KIND_CHOICES, credential_from_args, secret_reader
    from pixi_auth_tui.core.model import KINDS, field_value, secret_of
    from pixi_auth_tui.pypi import uv_store

    spec = KINDS[KIND_CHOICES[args.kind]]
    if spec.sends not in ("basic", "bearer"):
        raise UsageError(
            "uv's credentials.toml holds a user name and password (--kind basic) or a token (--kind bearer)"
        )
    try:
        service = uv_store.login_service(args.key)
    except uv_store.ServiceError as err:
        raise UsageError(f"{args.key!r} is no index URL or host uv accepts: {err}") from err
    cred = credential_from_args(args, secret_reader(args.stdin, stdin, KIND_CHOICES[args.kind]))
    token = spec.sends == "bearer"
    username = uv_store.TOKEN_USER if token or not spec.identity else field_value(cred, spec.identity)
    password = secret_of(cred) or ""
    path = uv_store.credentials_path(environment.env, environment.home)
    try:
        outcome = uv_store.save(path, args.key, username, password)
    except uv_store.UvStoreError as err:
        raise UsageError(str(err)) from err
    except OSError as err:
        out.write(f"nothing was written: {err.strerror or err}\n")
        return EXIT_FAILED
    out.write(f"{outcome.message} in uv's credentials.toml ({path})\n")
    if service.href.rstrip("/") != args.key.rstrip("/"):
        out.write(f"stored under {service.href}, as `uv auth login {args.key}` stores it\n")
    if token:
        out.write("uv sends it as HTTP basic with the user __token__ (as `uv auth login --token` stores it)\n")
    return EXIT_OK


def cmd_remove_uv(environment: Environment, args: argparse.Namespace, out: TextIO) -> int:
    """`remove KEY --store uv`: the entry `uv auth logout KEY [--username U]` removes — without a
    user name uv's `__token__` — or, when the service has none, its `scheme = "bearer"` entry (which
    has no user name, so `uv auth logout` cannot remove it). Through operations.delete_entry, the
    UI's `d`: one delete for both."""
    from pixi_auth_tui.engine.operations import delete_entry
    from pixi_auth_tui.pypi import uv_store
    from pixi_auth_tui.pypi.uv_credentials import STORE_ID
    from pixi_auth_tui.stores.base import StoreState

    try:
        service = uv_store.login_service(args.key)
    except uv_store.ServiceError as err:
        raise UsageError(f"{args.key!r} is no service uv accepts: {err}") from err
    inventory = load_inventory(environment, pypi=True)
    store = inventory.store(STORE_ID)
    assert store is not None  # (pypi=True: always among the stores)
    snapshot = inventory.snapshots[STORE_ID]
    if snapshot.state not in (StoreState.OK, StoreState.MISSING):
        raise UsageError(f"{store.location}: {snapshot.message}; fix it first, nothing was removed")
    by_user = {r.entry.item_ref: r for r in inventory.rows if r.store.id == STORE_ID and r.key == service.href}
    # without a user name: uv's __token__, else the bearer entry (which has none)
    wanted: list[str | None] = [args.username] if args.username else [uv_store.TOKEN_USER, None]
    row = next((by_user[user] for user in wanted if user in by_user), None)
    if row is None:
        who = f"{args.username}@{service.href}" if args.username else service.href
        out.write(f"{who} is not stored in {store.location}\n")
        return EXIT_NOT_FOUND
    delete_entry(inventory, row, as_seen=False)
    user = row.entry.item_ref
    who = service.href if user in (None, uv_store.TOKEN_USER) else f"{user}@{service.href}"
    kind = " (its bearer token)" if user is None else ""
    out.write(f"removed {who}{kind} from uv's credentials.toml ({store.location})\n")
    return EXIT_OK


# -- `test URL --pypi`: the index asked the way uv asks it --------------------------------------


def cmd_test_pypi(environment: Environment, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """GET the index root (or `<index>/<project>/`) with the credential pixi's uv would send and
    without it: the same probe and verdicts as `test` of a conda credential."""
    import asyncio

    from pixi_auth_tui.cli.common import EXIT_NOT_TESTED
    from pixi_auth_tui.cli.testing import exit_code
    from pixi_auth_tui.core.model import BasicHTTP
    from pixi_auth_tui.probe.request import ProbeSetupError, probe

    if not args.key or args.all:
        raise UsageError("test --pypi takes the index URL: test URL --pypi")
    result = pypi_resolution(environment, args.key, args.keyring_provider, args.project)
    if result.error:
        raise UsageError(result.error)
    winner = result.winner
    cred = winner.credential if winner is not None else None
    if cred is None and result.sends_user_only and winner is not None and winner.username:
        cred = BasicHTTP(winner.username, "")  # uv sends the user name alone: so does the test
    url = result.request_url if args.project else result.request_url.rstrip("/") + "/"
    if cred is None:
        out.write(f"{result.host}: NOT TESTED — pixi's uv sends no credential to {url}\n")
        print_resolution(result, out)
        return EXIT_NOT_TESTED
    options = _uv_probe_options(environment, args)
    try:
        res = asyncio.run(probe(result.host, cred, url, options))
    except ProbeSetupError as exc:
        err.write(f"pixi-auth-tui: cannot test: {exc}\n")
        return EXIT_FAILED
    assert winner is not None
    if args.json:
        write_json(out, {"index": result.url, "layer": winner.id, "username": winner.username, **res.to_json()})
    else:
        who = f" as {winner.username}" if winner.username else ""
        where = f": {winner.where}" if winner.where else ""
        out.write(f"{result.host} ({winner.name}{where}{who}): {res.verdict.value.upper()} — {res.message}\n")
        if res.url:
            line = f"  {res.url}"
            if res.status is not None:
                anon = f", without credential {res.anonymous_status}" if res.anonymous_status is not None else ""
                line += f" → HTTP {res.status}{anon}"
            out.write(line + "\n")
    return exit_code([res])


# -- `test KEY --store uv|netrc-uv`: one entry of uv's own stores ------------------------------


def cmd_test_uv_entry(environment: Environment, args: argparse.Namespace, out: TextIO) -> int:
    """The entry of uv's credentials.toml (or netrc as uv reads it) under KEY (and --username),
    sent to the workspace's index it serves (or --url) as uv sends it, and the same request
    without it; the result is kept for the table, as `test` keeps every result."""
    import asyncio

    from pixi_auth_tui.cli.common import EXIT_NOT_TESTED
    from pixi_auth_tui.cli.testing import exit_code
    from pixi_auth_tui.core.model import field_value
    from pixi_auth_tui.probe.request import ProbeSetupError
    from pixi_auth_tui.probe.state import ProbeState
    from pixi_auth_tui.probe.uv_entry import check_uv_entry
    from pixi_auth_tui.pypi.uv_credentials import UvCredentialsStore
    from pixi_auth_tui.pypi.uv_netrc_store import UvNetrcStore

    if not args.key or args.all:
        raise UsageError(f"test --store {args.store} takes the entry's key: its service URL (uv) or machine (netrc)")
    inventory = load_inventory(environment, pypi=True)
    store = inventory.store(args.store)
    if not isinstance(store, UvCredentialsStore | UvNetrcStore):
        raise UsageError(f"store {args.store!r} is not read here (netrc-uv: only inside a workspace with PyPI indexes)")
    key = store.stored_key(args.key) if isinstance(store, UvCredentialsStore) else args.key
    entries = [
        e
        for e in inventory.snapshots[store.id].entries
        if e.key == key and (args.username is None or field_value(e.credential, "username") == args.username)
    ]
    if not entries:
        who = f" for {args.username}" if args.username else ""
        out.write(f"{key}{who} is not in {store.name} ({store.location})\n")
        return EXIT_NOT_FOUND
    if len(entries) > 1:
        users = ", ".join(str(e.item_ref) for e in entries)
        raise UsageError(f"{key} has entries for {len(entries)} user names ({users}); choose one with --username")
    entry = entries[0]
    url = args.url or store.test_url(entry)
    if not url:
        out.write(f"{key}: NOT TESTED — no index of this workspace takes it from {store.name}; give --url\n")
        return EXIT_NOT_TESTED
    options = _uv_probe_options(environment, args)
    try:
        res = asyncio.run(check_uv_entry(entry, url, options))
    except (ProbeSetupError, ValueError) as exc:
        raise UsageError(f"cannot test: {exc}") from exc
    state = ProbeState.default(dict(environment.env))
    state.record(store.id, entry.key, entry.credential, res)
    state.save()
    user = field_value(entry.credential, "username")
    if args.json:
        write_json(out, {"store": store.id, "key": entry.key, "username": user or None, **res.to_json()})
    else:
        who = f" as {user}" if user else ""
        out.write(f"{entry.key} ({store.name}{who}): {res.verdict.value.upper()} — {res.message}\n")
        if res.url:
            anon = f", without credential {res.anonymous_status}" if res.anonymous_status is not None else ""
            status = f" → HTTP {res.status}{anon}" if res.status is not None else ""
            out.write(f"  {res.url}{status}\n")
    return exit_code([res])


def _uv_probe_options(environment: Environment, args: argparse.Namespace) -> ProbeOptions:
    """`test`'s options for a request sent as uv sends it: no generic who-am-I (uv asks none)."""
    from pixi_auth_tui.probe.request import ProbeOptions

    return ProbeOptions.within(
        args.timeout, allow_http=args.allow_http, env=dict(environment.env), generic_whoami=False
    )
