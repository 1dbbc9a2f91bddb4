"""Widgets of the main screen; each owns its state and reports by messages."""
