"""Credential stores in the forms rattler reads them."""
