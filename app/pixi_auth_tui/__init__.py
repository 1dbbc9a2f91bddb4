"""pixi-auth-tui: browse, add, rotate, remove, test and audit rattler/pixi credentials."""

__version__ = "0.1.0"
