"""PyPI indexes: the credentials uv sends under pixi (uv's own chain after rattler's layer)."""
