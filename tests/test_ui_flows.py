"""Every flow a person tries in the UI, driven through Textual's Pilot at 120×40 and 80×24,
on real files in a temporary HOME (the keychain is the in-memory one where a test needs a
second writable store or duplicates; the Secret Service itself is covered in test_ui.py)."""

import json

import pytest
from pixi_auth_tui.core.model import KIND_LABELS, BearerToken
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.probe.state import ProbeResult, ProbeState, Verdict
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.audit_screen import AuditScreen
from pixi_auth_tui.ui.commands import screen_commands
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from pixi_auth_tui.ui.dialogs.fix_choice import FixChoiceScreen
from pixi_auth_tui.ui.dialogs.probe_url import ProbeUrlScreen
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.widgets.credential_table import COLUMNS, CredentialTable, row_id, verdict_cell
from pixi_auth_tui.ui.widgets.detail_pane import DetailPane
from pixi_auth_tui.ui.widgets.store_summary import StoreSummary
from textual import events
from textual.geometry import Region
from textual.widgets import Button, Input, Label, OptionList, Select

from tests.conftest import form_line, make_env, said
from tests.test_ui import detail, screen_text, select_row, settle, write_json

SIZES = [(120, 40), (80, 24)]
SIZE_IDS = ["120x40", "80x24"]
OLD = {
    "BearerToken": {"BearerToken": "old-bearer-token"},
    "CondaToken": {"CondaToken": "old-conda-token"},
    "BasicHTTP": {"BasicHTTP": {"username": "old-user", "password": "old-pass"}},
    "S3Credentials": {
        "S3Credentials": {"access_key_id": "AKOLD", "secret_access_key": "old-secret", "session_token": None}
    },
}
ROT_KEY = "packages.rotation.example.org"  # long enough to wrap the edit form's title
FIRST_FIELD = {
    "BearerToken": "token",
    "CondaToken": "token",
    "BasicHTTP": "username",
    "S3Credentials": "access_key_id",
}
SECRETS = {
    "BearerToken": ["token"],
    "CondaToken": ["token"],
    "BasicHTTP": ["password"],
    "S3Credentials": ["secret_access_key", "session_token"],
}


def messages(app) -> list[str]:
    return said(app)


def credentials(home):
    return json.loads((home / ".rattler/credentials.json").read_text())


def footer_keys(app) -> list[tuple[str, str]]:
    """(key, description) of every key the keys line at the bottom of the current screen drew
    (the command palette's key aside)."""
    height = app.screen.size.height
    return [
        (span.key.display, span.key.description)
        for line in app.screen.query(KeysLine)
        if line.display and line.region.height and line.region.bottom == height
        for span in line.spans
        if not span.key.palette
    ]


async def settled_footer(pilot) -> list[tuple[str, str]]:
    """The footer's keys once it has caught up with the screen's bindings. The keys line redraws
    itself on the next refresh after the screen publishes its bindings (under load, after the
    test's next line): wait for that, then let the caller judge what is shown. Bounded, never a
    sleep: if it never catches up, the caller fails."""
    screen = pilot.app.screen
    for _ in range(200):
        wanted = {b.description for (_, b, _, _) in screen.active_bindings.values() if b.show}
        if wanted == {description for _key, description in footer_keys(pilot.app)}:
            break
        await pilot.pause()
    return footer_keys(pilot.app)


def focus_chain(app) -> list[str]:
    """Ids of what Tab visits, in order (Textual's own focus chain: shown, enabled widgets)."""
    return [w.id for w in app.screen.focus_chain]


# -- edit / rotate, every kind -------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("kind", list(OLD))
async def test_rotate_every_kind_with_the_keyboard_alone(home, kind, size):
    """The silent bug: a username+password or S3 form opened with focus on a hidden field,
    so what was typed went nowhere and "Rotated" was said over an unchanged entry."""
    write_json(home / ".rattler/credentials.json", {ROT_KEY: OLD[kind]})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CredentialForm)
        assert app.focused.id == FIRST_FIELD[kind]
        chain = focus_chain(app)
        for name in SECRETS[kind]:
            assert name in chain  # every secret field reachable by Tab
        assert "key" not in chain and "kind" not in chain  # fixed while editing
        # … so the title names them, whole: wrapped, never cut (it is the only place the store is named)
        title = form.query_one(".title", Label)
        shown = " ".join(strip.text.strip() for strip in title.render_lines(Region(0, 0, *title.size)))
        assert shown.split() == f"Edit / rotate {ROT_KEY} ({KIND_LABELS[kind]}) in credentials.json".split()
        assert title.region.right <= form.query_one("#dialog").scrollable_content_region.right  # inside the box
        # the footer on screen is the dialog's own (its buttons alone would also say "Save")
        keys = await settled_footer(pilot)
        assert ("^s", "Save") in keys and ("esc", "Cancel") in keys, keys
        assert not any(description in ("Add", "Delete", "Audit") for _key, description in keys), keys
        # Tab from the first field to the first secret (the next field, or the one after)
        await pilot.press(*["tab"] * (chain.index(SECRETS[kind][0]) - chain.index(FIRST_FIELD[kind])))
        assert app.focused.id == SECRETS[kind][0]
        await pilot.press(*"s3cr3t", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, CredentialForm)
        assert any(m.startswith(f"Rotated {ROT_KEY}") for m in messages(app))
    stored = credentials(home)[ROT_KEY]
    assert "s3cr3t" in json.dumps(stored)


# every kind at 80×24; the wide layout once (the form's layout is the same for every kind)
UNCHANGED = [(kind, (80, 24)) for kind in OLD] + [("BasicHTTP", (120, 40))]


@pytest.mark.parametrize(("kind", "size"), UNCHANGED, ids=[f"{k}-{w}x{h}" for k, (w, h) in UNCHANGED])
async def test_saving_an_unchanged_entry_says_nothing_changed_and_writes_nothing(home, kind, size):
    path = home / ".rattler/credentials.json"
    write_json(path, {"same.example": OLD[kind]})
    before = path.stat().st_mtime_ns, path.read_bytes()
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")  # visible fields kept, secrets left empty = kept
        await settle(pilot)
        assert any(m.startswith("Nothing changed") for m in messages(app))
        assert not any(m.startswith("Rotated") for m in messages(app))
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


# -- delete ----------------------------------------------------------------------------------


DELETE_CASES = {
    # a wildcard in the same file takes over
    "wildcard": ("", "*.prefix.dev in credentials.json", "*.prefix.dev", "credentials"),
    # an exact key in a later store beats a wildcard in an earlier one, as rattler's lookup does
    "exact-later": (
        "machine repo.prefix.dev login u password p\n",
        "the entry for repo.prefix.dev in netrc",
        "repo.prefix.dev",
        "netrc",
    ),
}


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("case", list(DELETE_CASES))
async def test_delete_names_the_entry_pixi_uses_instead_as_resolve_finds_it(home, case, size):
    netrc, named, key, store_id = DELETE_CASES[case]
    write_json(
        home / ".rattler/credentials.json",
        {"repo.prefix.dev": {"BearerToken": "exact-token"}, "*.prefix.dev": {"BearerToken": "wild-token"}},
    )
    if netrc:
        (home / ".netrc").write_text(netrc)
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        select_row(app, "repo.prefix.dev", "credentials")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"pixi will then use {named}" in app.screen.question
        assert f"pixi will then use {named}" in screen_text(app)  # shown whole, at this size too
        await pilot.press("y")
        await settle(pilot)
        assert any(m.startswith("Deleted repo.prefix.dev from credentials.json") for m in messages(app))
    assert "repo.prefix.dev" not in credentials(home)
    # what `resolve` now finds for a URL of that host is the entry the dialog named
    found = load_inventory(make_env(home)).resolve("https://repo.prefix.dev/channel/noarch/repodata.json").row
    assert found is not None and (found.key, found.store.id) == (key, store_id)


# -- test connection -------------------------------------------------------------------------


def remember(home, urls, results=None):
    path = home / ".local/state/pixi-auth-tui/state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"probe_urls": urls, "results": results or {}}))
    return path


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_test_all_skip_on_the_plain_http_question_tests_only_the_others(home, http_server, size):
    write_json(
        home / ".rattler/credentials.json",
        {"127.0.0.1": {"BearerToken": "good-token"}, "localhost": {"BearerToken": "good-token"}},
    )
    earlier = ProbeResult("127.0.0.1", "http://x/", Verdict.ACCEPTED, "earlier result").to_json()
    remember(
        home,
        # a closed port: the https entry is tried and fails fast, nothing reaches a server
        {"127.0.0.1": f"{http_server.base}/private", "localhost": "https://localhost:9/"},
        {"credentials:127.0.0.1": earlier},
    )
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "plain http" in app.screen.question
        await pilot.press("escape")  # skip them
        await settle(pilot)
        assert http_server.seen == []  # nothing sent over plain http
        results = app.main.probe_state.results
        assert results["credentials:127.0.0.1"].message == "earlier result"
        assert results["credentials:localhost"].verdict is Verdict.NETWORK_ERROR
        assert any(m == "Tested 1: 1 network error; 1 entry skipped (plain http)." for m in messages(app))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_test_url_is_shown_changed_and_remembered(home, size):
    write_json(home / ".rattler/credentials.json", {"*.example.org": {"BearerToken": "tok"}})
    state_path = remember(home, {"other.example": "https://other.example/kept"})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert "(none yet: t asks for one)" in detail(app)
        await pilot.press("U")
        await pilot.pause()
        assert isinstance(app.screen, ProbeUrlScreen)
        assert app.focused.id == "url"
        app.screen.query_one("#url", Input).value = "https://repo.example.org/chan/noarch/repodata.json"
        await pilot.press("enter")
        await settle(pilot)
        assert "Test URL     https://repo.example.org/chan/noarch/repodata.json" in detail(app)
    saved = json.loads(state_path.read_text())["probe_urls"]
    # merged: the URL remembered by another run is still there
    assert saved == {
        "other.example": "https://other.example/kept",
        "*.example.org": "https://repo.example.org/chan/noarch/repodata.json",
    }


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_a_url_typed_in_the_form_is_remembered(home, size):
    state_path = remember(home, {"other.example": "https://other.example/kept"})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#key", Input).value = "*.corp.example"
        await pilot.press("tab", "tab", *"tok")
        app.screen.query_one("#probe-url", Input).value = "https://pkgs.corp.example/x/noarch/repodata.json"
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.probe_state.urls["*.corp.example"] == "https://pkgs.corp.example/x/noarch/repodata.json"
        assert "https://pkgs.corp.example/x/noarch/repodata.json" in detail(app)
    assert json.loads(state_path.read_text())["probe_urls"] == {
        "other.example": "https://other.example/kept",
        "*.corp.example": "https://pkgs.corp.example/x/noarch/repodata.json",
    }


def test_state_file_is_merged_when_the_cli_and_the_ui_both_write_it(tmp_path):
    path = tmp_path / "state.json"
    ui, cli = ProbeState(path), ProbeState(path)
    ui.urls["ui.example"] = "https://ui.example/"
    cli.urls["cli.example"] = "https://cli.example/"
    cli.results["credentials:cli.example"] = ProbeResult("cli.example", "https://cli.example/", Verdict.REJECTED, "no")
    cli.save()
    ui.save()  # read before the CLI wrote: must not clobber what the CLI wrote
    merged = ProbeState(path)
    assert merged.urls == {"ui.example": "https://ui.example/", "cli.example": "https://cli.example/"}
    assert merged.results["credentials:cli.example"].verdict is Verdict.REJECTED


@pytest.fixture
def two_servers():
    """Plain-http servers on 127.0.0.1 and 127.0.0.2 (two hosts, so two keys can be tested)."""
    from tests.servers import ScriptedServer, start_scripted_server

    states = [ScriptedServer(host=f"127.0.0.{i}") for i in (1, 2)]
    servers = [start_scripted_server(state) for state in states]
    yield states
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_t_says_and_shows_the_url_it_tests(home, http_server, size):
    url = f"{http_server.base}/private/noarch/repodata.json"
    write_json(home / ".rattler/credentials.json", {"127.0.0.1": {"BearerToken": "good-token"}})
    remember(home, {"127.0.0.1": url})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and url in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        said = messages(app)
        assert f"Testing 127.0.0.1: {url} …" in said  # when it starts
        assert any(m.startswith("127.0.0.1: ") and m.endswith(f"\n{url}") for m in said)  # beside its result
        assert url in detail(app)
    # the URL said is the URL requested (beside the server's /api/me, asked for the user name)
    paths = {seen.path for seen in http_server.seen}
    assert "/private/noarch/repodata.json" in paths and paths <= {"/private/noarch/repodata.json", "/api/me"}


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_cli_and_the_ui_writing_the_state_file_keeps_both(home, http_server, size):
    """The UI reads the state file at start; the CLI then tests and writes it; the UI then
    remembers a URL: the file holds the CLI's result and both URLs."""
    import subprocess
    import sys

    write_json(
        home / ".rattler/credentials.json",
        {"127.0.0.1": {"BearerToken": "good-token"}, "ui.example": {"BearerToken": "t"}},
    )
    state_path = remember(home, {})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        url = f"{http_server.base}/private"
        cli = [sys.executable, "-m", "pixi_auth_tui", "test", "127.0.0.1", "--url", url, "--allow-http"]
        done = subprocess.run(cli, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        select_row(app, "ui.example", "credentials")
        await pilot.press("U")
        await pilot.pause()
        app.screen.query_one("#url", Input).value = "https://ui.example/chan/noarch/repodata.json"
        await pilot.press("enter")
        await settle(pilot)
    saved = json.loads(state_path.read_text())
    assert saved["probe_urls"] == {"127.0.0.1": url, "ui.example": "https://ui.example/chan/noarch/repodata.json"}
    assert saved["results"]["credentials:127.0.0.1"]["verdict"] == "accepted"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_test_all_summary_counts_every_outcome(home, two_servers, size):
    first, second = two_servers
    write_json(
        home / ".rattler/credentials.json",
        {
            "127.0.0.1": {"BearerToken": "good-token"},  # accepted
            "127.0.0.2": {"BearerToken": "revoked"},  # rejected
            "localhost": {"BearerToken": "t"},  # a closed port: network error
            "*.example.org": {"BearerToken": "t"},  # no URL to test
        },
    )
    remember(
        home,
        {
            "127.0.0.1": f"{first.base}/private",
            "127.0.0.2": f"{second.base}/private",
            "localhost": "https://localhost:9/",
        },
    )
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "2 entries of these use plain http" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert messages(app)[-1] == "Tested 4: 1 accepted, 1 rejected, 1 network error, 1 needs a URL."


# -- the table -------------------------------------------------------------------------------


def demo_app(tmp_path):
    from pixi_auth_tui.ui.scenes import SCENES, scene_app

    return scene_app(SCENES[0], tmp_path / "demo")


async def test_every_column_is_readable_at_120_columns(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        for column in COLUMNS:
            assert column in text
        assert "expired 3d ago" in text and "AKIADEMO000000000000" in text
        # still every column when the longest verdicts fill the Last test column
        table = app.main.table
        for row, verdict in zip(table.shown_rows, [*reversed(Verdict)], strict=False):
            result = ProbeResult(row.key, "https://x/", verdict, "m")
            app.main.probe_state.record(row.store.id, row.key, row.entry.credential, result)
        table.render_rows()
        await pilot.pause()
        widths = [width + 2 for width in table.widths]  # (a blank each side)
        assert sum(widths) <= table.size.width, widths


async def test_a_usable_layout_at_80x24(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = app.main.query_one(StoreSummary)
        assert summary.size.height == 2  # the stores on one line, the audit badge on the next
        assert "1 override file rejected · 2 keychain 4 · 3 credentials.json 4 · 4 netrc 2" in screen_text(app)
        pane = app.main.query_one(DetailPane)
        assert pane.size.height >= 4 and pane.region.bottom <= 23  # above the footer
        assert app.main.table.size.height >= 8


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top(tmp_path, size):
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.main.table
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == len(table.shown_rows) - 1
        pane = app.main.query_one(DetailPane)
        pane.scroll_end(animate=False)
        await pilot.pause()
        assert pane.scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and pane.scroll_y == 0
        select_row(app, "files.example.org", "credentials")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm) and app.screen.editing.key == "files.example.org"
        await pilot.press("escape")
        await pilot.pause()
        select_row(app, "auth.example.com", "keychain")  # OAuth: read-only, Enter shows the detail
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main and app.focused is pane
        await pilot.press("escape")
        assert app.focused is table


def visible_styles(table, index: int) -> list[str]:
    """The styles of row `index`'s cells that are on screen (the table scrolled to its left)."""
    styles, right = [], 0
    for column, width in enumerate(w + 2 for w in table.widths):
        right += width
        if right <= table.scrollable_content_region.width:
            cell = table.cells(index)[column]
            styles.append(" ".join([str(cell.style), *(str(span.style) for span in cell.spans)]))
    return styles


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_expired_credentials_stand_out(tmp_path, size):
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.main.table
        for index, row in enumerate(table.shown_rows):
            marked = any("bold red" in style for style in visible_styles(table, index))
            assert marked == (row.key == "private.example.net"), (row.key, visible_styles(table, index))
        expired = next(i for i, r in enumerate(table.shown_rows) if r.key == "private.example.net")
        assert table.cells(expired)[COLUMNS.index("Expires")].plain == "expired 3d ago"


def header(table, column: int) -> str:
    return str(table.labels[column])


def sort_key(table, column: int):
    """What the README promises: rows in the order of that column's text, case ignored."""
    now = table.clock()
    if column == len(COLUMNS) - 1:
        return lambda row: verdict_cell(table.last_result(row), False).plain.lower()
    return lambda row: present.row_cells(row, now)[column].lower()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says(tmp_path, size):
    """README: o sorts by the next column, O reverses, the header shows ▲ or ▼; after the last
    column o returns to lookup order. A header click sorts by it, a second reverses, a third
    returns to lookup order."""
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.main.table
        lookup_order = [row_id(r) for r in table.shown_rows]
        for column, name in enumerate(COLUMNS):
            await pilot.press("o")
            await pilot.pause()
            assert header(table, column) == f"{name} ▲"
            assert [header(table, c) for c in range(len(COLUMNS)) if c != column] == [
                n for c, n in enumerate(COLUMNS) if c != column
            ]
            assert [row_id(r) for r in table.shown_rows] == [
                row_id(r) for r in sorted(table.shown_rows, key=sort_key(table, column))
            ]
            assert messages(app)[-1].startswith(f"Sorted by {name}")
            if column == 0:
                assert "Key ▲" in screen_text(app)  # visible at this size
                await pilot.press("O")
                await pilot.pause()
                assert header(table, 0) == "Key ▼" and "Key ▼" in screen_text(app)
                keys = [r.key.lower() for r in table.shown_rows]
                assert keys == sorted(keys, reverse=True)
                assert messages(app)[-1].startswith("Sorted by Key, descending")
        await pilot.press("o")  # after the last column: pixi's lookup order again
        await pilot.pause()
        assert [row_id(r) for r in table.shown_rows] == lookup_order
        assert [header(table, c) for c in range(len(COLUMNS))] == list(COLUMNS)
        assert messages(app)[-1] == "Sorted in pixi's lookup order."
        # header clicks on Kind: sort, reverse, lookup order
        x = table.widths[0] + 2 + 1
        for expected in ("Kind ▲", "Kind ▼", "Kind"):
            await pilot.click(CredentialTable, offset=(x, 0))
            await pilot.pause()
            assert header(table, 1) == expected
        assert [row_id(r) for r in table.shown_rows] == lookup_order


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_cursor_lands_on_the_entry_just_added(home, size):
    write_json(home / ".rattler/credentials.json", {f"h{i}.example": {"BearerToken": f"t{i}"} for i in range(30)})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"zz.a", "tab", "tab", *"tok", "enter")
        await settle(pilot)
        row = app.main.selected_row()
        assert (row.key, row.store.id) == ("zz.a", "credentials")
        assert "zz.a" in detail(app)


# -- forms -----------------------------------------------------------------------------------


# Keys `pixi auth login` would rewrite, but into keys rattler still cannot match.
INVALID_KEYS = ("a b.c", "example.org:99999", "http://bad_host!.org/x")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_form_suggestions_s3_preselect_and_multi_line_paste(home, size):
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        key = form.query_one("#key", Input)
        await pilot.press(*INVALID_KEYS[0])  # typed, as a person would
        for invalid in INVALID_KEYS:  # no "would store this as" for any of them
            key.value = invalid
            await pilot.pause()
            assert "would store" not in form_line(form, "key-hint"), invalid
            assert form.suggestion is None and ("^g", "Use suggested key") not in await settled_footer(pilot)
        key.value = "example.org"
        await pilot.pause()
        assert "`pixi auth login` would store this as *.example.org" in screen_text(app)
        assert ("^g", "Use suggested key") in await settled_footer(pilot)  # named where it is pressed
        await pilot.press("ctrl+g")  # accept the suggestion with one key
        await pilot.pause()
        assert key.value == "*.example.org"
        assert "would store" not in form_line(form, "key-hint")
        assert ("^g", "Use suggested key") not in await settled_footer(pilot)  # and its key is gone
        key.value = "s3://bucket"
        await pilot.pause()
        assert form.query_one("#kind", Select).value == "S3Credentials"
        # a paste of several lines is refused with a message, not cut to its first line
        field = form.query_one("#secret_access_key", Input)
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste("line one\nline two\n"))
        await pilot.pause()
        assert field.value == ""
        assert "Refused a paste of 2 lines" in str(form.query_one("#secret_access_key-error").render())
        assert "Refused a paste of 2 lines" in screen_text(app)  # on screen, beside the field


# -- audit -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_fix_wording_and_undo_after_reopening_the_audit_screen(home, size):
    path = home / ".rattler/credentials.json"
    write_json(path, {"a.example": {"BearerToken": "t"}})
    path.chmod(0o644)
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        index = [f.code for f in screen.findings].index("file-permissions")
        screen.query_one("#findings").move_cursor(row=index)
        await pilot.press("f")
        await pilot.pause()
        question = app.screen.question
        assert "backup" not in question and "Only the permissions change" in question
        assert "Only the permissions change" in screen_text(app)  # the dialog fits this size
        await pilot.press("y")
        await settle(pilot)
        assert path.stat().st_mode & 0o777 == 0o600
        # the audit screen told the main screen what it re-read (by a message)
        assert "file-permissions" not in [f.code for f in app.main.findings]
        await pilot.press("escape")  # leave the audit screen …
        await pilot.pause()
        await pilot.press("a")  # … and come back: the fix can still be undone
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert path.stat().st_mode & 0o777 == 0o644
        assert "file-permissions" in [f.code for f in app.main.findings]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_dedupe_chooser_is_focused_and_tells_the_items_apart(home, keychain, keyring_daemon, size):
    """Three items for one key in a real gnome-keyring: one written as rattler does, one as
    older pixi did (keyring-rs 3.6 adds `target` and `application`), one by Python's keyring
    (which adds its own `application`) — the chooser says which is which."""
    import keyring.backends.SecretService
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection
    from pixi_auth_tui.stores.secretservice import item_attributes

    keychain.set("dup.example", BearerToken("first-token-aaaa1111"))
    keyring.backends.SecretService.Keyring().set_password("rattler", "dup.example", '{"BearerToken":"second-bbbb2222"}')
    conn = open_dbus_connection(bus=keyring_daemon.address)
    try:
        secretstorage.get_default_collection(conn).create_item(
            "dup.example@rattler:default (keyring v3.6.3)",
            {**item_attributes("dup.example"), "target": "default", "application": "rust-keyring"},
            b'{"BearerToken":"third-cccc3333"}',
        )
    finally:
        conn.close()
    app = AuthApp(make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        index = [f.code for f in screen.findings].index("duplicate-keychain")
        screen.query_one("#findings").move_cursor(row=index)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FixChoiceScreen)
        choices = app.screen.query_one(OptionList)
        assert app.focused is choices and choices.highlighted == 0
        described = {}
        for option in (choices.get_option_at_index(i) for i in range(choices.option_count)):
            text = str(option.prompt.plain if hasattr(option.prompt, "plain") else option.prompt)
            tail = next(t for t in ("1111", "2222", "3333") if f"…{t}" in text)
            described[tail] = text
        assert "written by rattler" in described["1111"]
        assert "written by Python keyring" in described["2222"]
        assert "written by older pixi" in described["3333"]
        assert all("changed 20" in text for text in described.values())
        text = screen_text(app)
        assert "first-token" not in text and "…1111" in text  # masked; the first item on screen
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Undo cannot bring" in app.screen.question


# -- keychain and words ----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_a_locked_keychain_names_u_and_u_says_what_happened(home, own_daemon, size):
    """A real gnome-keyring, locked, in a session with no password prompter (as on a server)."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    SecretServiceStore(own_daemon.address).set("a.example", BearerToken("t"))
    conn = open_dbus_connection(bus=own_daemon.address)
    try:
        secretstorage.get_default_collection(conn).lock()
    finally:
        conn.close()
    app = AuthApp(make_env(home, DBUS_SESSION_BUS_ADDRESS=own_daemon.address))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "locked" in text and ("press u to unlock" in text or "(u unlocks)" in text)
        await pilot.press("u")
        await settle(pilot)
        said = messages(app)
        assert said[0].startswith("Asking the keychain to unlock")
        assert said[1].startswith("The keychain stays locked: no prompter available")


async def test_unlock_without_a_keychain_says_so(home):
    app = AuthApp(make_env(home))  # no session bus: the keychain is unavailable
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        keychain_message = app.main.inventory.snapshots["keychain"].message
        assert "D-Bus" in keychain_message  # the short line of stores/dbus_session.DIAGNOSES
        assert messages(app) == ["The keychain cannot be unlocked: " + keychain_message]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_plurals_and_palette_names(home, size):
    path = home / ".rattler/credentials.json"
    write_json(path, {"Upper.Example": {"BearerToken": "t"}})  # a key rattler never matches: 1 more warning
    path.chmod(0o644)  # an error
    path.parent.chmod(0o755)  # a warning
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert "Audit: 1 error, 3 warnings" in screen_text(app)
        system = list(app.get_system_commands(app.main))
        actions = screen_commands(app.main)  # the palette's ScreenActions provider
        titles = [c.title for c in system] + [c.title for c in actions]
        callbacks = [c.callback for c in system] + [c.run for c in actions]
        assert len(titles) == len(set(titles)), titles  # one entry per action …
        assert len(set(callbacks)) == len(callbacks), titles  # … whatever its title
        assert "Help" in titles and "Keys" not in titles  # Textual's keys panel would be a second help
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"filter")
        await settle(pilot)
        shown = screen_text(app)
        assert "Filter" in shown and "(key /)" in shown and "slash" not in shown


async def test_rotate_instead_from_the_add_form_stays_keyboard_only(home):
    write_json(home / ".rattler/credentials.json", {"have.example": {"BasicHTTP": {"username": "u", "password": "p"}}})
    app = AuthApp(make_env(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#kind", Select).value = "BasicHTTP"
        await pilot.pause()
        form.query_one("#key", Input).value = "have.example"
        form.query_one("#username", Input).value = "u"
        form.query_one("#password", Input).value = "new-p"
        await pilot.press("enter")
        await pilot.pause()
        rotate = form.query_one("#rotate-instead", Button)
        assert rotate.display and app.focused is rotate
        await pilot.press("enter")
        await settle(pilot)
    assert credentials(home)["have.example"] == {"BasicHTTP": {"username": "u", "password": "new-p"}}


def test_plural_words():
    from pixi_auth_tui.core.words import plural

    assert [plural(1, "error"), plural(4, "error"), plural(1, "entry"), plural(2, "entry"), plural(3, "day")] == [
        "1 error",
        "4 errors",
        "1 entry",
        "2 entries",
        "3 days",
    ]


async def test_detail_labels_never_run_into_their_values(home):
    write_json(
        home / ".rattler/credentials.json",
        {
            "s3://b": {"S3Credentials": {"access_key_id": "AK", "secret_access_key": "sk", "session_token": "st"}},
            "o.example": {
                "OAuth": {
                    "access_token": "a" * 20,
                    "refresh_token": None,
                    "expires_at": None,
                    "token_endpoint": "https://o.example/t",
                    "revocation_endpoint": None,
                    "client_id": "rattler",
                }
            },
        },
    )
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key, labels in (("s3://b", ["Access key ID", "Session token"]),):
            select_row(app, key, "credentials")
            await pilot.pause()
            lines = detail(app).splitlines()
            for label in labels:
                assert any(line.startswith(label + " ") for line in lines), (label, lines)
