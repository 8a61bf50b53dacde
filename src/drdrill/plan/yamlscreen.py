"""Limits a plan file's YAML must respect, checked on the parser's event stream before any value is built.

A 4 KB file of nested aliases (the "billion laughs") expands to a billion values once built, and deep nesting
exhausts Python's stack; both are refused here, at the line that crosses the limit, in time proportional to
the file's size. The stream is also where tags, reused anchors and control characters written as escapes are
seen with their position, which the built document no longer has.

:class:`ScreenedYAML` screens each event as ruamel's composer takes it, so a file is parsed once: the composer
only links nodes (an alias is the node it names, not a copy) and goes one level deeper per event screened, and
values are built only after the whole document was composed, hence screened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import StreamMark
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.parser import RoundTripParser

from drdrill.plan.errors import shorten

MAX_VALUES = 20_000
"""Values (mappings, lists, scalars) in one file, each alias counted as every value it stands for.

The bundled ``plan.yaml`` has about 500."""
MAX_DEPTH = 50
"""Mappings and lists nested in one another, through aliases too (the bundled plan nests 6 deep)."""
ALLOWED_TAG = "tag:yaml.org,2002:str"
"""The one explicit tag a plan file may use, ``!!str``; a value needs no other."""

_YAML_TAG = "tag:yaml.org,2002:"
# What ruamel's reader refuses when written raw, and the same characters written as escapes ("\0", "\x07"),
# plus unpaired surrogates ("\ud800"), which no UTF-8 output (a tabletop file, stderr) can hold.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


class RefusedError(Exception):
    """A limit the file crosses, at a 1-based line and column."""

    def __init__(self, mark: StreamMark | None, message: str) -> None:
        super().__init__(message)
        self.line, self.col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.message = message


@dataclass
class _Open:
    """A mapping or list whose end has not been seen yet."""

    anchor: str | None
    values: int = 1
    height: int = 1


@dataclass
class _Anchor:
    line: int
    values: int = 1
    height: int = 0


@dataclass
class _Screen:
    open: list[_Open] = field(default_factory=list)
    anchors: dict[str, _Anchor] = field(default_factory=dict)
    values: int = 0

    def event(self, event: Event) -> None:
        if isinstance(event, NodeEvent):
            self._check_node(event)
        if isinstance(event, CollectionStartEvent):
            if len(self.open) + 1 > MAX_DEPTH:
                raise RefusedError(event.start_mark, _too_deep())
            self._count(event, 1)
            self.open.append(_Open(event.anchor))
        elif isinstance(event, CollectionEndEvent) and self.open:
            done = self.open.pop()
            self._define(done.anchor, done.values, done.height)
            self._nest(done.values, done.height)
        elif isinstance(event, ScalarEvent):
            self._define(event.anchor, 1, 0)
            self._count(event, 1)
            self._nest(1, 0)
        elif isinstance(event, AliasEvent):
            self._alias(event)

    def _check_node(self, event: NodeEvent) -> None:
        tag = getattr(event, "ctag", None)
        if tag is not None and not (isinstance(event, ScalarEvent) and str(tag) == ALLOWED_TAG):
            written = f"{tag.handle or ''}{tag.suffix}" if tag.suffix is not None else str(tag)
            raise RefusedError(
                event.start_mark,
                f"tag {shorten(written)!r} is not allowed here (a plan file may tag only text, and only "
                "as '!!str'): write the value without it, quoted to keep it text",
            )
        anchor = event.anchor if not isinstance(event, AliasEvent) else None
        if anchor is not None and anchor in self.anchors:
            raise RefusedError(
                event.start_mark,
                f"anchor &{shorten(anchor)} is defined again (first at line {self.anchors[anchor].line}): "
                "give each anchor its own name",
            )
        if anchor is not None:  # its size is known at its end; until then an alias to it is a cycle
            self.anchors[anchor] = _Anchor(event.start_mark.line + 1, values=0)
        if isinstance(event, ScalarEvent) and (bad := _FORBIDDEN.search(_written(event))):
            raise RefusedError(
                event.start_mark,
                f"this value holds the character U+{ord(bad.group(0)):04X}, which a plan file may not "
                "hold: remove it (or its escape)",
            )

    def _define(self, anchor: str | None, values: int, height: int) -> None:
        if anchor is not None:
            self.anchors[anchor].values = values
            self.anchors[anchor].height = height

    def _alias(self, event: AliasEvent) -> None:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            return  # an undefined alias: the composer names it
        if anchor.values == 0:
            raise RefusedError(
                event.start_mark,
                f"alias *{shorten(event.anchor)} is inside the node it stands for: a value may not contain itself",
            )
        if len(self.open) + anchor.height > MAX_DEPTH:
            raise RefusedError(event.start_mark, _too_deep(f"alias *{shorten(event.anchor)} nests"))
        self._count(event, anchor.values, alias=event.anchor)
        self._nest(anchor.values, anchor.height)

    def _nest(self, values: int, height: int) -> None:
        """A finished value of ``values`` values and ``height`` levels belongs to the innermost open one."""
        if self.open:
            parent = self.open[-1]
            parent.values += values
            parent.height = max(parent.height, height + 1)

    def _count(self, event: Event, values: int, alias: str | None = None) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            what = f"alias *{shorten(alias)} takes" if alias is not None else "this value takes"
            raise RefusedError(
                event.start_mark,
                f"{what} the file past {MAX_VALUES:,} values (an alias counts as every value it stands for); "
                "a plan file may hold no more: write fewer aliases or split the file",
            )


def _written(event: ScalarEvent) -> str:
    """The scalar's text; ruamel marks the folds of a folded (``>``) scalar with BEL, which is not the plan's."""
    value: str = event.value
    return value.replace("\a", "") if event.style == ">" else value


def _too_deep(what: str = "this value nests") -> str:
    return (
        f"{what} mappings and lists more than {MAX_DEPTH} levels deep; a plan file may nest no deeper: "
        "flatten the structure"
    )


class ScreenedYAML(YAML):
    """ruamel's round-trip loader whose parser screens every event it hands on (one loader per document)."""

    def __init__(self) -> None:
        super().__init__(typ="rt")
        self.Parser = _ScreeningParser
        self.screen = _Screen()


class _ScreeningParser(RoundTripParser):
    """Raises :class:`RefusedError` at the first event that crosses a limit, as soon as the event is parsed:
    the composer looks at an event (``check_event``, ``peek_event``) before it takes it (``get_event``), and
    its own checks (a reused anchor) must not come first."""

    def _next(self) -> None:
        if self.current_event is None and self.state:
            self.current_event = self.state()
            if self.current_event is not None and isinstance(self.loader, ScreenedYAML):
                self.loader.screen.event(self.current_event)

    def check_event(self, *choices: Any) -> bool:
        self._next()
        return bool(super().check_event(*choices))

    def peek_event(self) -> Any:
        self._next()
        return super().peek_event()

    def get_event(self) -> Any:
        self._next()
        return super().get_event()
