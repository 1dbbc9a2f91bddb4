"""The command line: `main` parses and dispatches; each command lives in its own module."""
