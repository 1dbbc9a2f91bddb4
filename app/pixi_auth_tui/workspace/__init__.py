"""Workspace check: the hosts a pixi workspace makes pixi contact, and whether pixi will authenticate to each."""
