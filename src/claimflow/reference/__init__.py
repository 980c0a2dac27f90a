"""Shipped reference data (code sets); sources and licences in MANIFEST.md beside it."""
