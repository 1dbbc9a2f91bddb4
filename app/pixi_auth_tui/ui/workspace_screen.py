"""The Workspace screen: every host the workspace makes pixi contact → the credential pixi
sends → the verdict. Enter goes to the credential; `n` adds the missing one under the key
`pixi auth login` would use; `t` asks every host now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static
from textual.worker import Worker

from pixi_auth_tui.audit.findings import Severity
from pixi_auth_tui.core.model import KIND_LABELS, KINDS
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.operations import save_credential
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.stores.base import StoreError, StoreState
from pixi_auth_tui.system.manifest import NotAWorkspace
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm, FormResult, SignInStart
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.widgets.line_table import LineTable
from pixi_auth_tui.workspace.check import ProbePlan, run_check
from pixi_auth_tui.workspace.findings import login_key
from pixi_auth_tui.workspace.model import CheckReport, HostCheck
from pixi_auth_tui.workspace.probe import PLAIN_HTTP_TOKEN

VERDICT_STYLE = {
    "accepted": "green",
    "public": "green",
    "missing": "bold red",
    "blocked": "bold red",
    "rejected": "bold red",
    "expired": "bold red",
    "unreachable": "bold red",
    "TLS error": "bold red",
    "network error": "bold red",
    "timeout": "bold red",
    "untested": "yellow",
    "no credential": "dim",
    "ci sign-in": "green",  # no stored credential: pixi signs in with the CI job's OIDC identity
}
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
COLUMNS = ("Host", "Verdict", "Credential pixi sends", "Used for")


class PrefilledForm(CredentialForm):
    """The add form with the key (and, for S3 buckets, the kind) already filled in."""

    def __init__(self, key: str, kind: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.prefill_key = key
        self.prefill_kind = kind

    def on_mount(self) -> None:
        # Runs before CredentialForm's own on_mount (Textual calls both): fill in afterwards.
        self.call_after_refresh(self._fill)

    def _fill(self) -> None:
        self.query_one("#key", Input).value = self.prefill_key
        self.query_one("#kind", Select).value = self.prefill_kind
        self.query_one(f"#{KINDS[self.prefill_kind].fields[0].name}", Input).focus()


@dataclass
class WorkspaceContext:
    """What the view needs from whoever opens it (the hook is these three and a push_screen)."""

    environment: Environment
    state: ProbeState  # shared with the main screen: a test here shows there too
    on_change: Callable[[], None]  # re-read the stores elsewhere after a write or a test (event loop)
    # The report last shown for these paths: shown at once, then checked again behind it.
    shown: CheckReport | None = None


class WorkspaceScreen(Screen[tuple[str, str] | None]):
    """Dismisses with (store id, key) of the credential to go to, or None. Tells `report_to` each
    report it shows, so that the next opening can show it at once (WorkspaceContext.shown)."""

    DEFAULT_CSS = """
    #ws-summary { height: auto; padding: 0 1; border-bottom: solid $primary 40%; }
    #hosts { height: 2fr; }
    #host-pane { height: 1fr; border-top: solid $primary 40%; padding: 0 1; }
    """
    BINDINGS: ClassVar = [
        Binding("escape,w", "back", "Back"),
        Binding("enter", "jump", "Go to credential"),
        Binding("n", "add", "Add missing"),
        Binding("t", "test", "Test host"),
        Binding("T", "test_all", "Test all"),
        Binding("r", "refresh", "Refresh"),
    ]

    class Checked(Message):
        """The workspace at `paths` was checked: this is what it showed."""

        def __init__(self, paths: list[Path], report: CheckReport) -> None:
            super().__init__()
            self.paths = paths
            self.report = report

    def __init__(self, paths: list[Path], context: WorkspaceContext, report_to: MessagePump | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.context = context
        self.report_to = report_to
        self.report: CheckReport | None = None
        self.running: Worker[None] | None = None  # the latest check (tests wait on it)
        # What is on screen, so that a check that changed nothing redraws nothing.
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the workspace…", id="ws-summary")
        yield LineTable(on_highlight=lambda _cursor: self._render_detail(), id="hosts")
        with VerticalScroll(id="host-pane"):
            yield Static("", id="host-detail")
        yield KeysLine()

    def on_mount(self) -> None:
        table = self.query_one("#hosts", LineTable)
        table.set_columns(COLUMNS)
        table.focus()
        if self.context.shown is not None:
            self._show(self.context.shown, None, tell=False)
        self.action_refresh()

    # -- running the check (worker threads: files, keychain and network) -----------------

    def _checking(self, worker: Worker[None]) -> None:
        """A check runs: said on the summary's border until it ends (the layout does not move)."""
        self.running = worker
        self.query_one("#ws-summary", Static).border_subtitle = "refreshing…"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self.running and event.worker.is_finished:
            self.query_one("#ws-summary", Static).border_subtitle = ""

    def action_refresh(self) -> None:
        self._checking(self._check(None))

    @work(thread=True, exclusive=True, group="workspace")
    def _check(self, plan: ProbePlan | None, message: str | None = None) -> None:
        self._run(plan, message)

    def _run(self, plan: ProbePlan | None, message: str | None) -> None:
        """The check, from a worker thread; the result is shown on the event loop."""
        app = self.app
        try:
            report = run_check(self.paths, self.context.environment, self.context.state, plan)
        except NotAWorkspace as err:
            app.call_from_thread(self._no_workspace, str(err))
            return
        app.call_from_thread(self._show, report, message)
        if plan is not None:
            app.call_from_thread(self.context.on_change)  # the main table's "Last test" column too

    def _no_workspace(self, reason: str) -> None:
        self._update("ws-summary", Text(f"No pixi workspace here: {reason}"))

    def _update(self, what: str, text: Text) -> None:
        """#ws-summary or #host-detail, only when its text changed (no redraw for nothing)."""
        if self._shown.get(what) != text:
            self._shown[what] = text
            self.query_one(f"#{what}", Static).update(text)

    def _show(self, report: CheckReport, message: str | None, tell: bool = True) -> None:
        if tell and self.report_to is not None:
            self.report_to.post_message(self.Checked(self.paths, report))
        counts = report.summary()
        home = self.context.environment.home
        line = Text()
        for workspace in report.workspaces:
            line.append(f"{workspace.name}", style="bold")
            line.append(f"  {present.tilde(str(workspace.manifest), home)}")
            line.append(f"  environments: {', '.join(workspace.environments)}\n", style="dim")
        if report.inventory.blocked:
            line.append(f"⚠ {present.tilde(report.inventory.blocked, home)}\n", style="bold red")
        line.append(f"{len(report.hosts)} hosts · ")
        line.append(f"{counts['missing']} missing", style="bold red" if counts["missing"] else "")
        line.append(" · ")
        line.append(f"{counts['rejected']} rejected", style="bold red" if counts["rejected"] else "")
        line.append(" · " + plural(counts["warning"], "warning"), style="yellow" if counts["warning"] else "")
        line.append("  — Enter: credential · n: add missing · t/T: test host/all", style="dim")
        self._update("ws-summary", line)
        table = self.query_one("#hosts", LineTable)
        before = self.selected()  # the old report's host: keep it selected, wherever it moved
        keep = next((i for i, h in enumerate(report.hosts) if before and h.host == before.host), 0)
        self.report = report
        rows: list[list[Text]] = []
        for host in report.hosts:
            row = host.row
            credential = f"{row.key} · {KIND_LABELS[row.entry.credential.kind]} · {row.store.name}" if row else "—"
            from_uv = host.pypi_credential  # a PyPI index's credential from uv's own chain
            credential = from_uv or credential
            rows.append(
                [
                    Text(host.host),
                    Text(host.verdict, style=VERDICT_STYLE.get(host.verdict, "yellow")),
                    Text(credential, style="" if row or from_uv else "dim"),
                    Text(", ".join(host.kinds)),
                ]
            )
        if self._shown.get("hosts") != rows:
            self._shown["hosts"] = rows
            table.set_rows(len(rows), rows.__getitem__, keep)
        if not report.hosts:
            self._update("host-detail", self._without_hosts(report))
        self._render_detail()
        if message:
            self.notify(message, timeout=8, markup=False)

    @staticmethod
    def _without_hosts(report: CheckReport) -> Text:
        """No host to show: say why, first what could not be read (a manifest nested too deeply …)."""
        text = Text()
        unread = [f for f in report.findings if f.host is None and f.code in ("manifest-problem", "config-problem")]
        for finding in unread:
            text.append(f"{finding.title}\n", style=SEVERITY_STYLE[finding.severity])
            text.append(f"{plain(finding.explanation)}\n\n")
        text.append(
            "No remote channel or index was read." if unread else "This workspace names no remote channel or index."
        )
        return text

    def selected(self) -> HostCheck | None:
        table = self.query_one("#hosts", LineTable)
        if self.report is None or not self.report.hosts or table.row_count == 0:
            return None
        index = table.cursor_row
        return self.report.hosts[index] if 0 <= index < len(self.report.hosts) else None

    def _render_detail(self) -> None:
        host = self.selected()
        if host is None:
            return
        text = Text()
        text.append(f"{host.host}  ", style="bold")
        text.append(f"{host.verdict}\n", style=VERDICT_STYLE.get(host.verdict, "yellow"))
        row = host.row
        request = host.resolution.request if host.resolution else None
        if host.indexes:
            # Each PyPI index (uv resolves per URL): the chain `resolve --pypi` prints for it.
            for index in host.indexes:
                if len(host.indexes) > 1:
                    text.append(f"{plain(index.url)}  ", style="bold")
                    text.append(f"{index.verdict}\n", style=VERDICT_STYLE.get(index.verdict, "yellow"))
                pypi = index.pypi
                for layer in pypi.layers:
                    mark = "→ " if layer is pypi.winner else "  "
                    who = f" {plain(layer.username)}" if layer.username else ""
                    style = "" if layer is pypi.winner else "dim"
                    text.append(f"{mark}{layer.name}: {layer.outcome}{who}\n", style=style)
        elif row is not None:
            text.append(f"pixi sends {row.key} from {row.store.name} ({KIND_LABELS[row.entry.credential.kind]})\n")
        elif request is not None and request.note:
            text.append(f"{request.note}\n", style="dim")
        if host.last is not None:
            text.append(f"last test: {host.last.verdict.value} — {host.last.message}\n")
        if host.anonymous is not None and host.anonymous.status is not None:
            text.append(f"without a credential: HTTP {host.anonymous.status}\n", style="dim")
        elif host.anonymous is not None and host.anonymous.message == PLAIN_HTTP_TOKEN:
            text.append(f"{PLAIN_HTTP_TOKEN}\n", style="yellow")
        elif host.anonymous is not None and host.anonymous.failed:
            text.append(f"without a credential: {plain(host.anonymous.message)}\n", style="bold red")
        for finding in host.findings:
            text.append(f"\n{finding.title}\n", style=SEVERITY_STYLE[finding.severity])
            text.append(f"{finding.explanation}\n")
        if host.is_pypi and self.report is not None:
            text.append_text(keyring_lines(host, self.report))
        text.append("\nURLs:\n", style="bold")
        for need in host.needs:
            via = f" → {need.requested}" if need.mirror else ""
            text.append(f"  {need.what}: {need.url}{via}  ({need.source})\n")
        self._update("host-detail", text)

    # -- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    @on(LineTable.RowSelected, "#hosts")
    def _row_selected(self) -> None:
        # Enter on the focused table arrives as a row selection, not as the screen's binding.
        self.action_jump()

    def action_jump(self) -> None:
        host = self.selected()
        if host is None:
            return
        if host.row is None:
            self.notify(
                f"pixi sends no stored credential to {host.host}; n adds one.", severity="warning", markup=False
            )
            return
        self.dismiss((host.row.store.id, host.row.key))

    def action_add(self) -> None:
        host = self.selected()
        report = self.report
        if host is None or report is None:
            return
        if host.row is not None:
            self.notify(f"pixi already sends {host.row.key} to {host.host}; Enter goes to it.", markup=False)
            return
        inventory = report.inventory
        usable = (StoreState.OK, StoreState.MISSING)
        stores = [s for s in inventory.stores if s.writable and inventory.snapshots[s.id].state in usable]
        if not stores:
            self.notify("No store can be written: see the main screen for why.", severity="error")
            return
        key = login_key(host.host)
        kind = "S3Credentials" if host.is_s3 else "BearerToken"
        form = PrefilledForm(
            key,
            kind,
            inventory=inventory,
            stores=stores,
            default_store=inventory.default_write_store(),
            home=self.context.environment.home,
        )
        self.app.push_screen(form, self._save)

    def _save(self, result: FormResult | SignInStart | None) -> None:
        if isinstance(result, FormResult) and self.report is not None:
            self._checking(self._write(result, self.report))

    @work(thread=True, exclusive=True, group="workspace")
    def _write(self, result: FormResult, report: CheckReport) -> None:
        app = self.app
        store = report.inventory.store(result.store_id)
        assert store is not None
        try:
            outcome = save_credential(report.inventory, store, result.key, result.credential, seen=result.seen)
        except StoreError as err:
            app.call_from_thread(self.notify, f"Nothing changed: {err}", severity="error", timeout=10, markup=False)
            return
        app.call_from_thread(self.context.on_change)  # the main table shows it too
        self._run(None, outcome.message)

    def action_test(self) -> None:
        host = self.selected()
        if host is not None:
            self._confirm_and_test([host], f"Tested {host.host}.")

    def action_test_all(self) -> None:
        if self.report is not None and self.report.hosts:
            self._confirm_and_test(self.report.hosts, f"Tested {len(self.report.hosts)} hosts.")

    def _confirm_and_test(self, hosts: list[HostCheck], done: str) -> None:
        """Plain http carries a secret unencrypted: only with a yes (the anonymous request needs none)."""
        names = frozenset(h.host for h in hosts)
        plain = [h.host for h in hosts if h.row is not None and _is_http(h.probe_url())]
        if not plain:
            self._test(names, False, done)
            return
        shown = f"{', '.join(plain[:5])}{'…' if len(plain) > 5 else ''}"
        self.app.push_screen(
            ConfirmScreen(
                f"{shown}: plain http, the credential would travel unencrypted.\n\nSend it anyway?",
                confirm="Send",
            ),
            lambda yes: self._test(names, bool(yes), done),
        )

    def _test(self, hosts: frozenset[str], allow_http: bool, done: str) -> None:
        self._checking(self._check(ProbePlan(allow_http=allow_http, hosts=hosts), done))


def workspace_to_open(started_in: list[Path] | None, last_opened: str | None) -> list[Path]:
    """The workspace `w` opens: the one the app was started in, else the one it opened last (if
    it is still there), else the current folder."""
    remembered = Path(last_opened) if last_opened else None
    return started_in or ([remembered] if remembered and remembered.exists() else []) or [Path.cwd()]


def _is_http(url: str | None) -> bool:
    return bool(url) and str(url).startswith("http://")


def keyring_lines(host: HostCheck, report: CheckReport) -> Text:
    """What Python keyring gives uv for this host's PyPI indexes (uv asks it only when rattler's
    stores, netrc and uv's credentials.toml have nothing), one line per index URL."""
    from pixi_auth_tui.pypi.keyring_entries import index_keyring, user_at_advice

    rows = [
        (r.key, r.entry.item_ref, r.status.value, r.entry.origin or "", r.reason)
        for r in report.inventory.rows
        if r.store.id == "keyring-pypi"
    ]
    text = Text()
    seen: set[str] = set()
    for need in host.needs:
        if not (need.what.startswith(("PyPI", "find-links"))) or need.raw_requested in seen:
            continue
        seen.add(need.raw_requested)
        found = index_keyring(need.raw_requested, rows)
        where = f" ({', '.join(need.environments)})" if need.environments else ""
        text.append(f"uv's keyring for {plain(found.index_url)}{plain(where)}: ", style="bold")
        if found.username is None:
            user = found.other_users[0] if found.other_users else "USER"
            text.append("skipped — no user name in the URL: ")
            text.append(plain(user_at_advice(found.index_url, user)), style="bold")
        elif found.service is None:
            text.append(f"nothing stored for {plain(found.username)}", style="yellow")
        else:
            text.append(plain(f"{found.service} as {found.username} ({found.origin})"))
        text.append("\n")
    return text
