"""Plan errors: every problem carries the file, line and column it came from."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def dotted(loc: Sequence[int | str]) -> str:
    """A place in a file as a path, such as ``components.db.depends_on[0]``."""
    out = ""
    for item in loc:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out


def unknown_name(what: str, name: str, known: Iterable[str], *, known_in: str | None = None) -> str:
    """``unknown <what> 'name'; did you mean 'x'? (known: a, b)``; ``known_in`` names where the choices are."""
    choices = sorted(known)
    text = f"unknown {what} {name!r}"
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        text += f"; did you mean {close[0]!r}?"
    if not choices:
        return text + f" (the plan declares no {what}s)"
    return text + f" (known{' in ' + known_in if known_in else ''}: {', '.join(choices)})"


@dataclass(frozen=True, order=True)
class PlanIssue:
    """One problem in a plan file. ``line`` and ``col`` are 1-based; 0 means unknown."""

    path: Path
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")  # one issue, one line
        if self.line == 0:  # a problem with the file as a whole: no position to point at
            return f"{display_path(self.path)}: {message}"
        return f"{display_path(self.path)}:{self.line}:{self.col}: {message}"


class PlanError(Exception):
    """The plan is not valid. ``str()`` lists every issue, one per line, as ``file:line:col: message``."""

    def __init__(self, issues: list[PlanIssue]) -> None:
        self.issues = sorted(set(issues), key=lambda i: (str(i.path), i.line, i.col, i.message))
        super().__init__("\n".join(str(issue) for issue in self.issues))
