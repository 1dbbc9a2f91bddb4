import sys

from pixi_auth_tui.cli import main

sys.exit(main())
