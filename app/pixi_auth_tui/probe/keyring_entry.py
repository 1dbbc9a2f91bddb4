"""Testing a Python keyring entry the way uv uses it: `keyring get` as uv runs it, then the index.

Shared by `test --store keyring-pypi` and the UI's `t`: the `keyring` program uv would start
(PATH), the calls uv would make for the index URL in uv's order (the URL, the host, then for
plain http `scheme://host`), and — when one answers — a request to the index with that
answer as HTTP Basic, and one without, judged like every other connection test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pixi_auth_tui.core.hostkeys import host_of
from pixi_auth_tui.core.model import BasicHTTP
from pixi_auth_tui.probe.state import ProbeResult, Verdict
from pixi_auth_tui.pypi.keyring_entries import keyring_services, without_userinfo
from pixi_auth_tui.pypi.keyring_tool import KeyringAnswer, KeyringTool, inspect_keyring, uv_keyring_lookup


@dataclass
class KeyringTest:
    service: str  # the entry tested
    username: str
    index_url: str | None  # what uv asks keyring for (and what is requested)
    tool: KeyringTool
    answers: list[KeyringAnswer] = field(default_factory=list)
    result: ProbeResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def answered_by(self) -> KeyringAnswer | None:
        return next((a for a in self.answers if a.found), None)

    def to_json(self) -> dict[str, object]:
        return {
            "store": "keyring-pypi",
            "service": self.service,
            "username": self.username,
            "index_url": self.index_url,
            "keyring": self.tool.path,
            "backends": [{"name": b.name, "priority": b.priority} for b in self.tool.backends],
            "plugins": [{"backend": p.backend, "distribution": p.distribution} for p in self.tool.plugins],
            "calls": [
                {"args": ["keyring", "get", a.service, a.username], "found": a.found, "exit_code": a.exit_code}
                for a in self.answers
            ],
            "answered_by": self.answered_by.service if self.answered_by else None,
            "result": self.result.to_json() if self.result else None,
            "notes": self.notes,
        }


def url_to_test(service: str, index_url: str | None) -> str | None:
    """The index URL to test: the one given, else the service itself when it is an http(s) URL."""
    if index_url:
        return without_userinfo(index_url)  # uv sends keyring's answer, not the URL's user name
    return service if "://" in service and keyring_services(service) else None


async def check_keyring_entry(
    service: str,
    username: str,
    index_url: str | None,
    env: dict[str, str],
    *,
    allow_http: bool = False,
    timeout: float = 15.0,
    tool: KeyringTool | None = None,
) -> KeyringTest:
    """Run uv's keyring calls for `index_url` with `username`, then test the index with the answer."""
    from pixi_auth_tui.probe.request import ProbeOptions, probe

    url = url_to_test(service, index_url)
    tool = tool if tool is not None else inspect_keyring(env)
    outcome = KeyringTest(service, username, url, tool)
    if url is None:
        outcome.notes.append(f"{service} is a host: give the index URL to test (--url https://{service}/simple)")
        return outcome
    services = keyring_services(url)
    if service not in services:
        outcome.notes.append(
            f"uv never asks keyring for {service} when it fetches {url} (it asks {', '.join(services)})"
        )
        return outcome
    if tool.path is None:
        outcome.notes.append(tool.problem or "no `keyring` command on PATH")
        return outcome
    outcome.answers = uv_keyring_lookup(tool.path, env, services, username)
    answer = outcome.answered_by
    if answer is None:
        outcome.notes.append("`keyring get` found nothing for any service uv asks: uv sends no credential from keyring")
        return outcome
    if answer.service != service:
        outcome.notes.append(f"uv takes the answer for {answer.service}, asked before {service}")
    plugin = tool.plugin_for(url)
    if plugin is not None:
        outcome.notes.append(f"supplied by plugin {plugin.label} at request time")
    assert answer.password is not None
    options = ProbeOptions.within(
        timeout,
        allow_http=allow_http,
        env=dict(env),
        generic_whoami=False,
    )
    host = host_of(url)
    assert host is not None
    outcome.result = await probe(host, BasicHTTP(username, answer.password), url, options)
    return outcome


def index_url_for(store: object, service: str, username: str) -> str | None:
    """The workspace's index URL uv asks keyring about with (service, username), or the service
    itself when it is an index URL (a store without index URLs: the service only)."""
    from pixi_auth_tui.pypi.keyring_entries import url_username

    for url in getattr(store, "index_urls", []):
        if service in keyring_services(url) and url_username(url) == username:
            return without_userinfo(url)
    return url_to_test(service, None)


def result_verdict(test: KeyringTest) -> Verdict:
    """The verdict `test` exits with: the probe's, else not tested."""
    return test.result.verdict if test.result else Verdict.UNSUPPORTED
