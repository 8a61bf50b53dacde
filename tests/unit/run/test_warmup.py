"""The warm-up: the baseline judges a system that has answered probes in a row, not one still starting."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.journal import WARMUP, Kind, Phase, Type, read_journal
from drdrill.plan import Plan
from drdrill.run.warmup import WARM_PROBE_S, WARM_STREAK, warm_streak
from tests.unit.fake_drill import FakeHelpdesk, ns
from tests.unit.test_runner import Drill, helpdesk
from tests.unit.ticket_plan import write_ticket_plan


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("helpdesk"))


@pytest.mark.parametrize(
    ("oks", "streak"),
    [([], 0), ([False], 0), ([True], 1), ([True, False, True, True], 2), ([False, True, True, True], 3)],
)
def test_the_streak_counts_the_good_probes_at_the_end(oks: list[bool], streak: int) -> None:
    assert warm_streak(oks) == streak


def _cold_for(seconds: float) -> FakeHelpdesk:
    system = helpdesk(heal_after_s=3.2)
    system.down_since_ns = system.clock.monotonic_ns()  # healthy by its container's check, not yet answering
    system.up_at_ns = system.down_since_ns + ns(seconds)
    return system


def test_a_system_slow_to_answer_after_its_start_is_judged_once_warm(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, _cold_for(2.2))

    result = drill.run()

    assert result.status == "passed"
    assert drill.verdict("baseline") == ("pass", "steady state held before the fault")
    m = drill.scorecard["measurements"]
    # the warm-up probe every 0.1 s beside the plan's every 0.5 s: good from 2.2 s, the third at 2.4 s (at the
    # plan's interval alone the third came at 3.5 s)
    assert m["warmup_s"] == pytest.approx(2.4, abs=0.06) and m["warmup_settled"] is True
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    (note,) = [e for e in journal if e.kind is Kind.NOTE and e.name == WARMUP]
    assert note.data["streak"] == WARM_STREAK and note.data["probe_interval_s"] == WARM_PROBE_S
    warm = [e for e in journal if e.kind is Kind.PROBE and e.process and "-warm-" in e.process]
    assert {e.type for e in warm} == {Type.INVOKE, Type.OK, Type.FAIL}
    assert (
        max(e.t_ns for e in warm) <= note.t_ns
    )  # stopped with the warm-up: none of them runs into the baseline
    assert (
        note.data["failed"] == 22 + 5
    )  # warm-up probes at 0.0 to 2.1 s, steady-state probes at 0.0 to 2.0 s
    (start,) = [
        e for e in journal if e.kind is Kind.PHASE and e.name == Phase.BASELINE and e.type is Type.START
    ]
    assert start.t_ns >= note.t_ns  # the failed probes of the warm-up judge nothing
    # the warm-up probe was started by the stack start, once the system was open, before the observers (the fake
    # clock runs both loops' first ticks when the runner first waits: the one scheduled first goes first)
    first_warm = min(e.seq for e in warm)
    first_canary = min(
        e.seq for e in journal if e.kind is Kind.PROBE and e.process and "-canary-" in e.process
    )
    assert first_warm < first_canary


def test_a_system_that_never_warms_fails_its_baseline_and_says_why(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, _cold_for(60.0))

    result = drill.run()

    assert result.status == "failed"
    outcome, message = drill.verdict("baseline")
    assert outcome == "fail"
    assert message.startswith("steady state did not hold before the fault: ")
    assert message.endswith(
        "probe(s) failed (5x no answer: the responder is down); before it, the system never answered 3 probes in a "
        "row in 30.0 s of warm-up"
    )
    assert drill.scorecard["measurements"]["warmup_settled"] is False
    assert drill.container.calls == []  # the fault was never applied
