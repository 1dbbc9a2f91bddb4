"""Test connection: a real request sent the way rattler sends it, and what the tests remember."""
