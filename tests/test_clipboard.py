"""Copy (`c`): the system clipboard where there is one (here the real `xclip` on a private Xvfb
display; where Xvfb or xclip is not installed, a stand-in `xclip` script on PATH that keeps the
clipboard in a file — said in the test id), cleared after a while only if it still holds our
secret; the terminal's OSC 52 otherwise, never announced as "Copied"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pixi_auth_tui.ui.app import AuthApp

from tests.conftest import make_env, skip_unless_ci, until
from tests.test_ui import select_row, settle

SECRET = "pfx_clipboard-secret-0123456789"
STAND_IN = """#!{python}
import sys
from pathlib import Path
store = Path({store!r})
if "-o" in sys.argv:
    sys.stdout.write(store.read_text() if store.exists() else "")
else:
    store.write_text(sys.stdin.read())
"""


@pytest.fixture(scope="module", params=["real", "stand-in"])
def x_clipboard(request, tmp_path_factory):
    """(PATH, DISPLAY) under which `xclip` works: a real one on Xvfb, or the stand-in."""
    folder = tmp_path_factory.mktemp("clip")
    if request.param == "stand-in":
        tool = folder / "xclip"
        tool.write_text(STAND_IN.format(python=sys.executable, store=str(folder / "clipboard")))
        tool.chmod(0o755)
        yield f"{folder}:{os.environ['PATH']}", ":0"
        return
    if not (shutil.which("Xvfb") and shutil.which("xclip")):
        # tests/run.sh installs both: under CI this is a failure, never a silent skip
        skip_unless_ci("real clipboard", "has no Xvfb or xclip (apt-get install xvfb xclip); the stand-in still runs")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "320x200x24"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as numbers:
        display = numbers.readline().strip()  # Xvfb writes the display number once it accepts clients
    try:
        yield os.environ["PATH"], f":{display}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def clipboard_text(path: str, display: str) -> str:
    env = {"PATH": path, "DISPLAY": display}
    return subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"], env=env, capture_output=True, text=True, timeout=30
    ).stdout


def put(path: str, display: str, text: str) -> None:
    env = {"PATH": path, "DISPLAY": display}
    subprocess.run(
        ["xclip", "-selection", "clipboard"], env=env, input=text.encode(), stdout=subprocess.DEVNULL, timeout=30
    )


def one_entry_home(home: Path) -> Path:
    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps({"copy.example": {"BearerToken": SECRET}}))
    path.chmod(0o600)
    return home


def recording(app) -> list[str]:
    said: list[str] = []
    shown = app.notify

    def notify(message, **kwargs):
        said.append(message)
        shown(message, **kwargs)

    app.notify = notify
    return said


async def test_copy_uses_the_system_clipboard_and_clears_it_if_still_ours(home, x_clipboard):
    path, display = x_clipboard
    app = AuthApp(make_env(one_entry_home(home), PATH=path, DISPLAY=display))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        said = recording(app)
        sent: list[str] = []
        app.copy_to_clipboard = sent.append
        app.main.detail.clear_seconds = 0.2
        select_row(app, "copy.example", "credentials")
        await pilot.press("c")
        await until(pilot, lambda: any("Copied" in s for s in said), "the copy is told")
        assert "(xclip)" in said[0] and not sent  # not the terminal's OSC 52
        await until(pilot, lambda: any("Cleared" in s for s in said), "the clearing is told")
        assert clipboard_text(path, display) == ""
        # Copied again, and the person copies something else before the timer ends: that stays.
        # (The timer is long here and its end is called by the test: under load a short one
        # could end before the test looked at the clipboard.)
        said.clear()
        app.main.detail.clear_seconds = 3600
        await pilot.press("c")
        await until(pilot, lambda: any("Copied" in s for s in said), "the copy is told")
        assert clipboard_text(path, display) == SECRET
        put(path, display, "the person's own text")
        app.main.detail.clear_copied()
        await until(pilot, lambda: app.main.detail.clear_outcomes[-1:] == [False], "the timer left the clipboard")
        assert clipboard_text(path, display) == "the person's own text"


async def test_without_a_clipboard_tool_copy_says_it_may_not_have_worked(home, tmp_path):
    failing = tmp_path / "bin"
    failing.mkdir()
    (failing / "xclip").write_text("#!/bin/sh\nexit 1\n")
    (failing / "xclip").chmod(0o755)
    for env in ({}, {"PATH": str(failing), "DISPLAY": ":0"}):  # no tool at all; a tool that fails
        app = AuthApp(make_env(one_entry_home(home), **env))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            said = recording(app)
            sent: list[str] = []
            app.copy_to_clipboard = sent.append
            select_row(app, "copy.example", "credentials")
            await pilot.press("c")
            await until(pilot, lambda said=said: bool(said), "the copy is told")
            assert sent == [SECRET]  # the terminal was asked (OSC 52) …
            assert "may not have worked" in said[0] and "Copied" not in said[0]  # … and said so honestly
            if env:
                assert "xclip failed" in said[0]


@pytest.fixture(scope="module")
def tmux_server(tmp_path_factory):
    """A private tmux server (its own socket, no config): the TMUX value a pane inside it has."""
    if not shutil.which("tmux"):
        skip_unless_ci("tmux clipboard", "has no tmux (apt-get install tmux)")
    socket = tmp_path_factory.mktemp("tmux") / "socket"
    tmux = ["tmux", "-S", str(socket), "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "sleep 600"], check=True, timeout=30)
    try:
        yield f"{socket},0,0", tmux
    finally:
        subprocess.run([*tmux, "kill-server"], timeout=30, check=False)


def tmux_buffers(tmux: list[str]) -> str:
    return subprocess.run(
        [*tmux, "list-buffers", "-F", "#{buffer_name} #{buffer_sample}"], capture_output=True, text=True, timeout=30
    ).stdout


async def test_inside_tmux_without_a_desktop_copy_uses_a_tmux_buffer_and_deletes_it(home, tmux_server):
    # Inside tmux (an ssh session, no display): OSC 52 is dropped by tmux's default
    # `set-clipboard external` and, with `on`, kept in tmux's paste buffers for good. tmux's own
    # buffer is a clipboard we can read back and delete: named, said, and gone after the timer.
    value, tmux = tmux_server
    app = AuthApp(make_env(one_entry_home(home), PATH=os.environ["PATH"], TMUX=value))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        said = recording(app)
        sent: list[str] = []
        app.copy_to_clipboard = sent.append
        app.main.detail.clear_seconds = 0.3
        select_row(app, "copy.example", "credentials")
        await pilot.press("c")
        await until(pilot, lambda: bool(said), "the copy is told")
        assert "Copied" in said[0] and "tmux" in said[0] and not sent  # no OSC 52 for tmux to keep
        assert SECRET in tmux_buffers(tmux)
        await until(pilot, lambda: any("Cleared" in s for s in said), "the clearing is told")
        assert SECRET not in tmux_buffers(tmux)


async def test_quitting_before_the_timer_still_clears_what_we_copied(home, tmux_server):
    # A password manager empties the clipboard when it quits, too: the secret must not outlive
    # the app because the person pressed q within the 30 s.
    value, tmux = tmux_server
    app = AuthApp(make_env(one_entry_home(home), PATH=os.environ["PATH"], TMUX=value))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        said = recording(app)
        select_row(app, "copy.example", "credentials")
        await pilot.press("c")
        await until(pilot, lambda: bool(said), "the copy is told")
        assert SECRET in tmux_buffers(tmux)
    assert SECRET not in tmux_buffers(tmux)


LAZY_OWNER = """#!{python}
import sys
from pathlib import Path
store, pending = Path({store!r}), Path({store!r} + ".pending")
if "-o" in sys.argv:
    sys.stdout.write(store.read_text() if store.exists() else "")
    if pending.exists():  # the owner in the background takes the selection after the first read
        pending.replace(store)
else:
    pending.write_text(sys.stdin.read())
"""


def test_a_clipboard_owner_that_takes_its_time_is_waited_for(tmp_path):
    """xclip asserts the selection from the process it leaves in the background; on a loaded
    machine a read-back right after it can still see the old text. The copy waits for the text
    to arrive (bounded) instead of saying the copy may not have worked. The stand-in answers its
    first read with the old text, its second with the new one."""
    from pixi_auth_tui.system import clipboard

    tool_file = tmp_path / "xclip"
    tool_file.write_text(LAZY_OWNER.format(python=sys.executable, store=str(tmp_path / "clipboard")))
    tool_file.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "DISPLAY": ":0"}
    tool = clipboard.system_clipboard(env)
    assert tool is not None and tool.name == "xclip"
    clipboard.copy(tool, SECRET, env)
    assert (tmp_path / "clipboard").read_text() == SECRET
