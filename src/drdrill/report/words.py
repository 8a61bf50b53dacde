"""Reading a scorecard in the plan's own words: its unit of work, and why a figure is missing.

Every view goes through these, so none speaks of one system's units in another system's words, or shows a
figure that was not measured as 0 or as a pass. Scorecards of schema /1 (written by the bundled system only,
every figure present) still read.
"""

from __future__ import annotations

from typing import Any

V1_LEDGER_NAMES = {"processed": "done", "unprocessed": "not_done"}


def unit(card: dict[str, Any]) -> tuple[str, str]:
    """``(one, many)``: what the plan calls one unit of work and many."""
    words = card.get("unit") or {}
    if card.get("schema") == "drdrill.scorecard/1" and not words:
        return "claim", "claims"  # /1 scorecards came from the claims system only
    return str(words.get("one", "write")), str(words.get("many", "writes"))


def count(card: dict[str, Any], n: int) -> str:
    one, many = unit(card)
    return f"{n} {one if n == 1 else many}"


def ledger(card: dict[str, Any]) -> dict[str, int | None]:
    """The ledger counts, with /1 names mapped to /2 (``processed`` -> ``done``)."""
    raw = card["measurements"]["ledger"]
    return {V1_LEDGER_NAMES.get(k, k): v for k, v in raw.items()}


def reason(card: dict[str, Any], figure: str) -> str | None:
    """Why ``figure`` (a measurements key, or ``ledger.<name>``) is missing, if the scorecard says."""
    reasons = card["measurements"].get("not_measured") or {}
    found = reasons.get(figure)
    return None if found is None else str(found)


def outcome(verdict: dict[str, Any]) -> str:
    """``pass``, ``fail`` or ``unknown`` (a /1 verdict has only ``passed``)."""
    found = verdict.get("outcome")
    if found in ("pass", "fail", "unknown"):
        return str(found)
    return "pass" if verdict.get("passed") else "fail"
