"""The journal's readers on the events they must pass over: the ledger, the recovery steps and the hold's watch.

Each test journals something a reader must not mistake for what it counts (a final read without lists, a step
completion never invoked, a step's hook value, a non-sample event in a batch) and asserts the exact result
(mutation testing found these unpinned).
"""

from __future__ import annotations

from drdrill.journal import FINAL_READ, SUBMIT, Kind, Type
from drdrill.measure.ledger import build_ledger
from drdrill.measure.steps import PlannedStep, StepResult, step_results
from drdrill.measure.watch import RecoveryWatch
from tests.unit.measure.drill_timeline import START_NS, DrillScript, s

# the ledger


def test_a_final_read_that_lists_nothing_holds_nothing() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.journal.record(Kind.READ, Type.OK, FINAL_READ)

    ledger = build_ledger(d.events())

    assert (ledger.read_done, ledger.read, ledger.processed, ledger.lost) == (
        True,
        frozenset(),
        frozenset(),
        frozenset({"c1"}),
    )


def test_the_final_read_counts_whichever_process_journaled_it() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.journal.record(Kind.READ, Type.OK, FINAL_READ, process="reader", data={"held": ["c1"], "done": []})

    ledger = build_ledger(d.events())

    assert (ledger.read_done, ledger.read, ledger.unprocessed) == (True, frozenset({"c1"}), frozenset({"c1"}))


# the recovery steps


def test_a_step_completion_never_invoked_and_a_step_note_are_passed_over() -> None:
    d = DrillScript()
    d.journal.record(Kind.STEP, Type.OK, "Fail over", value="provider-failover", data={"detail": "stray"})
    invoked = d.journal.record(Kind.STEP, Type.INVOKE, "Fail over", value="provider-failover").t_ns
    d.wait(1)
    d.journal.record(Kind.STEP, Type.INFO, "Fail over", value="provider-failover", data={"detail": "a note"})
    d.wait(1)
    d.journal.record(Kind.STEP, Type.OK, "Fail over", value="provider-failover")

    (found,) = step_results(d.events(), [PlannedStep("Fail over", "provider-failover", "sre")])

    assert found == StepResult(
        "Fail over",
        "provider-failover",
        "sre",
        "recovery",
        "ok",
        invoked_ns=invoked,
        duration_ns=s(2),
        detail=None,
    )


def test_a_step_that_says_it_serves_something_unknown_serves_what_the_plan_says() -> None:
    d = DrillScript()
    invoked = d.journal.record(
        Kind.STEP, Type.INVOKE, "Fail back", value="provider-failback", data={"serves": "everything"}
    ).t_ns
    d.wait(1)
    d.journal.record(
        Kind.STEP, Type.FAIL, "Fail back", value="provider-failback", data={"detail": "still backup"}
    )

    (found,) = step_results(d.events(), [PlannedStep("Fail back", "provider-failback", serves="failback")])

    assert found == StepResult(
        "Fail back",
        "provider-failback",
        None,
        "failback",
        "failed",
        invoked_ns=invoked,
        duration_ns=s(1),
        detail="still backup",
    )


def test_every_planned_step_is_listed_after_one_that_never_ran_and_unplanned_runs_serve_recovery() -> None:
    d = DrillScript()
    second = d.journal.record(Kind.STEP, Type.INVOKE, "Second", value="hook-2").t_ns
    d.wait(0.5)
    d.journal.record(Kind.STEP, Type.OK, "Second", value="hook-2", data={"detail": "done"})
    extra = d.journal.record(Kind.STEP, Type.INVOKE, "Unplanned", value="hook-3").t_ns
    planned = [PlannedStep("First", "hook-1", "sre"), PlannedStep("Second", "hook-2", "dba")]

    assert step_results(d.events(), planned) == (
        StepResult("First", "hook-1", "sre", "recovery", "not_run"),
        StepResult(
            "Second", "hook-2", "dba", "recovery", "ok", invoked_ns=second, duration_ns=s(0.5), detail="done"
        ),
        StepResult("Unplanned", "hook-3", None, "recovery", "unfinished", invoked_ns=extra),
    )


# the hold's watch


def probe_at(d: DrillScript, process: str, ok: bool, latency: float = 0.1) -> int:
    invoked = d.journal.record(Kind.PROBE, Type.INVOKE, "health", process=process).t_ns
    d.wait(latency)
    d.journal.record(Kind.PROBE, Type.OK if ok else Type.FAIL, "health", process=process)
    return invoked


def test_a_symptom_with_no_good_sample_after_it_is_no_recovery_even_for_a_zero_steady_window() -> None:
    d = DrillScript()
    probe_at(d, "p1", False)
    watch = RecoveryWatch(START_NS, 0)
    watch.feed(d.events())

    assert not watch.recovered(d.now)


def test_the_watch_reads_on_past_events_that_are_no_sample() -> None:
    d = DrillScript()
    probe_at(d, "p1", False)
    d.journal.record(Kind.STEP, Type.INVOKE, "Fail over", value="provider-failover")
    d.journal.record(Kind.NOTE, Type.INFO, "hold")
    d.journal.record(Kind.OP, Type.INVOKE, "cancel", process="writer-1", value="c9")
    d.journal.record(Kind.OP, Type.FAIL, "cancel", process="writer-1", value="c9")  # no write
    d.journal.record(Kind.OP, Type.FAIL, "cancel", process="writer-1")
    d.journal.record(Kind.PROBE, Type.OK, "health", process="never-invoked")
    d.journal.record(Kind.STEP, Type.FAIL, "Fail over", value="provider-failover")
    d.wait(1)
    for _ in range(3):
        probe_at(d, "p2", True)
        d.wait(0.9)
    watch = RecoveryWatch(START_NS, s(2))
    watch.feed(d.events())  # one batch: the good probes come after every event the watch passes over

    assert watch.recovered(d.now)
    assert watch.seen == len(d.events())


def test_a_sample_invoked_at_the_instant_of_the_fault_is_one_of_the_faults() -> None:
    d = DrillScript()
    probe_at(d, "p1", True)  # invoked at the fault's start
    d.wait(0.9)
    probe_at(d, "p2", True)
    watch = RecoveryWatch(START_NS, s(1))
    watch.feed(d.events())

    assert watch.recovered(d.now)


def test_with_no_symptom_the_probes_decide_even_when_a_write_completed_first() -> None:
    d = DrillScript()
    d.journal.record(Kind.OP, Type.INVOKE, SUBMIT, process="writer-1", value="c1")
    d.wait(0.1)
    d.journal.record(Kind.OP, Type.OK, SUBMIT, process="writer-1", value="c1")
    d.wait(5)
    d.journal.record(Kind.OP, Type.INVOKE, SUBMIT, process="writer-1", value="c2")
    d.wait(0.1)
    d.journal.record(Kind.OP, Type.OK, SUBMIT, process="writer-1", value="c2")  # writes: good for 5.1 s
    probe_at(d, "p1", True)
    d.wait(1)
    probe_at(d, "p2", True)  # probes: good for 1.1 s
    watch = RecoveryWatch(START_NS, s(3))
    watch.feed(d.events())

    assert not watch.recovered(d.now)
