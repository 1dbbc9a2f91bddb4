"""The main screen's keys, each with the id a person's keymap.toml rebinds it by (system/preferences;
the README's key table lists them). The app checks keymap.toml's ids against these."""

from __future__ import annotations

from textual.binding import Binding

MAIN_KEYS: tuple[Binding, ...] = (
    Binding("n", "add", "Add", id="add"),
    Binding("e", "edit", "Edit", id="edit"),
    Binding("m", "move", "Move", id="move"),
    Binding("d", "delete", "Delete", id="delete"),
    Binding("v", "reveal", "Reveal secret", show=False, id="reveal"),
    Binding("c", "copy", "Copy secret", show=False, id="copy"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("o", "sort", "Sort by next column", show=False, id="sort"),
    Binding("O", "reverse_sort", "Reverse sort", show=False, id="reverse-sort"),
    Binding("t", "test", "Test", id="test"),
    Binding("U", "probe_url", "Change test URL", show=False, id="probe-url"),
    Binding("T", "test_all", "Test all", show=False, id="test-all"),
    Binding("a", "audit", "Audit", id="audit"),
    Binding("w", "workspace", "Workspace", show=False, id="workspace"),
    Binding("s", "status", "Status per host", show=False, id="status"),
    Binding("l", "sign_in", "Sign in (OAuth)", show=False, id="sign-in"),
    Binding("R", "oauth_refresh", "Refresh OAuth token now", show=False, id="oauth-refresh"),
    Binding("r", "reread", "Refresh", show=False, id="refresh"),
    Binding("u", "unlock", "Unlock keychain", show=False, id="unlock"),
    Binding("z", "undo_move", "Undo the last move", show=False, id="undo-move"),
    Binding("escape", "clear", "Clear filter / stop tests", show=False, id="clear"),
    Binding("p", "next_detail_place", "Detail pane: beside / below / by width", show=False, id="detail-place"),
)
