"""What every CLI command module shares (exit codes, the usage error, store choices), so none
imports another: `cli` imports the command modules (cli_test, …), never the reverse."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_REJECTED, EXIT_FINDINGS = 0, 1, 2, 3, 4, 5
EXIT_UNVERIFIED, EXIT_NOT_TESTED = 6, 7

STORE_CHOICES = ("keychain", "credentials", "auth-file", "override")
# uv's credentials.toml (PyPI indexes): `set`/`remove --store uv`, as `uv auth login/logout`.
UV_STORE = "uv"


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit code 2."""
