"""The command palette's entries for the screen it was opened on: one per action of that screen,
named in words (`Filter`, not `slash`) with its key — a command Provider, as Textual's guide and
posting offer theirs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from pixi_auth_tui.ui import present


@dataclass(frozen=True)
class ScreenCommand:
    title: str
    help: str
    run: Callable[[], Any]


def screen_commands(screen: Screen[Any]) -> list[ScreenCommand]:
    """One command per action the screen binds (Escape's "clear" is no command)."""
    commands: list[ScreenCommand] = []
    seen: set[str] = set()
    for binding in screen.BINDINGS:
        if not isinstance(binding, Binding) or binding.action in seen or binding.action == "clear":
            continue
        seen.add(binding.action)
        action = getattr(screen, f"action_{binding.action}", None)
        if action is not None:
            described = f"{binding.description} (key {present.key_name(binding.key)})"
            commands.append(ScreenCommand(binding.description, described, action))
    return commands


class ScreenActions(Provider):
    async def discover(self) -> Hits:
        for command in screen_commands(self.screen):
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in screen_commands(self.screen):
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
