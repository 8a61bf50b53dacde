"""Read a YAML file keeping the line and column of every node, and turn it into plain Python data.

The file is read by :func:`drdrill.plan.files.read_plan_file` and parsed once, each parser event screened by
:class:`drdrill.plan.yamlscreen.ScreenedYAML` before ruamel builds any value, so what is built is small,
shallow and free of cycles.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning
from ruamel.yaml.reader import ReaderError

from drdrill.plan import parsecache
from drdrill.plan.errors import MAX_VALUE_CHARS, PlanIssue, shorten
from drdrill.plan.files import read_plan_file
from drdrill.plan.yamlscreen import RefusedError, ScreenedYAML

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


def read_yaml(path: Path, within: Path | None = None) -> YamlDoc | PlanIssue:
    """Parse ``path``, a regular file inside the directory ``within`` (default: the file's own directory).

    A problem (no readable regular file there, too large, not UTF-8, bad YAML, duplicate key, over a limit
    of :mod:`drdrill.plan.yamlscreen`, empty) comes back as an issue.
    """
    raw = read_plan_file(path, path.parent if within is None else within)
    if isinstance(raw, PlanIssue):
        return raw
    return parse_yaml(path, raw)


def parse_yaml(path: Path, raw: bytes) -> YamlDoc | PlanIssue:
    """Parse YAML bytes that came from ``path`` (a clean parse of the same bytes is read from drdrill's cache:
    :mod:`drdrill.plan.parsecache`)."""
    return parsecache.cached(
        raw,
        lambda: _parse_yaml(path, raw),
        keep=lambda doc: (doc.tree, doc.data) if isinstance(doc, YamlDoc) else None,
        rebuild=lambda stored: YamlDoc(path, *stored),
    )


def _parse_yaml(path: Path, raw: bytes) -> YamlDoc | PlanIssue:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return PlanIssue(path, line, col, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")
    try:
        tree = _construct(text)
    except RefusedError as exc:
        return PlanIssue(path, exc.line, exc.col, exc.message)
    except MarkedYAMLError as exc:
        return _marked_issue(path, exc)
    except ReaderError as exc:  # a character YAML does not allow, e.g. NUL
        line, col = _position(text, exc.position)
        return PlanIssue(
            path, line, col, f"invalid YAML: {_character(exc.character)} is not allowed: remove it"
        )
    except (YAMLError, YAMLWarning, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # ruamel's scanner raises plain exceptions on some malformed input; all mean "not YAML".
        return PlanIssue(path, 0, 0, f"invalid YAML: {shorten(_one_line(str(exc))) or type(exc).__name__}")
    if tree is None:
        return PlanIssue(path, 1, 1, "file is empty; expected a mapping of keys to values")
    return YamlDoc(path, tree, to_plain(tree))


def _marked_issue(path: Path, exc: MarkedYAMLError) -> PlanIssue:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    if isinstance(exc, DuplicateKeyError):
        first = exc.context_mark.line + 1 if exc.context_mark is not None else "?"
        problem = _one_line(str(exc.problem))
        return PlanIssue(
            path, line, col, f"duplicate key: {_shorten_quoted(problem)}; mapping starts at line {first}"
        )
    problem = " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
    return PlanIssue(path, line, col, f"invalid YAML: {_shorten_quoted(_one_line(problem))}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')


def _shorten_quoted(text: str) -> str:
    """ruamel quotes the plan's keys and values in its messages: cut each quoted part."""
    return _QUOTED.sub(lambda m: shorten(m.group(0)[1:-1], MAX_VALUE_CHARS).join(m.group(0)[0] * 2), text)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, col) of the character at ``index``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _character(char: object) -> str:
    if isinstance(char, int):
        char = chr(char)
    if isinstance(char, str) and len(char) == 1:
        name = unicodedata.name(char, "")
        return f"the character U+{ord(char):04X}" + (f" ({name})" if name else "")
    return "a character"


class _PlanConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with the node's position on errors raised while building a value.

    A scalar ruamel cannot build (``2024-02-30``, an integer of 5,000 digits) raises a plain ``ValueError``
    without a position; this names the node.
    """

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (MarkedYAMLError, RefusedError):
            raise
        except Exception as exc:  # re-raised with its place: ruamel's own bugs included, nothing is swallowed
            message = f"cannot read this value: {shorten(_one_line(str(exc)), 2 * MAX_VALUE_CHARS)}"
            raise RefusedError(node.start_mark, message) from exc


def _construct(text: str) -> Any:
    yaml = ScreenedYAML()
    yaml.Constructor = _PlanConstructor
    yaml.allow_duplicate_keys = False
    with warnings.catch_warnings():
        # ruamel warns about some input (a YAML 1.1 float without a dot); raised instead, the constructor gives
        # it the value's position, rather than a warning that names no file.
        warnings.simplefilter("error", YAMLWarning)
        return yaml.load(text)


def to_plain(node: Any) -> Any:
    """Convert ruamel's round-trip types into plain dict/list/str/int/float/bool/None/date.

    ``node`` must be free of cycles, as every screened document is.
    """
    if isinstance(node, dict):
        return {_key(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
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
