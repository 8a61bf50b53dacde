"""The small JSON path the plan uses: dotted keys and list indices (``items``, ``data.items.0.id``)."""

from __future__ import annotations

from typing import Any


class PathNotFound(LookupError):  # noqa: N818 - "path not found" is the message
    """The answer has nothing at that path."""


def lookup(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``; raises :class:`PathNotFound` naming the missing step."""
    current = document
    steps = path.removeprefix("$.").split(".")
    for done, step in enumerate(steps):
        if isinstance(current, dict) and step in current:
            current = current[step]
        elif (
            isinstance(current, list)
            and step.lstrip("-").isdigit()
            and -len(current) <= int(step) < len(current)
        ):
            current = current[int(step)]
        else:
            where = ".".join(steps[:done]) or "the top level"
            raise PathNotFound(f"no {step!r} under {where} of the answer (path {path!r})")
    return current
