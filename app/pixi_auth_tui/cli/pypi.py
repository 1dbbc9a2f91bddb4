"""`resolve URL --pypi`: what pixi sends to a PyPI index through uv, layer by layer, and why.

The model is pixi_auth_tui.pypi.chain; this module only reads the options and prints."""

from __future__ import annotations

import argparse
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_NOT_FOUND, EXIT_OK, UsageError
from pixi_auth_tui.core.redact import plain, write_json
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.pypi.chain import PypiResolution, UvSide, keyring_provider_for, resolve_pypi
from pixi_auth_tui.system.paths import Environment

PROVIDERS = ("disabled", "subprocess")


def pypi_resolution(environment: Environment, url: str, provider: str | None, project: str | None) -> PypiResolution:
    problems: list[str] = []
    if provider is None:
        provider, problems = keyring_provider_for(environment.env, environment.home, environment.workspace)
        source = "pixi's config"
    else:
        source = "--keyring-provider"
    inventory = load_inventory(environment)
    side = UvSide.load(environment.env, environment.home, provider)
    result = resolve_pypi(inventory, url, side, project)
    result.notes.append(f"keyring-provider {provider!r} (from {source})")
    result.notes.extend(problems)
    return result


def cmd_resolve_pypi(environment: Environment, args: argparse.Namespace, out: TextIO) -> int:
    result = pypi_resolution(environment, args.url, args.keyring_provider, args.project)
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
