"""The drain waits for the client notices still due after the revert: a resolution notice sent in time must be
seen, and one never sent must be seen missing. It waits from the revert for the longest staging deadline and one
probe interval, never past the drain's own timeout, and not at all when the plan routes no notice to drdrill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drdrill.journal import Event, Kind, read_journal
from drdrill.measure.timeline import fault_window
from drdrill.plan import Plan
from tests.unit.run.test_drain import _drain
from tests.unit.test_zone_drill import PLAN, SCENARIO, ZoneDrill, write_zone_plan

CHANNELS = """\
  notifications:
    client: {role: notice, consumer: api, env: {NOTICE_URL: "{webhook}"}}
"""
NOTICES = "  notices: {first_notice: 1s, initial_assessment: 2s, updates: 2s, resolution: 3s}\n"


def _plan(directory: Path, *, channels: bool = True, drain: str = "10s") -> Plan:
    return write_zone_plan(
        directory,
        plan=PLAN.replace("  system:\n", (CHANNELS if channels else "") + "  system:\n"),
        scenario=SCENARIO.replace("  drain_timeout: 2s\n", f"  drain_timeout: {drain}\n") + NOTICES,
    )


def _run(plan: Plan, reports: Path) -> tuple[dict[str, Any], list[Event]]:
    drill = ZoneDrill(plan, reports)
    card = drill.run()
    return card, read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())


def _waits(journal: list[Event]) -> list[float]:
    return [n["waiting_for_notices_s"] for n in _drain(journal)[2] if "waiting_for_notices_s" in n]


def test_the_drain_waits_for_the_last_notice_due_after_the_revert(tmp_path: Path) -> None:
    card, journal = _run(_plan(tmp_path / "plan"), tmp_path / "reports")

    window = fault_window(journal)
    assert window is not None and window.end_ns is not None
    # the longest staging deadline (the resolution's 3 s) and one probe interval (0.5 s), from the revert
    until = window.end_ns + 3_500_000_000
    (wait,) = _waits(journal)
    assert wait > 0
    (note,) = [e for e in journal if e.kind is Kind.NOTE and "waiting_for_notices_s" in e.data]
    assert note.t_ns + round(wait * 1e9) == pytest.approx(until, abs=1_000_000)
    _, end, _ = _drain(journal)
    assert until <= end < until + 300_000_000  # then the observers stop (a signal poll may end first)
    assert card["status"] == "failed"  # no notice ever came: the sink's objectives fail, the drill is judged


def test_the_drain_waits_for_notices_no_longer_than_its_own_timeout(tmp_path: Path) -> None:
    _, journal = _run(_plan(tmp_path / "plan", drain="1500ms"), tmp_path / "reports")

    start, end, _ = _drain(journal)
    window = fault_window(journal)
    assert window is not None and window.end_ns is not None
    assert end < window.end_ns + 3_500_000_000  # short of the notices' 3.5 s
    assert end - start == pytest.approx(1_500_000_000, abs=300_000_000)  # its own 1.5 s, and no more


def test_a_plan_that_routes_no_notice_to_drdrill_is_not_waited_for(tmp_path: Path) -> None:
    _, journal = _run(_plan(tmp_path / "plan", channels=False), tmp_path / "reports")

    assert _waits(journal) == []
    _, end, _ = _drain(journal)
    window = fault_window(journal)
    assert window is not None and window.end_ns is not None
    assert end < window.end_ns + 3_000_000_000
