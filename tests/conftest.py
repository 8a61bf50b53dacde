"""Shared test setup: pytester for plugin tests (enabled with ``-p pytester`` in pyproject)."""
