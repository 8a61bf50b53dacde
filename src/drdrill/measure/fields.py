"""Typed reads of a journal event's data: a number is an int or a float, never a bool (JSON's true is not 1)."""

from __future__ import annotations

from collections.abc import Mapping


def number(data: object, key: str) -> float | None:
    """``data[key]`` as a float when ``data`` is a mapping and the value a number; else None."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def count(data: object, key: str) -> int | None:
    """``data[key]`` when ``data`` is a mapping and the value an int (not a bool); else None."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
