"""What pixi sends to a PyPI index: rattler's layer, then uv's own chain (uv 0.11.15).

pixi (0.77: pixi_uv_context, pixi_utils::reqwest::uv_middlewares) hands uv its middlewares,
which uv puts *in front of* its own AuthMiddleware (uv-client base_client.rs): so per request
1. the URL's own `user[:password]@` is moved into an `Authorization: Basic` header when the
   request is built (reqwest), before any middleware;
2. rattler's AuthenticationMiddleware, unless the request already carries `Authorization`:
   the host's credential from rattler's stores, wildcards included (the same lookup as
   `resolve`); when rattler's store cannot be built (a rejected file) pixi drops this layer
   silently (`if let Ok(..) = get_auth_middleware(..)`);
3. uv's AuthMiddleware (crates/uv-auth middleware.rs): a complete credential on the request
   (a password, or a token) is sent as it is. A user name alone makes uv look for its password
   before the first request: netrc (the host's entry or `default`, with that login), then its
   `credentials.toml` (with that user name), then — only with keyring-provider "subprocess" —
   the `keyring` command. With no credential at all uv first asks anonymously and, on 401, 403
   or 404, tries netrc, then credentials.toml; the keyring is skipped ("without username").
Not modelled: uv's in-process cache across indexes of one run, the pyx token store, uv's
Hugging Face/S3/GCS/Azure providers, and `UV_INDEX_<NAME>_*` variables (pixi names no index).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pixi_auth_tui.core.hostkeys import parse_url
from pixi_auth_tui.core.model import KINDS, BasicHTTP, Credential, field_value, mask, masked_secret, secret_of
from pixi_auth_tui.core.urlmask import mask_urls
from pixi_auth_tui.engine.inventory import Inventory, Resolution, describe_request
from pixi_auth_tui.pypi import keyring_tool, uv_netrc, uv_store
from pixi_auth_tui.pypi.keyring_entries import keyring_services

RATTLER, URL, NETRC, UV_STORE, KEYRING = "rattler", "url", "netrc", "uv-store", "keyring"
LAYER_NAMES = {
    RATTLER: "rattler's stores (pixi's layer)",
    URL: "the URL itself",
    NETRC: "netrc (as uv reads it)",
    UV_STORE: "uv's credentials.toml",
    KEYRING: "keyring command (subprocess)",
}
SUBPROCESS = "subprocess"


@dataclass
class Layer:
    id: str
    outcome: str  # "sends", "user name", "nothing", "skipped", "not consulted", "shadowed", "refused"
    detail: str
    username: str | None = None
    secret: str | None = None  # masked
    where: str | None = None  # file, store or key
    credential: Credential | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return LAYER_NAMES[self.id]

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.id,
            "name": self.name,
            "outcome": self.outcome,
            "detail": mask_urls(self.detail),
            "username": self.username,
            "secret": self.secret,
            "where": None if self.where is None else mask_urls(self.where),
        }


@dataclass
class PypiResolution:
    url: str  # the index URL, its password masked
    request_url: str  # what uv requests first
    host: str
    keyring_provider: str
    layers: list[Layer]
    winner: Layer | None
    # "first request": sent without waiting for a refusal; "after 401/403/404": uv asks anonymously first.
    when: str = ""
    authorization: str | None = None  # the header, masked
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def sends_credential(self) -> bool:
        return self.winner is not None and self.winner.outcome == "sends"

    @property
    def sends_user_only(self) -> bool:
        return self.winner is not None and self.winner.outcome == "user name"

    def to_json(self) -> dict[str, Any]:
        # URLs as the one masking shows them (a query's ?token=…, a bare user@ that may be a token)
        return {
            "url": mask_urls(self.url),
            "request_url": mask_urls(self.request_url),
            "host": self.host,
            "keyring_provider": self.keyring_provider,
            "sends_credential": self.sends_credential,
            "layer": self.winner.id if self.winner else None,
            "when": self.when or None,
            "authorization": self.authorization,
            "username": self.winner.username if self.winner else None,
            "layers": [layer.to_json() for layer in self.layers],
            "notes": [mask_urls(note) for note in self.notes],
        }


@dataclass
class UvSide:
    """uv's own stores, read once for many URLs (a check resolves every index)."""

    netrc: uv_netrc.UvNetrc
    store: uv_store.UvStoreFile
    env: dict[str, str]
    keyring_provider: str = "disabled"
    run_keyring: bool = True

    @classmethod
    def load(cls, env: dict[str, str], home: Path, keyring_provider: str | None, run_keyring: bool = True) -> UvSide:
        return cls(uv_netrc.load(env, home), uv_store.load(env, home), env, keyring_provider or "disabled", run_keyring)


@dataclass(frozen=True)
class UvRequest:
    """One request to an index, as each layer of uv's chain looks it up."""

    side: UvSide
    request_url: str  # what uv requests (no user info)
    index_url: str  # the index, without user info, as the url crate writes it (the keyring is asked for it)
    host: str  # netrc's machine
    username: str | None  # the user name uv looks a password up for (None: none)


def keyring_provider_for(env: dict[str, str], home: Path, workspace: Path | None) -> tuple[str, list[str]]:
    """pixi's `pypi-config.keyring-provider` (global files, then the workspace's .pixi/config.toml)."""
    from pixi_auth_tui.system.manifest import read_config

    config = read_config(workspace, env, home)
    return config.keyring_provider or "disabled", config.problems


def _basic_header(username: str, password: str | None) -> str:
    shown = "" if password is None else mask(password, human=True)
    return f"Basic base64({username}:{shown})"


def _split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """The URL without its userinfo, and the user name and password uv reads from it."""
    parsed = parse_url(url)
    if parsed is None:
        return url, None, None
    user = unquote(parsed.username, errors="replace") or None
    password = unquote(parsed.password, errors="replace") or None
    return uv_store.href(parsed), user, password  # as the url crate writes it (lower-case host, …)


def _request_url(index: str, project: str | None) -> str:
    if project is None:
        return index
    return index.rstrip("/") + f"/{project}/"


def resolve_pypi(
    inventory: Inventory | None,
    url: str,
    side: UvSide,
    project: str | None = None,
    request_url: str | None = None,
) -> PypiResolution:
    """What pixi sends for a request to the index `url` (for `project`'s page, or the URL itself;
    `request_url`: a URL under the index, as written without user info).
    With `inventory` None, uv alone (no pixi around it: no rattler layer)."""
    clean, user, password = _split_userinfo(url)
    parsed = parse_url(clean)
    shown = clean if user is None else clean.replace("://", f"://{user}@" if password is None else f"://{user}:•••@", 1)
    if parsed is None or not parsed.host:
        return PypiResolution(
            shown, shown, "", side.keyring_provider, [], None, error=f"not a URL with a host: {url!r}"
        )
    request_url = request_url or _request_url(clean, project)
    host = parsed.host
    result = PypiResolution(shown, request_url, host, side.keyring_provider, [], None)
    anonymous = UvRequest(side, request_url, clean, host, None)
    layers = result.layers
    if side.netrc.note:
        result.notes.append(side.netrc.note)

    def win(layer: Layer, when: str, header: str | None) -> PypiResolution:
        layers.append(layer)
        result.winner, result.when, result.authorization = layer, when, header
        return result

    # 1. The URL's own credentials: moved into the header before rattler's middleware runs.
    if user is not None or password is not None:
        if inventory is not None:
            layers.append(Layer(RATTLER, "not consulted", "the request already carries the URL's credentials"))
        if password is not None:
            return win(
                Layer(
                    URL,
                    "sends",
                    "user and password written in the URL",
                    user,
                    mask(password, human=True),
                    credential=BasicHTTP(user or "", password),
                ),
                "first request",
                _basic_header(user or "", password),
            )
        assert user is not None
        layers.append(Layer(URL, "user name", "a user name without a password: uv looks for the password first", user))
        return _uv_chain(result, replace(anonymous, username=user), "first request")

    if inventory is None:
        return _uv_chain(result, anonymous, "after 401/403/404")
    # 2. rattler's layer (pixi's).
    rattler = _rattler_layer(inventory, request_url)
    layers.append(rattler)
    if rattler.outcome == "sends":
        cred = rattler.credential
        if cred is not None and _basic_user(cred) is not None and not secret_of(cred):
            # uv reads a Basic header without a password as a user name and looks further.
            rattler.outcome = "user name"
            rattler.detail += "; its password is empty, so uv takes it as a user name and looks for the password"
            user_only = _basic_user(cred)
            return _uv_chain(result, replace(anonymous, username=user_only), "first request")
        if cred is not None and KINDS[cred.kind].sends == "conda-path":  # (the path, not a header)
            result.notes.append(
                "rattler puts this conda token into the path (/t/<token>/); uv sees no credential and, "
                "if the server refuses, runs its own chain below"
            )
            result.winner, result.when = rattler, "first request"
            return _uv_chain(result, anonymous, "after 401/403/404")
        result.winner, result.when = rattler, "first request"
        request = describe_request_for(inventory, request_url)
        result.authorization = request.headers.get("Authorization") if request else None
        _later_shadowed(result, anonymous)
        return result
    return _uv_chain(result, anonymous, "after 401/403/404")


@dataclass(frozen=True)
class IndexMatch:
    """A workspace's PyPI index that a URL is, or lies under."""

    index_url: str  # as the workspace writes it (its user name kept: uv sends it)
    request_url: str  # the asked URL, without user info, as the url crate writes it


def workspace_index(url: str, index_urls: list[str]) -> IndexMatch | None:
    """The index of `index_urls` that `url` is or lies under (same scheme, host and port; the
    index's path a prefix of the URL's), the longest first; None when it names none of them."""
    asked = uv_store.parse_url(url)
    if asked is None or asked.scheme not in ("http", "https"):
        return None
    best: tuple[int, str] | None = None
    for index in index_urls:
        parsed = uv_store.parse_url(index)
        if parsed is None or (parsed.scheme, parsed.host, parsed.port) != (asked.scheme, asked.host, asked.port):
            continue
        root = parsed.path.rstrip("/")
        under = asked.path.rstrip("/") == root or asked.path.startswith(root + "/")
        if under and (best is None or len(root) > best[0]):
            best = (len(root), index)
    return None if best is None else IndexMatch(best[1], asked.href)


def describe_request_for(inventory: Inventory, url: str) -> Any:
    resolution = inventory.resolve(url)
    if resolution.row is None:
        return None
    return describe_request(resolution.row, url)


def _rattler_layer(inventory: Inventory, url: str) -> Layer:
    if inventory.blocked:
        return Layer(
            RATTLER,
            "skipped",
            f"pixi drops rattler's layer for PyPI without a word: {inventory.blocked.split(' (')[0]} cannot be loaded",
        )
    resolution: Resolution = inventory.resolve(url)
    row = resolution.row
    if row is None:
        tried = ", ".join(resolution.candidates)
        return Layer(RATTLER, "nothing", f"no key in rattler's stores matches (keys tried: {tried})")
    cred = row.entry.credential
    username = _basic_user(cred)
    return Layer(
        RATTLER,
        "sends",
        f"{row.key} in {row.store.name}: rattler sets the header and uv keeps it",
        username,
        masked_secret(cred),
        f"{row.key} in {row.store.name} ({row.store.location})",
        cred,
    )


def _uv_chain(result: PypiResolution, request: UvRequest, when: str) -> PypiResolution:
    found = _uv_lookups(result, request, stop=True)
    if found is not None:
        result.winner, result.when = found, when
        assert found.credential is not None
        result.authorization = _authorization(found.credential)
        _later_shadowed(result, request, after=found.id)
        return result
    if request.username is not None and result.winner is None:
        # Nothing had the password: uv sends the request with the user name alone.
        owner = next(layer for layer in result.layers if layer.outcome == "user name")
        result.winner, result.when = owner, when
        result.authorization = _basic_header(request.username, None)
    return result


def _basic_user(cred: Credential) -> str | None:
    """The user name of an HTTP basic credential (None for any other kind)."""
    spec = KINDS[cred.kind]
    return field_value(cred, spec.identity) if spec.sends == "basic" and spec.identity else None


def _authorization(cred: Credential) -> str:
    user = _basic_user(cred)
    if user is not None:
        return _basic_header(user, secret_of(cred) or "")
    return f"Bearer {masked_secret(cred)}"


def _uv_lookups(result: PypiResolution, request: UvRequest, stop: bool) -> Layer | None:
    """uv's own chain in order, each layer added to `result.layers`; the first that supplies
    a credential (with `stop`, the later ones are then not consulted)."""
    winner: Layer | None = None
    for step in (_netrc_layer, _store_layer, _keyring_layer):
        if winner is not None and stop:
            break
        layer = step(request)
        result.layers.append(layer)
        if layer.outcome == "sends" and winner is None:
            winner = layer
    return winner


def _later_shadowed(result: PypiResolution, request: UvRequest, after: str | None = None) -> None:
    """The layers after the winner: never consulted for this request; "shadowed" where they
    hold one too (the keyring is not run for this — that asks a program, which may prompt or
    mint a token)."""
    order = [NETRC, UV_STORE, KEYRING]
    start = order.index(after) + 1 if after in order else 0
    used = result.winner.name if result.winner else ""
    for layer_id in order[start:]:
        if layer_id == KEYRING:
            if request.side.keyring_provider == SUBPROCESS and request.username is not None:
                result.layers.append(Layer(KEYRING, "not consulted", f"{used} comes first"))
            else:
                result.layers.append(_keyring_layer(request))
            continue
        step = _netrc_layer if layer_id == NETRC else _store_layer
        layer = step(request)
        if layer.outcome == "sends":
            layer.outcome = "shadowed"
            layer.detail = f"{layer.detail}: would supply one too, but {used} comes first"
        elif layer.outcome == "nothing":
            layer.outcome = "not consulted"
            layer.detail = f"{used} comes first ({layer.detail})"
        result.layers.append(layer)


def _netrc_layer(request: UvRequest) -> Layer:
    netrc, host, username = request.side.netrc, request.host, request.username
    if netrc.path is None:
        return Layer(NETRC, "nothing", "no netrc file ($NETRC or ~/.netrc)")
    where = str(netrc.path)
    if netrc.error is not None:
        return Layer(NETRC, "refused", f"uv ignores this netrc: {netrc.error}", where=where)
    entry = uv_netrc.lookup(netrc, host, username)
    if entry is None:
        if username is not None and (host in netrc.entries or uv_netrc.DEFAULT in netrc.entries):
            found = netrc.entries.get(host) or netrc.entries[uv_netrc.DEFAULT]
            return Layer(
                NETRC, "nothing", f"the entry for {found.name} has login {found.login!r}, not {username!r}", where=where
            )
        return Layer(NETRC, "nothing", f"no `machine {host}` and no `default` entry", where=where)
    cred = BasicHTTP(entry.login, entry.password)
    what = "the `default` entry" if entry.name == uv_netrc.DEFAULT and host != uv_netrc.DEFAULT else f"machine {host}"
    return Layer(NETRC, "sends", what, entry.login, mask(entry.password, human=True), where, cred)


def _store_layer(request: UvRequest) -> Layer:
    store, request_url, username = request.side.store, request.request_url, request.username
    where = str(store.path)
    if not store.exists:
        return Layer(UV_STORE, "nothing", "no credentials.toml", where=where)
    if store.error is not None:
        return Layer(UV_STORE, "refused", f"uv ignores the whole file: {store.error}", where=where)
    try:
        entry = uv_store.lookup(store, request_url, username)
    except uv_store.Ambiguous as err:
        return Layer(UV_STORE, "nothing", str(err), where=where)
    if entry is None:
        whose = f" for user {username!r}" if username is not None else ""
        return Layer(UV_STORE, "nothing", f"no service covers {request_url}{whose}", where=where)
    cred = entry.credential()
    secret = mask(entry.password, human=True) if entry.token is None else masked_secret(cred)
    return Layer(UV_STORE, "sends", f"service {entry.service.href}", entry.username, secret, where, cred)


def _keyring_layer(request: UvRequest) -> Layer:
    side, username = request.side, request.username
    if side.keyring_provider != SUBPROCESS:
        return Layer(
            KEYRING, "not consulted", 'pixi\'s pypi-config.keyring-provider is not "subprocess", so uv never asks'
        )
    if username is None:
        return Layer(
            KEYRING,
            "skipped",
            'uv asks the keyring only when the URL names a user ("Skipping keyring fetch … without '
            'username"): write the user into the index URL, e.g. https://USER@host/simple',
        )
    urls = keyring_services(request.index_url)
    if not urls:
        return Layer(KEYRING, "nothing", "uv asks keyring only for http(s) index URLs")
    asked = ", then ".join(f"`keyring get {u} {username}`" for u in urls)
    if not side.run_keyring:
        return Layer(KEYRING, "not consulted", f"uv would run {asked} (not run here)")
    executable = keyring_tool.find_keyring(side.env)
    if executable is None:
        return Layer(KEYRING, "nothing", "no `keyring` command on PATH: uv warns and gets nothing from the keyring")
    answers = keyring_tool.uv_keyring_lookup(executable, side.env, urls, username)
    runs = "; ".join(f"{answer.service}: {answer.outcome}" for answer in answers)
    answer = next((a for a in answers if a.found), None)
    if answer is None or answer.password is None:
        return Layer(KEYRING, "nothing", f"ran {asked} — {runs}", where=executable)
    return Layer(
        KEYRING,
        "sends",
        f"`keyring get {answer.service} {username}` answered ({executable})",
        username,
        mask(answer.password, human=True),
        answer.service,
        BasicHTTP(username, answer.password),
    )
