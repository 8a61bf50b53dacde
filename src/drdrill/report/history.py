"""Drill history from the scorecards a reports directory holds: when each scenario was last drilled."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from drdrill.report.scorecard import load_scorecard

# A drill that ran to its verdicts counts as drilled, whatever the verdicts; one that errored or was aborted
# exercised nothing.
COUNTS_AS_DRILLED = frozenset({"passed", "failed"})


@dataclass
class DrillHistory:
    """Latest drill day per scenario, and the files that could not be read as scorecards."""

    last_drilled: dict[str, date] = field(default_factory=dict)
    runs: int = 0
    unreadable: list[str] = field(default_factory=list)


def read_history(report_dir: Path) -> DrillHistory:
    """Scan ``<report_dir>/*/scorecard.json``."""
    history = DrillHistory()
    for path in sorted(report_dir.glob("*/scorecard.json")):
        try:
            card = load_scorecard(path)
            started = datetime.fromisoformat(str(card["started_utc"])).date()
            name = str(card["scenario"]["name"])
            status = str(card["status"])
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            history.unreadable.append(f"{path}: {exc}")
            continue
        if status not in COUNTS_AS_DRILLED:
            continue
        history.runs += 1
        if name not in history.last_drilled or started > history.last_drilled[name]:
            history.last_drilled[name] = started
    return history
