from pixi_auth_tui.cli import finish, main

finish(main())
