"""Turn pydantic validation errors into plan issues that point at the YAML node and name the choices."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from drdrill.plan.errors import PlanIssue, shorten
from drdrill.plan.faults import FAULT_KINDS
from drdrill.plan.yamlsource import Loc, YamlDoc

_PLAIN_KEY = re.compile(r"^[\w.-]+$")


def key_text(key: object) -> str:
    """A mapping key as shown in a path: bare when plain, quoted when it holds spaces or control characters."""
    text = str(key)
    return shorten(text if _PLAIN_KEY.match(text) else repr(text))


def where(data: Any, loc: Loc) -> str:
    """A readable path such as ``faults[0].latency_ms``, skipping items that are not in the data."""
    out = ""
    node = data
    for item in loc:
        if isinstance(node, dict) and _has(node, item):
            out += f".{key_text(item)}" if out else key_text(item)
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            out += f"[{item}]"
            node = node[item]
    return out


def _short(value: Any) -> str:
    """A value from the plan as a message quotes it: its ``repr``, cut."""
    return shorten(repr(value))


def _has(node: dict[Any, Any], item: object) -> bool:
    try:
        return item in node
    except TypeError:
        return False


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _field_type(model: type[BaseModel], key: object) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _kind_member(members: Sequence[Any], tag: object) -> Any:
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            if kind is not None and tag in typing.get_args(kind.annotation):
                return member
    return None


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (pydantic's loc, union tags included)."""
    tp: Any = root
    for item in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            tp = _field_type(tp, item)
            if tp is None:
                return None
        elif origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            member = _kind_member(typing.get_args(tp), item)
            if member is None:
                return None
            tp = member
        else:
            return None
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """Keys a file may use for ``model`` (fields hidden from the schema are filled by the loader)."""
    keys = []
    for name, field in model.model_fields.items():
        hidden = any(type(m).__name__ == "SkipJsonSchema" for m in field.metadata)
        if not hidden:
            keys.append(field.alias or name)
    return keys


def hidden_keys(model: type[BaseModel]) -> set[str]:
    """Fields the loader fills in, which a file must not set."""
    return {
        n
        for n, f in model.model_fields.items()
        if any(type(m).__name__ == "SkipJsonSchema" for m in f.metadata)
    }


def _message(error: ErrorDetails, root: type[BaseModel], data: Any) -> tuple[str, bool]:
    """(message, point at the key) for one pydantic error."""
    kind = error["type"]
    loc = error["loc"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "missing":
        return f"missing required key {loc[-1]!r}", False
    if kind == "extra_forbidden":
        model = model_at(root, loc[:-1])
        allowed = allowed_keys(model) if model else []
        text = f"unknown key {_short(loc[-1])}"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            text += f"; did you mean {close[0]!r}?"
        if allowed:
            text += f" (allowed: {', '.join(allowed)})"
        return text, True
    if kind == "union_tag_invalid":
        tags = sorted(t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(","))
        return f"unknown fault kind {_short(ctx.get('tag'))}; known: {', '.join(tags)}", False
    if kind == "union_tag_not_found":
        return f"a fault needs a 'kind'; known: {', '.join(FAULT_KINDS)}", False
    if kind == "literal_error":
        return f"bad value {_short(value)}; expected {ctx.get('expected')}", False
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", error["msg"]))
        return msg, False
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"should be a mapping of keys to values, got {_type_name(value)}", False
    if kind == "list_type":
        return f"should be a list, got {_type_name(value)}", False
    msg = error["msg"]
    msg = msg.replace("Input should be", "should be").replace("Input", "value")
    return f"{msg}, got {_short(value)}", False


def _type_name(value: Any) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }
    if value is None:
        return "nothing (null)"
    return names.get(type(value), type(value).__name__)


def issues_from(exc: ValidationError, root: type[BaseModel], doc: YamlDoc) -> list[PlanIssue]:
    """One :class:`PlanIssue` per pydantic error, at the YAML node it concerns."""
    issues = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        key_error = bool(loc) and loc[-1] == "[key]"
        if key_error:
            loc = loc[:-1]
        message, at_key = _message(error, root, doc.data)
        if error["type"] == "missing":
            loc = loc[:-1]  # the key is absent: point at the mapping that lacks it
        elif error["type"] == "union_tag_invalid":
            loc = [*loc, "kind"]  # point at the bad tag itself
        place = where(doc.data, loc)
        if key_error:
            message = f"bad key: {message}"
        text = f"{place}: {message}" if place else message
        issues.append(doc.issue(loc, text, key=at_key or key_error))
    return issues
