"""Reading a scorecard in the plan's own words: its unit of work, and why a figure is missing.

Every view goes through these, so none speaks of one system's units in another system's words, or shows a
figure that was not measured as 0 or as a pass. Scorecards of schema /1 (written by the bundled system only,
every figure present) still read.
"""

from __future__ import annotations

from typing import Any

from drdrill.measure.verdicts import no_interruption
from drdrill.units import NS_PER_S, bounded

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


def _ns(value: float) -> int:
    return round(float(value) * NS_PER_S)


def bound(card: dict[str, Any], figure: str) -> tuple[float, float] | None:
    """``(minus, plus)`` seconds of ``figure`` (``time_to_detect_s``), when the scorecard gives its bound."""
    found = card["measurements"].get(figure.removesuffix("_s") + "_bound_s")
    if not isinstance(found, list) or len(found) != 2:
        return None
    return float(found[0]), float(found[1])


def no_interruption_seen(card: dict[str, Any]) -> bool:
    """The probes and writes saw no symptom while the fault was held (older scorecards never say so)."""
    return card["measurements"].get("interruption_seen") is False


def timed(card: dict[str, Any], figure: str, missing: str = "not observed") -> str:
    """A time as every view shows it: '0.61 s (+0/-0.50 s)', the no-interruption sentence for a recovery
    nothing interrupted, or why it is missing."""
    m = card["measurements"]
    value = m.get(figure)
    if figure == "time_to_recover_s" and value is not None and no_interruption_seen(card):
        gap = m.get("unseen_gap_s")
        return no_interruption(_ns(gap) if isinstance(gap, int | float) else 0)
    if value is None:
        return reason(card, figure) or missing
    found = bound(card, figure)
    return bounded(_ns(value), None if found is None else (_ns(found[0]), _ns(found[1])))


def criteria_sentence(card: dict[str, Any]) -> str:
    """When the plan's detection criteria held, as a sentence: held after a time, never held, not checked."""
    held = card["measurements"].get("time_to_detect_by_plan_s")
    if not (card.get("objectives") or {}).get("detection_criteria"):
        return "the plan declares no detection criteria that the probes can evaluate"
    if held is not None:
        return f"the plan's detection criteria held {timed(card, 'time_to_detect_by_plan_s')} after the fault started"
    why = reason(card, "time_to_detect_by_plan_s")
    if why is None:  # scorecards before the reason was kept
        no_fault = (reason(card, "time_to_detect_s") or "").endswith("no fault was applied")
        why = (
            "not checked, because no fault was applied"
            if no_fault
            else "never held over a whole staging window of the fault"
        )
    return (
        f"the plan's detection criteria were {why}"
        if why.startswith("not checked")
        else f"the plan's detection criteria {why}"
    )
