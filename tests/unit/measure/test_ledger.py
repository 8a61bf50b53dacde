"""The ledger of writes against Jepsen's set checker: attempted, acknowledged, read back, lost, recovered."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drdrill.journal import FINAL_READ, GOLDEN_SET, SUBMIT, Kind, Type
from drdrill.measure.fold import fold
from drdrill.measure.ledger import Ledger, build_ledger
from tests.unit.measure.drill_timeline import DrillScript, StandardDrill, s


def test_ledger_of_a_realistic_drill() -> None:
    ledger = build_ledger(StandardDrill().events)

    assert ledger == Ledger(
        attempted=frozenset({"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"}),
        acknowledged=frozenset({"c1", "c2", "c6", "c7", "c8", "c9", "c10"}),
        failed=frozenset({"c3"}),
        indeterminate=frozenset({"c4", "c5"}),
        read=frozenset({"c1", "c2", "c4", "c6", "c7", "c8", "c9", "c10"}),
        processed=frozenset({"c1", "c2", "c6", "c7", "c8", "c9", "c10"}),
        read_done=True,
    )
    assert ledger.lost == frozenset()
    assert ledger.unexpected == frozenset()
    assert ledger.recovered == frozenset({"c4"})
    assert ledger.unprocessed == frozenset()
    assert ledger.counts() == {
        "attempted": 10,
        "acknowledged": 7,
        "failed": 1,
        "indeterminate": 2,
        "read": 8,
        "done": 7,
        "not_done": 0,
        "lost": 0,
        "unexpected": 0,
        "recovered": 1,
    }


def test_an_empty_journal_gives_an_empty_ledger_whose_read_figures_are_unknown() -> None:
    ledger = build_ledger([])

    assert ledger.read_done is False
    assert ledger.read_failure is None
    assert ledger.counts() == {
        "attempted": 0,
        "acknowledged": 0,
        "failed": 0,
        "indeterminate": 0,
        "read": None,
        "done": None,
        "not_done": None,
        "lost": None,
        "unexpected": None,
        "recovered": None,
    }
    assert ledger.lost_window_ns() == 0


def test_without_a_final_read_every_figure_it_feeds_is_none_never_zero() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.submit("c2", Type.FAIL)
    d.final_read_failed("not measured, because the final read failed: ConnectError: refused")

    ledger = build_ledger(d.events())

    assert ledger.read_done is False
    assert ledger.read_failure == "not measured, because the final read failed: ConnectError: refused"
    assert ledger.counts() == {
        "attempted": 2,
        "acknowledged": 1,
        "failed": 1,
        "indeterminate": 0,
        "read": None,
        "done": None,
        "not_done": None,
        "lost": None,
        "unexpected": None,
        "recovered": None,
    }


def test_a_failed_read_without_a_reason_still_says_it_failed() -> None:
    d = DrillScript()
    d.journal.record(Kind.READ, Type.FAIL, FINAL_READ)

    assert build_ledger(d.events()).read_failure == "the final read failed"


def test_a_read_still_in_flight_has_not_failed() -> None:
    # An invocation without a completion (a drill interrupted mid-read) is no final read, and no failure either.
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.journal.record(Kind.READ, Type.INVOKE, FINAL_READ)

    ledger = build_ledger(d.events())

    assert ledger.read_done is False
    assert ledger.read_failure is None


def test_a_later_successful_read_clears_the_failure_and_a_later_failure_keeps_the_read() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.final_read_failed("not measured, because the final read failed: TimeoutError: ")
    d.final_read(held=["c1"], done=["c1"])
    d.final_read_failed("a second read failed")

    ledger = build_ledger(d.events())

    assert (ledger.read_done, ledger.read_failure) == (True, None)
    assert ledger.read == frozenset({"c1"})


def test_probe_units_are_the_drills_own_and_left_out_of_the_final_read() -> None:
    # A read-back probe writes a unit of its own; the system holds it, but it is neither workload nor lost data.
    d = DrillScript()
    d.probe(True, process="run-canary-00001")
    d.probe(False, process="run-canary-00002")
    d.submit("w1", Type.OK)
    d.final_read(held=["w1", "run-canary-00001", "run-canary-00002"], done=["w1", "run-canary-00001"])

    ledger = build_ledger(d.events())

    assert ledger.read == frozenset({"w1"})
    assert ledger.processed == frozenset({"w1"})
    assert ledger.unexpected == frozenset()
    assert ledger.recovered == frozenset()
    assert ledger.counts()["read"] == 1
    assert ledger.counts()["unexpected"] == 0


def test_the_golden_sets_units_are_the_drills_own_in_the_ledger_and_in_the_fold() -> None:
    # The drain writes the golden set before the final read; its invocation lists the units it wrote.
    d = DrillScript()
    d.submit("w1", Type.OK)
    d.journal.record(Kind.CHECK, Type.INVOKE, GOLDEN_SET, data={"minimum": 0.9, "units": ["g-0", "g-1"]})
    d.final_read(held=["w1", "g-0", "g-1", "x9"], done=["w1", "g-0"])

    ledger = build_ledger(d.events())
    folded = fold(d.events()).ledger

    for found in (ledger, folded):
        assert found.read == frozenset({"w1", "x9"})
        assert found.processed == frozenset({"w1"})
        assert found.unexpected == frozenset({"x9"})  # a unit nobody wrote is still the store's own


def test_a_held_unit_named_like_a_probe_but_never_probed_is_unexpected() -> None:
    d = DrillScript()
    d.probe(True, process="run-canary-00001")
    d.final_read(held=["run-canary-00001", "run-canary-00002"])

    assert build_ledger(d.events()).unexpected == frozenset({"run-canary-00002"})


def test_invoked_but_never_completed_is_indeterminate_never_failed() -> None:
    d = DrillScript()
    d.invoke("c1")
    d.wait(30)
    d.final_read(held=[])

    ledger = build_ledger(d.events())

    assert ledger.indeterminate == frozenset({"c1"})
    assert ledger.failed == frozenset()
    assert ledger.acknowledged == frozenset()
    assert ledger.lost == frozenset()


def test_a_timeout_is_indeterminate_never_failed() -> None:
    d = DrillScript()
    d.submit("c1", Type.INFO, latency=30)
    d.submit("c2", Type.FAIL)
    d.final_read(held=[])

    ledger = build_ledger(d.events())

    assert ledger.indeterminate == frozenset({"c1"})
    assert ledger.failed == frozenset({"c2"})


def test_lost_is_acknowledged_minus_read() -> None:
    d = DrillScript()
    for unit in ("c1", "c2", "c3", "c4"):
        d.submit(unit, Type.OK)
    d.final_read(held=["c1", "c3"], done=["c1"])

    ledger = build_ledger(d.events())

    assert ledger.lost == frozenset({"c2", "c4"})
    assert ledger.unprocessed == frozenset({"c3"})


def test_lost_is_empty_until_the_final_read_is_done() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.submit("c2", Type.OK)
    assert build_ledger(d.events()).lost == frozenset()

    d.journal.record(Kind.READ, Type.INVOKE, FINAL_READ)
    assert build_ledger(d.events()).read_done is False
    assert build_ledger(d.events()).lost == frozenset()

    # what a failed read carries is no read: nothing in it counts
    d.journal.record(Kind.READ, Type.FAIL, FINAL_READ, data={"held": ["c1"], "why": "refused"})
    failed_read = build_ledger(d.events())
    assert failed_read.read_done is False
    assert failed_read.read == frozenset()
    assert failed_read.lost == frozenset()
    assert failed_read.counts()["lost"] is None

    d.final_read(held=["c1"], done=["c1"])
    done = build_ledger(d.events())
    assert done.read_done is True
    assert done.lost == frozenset({"c2"})


def test_a_read_of_another_name_is_not_the_final_read() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.journal.record(Kind.READ, Type.OK, "spot-check", data={"held": [], "done": []})

    assert build_ledger(d.events()).read_done is False


def test_unexpected_is_read_minus_attempted() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.final_read(held=["c1", "ghost-1", "ghost-2"], done=["c1", "ghost-1"])

    ledger = build_ledger(d.events())

    assert ledger.unexpected == frozenset({"ghost-1", "ghost-2"})
    assert ledger.recovered == frozenset()
    assert ledger.lost == frozenset()


def test_recovered_is_read_and_attempted_minus_acknowledged() -> None:
    d = DrillScript()
    d.submit("timed-out", Type.INFO)
    d.submit("failed", Type.FAIL)
    d.submit("never-answered", None)
    d.submit("acked", Type.OK)
    d.submit("timed-out-and-gone", Type.INFO)
    d.final_read(
        held=["timed-out", "acked", "failed", "never-answered", "ghost"], done=["timed-out", "acked"]
    )

    ledger = build_ledger(d.events())

    assert ledger.recovered == frozenset({"timed-out", "failed", "never-answered"})
    assert ledger.unexpected == frozenset({"ghost"})
    assert ledger.lost == frozenset()


def test_other_operations_and_unnamed_writes_are_not_in_the_ledger() -> None:
    d = DrillScript()
    d.journal.record(Kind.OP, Type.INVOKE, "classify", value="c9")
    d.journal.record(Kind.OP, Type.OK, "classify", value="c9")
    d.journal.record(Kind.OP, Type.INVOKE, SUBMIT)  # no unit id
    d.journal.record(Kind.OP, Type.OK, SUBMIT)
    d.journal.record(Kind.NOTE, Type.OK, SUBMIT, value="c8")

    ledger = build_ledger(d.events())

    assert ledger.attempted == frozenset()
    assert ledger.acknowledged == frozenset()


def test_lost_window_spans_the_acknowledgement_times_of_the_lost_writes() -> None:
    d = DrillScript()
    d.submit("kept-early", Type.OK)
    d.wait(5)
    first_lost = d.submit("lost-1", Type.OK)
    d.wait(1)
    d.submit("lost-2", Type.OK)
    d.wait(2)
    last_lost = d.submit("lost-3", Type.OK)
    d.wait(10)
    d.submit("kept-late", Type.OK)
    d.final_read(held=["kept-early", "kept-late"], done=["kept-early", "kept-late"])

    ledger = build_ledger(d.events())

    assert ledger.lost == frozenset({"lost-1", "lost-2", "lost-3"})
    assert first_lost is not None
    assert last_lost is not None
    assert ledger.lost_window_ns() == last_lost - first_lost == s(3.2)


def test_lost_window_of_one_lost_write_or_none_is_zero() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.wait(3)
    d.submit("c2", Type.OK)
    d.final_read(held=["c1"], done=["c1"])
    assert build_ledger(d.events()).lost_window_ns() == 0

    d.final_read(held=["c1", "c2"], done=["c1", "c2"])  # a later final read replaces the earlier one
    ledger = build_ledger(d.events())
    assert ledger.lost == frozenset()
    assert ledger.lost_window_ns() == 0


def test_interleaved_writers() -> None:
    d = DrillScript()
    d.invoke("a", process="writer-1")
    d.invoke("b", process="writer-2")
    d.wait(1)
    d.complete("b", Type.OK, process="writer-2")
    d.invoke("c", process="writer-2")
    d.complete("a", Type.FAIL, process="writer-1")
    d.complete("c", Type.INFO, process="writer-2")
    d.final_read(held=["b"], done=["b"])

    ledger = build_ledger(d.events())

    assert ledger.acknowledged == frozenset({"b"})
    assert ledger.failed == frozenset({"a"})
    assert ledger.indeterminate == frozenset({"c"})
    assert ledger.lost == frozenset()


# property: the set identities of Jepsen's set checker hold for any history

OUTCOMES = (None, Type.OK, Type.FAIL, Type.INFO)  # None: invoked, never completed
PROBES = ("p1", "p2")  # the drill's own probe units, which the system may hold too

History = tuple[dict[str, Type | None], list[str], set[str], set[str], set[str], bool]


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Write outcomes, the order of their steps, the probes run, the final read (held, done), whether it ran."""
    units = draw(st.lists(st.sampled_from([f"c{i}" for i in range(12)]), unique=True, max_size=12))
    outcomes = {unit: draw(st.sampled_from(OUTCOMES)) for unit in units}
    steps = [c for c in units for _ in range(1 if outcomes[c] is None else 2)]
    order = draw(st.permutations(steps))
    probes = draw(st.sets(st.sampled_from(PROBES)))
    universe = [*units, *probes, "g1", "g2", "g3"]  # g*: never submitted
    held = draw(st.sets(st.sampled_from(universe)))
    done = draw(st.sets(st.sampled_from(sorted(held)))) if held else set()  # the contract: done is held
    return outcomes, order, probes, held, done, draw(st.booleans())


@settings(max_examples=200, deadline=None)
@given(history=histories(), gap_ms=st.integers(min_value=1, max_value=5_000))
def test_ledger_set_identities(history: History, gap_ms: int) -> None:
    outcomes, order, probes, held, done, read_done = history
    d = DrillScript()
    for probe in sorted(probes):
        d.probe(True, process=probe)
    invoked: set[str] = set()
    ack_ns: dict[str, int] = {}
    for unit in order:
        if unit not in invoked:  # the first step of a write is its invocation
            invoked.add(unit)
            d.invoke(unit)
        else:
            outcome = outcomes[unit]
            assert outcome is not None
            t = d.complete(unit, outcome)
            if outcome is Type.OK:
                ack_ns[unit] = t
        d.wait(gap_ms / 1000)
    if read_done:
        d.final_read(held, done)

    ledger = build_ledger(d.events())

    attempted = set(outcomes)
    acknowledged = {c for c, o in outcomes.items() if o is Type.OK}
    read = (held - probes) if read_done else set()
    finished = (done - probes) if read_done else set()
    assert ledger.attempted == attempted
    assert ledger.acknowledged == acknowledged
    assert ledger.failed == {c for c, o in outcomes.items() if o is Type.FAIL}
    assert ledger.indeterminate == {c for c, o in outcomes.items() if o in (None, Type.INFO)}
    # every attempt ends in exactly one of the three outcomes
    assert ledger.acknowledged | ledger.failed | ledger.indeterminate == ledger.attempted
    assert not (ledger.acknowledged & ledger.failed)
    assert not (ledger.acknowledged & ledger.indeterminate)
    assert not (ledger.failed & ledger.indeterminate)
    assert ledger.read_done is read_done
    assert ledger.read == read
    assert not (ledger.read & probes)  # a probe unit is never lost, unexpected or recovered
    assert ledger.lost == ((acknowledged - read) if read_done else set())
    assert ledger.unexpected == read - attempted
    assert ledger.recovered == (read & attempted) - acknowledged
    assert ledger.unprocessed == (acknowledged & read) - finished
    assert ledger.lost <= ledger.acknowledged
    assert not (ledger.lost & ledger.read)
    assert not (ledger.recovered & ledger.acknowledged)
    lost_times = [ack_ns[c] for c in ledger.lost]
    assert ledger.lost_window_ns() == (max(lost_times) - min(lost_times) if lost_times else 0)
    figures_of_the_read = {
        "read": len(read),
        "done": len(finished & acknowledged),
        "not_done": len(ledger.unprocessed),
        "lost": len(ledger.lost),
        "unexpected": len(ledger.unexpected),
        "recovered": len(ledger.recovered),
    }
    assert ledger.counts() == {
        "attempted": len(attempted),
        "acknowledged": len(acknowledged),
        "failed": len(ledger.failed),
        "indeterminate": len(ledger.indeterminate),
        **(figures_of_the_read if read_done else dict.fromkeys(figures_of_the_read)),
    }
    # with the read, what is acknowledged is exactly one of: done, held but not done, lost
    if read_done:
        split = (figures_of_the_read[k] for k in ("done", "not_done", "lost"))
        assert sum(split) == len(acknowledged)
