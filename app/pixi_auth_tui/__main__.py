# `python -m pixi_auth_tui` is the installed program: the same crash guard and redactor, the
# same quiet end when the reader of its output goes away.
from pixi_auth_tui.cli.main import program

program()
