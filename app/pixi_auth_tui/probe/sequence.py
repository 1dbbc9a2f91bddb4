"""The connection test of stored entries, one sequence for the CLI's `test`, the main screen's
`t` / `T` and `check --test`: read each secret (a store that lists names only reads it now),
refresh an OAuth entry first where rattler would, ask the server, keep the result where every
front end finds it again (ProbeState), and save that state even when the run stops early."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pixi_auth_tui.core.model import is_oauth
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.engine.operations import with_secret
from pixi_auth_tui.oauth.info import needs_refresh
from pixi_auth_tui.probe.request import ProbeJob, ProbeOptions, probe_many
from pixi_auth_tui.probe.state import ProbeResult, ProbeState
from pixi_auth_tui.stores.base import StoreError


def ready_rows(inventory: Inventory, rows: list[Row]) -> tuple[list[Row], list[str]]:
    """`rows` as pixi would send them: each secret read (one that cannot be read stays as it is,
    and its test says it was not read), then each OAuth entry rattler would refresh refreshed
    and written back. Also what each refresh said, for the person. Blocks (keychain reads,
    token requests): call it in a thread from an event loop."""
    ready = [_with_secret_if_readable(row) for row in rows]
    notes: list[str] = []
    if not any(is_oauth(cred := row.entry.credential) and needs_refresh(cred) for row in ready):
        return ready, notes  # the OAuth libraries are imported only when a refresh is due
    from pixi_auth_tui.oauth.flow import refresh_before_use

    refreshed = []
    for row in ready:
        row, said = refresh_before_use(inventory, row)
        refreshed.append(row)
        if said:
            notes.append(said)
    return refreshed, notes


def keep_result(state: ProbeState, row: Row, result: ProbeResult) -> None:
    """Where `test`, the table and `check` look for the last result of `row`'s entry, tied to
    the secret it tested (a rotation makes it stale)."""
    state.record(row.store.id, row.key, row.entry.credential, result)


async def test_rows(
    inventory: Inventory,
    rows: list[Row],
    state: ProbeState,
    options: ProbeOptions,
    *,
    url_for: Callable[[Row], str | None],
    on_ready: Callable[[list[Row], list[str]], None] | None = None,
    on_result: Callable[[Row, ProbeResult], None] | None = None,
) -> tuple[list[Row], list[ProbeResult]]:
    """The whole sequence for `rows`: `ready_rows` (then `on_ready` with the rows as they will
    be sent and what the refreshes said), one probe each at `url_for(row)`, each result kept in
    `state` as it comes (then `on_result`), and `state` saved at the end, also when the run is
    stopped or cannot start. Returns the rows as sent and their results, in order."""
    ready, notes = await asyncio.to_thread(ready_rows, inventory, rows)
    if on_ready is not None:
        on_ready(ready, notes)
    jobs = [ProbeJob(row.key, row.entry.credential, url_for(row), str(i)) for i, row in enumerate(ready)]

    def finished(job: ProbeJob, result: ProbeResult) -> None:
        row = ready[int(job.ref)]
        keep_result(state, row, result)
        if on_result is not None:
            on_result(row, result)

    try:
        results = await probe_many(jobs, options, on_result=finished)
    finally:
        await asyncio.to_thread(state.save)
    return ready, results


def _with_secret_if_readable(row: Row) -> Row:
    try:
        return with_secret(row)
    except StoreError:
        return row
