"""Every view says how exact each time is, and says in words what a drill did not reach or did not see."""

from __future__ import annotations

from typing import Any

from drdrill.journal import Phase, Type
from drdrill.plan import Plan
from drdrill.report.html import render_html
from drdrill.report.schema import Scorecard
from drdrill.report.terminal import summary_lines
from drdrill.tabletop.script import render_tabletop
from tests.unit.measure.drill_timeline import DrillScript, edited, standard_scorecard


def quiet_card(plan: Plan) -> Scorecard:
    """A drill in which no probe or write during the fault failed: probes every 0.5 s, a write after each."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3, every=0.5)
    d.phase(Phase.BASELINE, Type.END)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    for n in range(24):
        d.probe(True)
        d.submit(f"c{n}", Type.OK)
        d.wait(0.15)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    held = [f"c{n}" for n in range(24)]
    d.final_read(held=held, done=held)
    return standard_scorecard(plan, "passed", events=d.events())


def aborted_card(plan: Plan) -> Scorecard:
    """Ctrl-C two seconds into an outage nobody recovered from."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3, every=0.5)
    d.phase(Phase.BASELINE, Type.END)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.probes(False, 4, every=0.5)
    d.phase("fault", Type.END)
    d.phase("teardown", Type.START)
    d.fault(Type.END)
    d.phase("teardown", Type.END)
    return standard_scorecard(
        plan, "aborted", events=d.events(), error="interrupted (Ctrl-C) during the fault phase"
    )


QUIET = (
    "no interruption seen by the probes and writes (an outage of at most 750 ms could fall between their "
    "samples)"
)
NOT_YET = (
    "not judged: the drill was interrupted (Ctrl-C) during the fault phase, before steady state returned"
)
NO_READ = (
    "not judged: the final read did not happen; the drill was interrupted (Ctrl-C) during the fault phase"
)


def test_the_summary_of_a_drill_nothing_interrupted_says_so_in_words(plan: Plan) -> None:
    card = quiet_card(plan)
    m = card.to_json()["measurements"]
    assert (m["interruption_seen"], m["unseen_gap_s"], m["time_to_recover_bound_s"]) == (
        False,
        0.75,
        [0.0, 0.75],
    )

    lines = summary_lines(card)

    assert lines[2:6] == [
        "  time to detect: no probe or write failed, and no probe was slow, while the fault was held",
        "  time to fail over: the failover signal never said failed over while the fault was held",
        f"  time to recover: {QUIET}; staging bound 30.0 s",
        "  the plan's detection criteria never held over a whole staging window of the fault",
    ]
    assert f"  [PASS] recovery_bound: {QUIET}, within the staging bound of 30.0 s" in lines
    assert not [line for line in lines if "recovered in" in line]


def test_the_page_of_a_drill_nothing_interrupted_says_so_in_words(plan: Plan) -> None:
    page = render_html(quiet_card(plan))

    assert (
        "the probes and writes saw no interruption (an outage of at most 750 ms could fall between their "
        "samples)" in page
    )
    assert f"<td class='num'>{QUIET}</td><td><span class='pass'>met</span></td>" in page
    assert (
        "<td>Detection criteria of the plan held</td><td>error rate above 0.5 for 5 minutes (measured on the system&#x27;s steady-state probes)</td>"
        "<td class='num'>never held over a whole staging window of the fault</td>" in page
    )


def test_the_summary_of_an_aborted_drill_judges_nothing_it_did_not_reach(plan: Plan) -> None:
    lines = summary_lines(aborted_card(plan))

    assert lines[0] == "drill provider-outage (tier 1, software): ABORTED"
    assert lines[4] == (
        "  time to recover: not measured, because the drill was interrupted (Ctrl-C) during the fault phase, "
        "before steady state returned; staging bound 30.0 s"
    )
    assert [line for line in lines if line.startswith("  [")] == [
        "  [PASS] baseline: steady state held before the fault",
        f"  [UNKNOWN] recovery_bound: {NOT_YET}",
        f"  [UNKNOWN] projected_rto: {NOT_YET}",
        f"  [UNKNOWN] rpo: {NO_READ}",
        f"  [UNKNOWN] drained: {NO_READ}",
        f"  [UNKNOWN] no_unexpected_data: {NO_READ}",
    ]
    assert lines[-2:] == [
        "  error: interrupted (Ctrl-C) during the fault phase",
        "  cleanup: replica drdrill-abc123 removed",  # what went at teardown, and what was left, if anything
    ]
    assert not [line for line in lines if "missed" in line or "[FAIL]" in line]


def test_the_page_of_an_aborted_drill_says_recovery_was_not_measured_never_that_it_failed(plan: Plan) -> None:
    page = render_html(aborted_card(plan))

    assert "Aborted: the drill was interrupted" in page
    assert (
        "the recovery was not measured, because the drill was interrupted (Ctrl-C) during the fault phase, "
        "before steady state returned" in page
    )
    assert (
        "<li><span class='unknown'>UNKNOWN</span> recovery on staging within the staging bound of 30.0 s: "
        f"{NOT_YET}</li>"
    ) in page
    assert "did not come back" not in page and "missed" not in page


def test_the_tabletop_after_action_report_gives_each_time_with_its_bound(plan: Plan) -> None:
    text = render_tabletop(plan, plan.scenarios["provider-outage"], "md", standard_scorecard(plan, "passed"))

    assert "| Time to detect (staging) | within 2 seconds | 0.75 s (+0/-0.75 s) |" in text
    assert "| Recovery on staging | within the staging bound of 30 seconds | 3.60 s (+0.65/-1.10 s) |" in text
    assert (
        "| Time to fail over (staging) | dated by the system's own failover signal | 3.50 s (+0/-3.50 s) |"
        in text
    )


def test_the_tabletop_of_a_drill_nothing_interrupted_says_so(plan: Plan) -> None:
    text = render_tabletop(plan, plan.scenarios["provider-outage"], "md", quiet_card(plan))

    assert f"| Recovery on staging | within the staging bound of 30 seconds | {QUIET} |" in text


def test_an_old_scorecard_without_bounds_still_reads_plainly(plan: Plan) -> None:
    def strip(data: dict[str, Any]) -> None:
        m = data["measurements"]
        for key in [k for k in m if k.endswith("_bound_s")] + ["interruption_seen", "unseen_gap_s"]:
            del m[key]

    card = edited(standard_scorecard(plan, "passed"), strip)

    lines = summary_lines(card)

    assert lines[2:6] == [
        "  time to detect: 0.75 s",
        "  time to fail over: 3.50 s",
        "  time to recover: 3.60 s; staging bound 30.0 s",
        "  the plan's detection criteria held 1.00 s after the fault started",
    ]
