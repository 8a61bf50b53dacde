"""A short plain-text summary of a scorecard, for the end of a pytest run or the CLI."""

from __future__ import annotations

from typing import Any

from drdrill.report import words
from drdrill.units import NS_PER_S, seconds


def _fmt(value: Any, missing: str = "not observed") -> str:
    """Seconds from the scorecard, for people ('12.3 s', '45.0 min', '4.00 h')."""
    if value is None:
        return missing
    return seconds(round(float(value) * NS_PER_S))


def _figure(card: dict[str, Any], key: str, missing: str = "not observed") -> str:
    """A time with its sampling bound, or why it is missing."""
    return words.timed(card, key, missing)


def summary_lines(scorecard: dict[str, Any], path: str | None = None) -> list[str]:
    """A dozen lines: status, the measured figures, the ledger and each verdict, in the plan's words."""
    sc = scorecard["scenario"]
    m = scorecard["measurements"]
    o = scorecard["objectives"]
    ledger = words.ledger(scorecard)
    _, many = words.unit(scorecard)
    lines = [
        f"drill {sc['name']} (tier {sc['tier']}, {sc['disruption']}): {scorecard['status'].upper()}",
        f"  faults: {', '.join(sc['faults']) or 'none'}",
        f"  time to detect: {_figure(scorecard, 'time_to_detect_s')}",
        f"  time to fail over: {_figure(scorecard, 'time_to_failover_s')}",
        f"  time to recover: {_figure(scorecard, 'time_to_recover_s')}; "
        f"staging bound {_fmt(o['staging_recovery_bound_s'])}",
        f"  {words.criteria_sentence(scorecard)}",
        f"  fail back after the revert: {_figure(scorecard, 'time_to_failback_s')}; projected RTO "
        f"{_fmt(m['projected_rto_s'], 'unknown')} against the tier RTO {_fmt(o['rto_s'])}",
    ]
    if ledger.get("lost") is None:
        why = words.reason(scorecard, "ledger.lost") or "the final read did not happen"
        lines.append(
            f"  {many}: {ledger['acknowledged']} acknowledged, {ledger['indeterminate']} unknown; "
            f"lost and done {why}"
        )
    else:
        lines.append(
            f"  {many}: {ledger['acknowledged']} acknowledged, {ledger['done']} done, {ledger['lost']} lost, "
            f"{ledger['not_done']} never done, {ledger['indeterminate']} unknown"
        )
    for verdict in scorecard["verdicts"]:
        lines.append(f"  [{words.outcome(verdict).upper()}] {verdict['name']}: {verdict['message']}")
    if scorecard.get("error"):
        lines.append(f"  error: {scorecard['error']}")
    if path:
        lines.append(f"  scorecard: {path}")
        if path.endswith(".json"):
            lines.append(f"  for the client: {path[: -len('.json')]}.html")
    return lines
