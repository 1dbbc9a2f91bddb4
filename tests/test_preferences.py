"""The user's choices outlive the session (theme, sort, detail pane, last workspace, keymap):
real files under a temporary XDG_CONFIG_HOME, the real app restarted through Pilot."""

from __future__ import annotations

import json
import os
import tomllib

from pixi_auth_tui.system import preferences
from pixi_auth_tui.ui.app import AuthApp

from tests.conftest import make_env


def config_of(home):
    return home / ".config" / "pixi-auth-tui" / "config.toml"


def env_with_config(home):
    env = make_env(home)
    env.env["XDG_CONFIG_HOME"] = str(home / ".config")
    return env


def write_tokens(home):
    folder = home / ".rattler"
    folder.mkdir(exist_ok=True)
    tokens = {f"h{n}.example": {"BearerToken": f"token-{n:04d}-abcdefgh"} for n in range(3)}
    (folder / "credentials.json").write_text(json.dumps(tokens))


async def settle(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_theme_sort_and_detail_pane_survive_a_restart(home):
    write_tokens(home)
    app = AuthApp(env_with_config(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.press("o", "o", "O")  # by Kind, then reversed
        await settle(pilot)
        table = app.main.table
        assert (table.sort_column, table.sort_reverse) == (1, True)
        app.main.place_detail_pane("below")
        await pilot.pause()
    saved = tomllib.loads(config_of(home).read_text())
    assert saved == {"theme": "nord", "sort": "kind", "sort-reverse": True, "detail-pane": "below"}

    again = AuthApp(env_with_config(home))
    async with again.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
        table = again.main.table
        assert (table.sort_column, table.sort_reverse) == (1, True)
        assert again.main.has_class("-detail-below")  # below even at 160 columns, as chosen
        assert len(table.shown_rows) == 3
        assert str(table.labels[1]) == "Kind ▼"  # the header says so from the start


async def test_a_bad_config_is_one_line_and_the_defaults(home):
    write_tokens(home)
    path = config_of(home)
    path.parent.mkdir(parents=True)
    path.write_text('theme = "nord"\nsort = [1, 2\n')
    app = AuthApp(env_with_config(home))
    notes: list[str] = []
    app.notify = lambda message, **_: notes.append(message)  # our own override of Textual's notify
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any("not valid TOML" in n and "using the defaults" in n for n in notes), notes
        assert app.theme != "nord"
        app.theme = "gruvbox"  # a broken file is never rewritten: the user's text stays
        await pilot.pause()
    assert path.read_text() == 'theme = "nord"\nsort = [1, 2\n'


def test_a_wrong_value_keeps_the_other_settings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# mine\ntheme = "nord"\ndetail-pane = "left"\nsort-reverse = "yes"\ncolour = 1\n')
    prefs = preferences.load({}, override=str(path))
    assert prefs.theme == "nord" and prefs.detail_pane == "auto" and prefs.sort_reverse is False
    assert len(prefs.problems) == 3, prefs.problems
    assert all("\n" not in p for p in prefs.problems)


def test_saving_one_choice_keeps_the_rest_of_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# my settings\ntheme = "nord"  # dark\n\n[future]\nx = 1\n')
    prefs = preferences.load({}, override=str(path))
    _, problem = preferences.save(prefs, theme="gruvbox", sort="key", workspace='C:\\odd "path"\x7f')
    assert problem is None
    text = path.read_text()
    assert text.startswith("# my settings\n")
    assert tomllib.loads(text) == {
        "theme": "gruvbox",
        "sort": "key",
        "workspace": 'C:\\odd "path"\x7f',
        "future": {"x": 1},
    }


def test_a_linked_config_is_written_where_it_points(tmp_path):
    real = tmp_path / "dotfiles" / "pixi-auth-tui.toml"
    real.parent.mkdir()
    real.write_text('theme = "nord"\n')
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    prefs = preferences.load({}, override=str(link))
    preferences.save(prefs, theme="gruvbox")
    assert link.is_symlink() and tomllib.loads(real.read_text()) == {"theme": "gruvbox"}


def test_the_config_file_comes_from_the_option_the_variable_or_xdg(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert preferences.config_file(env) == tmp_path / "xdg" / "pixi-auth-tui" / "config.toml"
    assert preferences.config_file({**env, "XDG_CONFIG_HOME": "relative"}).parent.parent == tmp_path / ".config"
    assert preferences.config_file({**env, "PIXI_AUTH_TUI_CONFIG": "/x/c.toml"}) == preferences.Path("/x/c.toml")
    assert preferences.config_file(env, override="/y.toml") == preferences.Path("/y.toml")


def test_a_config_that_is_a_fifo_does_not_hang(tmp_path):
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    prefs = preferences.load({}, override=str(path))
    assert prefs.theme is None and "not a file" in prefs.problems[0]


async def test_the_keymap_rebinds_an_action_by_its_id(home):
    write_tokens(home)
    folder = config_of(home).parent
    folder.mkdir(parents=True)
    (folder / "keymap.toml").write_text('add = "x"\n')
    app = AuthApp(env_with_config(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert type(app.screen).__name__ == "CredentialForm"


async def test_config_names_the_file_for_the_terminal_ui(home, tmp_path):
    """`--config PATH` (the CLI hands it to build_app) is where choices are read and saved."""
    from pixi_auth_tui.cli.main import build_parser
    from pixi_auth_tui.ui.main import build_app

    chosen = tmp_path / "elsewhere.toml"
    chosen.write_text('theme = "nord"\n')
    args = build_parser().parse_args(["--config", str(chosen)])
    app = build_app(env_with_config(home), tmp_path, args.config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await pilot.pause()
    assert tomllib.loads(chosen.read_text()) == {"theme": "gruvbox"}
    assert not config_of(home).exists()
