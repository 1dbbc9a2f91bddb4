"""The credential core: kinds as rattler serialises them, host keys, validation and redaction. No I/O."""
