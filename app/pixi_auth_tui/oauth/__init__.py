"""OAuth/OIDC sign-in, refresh and sign-out as rattler stores them (`info` is the light half)."""
