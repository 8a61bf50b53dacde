"""A short plain-text summary of a scorecard, for the end of a pytest run or the CLI."""

from __future__ import annotations

from typing import Any

from drdrill.clock import NS_PER_S
from drdrill.measure import seconds


def _fmt(value: Any, missing: str = "not observed") -> str:
    """Seconds from the scorecard, for people ('12.3 s', '45.0 min', '4.00 h')."""
    if value is None:
        return missing
    return seconds(round(float(value) * NS_PER_S))


def summary_lines(scorecard: dict[str, Any], path: str | None = None) -> list[str]:
    """A dozen lines: status, the measured figures, the ledger and each verdict."""
    sc = scorecard["scenario"]
    m = scorecard["measurements"]
    o = scorecard["objectives"]
    ledger = m["ledger"]
    detect = _fmt(m["time_to_detect_s"], "- (no probe failed)")
    lines = [
        f"drill {sc['name']} (tier {sc['tier']}, {sc['disruption']}): {scorecard['status'].upper()}",
        f"  faults: {', '.join(sc['faults']) or 'none'}",
        f"  time to detect {detect}, to fail over {_fmt(m['time_to_failover_s'])}, "
        f"to recover {_fmt(m['time_to_recover_s'])} (staging bound {_fmt(o['staging_recovery_bound_s'])})",
        f"  the plan's detection criteria held after {_fmt(m.get('time_to_detect_by_plan_s'), 'never')}",
        f"  fail back {_fmt(m.get('time_to_failback_s'))} after the revert; projected RTO "
        f"{_fmt(m['projected_rto_s'])} against the tier RTO {_fmt(o['rto_s'])}",
        f"  claims: {ledger['acknowledged']} acknowledged, {ledger['processed']} classified, "
        f"{ledger['lost']} lost, {ledger['unprocessed']} never classified, {ledger['indeterminate']} unknown",
    ]
    for verdict in scorecard["verdicts"]:
        mark = "PASS" if verdict["passed"] else "FAIL"
        lines.append(f"  [{mark}] {verdict['name']}: {verdict['message']}")
    if scorecard.get("error"):
        lines.append(f"  error: {scorecard['error']}")
    if path:
        lines.append(f"  scorecard: {path}")
        if path.endswith(".json"):
            lines.append(f"  for the client: {path[: -len('.json')]}.html")
    return lines
