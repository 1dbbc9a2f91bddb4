"""OAuth/OIDC sign-in, refresh and sign-out as rattler stores them (`info` is the light half).

The two names every command's parser shows live here, so building the parser imports nothing
else of OAuth."""

DEFAULT_CLIENT_ID = "rattler"
FLOWS = ("device-code", "auth-code", "auto")
