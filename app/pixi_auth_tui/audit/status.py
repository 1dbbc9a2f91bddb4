"""`status`: per host, the credential pixi sends, its kind, expiry and last test — as scripts
want it (like `gh auth status`). The lookup is `Inventory.resolve`'s (the same as `resolve`,
`check` and the UI); the expiry reading is core.expiry's; CI sign-in is ci.detect's."""

from __future__ import annotations

import time
from typing import Any

from pixi_auth_tui.ci.detect import CiContext, is_prefix_dev_url
from pixi_auth_tui.core.model import KIND_LABELS, expires_at, is_oauth, public_identity
from pixi_auth_tui.engine.inventory import CONDA_CHAIN, SENDS_NOTHING, WINNING, Inventory, Row, Status
from pixi_auth_tui.engine.inventory_json import credential_ref
from pixi_auth_tui.probe.state import FAILING, ProbeResult, ProbeState

# What a host's status says, worst first (exit codes and ordering follow it).
BLOCKED = "blocked"  # pixi cannot build its credential store: it sends nothing
EXPIRED = "expired"
REJECTED = "rejected"
NOT_SENT = "not-sent"  # pixi matches the entry but sends nothing for it (and tries nothing else)
NONE = "none"  # no credential: sent anonymously
CI_SIGN_IN = "ci-sign-in"  # no credential, but pixi signs in with the CI's OIDC identity
UNTESTED = "untested"
ACCEPTED = "accepted"
UNVERIFIED = "unverified"  # tested, but the server's answer could not judge it
FAILING_STATES = (BLOCKED, EXPIRED, NOT_SENT, REJECTED)


class HostStatus:
    __slots__ = ("asked", "expires_at", "host", "last", "note", "refreshes", "row", "state")

    def __init__(
        self,
        host: str,  # the key pixi looks up, or what was asked for
        asked: str | None,  # the host or URL named on the command line
        row: Row | None,
        state: str,
        expires_at: int | None = None,
        refreshes: bool = False,  # an OAuth entry rattler refreshes when it is (nearly) expired
        last: ProbeResult | None = None,
        note: str = "",
    ) -> None:
        self.host = host
        self.asked = asked
        self.row = row
        self.state = state
        self.expires_at = expires_at
        self.refreshes = refreshes
        self.last = last
        self.note = note

    def to_json(self) -> dict[str, Any]:
        row = self.row
        return {
            "host": self.host,
            "asked": self.asked,
            "state": self.state,
            "credential": None if row is None else credential_ref(row, location=True),
            "expires_at": self.expires_at,
            "refreshes": self.refreshes,
            "last_test": None if self.last is None else self.last.to_json(),
            "note": self.note,
        }


def _for_row(row: Row, asked: str | None, state: ProbeState | None, now: float, host: str | None = None) -> HostStatus:
    cred = row.entry.credential
    when = expires_at(cred)
    refreshes = is_oauth(cred) and bool(cred.refresh_token)
    last = state.result_for(row.store.id, row.key, cred) if state is not None else None
    status = HostStatus(host or row.key, asked, row, UNTESTED, when, refreshes, last)
    if when is not None and when <= now and not refreshes:
        status.state = EXPIRED
        # (rattler sends no expired OAuth token, and tries no other key or store)
        status.note = "the token has expired: " + ("sign in again" if is_oauth(cred) else "rotate it")
    elif row.status is Status.BLOCKING:
        status.state = NOT_SENT
        status.note = row.reason.removeprefix(SENDS_NOTHING)
    elif last is not None and last.verdict in FAILING:
        status.state = REJECTED
        status.note = last.message
    elif last is not None:
        status.state = ACCEPTED if last.verdict.value == ACCEPTED else UNVERIFIED
    if when is not None and when <= now and refreshes:
        status.note = "the access token has expired; rattler refreshes it on the next request"
    return status


def host_statuses(
    inventory: Inventory,
    asked: list[str],
    state: ProbeState | None,
    ci: CiContext,
    now: float | None = None,
) -> list[HostStatus]:
    """Each host (or URL) in `asked`, or with none every key pixi uses, in lookup order."""
    now = time.time() if now is None else now
    out: list[HostStatus] = []
    if not asked:
        for row in inventory.rows:
            if row.status in WINNING and row.store.chain == CONDA_CHAIN:
                out.append(_for_row(row, None, state, now))
    for target in asked:
        url = target if "://" in target else f"https://{target}/"
        resolution = inventory.resolve(url)
        host = resolution.normalised_host or (resolution.candidates[0] if resolution.candidates else target)
        if resolution.row is not None:
            out.append(_for_row(resolution.row, target, state, now, host))
        elif ci.can_sign_in and is_prefix_dev_url(url):
            out.append(HostStatus(host, target, None, CI_SIGN_IN, note=f"pixi signs in through {ci.name}: {ci.detail}"))
        else:
            note = "pixi sends requests here without a credential"
            if ci.on_ci and is_prefix_dev_url(url) and ci.oidc == "no":
                note += f"; it cannot sign in either: {ci.detail}"
            out.append(HostStatus(host, target, None, NONE, note=note))
    if inventory.blocked:
        for status in out:
            status.state, status.note = BLOCKED, inventory.blocked
    return out


def describe(status: HostStatus) -> list[str]:
    """Lines for people, as `gh auth status` prints them: the host, then what pixi sends."""
    lines = [status.host + (f" (asked: {status.asked})" if status.asked and status.asked != status.host else "")]
    row = status.row
    mark = "X" if status.state in FAILING_STATES or status.state == NONE else "ok"
    if row is not None:
        cred = row.entry.credential
        identity = public_identity(cred)
        sends = "matches" if row.status is Status.BLOCKING else "sends"
        lines.append(
            f"  {mark} pixi {sends} {row.key} · {KIND_LABELS[cred.kind]} · {identity} · from {row.store.name} "
            f"({row.store.location})"
        )
        if row.status is Status.BLOCKING:
            lines.append("  - but sends nothing for it (and tries no other key or store)")
    elif status.state == CI_SIGN_IN:
        lines.append("  ok no stored credential; pixi signs in with the CI's OIDC identity")
    else:
        lines.append(f"  {mark} no credential")
    from pixi_auth_tui.core import expiry

    if status.expires_at is not None:
        shown = expiry.utc(status.expires_at) or expiry.unshowable(status.expires_at)
        lines.append(f"  - expires: {shown}" + (" (refreshed by rattler)" if status.refreshes else ""))
    if status.last is not None:
        tested = expiry.utc(status.last.tested_at) or "earlier"
        lines.append(f"  - last test: {status.last.verdict.value} — {status.last.message} ({tested})")
    elif row is not None:
        lines.append("  - last test: never (`pixi-auth-tui test` or `check --test`)")
    lines.append(f"  - state: {status.state}" + (f" — {status.note}" if status.note else ""))
    return lines
