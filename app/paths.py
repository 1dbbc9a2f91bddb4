"""Where this process looks: the home folder and environment, injectable for tests and --demo."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Environment:
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    # A Store used instead of the platform keychain (the demo's in-memory one).
    keychain: Any = None
    label: str = ""

    @classmethod
    def current(cls) -> Environment:
        return cls(home=Path.home(), env=dict(os.environ))

    def get(self, name: str) -> str | None:
        value = self.env.get(name)
        return value if value else None


def rattler_credentials_path(home: Path) -> Path:
    return home / ".rattler" / "credentials.json"
