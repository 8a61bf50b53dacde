"""Read a YAML file keeping the line and column of every node, and turn it into plain Python data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from drdrill.plan.errors import PlanIssue

Loc = Sequence[int | str]


@dataclass(frozen=True)
class YamlDoc:
    """A parsed file: the position-carrying tree and the same content as plain dicts and lists."""

    path: Path
    tree: Any
    data: Any

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the node at ``loc``; the nearest parent's when it has no position of its own.

        With ``key=True`` and a mapping key at the end of ``loc``, the position of the key rather than its value.
        Path items that are not found (for example a union tag pydantic adds) are skipped.
        """
        node = self.tree
        best = (1, 1)
        if isinstance(node, CommentedMap | CommentedSeq):
            best = (node.lc.line + 1, node.lc.col + 1)
        for index, item in enumerate(loc):
            last = index == len(loc) - 1
            if isinstance(node, CommentedMap) and _has_key(node, item):
                try:
                    line, col = node.lc.key(item) if (key and last) else node.lc.value(item)
                except (KeyError, TypeError, AttributeError):
                    line, col = node.lc.line, node.lc.col
                best = (line + 1, col + 1)
                node = node[item]
            elif isinstance(node, CommentedSeq) and isinstance(item, int) and 0 <= item < len(node):
                try:
                    line, col = node.lc.item(item)
                except (KeyError, TypeError, AttributeError):
                    line, col = node.lc.line, node.lc.col
                best = (line + 1, col + 1)
                node = node[item]
            else:
                continue
        return best

    def issue(self, loc: Loc, message: str, *, key: bool = False) -> PlanIssue:
        """A :class:`PlanIssue` at the node of ``loc``."""
        line, col = self.position(loc, key=key)
        return PlanIssue(self.path, line, col, message)


def _has_key(node: CommentedMap, item: object) -> bool:
    try:
        return item in node
    except TypeError:
        return False


def read_yaml(path: Path) -> YamlDoc | PlanIssue:
    """Parse ``path``; a problem (unreadable, not UTF-8, bad YAML, duplicate key, empty) comes back as an issue."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return PlanIssue(path, 0, 0, f"cannot read file: {exc.strerror or exc}")
    return parse_yaml(path, raw)


def parse_yaml(path: Path, raw: bytes) -> YamlDoc | PlanIssue:
    """Parse YAML bytes that came from ``path``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return PlanIssue(path, line, col, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        if isinstance(exc, DuplicateKeyError):
            first = exc.context_mark.line + 1 if exc.context_mark is not None else "?"
            return PlanIssue(
                path,
                line,
                col,
                f"duplicate key: {_one_line(str(exc.problem))}; mapping starts at line {first}",
            )
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
        return PlanIssue(path, line, col, f"invalid YAML: {_one_line(problem)}")
    except (YAMLError, ValueError, TypeError, RecursionError, AttributeError, KeyError, IndexError) as exc:
        # ruamel raises plain exceptions on some malformed input (bad tags, odd scalars); all mean "not YAML".
        return PlanIssue(path, 0, 0, f"invalid YAML: {_one_line(str(exc)) or type(exc).__name__}")
    if tree is None:
        return PlanIssue(path, 1, 1, "file is empty; expected a mapping of keys to values")
    try:
        data = to_plain(tree)
    except _CycleError:
        return PlanIssue(path, 1, 1, "recursive YAML alias: a node may not contain itself")
    return YamlDoc(path, tree, data)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _CycleError(Exception):
    pass


def to_plain(node: Any, _active: frozenset[int] = frozenset()) -> Any:
    """Convert ruamel's round-trip types into plain dict/list/str/int/float/bool/None/date."""
    if isinstance(node, dict | list):
        if id(node) in _active:
            raise _CycleError
        active = _active | {id(node)}
        if isinstance(node, dict):
            return {_key(k): to_plain(v, active) for k, v in node.items()}
        return [to_plain(v, active) for v in node]
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, dt.datetime):
        return node
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    value = getattr(node, "value", None)  # tagged scalars keep their text in .value
    if isinstance(value, str):
        return value
    return str(node)


def _key(key: Any) -> Any:
    if isinstance(key, str | int | bool) or key is None:
        return to_plain(key)
    return str(key)
