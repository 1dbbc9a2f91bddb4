"""pixi-auth-tui: browse, add, rotate, remove, test and audit rattler/pixi credentials.

Records in the modules that the terminal UI or a reading command imports at start are
`typing.NamedTuple`s (immutable) or plain classes (changed after they are made), not
dataclasses: `import dataclasses` and each `@dataclass` made at import were the largest part
of what importing our own modules cost those starts (bench/RESULTS.md, "Records without
dataclasses").
tests/test_cli_imports.py holds the reading commands to it, tests/test_ui_start.py the UI.
"""

__version__ = "0.1.0"
