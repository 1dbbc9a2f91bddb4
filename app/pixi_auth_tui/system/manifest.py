"""Reading a pixi workspace for the check: manifest, pixi's config files, and pixi.lock.

Only what decides which hosts pixi contacts is read: channels, PyPI indexes and find-links,
s3-options, mirrors, pypi-config, tls-no-verify and the override file. Unknown or malformed
content becomes a problem line, never an exception.

Config files: pixi_auth_tui.system.pixiconfig knows pixi's global files but reads only the override file and
tls-no-verify; the workspace's own `.pixi/config.toml`, mirrors, s3-options and pypi-config are
read here (merged as pixi merges: later files win per key, mirrors and s3-options extended).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pixi_auth_tui.core.hostkeys import parse_url
from pixi_auth_tui.core.urlmask import mask_urls
from pixi_auth_tui.system import pixiconfig as pixiconfig
from pixi_auth_tui.system.pixiconfig import OVERRIDE_KEYS, TLS_NO_VERIFY_KEYS, config_locations, read_config_files
from pixi_auth_tui.system.safeio import UnreadableFile

# pixi's channel config is not configurable (serde-skipped in pixi_config): the default alias.
CHANNEL_ALIAS = "https://conda.anaconda.org/"
DEFAULT_PYPI_INDEX = "https://pypi.org/simple/"
DEFAULT_FEATURE = "default"

# The keys pixi 0.77's manifest parser accepts (crates/pixi_manifest/src/toml); it rejects others.
TOP_KEYS = frozenset(
    [
        "$schema",
        "workspace",
        "project",
        "package",
        "target",
        "dependencies",
        "host-dependencies",
        "build-dependencies",
        "constraints",
        "exclude-newer",
        "pypi-dependencies",
        "pypi-exclude-newer",
        "dev",
        "activation",
        "tasks",
        "feature",
        "environments",
        "pypi-options",
        "system-requirements",
        "tool",
    ]
)
FEATURE_KEYS = frozenset(
    [
        "activation",
        "build-dependencies",
        "channel-priority",
        "channels",
        "constraints",
        "dependencies",
        "dev",
        "host-dependencies",
        "platforms",
        "pypi-dependencies",
        "pypi-options",
        "solve-strategy",
        "system-requirements",
        "target",
        "tasks",
        "exclude-newer",
        "pypi-exclude-newer",
    ]
)
WORKSPACE_KEYS = FEATURE_KEYS | frozenset(
    [
        "authors",
        "build-variants",
        "build-variants-files",
        "conda-pypi-map",
        "description",
        "documentation",
        "homepage",
        "license",
        "license-file",
        "name",
        "preview",
        "readme",
        "repository",
        "requires-pixi",
        "s3-options",
        "version",
    ]
)
PYPI_OPTION_KEYS = frozenset(
    [
        "dependency-overrides",
        "extra-index-urls",
        "find-links",
        "index-strategy",
        "index-url",
        "no-binary",
        "no-build",
        "no-build-isolation",
        "prerelease-mode",
        "skip-wheel-filename-check",
    ]
)


def _unknown_keys(table: dict[str, Any], known: frozenset[str], where: str, problems: list[str]) -> None:
    for key in table:
        if key not in known:
            problems.append(f"{where}: unknown key {mask_urls(key)!r} (pixi refuses a manifest with unknown keys)")


@dataclass(frozen=True)
class S3Option:
    bucket: str
    endpoint_url: str
    region: str
    force_path_style: bool
    source: str  # where it was set


@dataclass
class PypiOptions:
    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    find_links: list[str] = field(default_factory=list)  # URLs only; local paths need no host


@dataclass
class Feature:
    name: str
    channels: list[str] = field(default_factory=list)  # as written
    pypi: PypiOptions = field(default_factory=PypiOptions)
    has_pypi_dependencies: bool = False


@dataclass
class PixiConfig:
    """The merged config pixi uses inside this workspace (global files, then .pixi/config.toml)."""

    files: list[Path] = field(default_factory=list)
    mirrors: dict[str, list[str]] = field(default_factory=dict)
    s3_options: dict[str, S3Option] = field(default_factory=dict)
    keyring_provider: str | None = None
    pypi_index_url: str | None = None
    pypi_extra_index_urls: list[str] = field(default_factory=list)
    tls_no_verify: bool = False
    override_file: Path | None = None
    override_source: Path | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LockedUrl:
    url: str
    environment: str
    what: str  # "channel", "conda package", "pypi package"


@dataclass
class LockInfo:
    path: Path
    urls: list[LockedUrl] = field(default_factory=list)
    problem: str | None = None


@dataclass
class Workspace:
    root: Path
    manifest: Path
    name: str = ""
    features: dict[str, Feature] = field(default_factory=dict)
    environments: dict[str, list[str]] = field(default_factory=dict)  # env → features, default first
    s3_options: dict[str, S3Option] = field(default_factory=dict)  # from the manifest
    build_channels: list[str] = field(default_factory=list)  # [package.build] and its backend's
    config: PixiConfig = field(default_factory=PixiConfig)
    lock: LockInfo | None = None
    problems: list[str] = field(default_factory=list)

    def environments_of(self, feature: str) -> list[str]:
        return [env for env, features in self.environments.items() if feature in features]

    def s3_option(self, bucket: str) -> S3Option | None:
        # The workspace's s3-options extend (and override) the config's, as pixi merges them.
        return self.s3_options.get(bucket) or self.config.s3_options.get(bucket)


class NotAWorkspace(Exception):
    pass


# -- finding the workspace ------------------------------------------------------------------


def _pixi_table(manifest: Path) -> dict[str, Any] | None:
    """The manifest's pixi content, or None when it is a pyproject.toml without [tool.pixi]."""
    data = pixiconfig.read_toml(manifest)
    if manifest.name == "pyproject.toml":
        tool = data.get("tool")
        pixi = tool.get("pixi") if isinstance(tool, dict) else None
        return pixi if isinstance(pixi, dict) else None
    return data


def find_manifest(start: Path) -> Path:
    """From `start` (a folder or a manifest) upward, the first pixi.toml or pyproject with [tool.pixi]."""
    start = start.expanduser().resolve()
    if not start.exists():
        raise NotAWorkspace(f"{start} does not exist")
    if start.is_file():
        return start  # named explicitly: read it, and report what it lacks
    manifest = pixiconfig.find_manifest(start)
    if manifest is None:
        raise NotAWorkspace(f"no pixi.toml or pyproject.toml with [tool.pixi] in {start} or above")
    return manifest


# -- the manifest ---------------------------------------------------------------------------


def channel_url(channel: str) -> str | None:
    """A channel as written → the base URL pixi requests (trailing slash), None for local paths."""
    text = channel.strip()
    if "://" in text:
        if text.lower().startswith("file://"):
            return None
        return text if text.endswith("/") else text + "/"
    if text.startswith(("/", ".", "~")) or (len(text) > 1 and text[1] == ":"):
        return None  # a local folder
    return f"{CHANNEL_ALIAS}{text.strip('/')}/"


def _strings(value: Any, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list, found {type(value).__name__}")
        return []
    out: list[str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        else:
            problems.append(f"{where}: ignored a {type(item).__name__} entry")
    return out


def _channels(value: Any, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list of channels")
        return []
    out: list[str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("channel"), str):
            out.append(item["channel"])  # {channel = "…", priority = N}
        else:
            problems.append(f"{where}: ignored a channel entry that is neither a name/URL nor {{channel = …}}")
    return out


def _pypi_options(value: Any, where: str, problems: list[str]) -> PypiOptions:
    options = PypiOptions()
    if value is None:
        return options
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a table")
        return options
    _unknown_keys(value, PYPI_OPTION_KEYS, where, problems)
    index = value.get("index-url")
    if isinstance(index, str):
        options.index_url = index
    elif index is not None:
        problems.append(f"{where}.index-url: expected a URL string")
    options.extra_index_urls = _strings(value.get("extra-index-urls"), f"{where}.extra-index-urls", problems)
    links = value.get("find-links")
    if isinstance(links, list):
        for link in links:
            if isinstance(link, dict) and isinstance(link.get("url"), str):
                options.find_links.append(link["url"])
            elif not (isinstance(link, dict) and isinstance(link.get("path"), str)):
                problems.append(f"{where}.find-links: ignored an entry that is neither {{url = …}} nor {{path = …}}")
    elif links is not None:
        problems.append(f"{where}.find-links: expected a list")
    return options


def _s3_options(value: Any, where: str, problems: list[str]) -> dict[str, S3Option]:
    found: dict[str, S3Option] = {}
    if value is None:
        return found
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a table of buckets")
        return found
    for bucket, options in value.items():
        if not isinstance(options, dict):
            problems.append(f"{where}.{bucket}: expected a table")
            continue
        endpoint, region, path_style = (
            options.get("endpoint-url"),
            options.get("region"),
            options.get("force-path-style"),
        )
        if not (isinstance(endpoint, str) and isinstance(region, str) and isinstance(path_style, bool)):
            # pixi requires all three; without them it falls back to the AWS default chain.
            problems.append(f"{where}.{bucket}: needs endpoint-url, region and force-path-style; ignored")
            continue
        found[str(bucket)] = S3Option(str(bucket), endpoint, region, path_style, where)
    return found


def _feature(name: str, table: dict[str, Any], where: str, problems: list[str]) -> Feature:
    _unknown_keys(table, WORKSPACE_KEYS if name == DEFAULT_FEATURE else FEATURE_KEYS, where, problems)
    feature = Feature(name)
    feature.channels = _channels(table.get("channels"), f"{where}.channels", problems)
    feature.pypi = _pypi_options(table.get("pypi-options"), f"{where}.pypi-options", problems)
    feature.has_pypi_dependencies = bool(table.get("pypi-dependencies"))
    return feature


def read_manifest(manifest: Path) -> Workspace:
    workspace = Workspace(root=manifest.parent, manifest=manifest)
    problems = workspace.problems
    try:
        pixi = _pixi_table(manifest)
    except (UnreadableFile, pixiconfig.BadToml) as err:
        problems.append(str(err))  # (each names the file)
        return workspace
    except OSError as err:
        problems.append(f"{manifest}: cannot be read ({err.strerror or err})")
        return workspace
    if pixi is None:
        problems.append(f"{manifest}: no [tool.pixi] table")
        return workspace
    prefix = "tool.pixi." if manifest.name == "pyproject.toml" else ""
    _unknown_keys(pixi, TOP_KEYS, f"{manifest.name}{' [tool.pixi]' if prefix else ''}", problems)
    head_name = "workspace" if "workspace" in pixi else "project"
    head = pixi.get(head_name)
    if not isinstance(head, dict):
        problems.append(f"{manifest}: no [{prefix}workspace] table")
        head = {}
    workspace.name = str(head.get("name") or manifest.parent.name)
    default = _feature(DEFAULT_FEATURE, head, f"[{prefix}{head_name}]", problems)
    # pypi-options may also sit at the top level (both are read by pixi).
    top = _pypi_options(pixi.get("pypi-options"), f"[{prefix}pypi-options]", problems)
    default.pypi.index_url = default.pypi.index_url or top.index_url
    default.pypi.extra_index_urls += top.extra_index_urls
    default.pypi.find_links += top.find_links
    default.has_pypi_dependencies = bool(pixi.get("pypi-dependencies")) or (
        manifest.name == "pyproject.toml"  # a pyproject's own dependencies are PyPI ones
    )
    workspace.features[DEFAULT_FEATURE] = default
    workspace.s3_options = _s3_options(head.get("s3-options"), f"[{prefix}{head_name}.s3-options]", problems)

    package = pixi.get("package")
    build = package.get("build") if isinstance(package, dict) else None
    if isinstance(build, dict):
        workspace.build_channels = _channels(build.get("channels"), f"[{prefix}package.build].channels", problems)
        backend = build.get("backend")
        if isinstance(backend, dict):
            where = f"[{prefix}package.build.backend].channels"
            workspace.build_channels += _channels(backend.get("channels"), where, problems)

    features = pixi.get("feature", {})
    if isinstance(features, dict):
        for name, table in features.items():
            if isinstance(table, dict):
                workspace.features[str(name)] = _feature(str(name), table, f"[{prefix}feature.{name}]", problems)
            else:
                problems.append(f"[{prefix}feature.{name}]: expected a table")
    else:
        problems.append(f"[{prefix}feature]: expected a table")

    workspace.environments = {"default": [DEFAULT_FEATURE]}
    environments = pixi.get("environments", {})
    if not isinstance(environments, dict):
        problems.append(f"[{prefix}environments]: expected a table")
        environments = {}
    for env, spec in environments.items():
        names: list[str]
        with_default = True
        if isinstance(spec, list):
            names = _strings(spec, f"[{prefix}environments].{env}", problems)
        elif isinstance(spec, dict):
            names = _strings(spec.get("features", []), f"[{prefix}environments].{env}.features", problems)
            with_default = not spec.get("no-default-feature", False)
        else:
            problems.append(f"[{prefix}environments].{env}: expected a list of features or a table")
            continue
        for missing in [n for n in names if n not in workspace.features]:
            problems.append(f"[{prefix}environments].{env}: unknown feature {missing!r}")
        known = [n for n in names if n in workspace.features]
        workspace.environments[str(env)] = ([DEFAULT_FEATURE] if with_default else []) + known
    return workspace


# -- pixi's config files ----------------------------------------------------------------------


def read_config(workspace_root: Path | None, env: dict[str, str], home: Path) -> PixiConfig:
    config = PixiConfig()
    for path, doc in read_config_files(config_locations(env, home, workspace_root), config.problems):
        if doc is not None:
            config.files.append(path)
            _merge_config(config, doc, path)
    return config


def _merge_config(config: PixiConfig, doc: dict[str, Any], path: Path) -> None:
    problems = config.problems
    mirrors = doc.get("mirrors")
    if isinstance(mirrors, dict):
        for source, targets in mirrors.items():
            urls = _strings(targets, f"{path}: mirrors.{source}", problems)
            if urls:
                config.mirrors[_slash(str(source))] = [_slash(u) for u in urls]
    elif mirrors is not None:
        problems.append(f"{path}: mirrors must be a table of URL = [URLs]")
    config.s3_options.update(_s3_options(doc.get("s3-options"), f"{path}: s3-options", problems))
    pypi = doc.get("pypi-config")
    if isinstance(pypi, dict):
        provider = pypi.get("keyring-provider")
        if provider in ("disabled", "subprocess"):
            config.keyring_provider = provider
        elif provider is not None:
            problems.append(f"{path}: pypi-config.keyring-provider must be 'disabled' or 'subprocess'")
        if isinstance(pypi.get("index-url"), str):
            config.pypi_index_url = pypi["index-url"]
        extra = _strings(pypi.get("extra-index-urls"), f"{path}: pypi-config.extra-index-urls", problems)
        if extra:
            config.pypi_extra_index_urls = extra
    elif pypi is not None:
        problems.append(f"{path}: pypi-config must be a table")
    for key in TLS_NO_VERIFY_KEYS:
        if isinstance(doc.get(key), bool):
            config.tls_no_verify = doc[key]
    for key in OVERRIDE_KEYS:
        value = doc.get(key)
        if isinstance(value, str) and value:
            config.override_file = Path(value)  # as written: pixi does not expand `~`
            config.override_source = path


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _path_length(url: str) -> int:
    # The WHATWG parse, as rattler's: Python's refuses some URLs it takes (a `[` in user info).
    parsed = parse_url(url)
    return len(parsed.path) if parsed is not None else 0


def apply_mirror(url: str, mirrors: dict[str, list[str]]) -> tuple[str, str | None]:
    """(url after pixi's mirror middleware, the mirror key used). Longest key path first, the
    first mirror of a list (all healthy), the rest of the URL appended: as rattler does."""
    for key in sorted(mirrors, key=_path_length, reverse=True):
        if url.startswith(key) and mirrors[key]:
            rest = url[len(key) :].lstrip("/")
            return mirrors[key][0].rstrip("/") + "/" + rest, key
    return url, None


# -- pixi.lock --------------------------------------------------------------------------------


def read_lock(path: Path) -> LockInfo:
    """The URLs a lock file fetched, read with py-rattler (rattler's own lock-file parser).

    py-rattler is an optional dependency (`pip install 'pixi-auth-tui[lock]'`): without it the
    lock file is reported as unread, never parsed by hand.
    """
    info = LockInfo(path)
    try:
        from rattler import LockFile
    except ImportError:
        info.problem = "py-rattler is not installed, so pixi.lock was not read (pip install 'pixi-auth-tui[lock]')"
        return info
    try:
        lock = LockFile.from_path(path)
        for env_name, env in lock.environments():
            for channel in env.channels():
                info.urls.append(LockedUrl(str(channel), env_name, "channel"))
            for packages in env.packages_by_platform().values():
                for package in packages:
                    location = str(package.location)
                    what = "pypi package" if type(package).__name__.startswith("Pypi") else "conda package"
                    if "://" in location and not location.startswith("file://"):
                        info.urls.append(LockedUrl(location, env_name, what))
    except Exception as err:  # rattler raises its own exception types for every parse error
        info.problem = f"pixi.lock cannot be read: {str(err).splitlines()[0][:200] if str(err) else type(err).__name__}"
    return info


def load_workspace(start: Path, env: dict[str, str], home: Path) -> Workspace:
    manifest = find_manifest(start)
    workspace = read_manifest(manifest)
    workspace.config = read_config(workspace.root, env, home)
    lock_path = workspace.root / "pixi.lock"
    if lock_path.is_file():
        workspace.lock = read_lock(lock_path)
    return workspace


def strip_userinfo(url: str) -> tuple[str, bool]:
    """The URL without `user:password@`, and whether it had any (never shown, never stored)."""
    if "@" not in url:
        return url, False  # the common case, without parsing (a lock file holds thousands of URLs)
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url, False
    except ValueError:
        return url, False  # not a URL pixi could fetch either; reported as such
    netloc = parts.netloc.rsplit("@", 1)[1]  # host[:port] as written, without the userinfo
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), True
