"""The engine the UI and the CLI both call: every store in pixi's order, who wins, and the write operations."""
