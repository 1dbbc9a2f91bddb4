"""The PyPI-side stores uv reads under pixi, after rattler's: found for the workspace's indexes."""

from __future__ import annotations

from typing import NamedTuple

from pixi_auth_tui.pypi import uv_dirs
from pixi_auth_tui.stores.base import Store
from pixi_auth_tui.system.paths import Environment


class PypiSettings(NamedTuple):
    """What the workspace tells about its PyPI indexes (pixi's manifest and config files)."""

    # (A NamedTuple rather than a dataclass: every reading command imports this module, and a
    # NamedTuple class is far cheaper to create.)
    index_urls: list[str]  # as written (may hold a user name)
    keyring_provider: str | None = None  # pixi's pypi-config.keyring-provider


def workspace_pypi(environment: Environment) -> PypiSettings:
    """The index URLs of every feature (index-url, extra-index-urls, find-links) and of pixi's
    config, and the keyring provider; empty outside a workspace or when it cannot be read."""
    settings = PypiSettings([])
    if environment.workspace is None:
        return settings
    from pixi_auth_tui.system.manifest import find_manifest, read_config, read_manifest

    try:
        workspace = read_manifest(find_manifest(environment.workspace))
        config = read_config(workspace.root, environment.env, environment.home)
    except Exception:  # a manifest `check` reports; the stores stay readable without it
        return settings
    urls: list[str] = []
    for feature in workspace.features.values():
        options = feature.pypi
        urls += [u for u in (options.index_url, *options.extra_index_urls, *options.find_links) if u]
    urls += [u for u in (config.pypi_index_url, *config.pypi_extra_index_urls) if u]
    return PypiSettings(list(dict.fromkeys(urls)), config.keyring_provider)


def discover_pypi_stores(environment: Environment, wanted: bool = False) -> list[Store]:
    """uv's stores, after rattler's, in uv's order: netrc as uv reads it when the workspace has
    PyPI indexes and a netrc exists; its credentials.toml when the workspace has
    PyPI indexes, when it exists, or `wanted`; the Python keyring when the workspace has PyPI
    indexes or `wanted` (a command that names one of them)."""
    settings = workspace_pypi(environment)
    uv_path = uv_dirs.credentials_path(environment.env, environment.home)
    if not settings.index_urls and not wanted:
        # No PyPI index and no command naming uv's stores (most commands, outside a workspace):
        # only credentials.toml, if it exists; the other stores' modules are not even imported.
        if not uv_path.exists():
            return []
        from pixi_auth_tui.pypi.uv_credentials import UvCredentialsStore

        return [UvCredentialsStore(uv_path, [], environment.env, environment.home)]
    from pixi_auth_tui.pypi.keyring_entries import keyring_services, queries_for, without_password
    from pixi_auth_tui.pypi.keyring_store import PythonKeyringStore
    from pixi_auth_tui.pypi.uv_credentials import UvCredentialsStore
    from pixi_auth_tui.pypi.uv_netrc_store import UvNetrcStore

    index_urls = [without_password(u) for u in settings.index_urls]
    stores: list[Store] = []
    netrc = UvNetrcStore(index_urls, environment.env, environment.home)
    if settings.index_urls and netrc.path is not None:  # beside rattler's reading of the same file
        stores.append(netrc)
    stores.append(UvCredentialsStore(uv_path, index_urls, environment.env, environment.home))
    services = [s for url in settings.index_urls for s in keyring_services(url)]
    stores.append(
        PythonKeyringStore(
            queries_for(settings.index_urls),
            services,
            keyring_provider=settings.keyring_provider,
            bus_address=environment.get("DBUS_SESSION_BUS_ADDRESS"),
            index_urls=index_urls,
            env=environment.env,
        )
    )
    return stores
