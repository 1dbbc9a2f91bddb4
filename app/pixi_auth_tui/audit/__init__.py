"""Audit: what is wrong with the secrets on this machine, and the fixes."""
