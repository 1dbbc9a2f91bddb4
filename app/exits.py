"""Exit codes and the usage error, shared by every CLI command module (so none imports another)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_REJECTED, EXIT_FINDINGS = 0, 1, 2, 3, 4, 5


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit code 2."""
