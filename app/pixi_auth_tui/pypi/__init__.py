"""PyPI indexes as pixi reaches them through uv: rattler's layer, then uv's own chain (netrc as
uv parses it, uv's credentials.toml, the keyring command). No Textual here."""
