"""What the terminal receives: the real program in a real pty, outside text holding escape
sequences pre-filled into and pasted into every kind of widget (table, detail pane, inputs
pre-filled from a store and from the state file, the store choice, a pasted filter, a
notification), and the raw bytes checked — not Textual's idea of the screen."""

from __future__ import annotations

import json
import re

from tests.terminal_pty import Terminal, screen_text

# Each of these does something to a terminal that receives it raw.
OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # sets the clipboard (tmux set-clipboard on)
CLEAR = "\x1b[2J"  # clears the screen
C1_CSI = "\x9b31m"  # an 8-bit CSI: recolours on terminals that take C1 controls
BIDI = "\u202e\u2066"  # reorders what follows
CORPUS = OSC52 + CLEAR + C1_CSI + BIDI + "\x00\r" + "\x07"
# What a paste can carry: Textual's bracketed-paste reader ends a paste at an ESC (and most
# terminals drop ESC from pasted text), and a line break makes it several lines.
PASTED = C1_CSI + BIDI + "\x00\x07"
FORBIDDEN = {
    "OSC 52": b"\x1b]52",
    "BEL": b"\x07",
    "CSI 2J": b"\x1b[2J",
    "C1 CSI": "\x9b".encode(),
    "RLO": "\u202e".encode(),
    "LRI": "\u2066".encode(),
    "NUL": b"\x00",
}
# What Textual itself writes that holds one of those bytes: the pointer shape (OSC 22 … BEL).
TEXTUAL_OWN = re.compile(rb"\x1b\]22;[a-z-]*\x07")


def hostile_home(home):
    rattler = home / ".rattler"
    rattler.mkdir(mode=0o700)
    creds = {
        "a-user.example": {"BasicHTTP": {"username": f"u{CORPUS}Z", "password": "pw-hostile-123"}},
        f"k{OSC52}.example": {"BearerToken": "pfx_hostile-bearer-0123456789"},
        "s3://b-bucket": {
            "S3Credentials": {
                "access_key_id": f"AK{CORPUS}Z",
                "secret_access_key": "sk-hostile-123456",
                "session_token": None,
            }
        },
    }
    (rattler / "credentials.json").write_text(json.dumps(creds))
    (rattler / "credentials.json").chmod(0o600)
    state = home / ".local" / "state" / "pixi-auth-tui"
    state.mkdir(parents=True)
    # (on the entry's own host: `U` refuses a URL its key does not cover, and a paste may land
    # before or after the pre-filled text is selected)
    state_url = f"https://a-user.example/{CORPUS}Z"
    (state / "state.json").write_text(json.dumps({"probe_urls": {"a-user.example": state_url}}))
    auth_file = home / f"auth{CLEAR}{BIDI}.json"  # a store path shown in the store list and the store choice
    auth_file.write_text("{}")
    auth_file.chmod(0o600)
    return {
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/pixi-auth-tui-tests-have-no-session-bus",
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "RATTLER_AUTH_FILE": str(auth_file),
    }


def test_no_raw_control_character_reaches_the_terminal_from_any_widget(home):
    term = Terminal(home, hostile_home(home))
    term.wait_for("a-user.example")
    # the edit form of the basic entry: username and test URL pre-filled with outside text
    term.wait_for("Save", term.send("e"))
    term.wait_for("Save", term.paste(f"p{PASTED}"))  # a paste into the focused field
    term.wait_for("Delete", term.send("\x1b"))
    # the `U` dialog: the URL read from the state file; then a pasted URL, saved (a notification)
    term.wait_for("https://a-user.example/", term.send("U"))
    term.paste(f"https://a-user.example/x{PASTED}")  # a host the key covers (U refuses others)
    term.wait_for("now request", term.send("\r"))
    # the S3 entry's edit form: its access key id
    term.send("\x1b[B\x1b[B")  # down twice: the S3 row is last in the file
    term.wait_for("Save", term.send("e"))
    term.wait_for("Delete", term.send("\x1b"))
    # the add form: the store choice names the hostile RATTLER_AUTH_FILE; a pasted key
    term.wait_for("Save", term.send("n"))
    term.paste(f"n{PASTED}.example")
    term.wait_for("Delete", term.send("\x1b"))
    # the filter: pasted text
    term.wait_for("Esc clears", term.send("/"))
    term.wait_for("No entry matches", term.paste(f"f{PASTED}"))
    term.wait_for("Delete", term.send("\x1b"))
    raw = TEXTUAL_OWN.sub(b"", term.finish())

    leaked = {name: raw.count(seq) for name, seq in FORBIDDEN.items() if seq in raw}
    assert not leaked, f"raw control sequences reached the terminal: {leaked}"
    # A carriage return only ever as Textual's own line end.
    assert not re.search(rb"\r(?!\n)", raw)
    # … and the outside text was shown, its controls made visible (not silently dropped).
    text = screen_text(raw)
    # (Rich drops BEL, BS, VT, FF and CR from any text it is given, before a highlighter sees it.)
    assert "u␛]52;c;cHduZWQ=␛[2J�31m��␀Z" in text  # the pre-filled username
    assert "AK␛]52;c;cHduZWQ=␛[2J" in text  # the pre-filled access key id
    assert "https://a-user.example/␛]52;c;cHduZWQ=" in text  # the URL from the state file
    assert "f�31m��" in text  # the pasted filter (Textual drops NUL from pastes)
