"""The connection test in the UI: `t` (one entry, as pixi or uv sends it), `T` (every entry
pixi uses, with a progress bar, stopped by Escape) and `U` (the URL an entry's tests request).
The sequence itself is the engine's (probe/sequence.py and its uv and keyring siblings); this
widget asks, runs it in workers and tells its screen by messages how it goes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from textual import work
from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.widgets import ProgressBar
from textual.worker import Worker

from pixi_auth_tui.engine.inventory import WINNING, Inventory, Row
from pixi_auth_tui.probe.state import FAILING, ProbeResult, ProbeState, Verdict, default_probe_url
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.messages import ResultKept, Said, StoresChanged, Testing

UV_STORE = "uv"  # uv's credentials.toml (pixi_auth_tui.pypi.uv_credentials.STORE_ID)
UV_STORES = (UV_STORE, "netrc-uv")  # its entries and netrc as uv reads it: tested as uv sends them


class ConnectionTests(Vertical):
    """Shows only Test all's progress bar (a container: nothing of its own is drawn)."""

    DEFAULT_CSS = "ConnectionTests { height: auto; }"

    def __init__(self, environment: Environment) -> None:
        super().__init__()
        self.environment = environment
        # Set by the screen as it reads the stores ("attributes down").
        self.inventory: Inventory | None = None
        self.probe_state: ProbeState | None = None
        self._test_all: Worker[None] | None = None

    def say(self, message: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        self.post_message(Said(message, severity, timeout))

    def probe_url_for(self, row: Row) -> str | None:
        if row.store.id in UV_STORES:  # uv's own entry: tested on the workspace's index it serves
            from pixi_auth_tui.pypi.uv_credentials import UvCredentialsStore
            from pixi_auth_tui.pypi.uv_netrc_store import UvNetrcStore

            if isinstance(row.store, UvCredentialsStore | UvNetrcStore):
                return row.store.test_url(row.entry) or None
            return None
        if row.store.chain != "conda":  # a keyring entry is tested on the index URL uv asks it for
            from pixi_auth_tui.probe.keyring_entry import index_url_for

            return index_url_for(row.store, row.key, row.entry.item_ref or "")
        remembered = self.probe_state.urls.get(row.key) if self.probe_state else None
        return remembered or default_probe_url(row.key, row.entry.credential)

    def remember_url(self, key: str, url: str) -> None:
        if self.probe_state is not None:
            self.probe_state.urls[key] = url
            self._save_probe_state()

    @work(thread=True, group="state")
    def _save_probe_state(self) -> None:
        if self.probe_state is not None:
            self.probe_state.save()

    def _refresh_row(self, row: Row) -> None:
        self.post_message(ResultKept(row))

    def change_url(self, row: Row) -> None:
        """`U`: the URL the entry's tests request, asked for and remembered."""

        def given(url: str | None) -> None:
            if url:
                self.remember_url(row.key, url)
                self._refresh_row(row)
                self.say(f"Tests of {row.key} now request {url}.")

        from pixi_auth_tui.ui.dialogs.probe_url import ProbeUrlScreen

        screen = ProbeUrlScreen(row.key, self.probe_url_for(row) or "", run=False, credential=row.entry.credential)
        self.app.push_screen(screen, given)

    def test(self, row: Row) -> None:
        """`t`: one entry, sent as pixi (or uv) would send it."""
        if self.probe_state is None:
            return
        if row.store.id in UV_STORES:
            return self._test_uv_row(row)
        if row.store.chain != "conda":
            return self._test_keyring_row(row)
        url = self.probe_url_for(row)
        if url is None:
            from pixi_auth_tui.ui.dialogs.probe_url import ProbeUrlScreen

            # Wildcards and S3 keys need a concrete URL; remembered for next time.
            screen = ProbeUrlScreen(row.key, "", credential=row.entry.credential)
            self.app.push_screen(screen, lambda given: self._test_with_url(row, given))
            return
        self._test_with_url(row, url)

    def _test_with_url(self, row: Row, url: str | None) -> None:
        if not url or self.probe_state is None:
            return
        if self.probe_state.urls.get(row.key) != url and url != default_probe_url(row.key, row.entry.credential):
            self.remember_url(row.key, url)
        self._asking_for_plain_http(url, f"the secret of {row.key}", lambda allow: self._run_tests([row], allow))

    def _asking_for_plain_http(self, url: str, what: str, send: Callable[[bool], object]) -> None:
        """`send(allow_http)`: at once over https; over plain http only after a yes."""
        if not url.startswith("http://"):
            send(False)
            return
        question = f"{url} is plain http: {what} would travel unencrypted.\n\nSend it anyway?"

        def answered(yes: bool | None) -> None:
            if yes:
                send(True)

        from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen  # (imported when first asked)

        self.app.push_screen(ConfirmScreen(question, confirm="Send"), answered)

    def stop(self) -> bool:
        """Stop a running Test all (finished results are kept); False when none runs."""
        if self._test_all is None or not self._test_all.is_running:
            return False
        self._test_all.cancel()
        self.say("Stopped testing; finished results are kept.")
        return True

    def test_all(self) -> None:
        """`T`: every entry pixi uses (again: stops a run)."""
        if self.stop() or self.inventory is None:
            return
        # (Python keyring entries run `keyring` as uv does, which may mint or prompt: `t` tests one.)
        rows = [r for r in self.inventory.rows if r.status in WINNING and r.store.chain == "conda"]
        if not rows:
            self.say("Nothing to test: pixi uses no stored credential.", "warning")
            return
        plain = [r for r in rows if (self.probe_url_for(r) or "").startswith("http://")]
        if not plain:
            self._run_tests(rows, allow_http=False)
            return
        names = ", ".join(r.key for r in plain[:5]) + ("…" if len(plain) > 5 else "")
        question = (
            f"{present.plural(len(plain), 'entry')} of these use plain http ({names}): their secrets would "
            "travel unencrypted.\n\nSend those too? Skip tests the others only."
        )

        def answered(yes: bool | None) -> None:
            # Skipping sends nothing to the plain-http entries and keeps their earlier results.
            chosen = rows if yes else [r for r in rows if r not in plain]
            self._run_tests(chosen, allow_http=bool(yes), skipped=0 if yes else len(plain))

        from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen  # (imported when first asked)

        self.app.push_screen(ConfirmScreen(question, confirm="Send", cancel="Skip them"), answered)

    def _run_tests(self, rows: list[Row], allow_http: bool, skipped: int = 0) -> None:
        if not rows:
            self.say(f"Nothing tested: {present.plural(skipped, 'entry')} skipped (plain http).", "warning")
            return
        worker = self._probe_rows(rows, allow_http, skipped)
        if len(rows) > 1 or skipped:
            self._test_all = worker

    async def _progress_bar(self) -> ProgressBar:
        """Test all's progress bar, mounted with the first test: hidden and without a total,
        Textual's bar animates (15 redraws a second) from the first frame on, for nobody."""
        bar = next(self.query("#progress").results(ProgressBar), None)
        if bar is None:
            bar = ProgressBar(id="progress", show_eta=False)
            bar.display = False
            await self.mount(bar)
        return bar

    @work(group="probe", description="test credentials")
    async def _probe_rows(self, rows: list[Row], allow_http: bool, skipped: int) -> None:
        from pixi_auth_tui.probe.request import ProbeOptions, ProbeSetupError  # httpx: on first use
        from pixi_auth_tui.probe.sequence import test_rows

        assert self.probe_state is not None and self.inventory is not None
        progress = await self._progress_bar()
        many = len(rows) > 1 or skipped > 0
        options = ProbeOptions(
            allow_http=allow_http,
            env=dict(self.environment.env),
            generic_whoami=not many,
            offline=self.environment.label == "demo",  # demo keys name real hosts: never contact them
        )
        tested: list[Row] = []

        def ready(sent: list[Row], notes: list[str]) -> None:
            # Secrets read and OAuth entries refreshed as `test` does: say so, then show the run.
            for said in notes:
                self.notify(said, markup=False, timeout=10)
            if notes:
                self.post_message(StoresChanged())
            tested.extend(sent)
            if many:
                progress.update(total=len(sent), progress=0)
                progress.display = True
            else:
                self.say(f"Testing {sent[0].key}: {self.probe_url_for(sent[0]) or 'no URL'} …", timeout=3)
            self.post_message(Testing(sent, running=True))

        def finished(row: Row, result: ProbeResult) -> None:
            self.post_message(Testing([row], running=False))
            progress.advance(1)
            if not many:
                severity = "error" if result.verdict in FAILING else "information"
                self.say(f"{row.key}: {result.message}\n{result.url}", severity, timeout=8)

        try:
            try:
                _sent, results = await test_rows(
                    self.inventory,
                    rows,
                    self.probe_state,
                    options,
                    url_for=self.probe_url_for,
                    on_ready=ready,
                    on_result=finished,
                )
            except ProbeSetupError as err:
                self.say(f"Cannot test: {err}", "error", 10)
                return
            if many:
                self.say(probe_summary(results, skipped), timeout=8)
        finally:
            self.post_message(Testing(tested, running=False))  # (those a stop left unfinished)
            progress.display = False

    def _test_uv_row(self, row: Row) -> None:
        """An entry of uv's credentials.toml: its index asked with it, as uv sends it, and without."""
        url = self.probe_url_for(row)
        if not url:
            self.say(f"No index of this workspace takes {row.key} from {row.store.name}: nothing to test.", "warning")
            return
        self._asking_for_plain_http(url, f"the secret of {row.key}", lambda allow: self._uv_test(row, url, allow))

    @work(group="probe", description="test an entry of uv's credentials.toml")
    async def _uv_test(self, row: Row, url: str, allow_http: bool) -> None:
        from pixi_auth_tui.probe.request import ProbeOptions, ProbeSetupError
        from pixi_auth_tui.probe.sequence import keep_result
        from pixi_auth_tui.probe.uv_entry import check_uv_entry

        assert self.probe_state is not None
        state = self.probe_state
        self.say(f"Testing {url} as uv sends it …", timeout=3)
        self.post_message(Testing([row], running=True))
        options = ProbeOptions(
            allow_http=allow_http,
            env=dict(self.environment.env),
            generic_whoami=False,
            offline=self.environment.label == "demo",
        )
        try:
            result = await check_uv_entry(row.entry, url, options)
        except (ProbeSetupError, ValueError) as err:
            self.post_message(Testing([row], running=False))
            self.say(f"Cannot test: {err}", "error", 10)
            return
        self.post_message(Testing([row], running=False))
        keep_result(state, row, result)
        await asyncio.to_thread(state.save)
        self._refresh_row(row)
        severity = "error" if result.verdict in FAILING else "information"
        self.say(f"{row.key}: {result.verdict.value}: {result.message}\n{result.url}", severity, timeout=10)

    def _test_keyring_row(self, row: Row) -> None:
        """A Python keyring entry: `keyring get` as uv runs it, then its index (plain http asked first)."""
        from pixi_auth_tui.probe.keyring_entry import index_url_for

        url = index_url_for(row.store, row.key, row.entry.item_ref or "")
        if url is None:
            self.say(f"No index URL of this workspace asks keyring for {row.key}: nothing to test.", "warning")
            return
        what = "the password keyring gives uv"
        self._asking_for_plain_http(url, what, lambda allow: self._keyring_test(row, url, allow))

    @work(group="probe", description="test a keyring entry")
    async def _keyring_test(self, row: Row, url: str, allow_http: bool) -> None:
        from pixi_auth_tui.probe.keyring_entry import check_keyring_entry
        from pixi_auth_tui.probe.sequence import keep_result

        assert self.probe_state is not None
        state = self.probe_state
        self.say(f"Running keyring get as uv would, then testing {url} …", timeout=3)
        self.post_message(Testing([row], running=True))
        try:
            test = await check_keyring_entry(
                row.key, row.entry.item_ref or "", url, dict(self.environment.env), allow_http=allow_http
            )
        finally:
            self.post_message(Testing([row], running=False))
        if test.result is not None:
            keep_result(state, row, test.result)
            await asyncio.to_thread(state.save)
        self._refresh_row(row)
        lines = [*test.notes]
        if test.result is not None:
            lines.append(f"{test.result.verdict.value}: {test.result.message}")
        severity = "error" if test.result is None or test.result.verdict in FAILING else "information"
        self.say(f"{row.key}: " + "\n".join(lines or ["not tested"]), severity, timeout=10)


def probe_summary(results: list[ProbeResult], skipped: int) -> str:
    """`Tested 3: 2 accepted, 1 rejected; 1 skipped (plain http).` — every outcome counted."""
    counts = Counter(r.verdict for r in results)
    order = [v for v in Verdict if counts[v]]
    parts = ", ".join(f"{counts[v]} {v.value}" for v in order)
    tail = f"; {present.plural(skipped, 'entry')} skipped (plain http)" if skipped else ""
    return f"Tested {len(results)}: {parts or 'nothing'}{tail}."
