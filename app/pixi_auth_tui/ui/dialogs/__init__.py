"""Modal dialogs, one per module; each centres itself and shows its own keys in a footer."""


def box_css(screen: str, width: int) -> str:
    """The shared look of a dialog: a bordered box centred over the dimmed screen."""
    return f"""
    {screen} {{
        align: center middle;
    }}
    {screen} > #dialog {{
        width: {width};
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }}
    {screen} .title {{
        width: 100%;  /* wraps a long title (a key, kind and store) instead of cutting it */
        text-style: bold;
        margin-bottom: 1;
    }}
    {screen} .error {{
        color: $error;
    }}
    {screen} .buttons {{
        height: auto;
        margin-top: 1;
    }}
    {screen} .buttons Button {{
        margin-right: 2;
    }}
    """
