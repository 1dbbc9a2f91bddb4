"""Input widgets with the safety rules the forms need."""

from __future__ import annotations

from pixi_auth_tui.validation import line_break_in
from textual import events
from textual.widgets import Input


class SecretInput(Input):
    """A one-line secret field: a paste holding a line break is refused whole.

    Textual's Input keeps only the first line of a paste, which silently stores the front of
    a secret; here one trailing line end (copied with the line) is dropped and any other line
    break — `\\x85`, U+2028, `\\x1c` … — refuses the paste with the reason.
    """

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Textual would also run Input's own handler, which keeps line one
        text = event.text.removesuffix("\n").removesuffix("\r")
        if not text:
            return
        line_break = line_break_in(text)
        if line_break:
            self.app.bell()
            self.notify(
                f"Not pasted: the text holds a line break ({line_break}); a secret is one line.",
                severity="error",
            )
            return
        if self.selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *self.selection)
