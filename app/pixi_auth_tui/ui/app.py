"""The application shell: environment, clock, stylesheet, help and the command palette.

Everything on screen lives in `MainScreen` (the table, detail pane and their actions) and in
the dialogs and screens it opens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import WorkerFailed

from pixi_auth_tui.core.redact import safe
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.system.preferences import Preferences
from pixi_auth_tui.system.preferences import load as load_preferences
from pixi_auth_tui.system.preferences import save as save_preferences
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.main_screen import MainScreen
from pixi_auth_tui.ui.messages import Remember
from pixi_auth_tui.ui.styles import stylesheet
from pixi_auth_tui.ui.terminal_text import ControlFilter

CONTROL_FILTER = ControlFilter()


def screen_actions() -> type[Provider]:
    """The command palette's provider of the screen's actions, imported when the palette opens."""
    from pixi_auth_tui.ui.commands import ScreenActions

    return ScreenActions


class AuthApp(App[None]):
    TITLE = "pixi-auth-tui"
    CSS_PATH = stylesheet("app.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]
    COMMANDS = App.COMMANDS | {screen_actions}

    watch_seconds = 2.0  # how often the file stores are checked for changes by other programs

    def __init__(
        self,
        environment: Environment,
        clock: Callable[[], float] = present.now,
        preferences: Preferences | None = None,
    ) -> None:
        super().__init__()
        self.preferences = preferences if preferences is not None else load_preferences(environment.env)
        self.preference_problems = list(self.preferences.problems)
        self._apply_preferences()
        self.environment = environment
        self.clock = clock
        self.crash_report: Path | None = None
        self.workspace_paths: list[Path] = []  # set when started inside a pixi workspace: shown first
        if environment.label == "demo":
            self.sub_title = "demo data — nothing real is read or written"

    # -- the person's choices, kept across sessions (system/preferences) ------------------

    def _apply_preferences(self) -> None:
        theme = self.preferences.theme
        if theme is not None and theme in self.available_themes:
            self.theme = theme
        elif theme is not None:
            self.preference_problems.append(f"unknown theme {safe(theme)!r} in the config; using the default")
        known = {b.id for b in [*MainScreen.BINDINGS, *self.BINDINGS] if isinstance(b, Binding) and b.id}
        unknown = sorted(set(self.preferences.keymap) - known)
        if unknown:
            self.preference_problems.append(
                f"keymap.toml: no action with the id {', '.join(map(safe, unknown))}; ids: {', '.join(sorted(known))}"
            )
        self.set_keymap({k: v for k, v in self.preferences.keymap.items() if k in known})

    def watch_theme(self, theme: str) -> None:
        if theme != self.preferences.theme:
            self.remember(theme=theme)

    def remember(self, **choices: str | bool | None) -> None:
        self.preferences, problem = save_preferences(self.preferences, **choices)
        if problem:
            self.notify(problem, severity="warning")

    @on(Remember)
    def _remember(self, event: Remember) -> None:
        self.remember(**event.choices)

    def on_mount(self) -> None:
        for problem in self.preference_problems:
            self.notify(problem, severity="warning", timeout=10)

    # -- the exits: notifications and crashes --------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (from any screen or worker) passes the redactor and is plain text:
        keys, paths and server answers are never markup, so `[@click=…]` stays text."""
        super().notify(safe(message, keep="\n"), title=safe(title), severity=severity, timeout=timeout, markup=False)

    def _handle_exception(self, error: Exception) -> None:
        """Textual would print a traceback with local variables (every loaded token) on exit.
        Instead: a redacted report file, and one clear message on stderr."""
        from pixi_auth_tui.system.crash import crash_message, write_report

        self._return_code = 1
        if self._exception is None:
            self._exception = error  # Pilot re-raises it in tests
            self._exception_event.set()
        # A worker's failure wraps the real error (and its traceback): report that one.
        cause = error.error if isinstance(error, WorkerFailed) and isinstance(error.error, Exception) else error
        self.crash_report = write_report(cause, self.environment.env)
        self._exit_renderables.append(Text(crash_message(cause, self.crash_report)))
        self._close_messages_no_wait()

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the last gate: no control character of any drawn text
        reaches the terminal (app/pixi_auth_tui/ui/terminal_text.py)."""
        return [*super().get_line_filters(), CONTROL_FILTER]

    def get_default_screen(self) -> Screen:
        return MainScreen(self.environment, self.clock, watch_seconds=self.watch_seconds, preferences=self.preferences)

    @property
    def main(self) -> MainScreen:
        """The main screen (always the bottom of the stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def action_help(self) -> None:
        from pixi_auth_tui.ui.dialogs.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        bindings = [b for b in self.screen.BINDINGS if isinstance(b, Binding)]
        app_bindings = [b for b in self.BINDINGS if isinstance(b, Binding)]
        self.push_screen(HelpScreen([*bindings, *app_bindings]))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands and Help; the screen's actions come from the ScreenActions
        provider. Textual's "Keys" panel is left out: "Help" shows every key of the screen, and
        two entries for one need confuse."""
        yield from (command for command in super().get_system_commands(screen) if command.title != "Keys")
        yield SystemCommand("Help", "Show every key of this screen (key ?)", self.action_help)
