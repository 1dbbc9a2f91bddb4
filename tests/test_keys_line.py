"""The keys line (ui/keys_line.py) against Textual's own Footer: the same keys drawn the same way
(characters, colours, attributes), compact or not, with a hidden, a disabled and the command
palette's key; it follows the focus, and a click presses the key."""

from typing import ClassVar

import pytest
from pixi_auth_tui.ui.keys_line import KeysLine
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Footer

from tests.conftest import until

WIDTH = 100


class Extra(Button):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "press", "Extra key")]


class Pair(App[None]):
    CSS = "KeysLine { dock: top; }"  # Footer keeps the bottom line
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("f2", "save", "Save again"),  # a second key of one action: Footer shows the first
        Binding("escape", "cancel", "Cancel"),
        Binding("v", "reveal", "Reveal", show=False),
        Binding("ctrl+d", "delete", "Delete"),
    ]

    def __init__(self, compact: bool) -> None:
        super().__init__()
        self.compact = compact
        self.done: list[str] = []

    def compose(self) -> ComposeResult:
        yield Button("plain", id="plain")
        yield Extra("extra", id="extra")
        yield KeysLine(compact=self.compact)
        yield Footer(compact=self.compact)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "delete" else True  # shown, disabled

    def action_save(self) -> None:
        self.done.append("save")

    def action_delete(self) -> None:
        self.done.append("delete")


def cells(strip: Strip) -> list[tuple[str, Style]]:
    return [(char, segment.style or Style()) for segment in strip for char in segment.text]


def seen(cell: tuple[str, Style]) -> tuple[object, ...]:
    """What a person sees of a cell: a blank's colour is its background alone."""
    char, style = cell
    if char == " " and not style.reverse:
        return (char, style.bgcolor)
    return (char, style.color, style.bgcolor, style.bold, style.dim, style.italic, style.reverse)


def footer_cells(footer: Footer) -> list[tuple[str, Style]]:
    """Footer's line as the screen shows it: its background, each key widget drawn at its place."""
    line = [(" ", footer.rich_style)] * footer.region.width
    for key in footer.query("FooterKey"):  # Textual's key widget, by its CSS type (its module is private)
        assert isinstance(key, Widget)
        x = key.region.x - footer.region.x
        for i, cell in enumerate(cells(key.render_lines(Region(0, 0, key.region.width, 1))[0])):
            line[x + i] = cell
    return line


def laid_out(footer: Footer) -> int:
    """How many keys the Footer shows, once each has its own place (0 until then)."""
    places = {key.region.x for key in footer.query("FooterKey") if key.region.width}
    return len(places) if len(places) == len(footer.query("FooterKey")) else 0


def line_cells(line: KeysLine) -> list[tuple[str, Style]]:
    return cells(line.render_lines(Region(0, 0, line.region.width, 1))[0])


@pytest.mark.parametrize("compact", [False, True], ids=["plain", "compact"])
async def test_the_keys_line_draws_what_textuals_footer_draws(compact):
    app = Pair(compact)
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        line, footer = app.query_one(KeysLine), app.query_one(Footer)
        for focus, extra in (("#plain", False), ("#extra", True)):
            app.query_one(focus).focus()
            keys = 4 + extra
            await until(pilot, lambda keys=keys: laid_out(footer) == keys, "Footer rebuilt and laid out")
            await until(pilot, lambda keys=keys: len(line.spans) == keys, "line redrawn")
            ours, theirs = line_cells(line), footer_cells(footer)
            text = "".join(char for char, _ in ours)
            assert text == "".join(char for char, _ in theirs)
            assert ("Extra key" in text) == extra and "Save again" not in text and "Reveal" not in text
            assert [seen(cell) for cell in ours] == [seen(cell) for cell in theirs], text


async def test_a_click_presses_the_key_and_a_disabled_key_does_nothing():
    app = Pair(compact=False)
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        line = app.query_one(KeysLine)
        await until(pilot, lambda: len(line.spans) == 4, "keys drawn")
        places = {span.key.description: span.start + 1 for span in line.spans}
        assert list(places) == ["Save", "Cancel", "Delete", "palette"]
        await pilot.click(KeysLine, offset=(places["Save"], 0))
        await until(pilot, lambda: app.done == ["save"], "Save clicked")
        await pilot.click(KeysLine, offset=(places["Delete"], 0))
        await pilot.click(KeysLine, offset=(places["Save"], 0))
        await until(pilot, lambda: app.done == ["save", "save"], "Save clicked again")  # Delete ran nothing


async def test_a_key_under_the_mouse_lights_up_as_on_textuals_footer():
    app = Pair(compact=False)
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        line, footer = app.query_one(KeysLine), app.query_one(Footer)
        await until(pilot, lambda: laid_out(footer) == 4 and len(line.spans) == 4, "keys drawn")
        save = next(span for span in line.spans if span.key.description == "Save")
        await pilot.hover(Footer, offset=(save.start + 1, 0))
        await until(pilot, lambda: footer_cells(footer)[save.start] != line_cells(line)[save.start], "Footer lit")
        theirs = footer_cells(footer)
        await pilot.hover(KeysLine, offset=(save.start + 1, 0))
        await until(pilot, lambda: line.hovered == save.key, "line lit")
        await until(pilot, lambda: [seen(c) for c in line_cells(line)] == [seen(c) for c in theirs], "lit alike")
        assert line.styles.pointer == "pointer"
        await pilot.hover(Button, offset=(0, 0))
        await until(pilot, lambda: line.hovered is None, "line unlit")
        assert line.styles.pointer == "default"


class Keymapped(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Save", id="save")]

    def compose(self) -> ComposeResult:
        yield KeysLine()

    def on_mount(self) -> None:
        self.set_keymap({"save": "f5"})


async def test_the_keys_line_shows_the_keymaps_keys():
    app = Keymapped()
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        line = app.query_one(KeysLine)
        await until(pilot, lambda: any(span.key.description == "Save" for span in line.spans), "keys drawn")
        assert [span.key.display for span in line.spans if span.key.description == "Save"] == ["f5"]
