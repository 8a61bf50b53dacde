"""The test sets a scenario verifies recovery with, read and checked as plan data: a golden set (inputs and the
outputs the system must give) and a query set (queries and their exact nearest neighbours).

Both are JSON-lines files beside the scenario, read through the plan's guarded reader; a line that is not what
it must be is a :class:`~drdrill.plan.errors.PlanIssue` at its own line, so ``drdrill validate`` says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from drdrill.plan.errors import PlanIssue
from drdrill.plan.files import read_plan_file
from drdrill.plan.models import GoldenSet, IndexRecall, Scenario

MAX_TEST_SET_BYTES = 4 * 1024 * 1024  # a staging test set is hundreds of lines, not a training corpus


@dataclass(frozen=True)
class GoldenItem:
    """One input of the golden set and the output the system must give for it."""

    input: str
    expected: str


@dataclass(frozen=True)
class Query:
    """One query of the query set and its exact nearest neighbours, nearest first."""

    query: str
    expected: tuple[str, ...]


def _lines(path: Path, within: Path) -> list[tuple[int, object]] | PlanIssue:
    raw = read_plan_file(path, within, limit=MAX_TEST_SET_BYTES)
    if isinstance(raw, PlanIssue):
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return PlanIssue(path, 0, 0, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
    found: list[tuple[int, object]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            return PlanIssue(path, number, exc.colno, f"not a JSON object: {exc.msg}")
    if not found:
        return PlanIssue(path, 0, 0, "holds no line: give one JSON object a line")
    return found


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def read_golden_set(scenario: Scenario, spec: GoldenSet) -> list[GoldenItem] | PlanIssue:
    """The golden set's items, or the first problem of its file."""
    directory = scenario.source.parent
    path = directory / spec.path
    lines = _lines(path, directory)
    if isinstance(lines, PlanIssue):
        return lines
    items = []
    for number, item in lines:
        if not (isinstance(item, dict) and _text(item.get("input")) and _text(item.get("expected"))):
            return PlanIssue(
                path, number, 1, 'each line is {"input": "<text>", "expected": "<the output it must give>"}'
            )
        items.append(GoldenItem(str(item["input"]), str(item["expected"])))
    return items


def read_query_set(scenario: Scenario, spec: IndexRecall) -> list[Query] | PlanIssue:
    """The query set's queries, or the first problem of its file (a query with fewer than ``k`` expected)."""
    directory = scenario.source.parent
    path = directory / spec.queries
    lines = _lines(path, directory)
    if isinstance(lines, PlanIssue):
        return lines
    queries = []
    for number, item in lines:
        expected = item.get("expected") if isinstance(item, dict) else None
        if not (
            isinstance(item, dict)
            and _text(item.get("query"))
            and isinstance(expected, list)
            and all(_text(e) for e in expected)
        ):
            return PlanIssue(
                path, number, 1, 'each line is {"query": "<text>", "expected": ["<id>", ...]} (nearest first)'
            )
        if len(expected) < spec.k:
            return PlanIssue(
                path,
                number,
                1,
                f"{len(expected)} expected neighbours, fewer than k = {spec.k}: recall@{spec.k} needs {spec.k}",
            )
        queries.append(Query(str(item["query"]), tuple(str(e) for e in expected)))
    return queries


def verification_set_issues(scenario: Scenario) -> list[PlanIssue]:
    """What is wrong with the scenario's golden set and query set files."""
    found = []
    verification = scenario.verification
    if verification.golden_set is not None:
        golden = read_golden_set(scenario, verification.golden_set)
        if isinstance(golden, PlanIssue):
            found.append(golden)
    if verification.index_recall is not None:
        queries = read_query_set(scenario, verification.index_recall)
        if isinstance(queries, PlanIssue):
            found.append(queries)
    return found
