"""A journal number is an int or a float, never a bool: JSON's true must not read as 1 s or 1 probe."""

from __future__ import annotations

from drdrill.measure.fields import count, number


def test_numbers_and_counts_refuse_bools_strings_and_non_mappings() -> None:
    data = {"s": 1.5, "n": 3, "flag": True, "text": "2"}
    assert number(data, "s") == 1.5 and number(data, "n") == 3.0
    assert count(data, "n") == 3 and count(data, "s") is None
    for key in ("flag", "text", "missing"):
        assert number(data, key) is None and count(data, key) is None
    assert number([1, 2], "s") is None and count(None, "n") is None
