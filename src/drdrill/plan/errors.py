"""Plan errors: every problem carries the file, line and column it came from."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_VALUE_CHARS = 80
"""A value from a plan is quoted in a message up to this many characters, then cut with "…"."""
MAX_MESSAGE_CHARS = 1000
"""No message is longer: a plan's 10 MB value must not become 10 MB of stderr."""


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as given.

    A symbolic link is shown as itself, not as the file it points to.
    """
    try:
        shown = path.resolve() if path.name in ("", "..") else path.parent.resolve() / path.name
        return str(shown.relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop
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
    text = f"unknown {what} {shorten(name)!r}"
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        text += f"; did you mean {close[0]!r}?"
    if not choices:
        return text + f" (the plan declares no {what}s)"
    return text + f" (known{' in ' + known_in if known_in else ''}: {', '.join(shorten(c) for c in choices)})"


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the last one "…", when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_message(message: str) -> str:
    """``message`` on one line and at most :data:`MAX_MESSAGE_CHARS` long, its end kept (that is where a
    message says the fix).

    The last guard for a value that reaches a message uncut; code that quotes a value cuts it with
    :func:`shorten` first.
    """
    text = message.replace("\r", "\\r").replace("\n", "\\n")  # one issue, one line
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    tail = MAX_MESSAGE_CHARS // 4
    return text[: MAX_MESSAGE_CHARS - tail - 3] + " … " + text[-tail:]


@dataclass(frozen=True, order=True)
class PlanIssue:
    """One problem in a plan file. ``line`` and ``col`` are 1-based; 0 means unknown.

    The message is clipped (:func:`clip_message`) when the issue is made.
    """

    path: Path
    line: int
    col: int
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", clip_message(self.message))

    def __str__(self) -> str:
        if self.line == 0:  # a problem with the file as a whole: no position to point at
            return f"{display_path(self.path)}: {self.message}"
        return f"{display_path(self.path)}:{self.line}:{self.col}: {self.message}"


class PlanError(Exception):
    """The plan is not valid. ``str()`` lists every issue, one per line, as ``file:line:col: message``."""

    def __init__(self, issues: list[PlanIssue]) -> None:
        self.issues = sorted(set(issues), key=lambda i: (str(i.path), i.line, i.col, i.message))
        super().__init__("\n".join(str(issue) for issue in self.issues))
