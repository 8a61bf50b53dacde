"""The warm-up: the baseline judges a system that has answered probes in a row, not one still starting."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import WARMUP, Kind, Phase, Type, read_journal
from drdrill.plan import Plan, load_plan
from drdrill.run.warmup import WARM_PROBE_S, WARM_STREAK, warm_streak
from drdrill.system import FinalRead
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


class _SlowFirstRead(FakeHelpdesk):
    """A system whose first final read (the stack start's, after the warm-up probe has begun) takes 4 s."""

    def final_read(self) -> FinalRead:
        if self.reads == 0:
            self.clock.sleep(4.0)
        return super().final_read()


def test_the_warm_up_bound_counts_from_the_first_warm_up_probe(plan: Plan, tmp_path: Path) -> None:
    # The stack start sends the first warm-up probe, then spends 4 s connecting: the plan's 30 s of warm-up began
    # with that probe, so the warm-up phase itself waits 26 s, not 30.
    system = _SlowFirstRead(FakeClock(), heal_after_s=3.2)
    system.down_since_ns = system.clock.monotonic_ns()
    system.up_at_ns = system.down_since_ns + ns(60.0)
    drill = Drill(plan, tmp_path, system)

    drill.run()

    m = drill.scorecard["measurements"]
    assert m["warmup_settled"] is False
    assert m["warmup_s"] == pytest.approx(26.0, abs=0.06)


def test_the_warm_up_note_counts_the_probes_it_saw(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, _cold_for(1.0))

    drill.run()

    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    (note,) = [e for e in journal if e.kind is Kind.NOTE and e.name == WARMUP]
    completed = [
        e for e in journal if e.kind is Kind.PROBE and e.type is not Type.INVOKE and e.seq < note.seq
    ]
    assert note.data["probes"] == len(completed) and note.data["failed"] == sum(
        e.type is Type.FAIL for e in completed
    )
    warm = {e.process for e in journal if e.kind is Kind.PROBE and e.process and "-warm-" in e.process}
    assert warm and all(str(p).startswith("r1-warm-") for p in warm)  # the run's id, as every probe's


def test_a_plan_that_probes_as_often_as_the_warm_up_needs_no_warm_up_probe(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    write_ticket_plan(folder)
    crash = folder / "responder-crash.yaml"
    crash.write_text(
        crash.read_text().replace("probe_interval: 500ms", f"probe_interval: {int(WARM_PROBE_S * 1000)}ms")
    )
    drill = Drill(load_plan(folder), tmp_path / "reports", _cold_for(1.0))

    result = drill.run()

    assert result.status == "passed"
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    assert not [e for e in journal if e.kind is Kind.PROBE and e.process and "-warm-" in e.process]
    (note,) = [e for e in journal if e.kind is Kind.NOTE and e.name == WARMUP]
    assert note.data["settled"] is True and note.data["probe_interval_s"] == WARM_PROBE_S
