"""CI runners: a job's secrets turned into pixi credentials (`ci setup` / `ci teardown`), and
what a runner changes about pixi's authentication (prefix.dev's sign-in with the CI's OIDC
identity). No Textual here."""
