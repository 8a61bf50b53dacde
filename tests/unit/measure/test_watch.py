"""The hold's incremental stop condition agrees with the scorecard's own recovery rule on any history."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from drdrill.clock import FakeClock
from drdrill.journal import SUBMIT, Journal, Kind, Type
from drdrill.measure.timeline import FaultWindow, all_samples, service_recovery
from drdrill.measure.watch import OVERDUE_FACTOR, OVERDUE_FLOOR_NS, TOOK_KEPT, RecoveryWatch

MS = 1_000_000

# One operation: (source, invoked at ms, took ms, ok)
Op = tuple[str, int, int, bool]
ops = st.lists(
    st.tuples(st.sampled_from(["probe", "write"]), st.integers(0, 3000), st.integers(1, 400), st.booleans()),
    max_size=60,
)


def _journal(history: list[Op]) -> tuple[Journal, FakeClock]:
    """Record the operations in time order, invocations and completions interleaved as a drill would."""
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    moments: list[tuple[int, int, Kind, Type, str]] = []
    for i, (source, at, took, ok) in enumerate(history):
        kind = Kind.PROBE if source == "probe" else Kind.OP
        key = f"u{i}"
        moments.append((at * MS, 0, kind, Type.INVOKE, key))
        moments.append(((at + took) * MS, 1, kind, Type.OK if ok else Type.FAIL, key))
    for t_ns, _, kind, type_, key in sorted(moments, key=lambda m: (m[0], m[1])):
        clock.advance((t_ns - clock.monotonic_ns()) / 1e9)
        if kind is Kind.PROBE:
            journal.record(kind, type_, "canary", process=key)
        else:
            journal.record(kind, type_, SUBMIT, value=key)
    return journal, clock


@settings(max_examples=500, deadline=None)
@given(history=ops, start=st.integers(0, 1500), steady=st.integers(0, 1500), now=st.integers(0, 3500))
# found by Hypothesis: a symptom invoked at the very instant of the earliest sample still in flight is past the cutoff
@example(
    history=[("probe", 0, 1, True), ("probe", 1, 1, False), ("probe", 1, 2, False)], start=0, steady=0, now=2
)
# a sample in flight 180 ms where its source's good one took 10 ms: overdue, though the cutoff's run is steady
@example(history=[("probe", 0, 10, True), ("probe", 20, 300, True)], start=0, steady=0, now=200)
def test_the_watch_says_recovered_exactly_when_the_scorecards_rule_does(
    history: list[Op], start: int, steady: int, now: int
) -> None:
    journal, _ = _journal(history)
    events = [e for e in journal.events() if e.t_ns <= now * MS]  # what the hold has seen by now
    # Judged up to the earliest sample of the fault still in flight: its outcome is not known yet.
    done = {e.process or e.value for e in events if e.type is not Type.INVOKE}
    in_flight = [
        e.t_ns
        for e in events
        if e.type is Type.INVOKE and (e.process or e.value) not in done and e.t_ns >= start * MS
    ]
    cutoff = min([now * MS, *in_flight])
    expected = service_recovery(all_samples(events), FaultWindow(start * MS, None), steady * MS, cutoff)
    # ... and no sample of the fault in flight far longer than its source's good samples of the fault take
    took: dict[str, list[int]] = {}
    for source, at, length, ok in history:
        if ok and at >= start and at + length <= now:
            took.setdefault(source, []).append(length * MS)
    hung = [
        (at, took[source])
        for source, at, length, _ in history
        if start <= at <= now < at + length and took.get(source)
    ]
    overdue = any(
        now * MS - at * MS
        > max(OVERDUE_FLOOR_NS, OVERDUE_FACTOR * sorted(t[-TOOK_KEPT:])[len(t[-TOOK_KEPT:]) // 2])
        for at, t in hung
    )

    watch = RecoveryWatch(start * MS, steady * MS)
    half = len(events) // 2
    watch.feed(events[:half])  # fed in two polls: the answer cannot depend on where the polls fell
    watch.feed(events[half:])

    assert watch.recovered(now * MS) is (expected.recovered_at_ns is not None and not overdue)
    assert watch.cutoff(now * MS) == cutoff
    assert watch.seen == len(events)


def test_a_sample_still_in_flight_holds_the_decision_until_it_completes() -> None:
    # Good probes from 0 to 5,000 ms, a 5 s window; one more probe sent at 4,900 ms has not answered at 5,050 ms.
    history: list[Op] = [("probe", at, 10, True) for at in range(0, 5001, 500)]
    journal, _ = _journal([*history, ("probe", 4900, 400, False)])
    seen = [e for e in journal.events() if e.t_ns <= 5050 * MS]
    watch = RecoveryWatch(0, 5000 * MS)
    watch.feed(seen)
    assert watch.cutoff(5050 * MS) == 4900 * MS
    assert watch.recovered(5050 * MS) is False  # the run before 4,900 ms spans 4.5 s only
    watch.feed(journal.events()[len(seen) :])  # it fails at 5,300 ms: a symptom, the run starts again
    assert watch.recovered(5400 * MS) is False


def test_a_late_symptom_invoked_among_good_samples_cuts_their_run_when_it_completes() -> None:
    # good probes every 100 ms from 100 ms; the one invoked at 450 ms hangs until 900 ms and fails
    good: list[Op] = [("probe", t, 10, True) for t in (100, 200, 300, 400, 500, 600, 700, 800)]
    journal, _ = _journal([*good, ("probe", 450, 450, False)])
    watch = RecoveryWatch(0, 500 * MS)
    early = [e for e in journal.events() if e.t_ns < 850 * MS]
    watch.feed(early)
    # The probe invoked at 450 ms is still in flight: judged up to it, the run (100 to 400 ms) spans 300 ms only;
    # without that wait the watch said recovered here, and the scorecard later did not.
    assert not watch.recovered(850 * MS)
    assert watch.cutoff(850 * MS) == 450 * MS
    watch.feed(journal.since(len(early)))
    assert not watch.recovered(950 * MS)  # the failure came in: the run after 450 ms spans only 300 ms


def test_a_symptom_invoked_after_a_sample_in_flight_waits_for_it_before_it_counts() -> None:
    # Good probes every 100 ms to 1,000 ms (a 500 ms window); one invoked at 1,050 ms hangs until 1,200 ms, one
    # invoked at 1,060 ms fails at 1,070 ms. At 1,100 ms the cutoff is 1,050 ms: the scorecard judges the run
    # before it, which spans 1 s, and leaves the failure out; it counts once the sample in flight is in.
    good: list[Op] = [("probe", t, 5, True) for t in range(0, 1001, 100)]
    journal, _ = _journal([*good, ("probe", 1050, 150, True), ("probe", 1060, 10, False)])
    watch = RecoveryWatch(0, 500 * MS)
    seen = [e for e in journal.events() if e.t_ns <= 1100 * MS]
    watch.feed(seen)
    assert watch.cutoff(1100 * MS) == 1050 * MS
    assert watch.recovered(1100 * MS) is True
    watch.feed(journal.since(len(seen)))
    assert watch.recovered(1300 * MS) is False  # judged to 1,300 ms: the failure at 1,060 ms broke the run


def test_a_sample_hung_long_past_its_sources_usual_time_holds_the_decision() -> None:
    # A lost zone's pod still listed by its Service: writes every 100 ms take 5 ms from 0 to 5,000 ms, a 5 s
    # window; the write invoked at 5,100 ms hangs (it will fail after the revert), the one at 5,400 ms is young.
    history: list[Op] = [("write", at, 5, True) for at in range(0, 5001, 100)]
    journal, _ = _journal([*history, ("write", 5100, 1000, False), ("write", 5400, 5, True)])
    watch = RecoveryWatch(0, 5000 * MS)
    watch.feed([e for e in journal.events() if e.t_ns <= 5190 * MS])
    assert watch.cutoff(5190 * MS) == 5100 * MS and not watch.overdue(5190 * MS)  # 90 ms: not overdue yet
    assert watch.recovered(5190 * MS)  # the run before the cutoff spans 5 s
    watch.feed([e for e in journal.events() if 5190 * MS < e.t_ns <= 5450 * MS])
    # 350 ms in flight where the source's good writes take 5 ms: overdue (past the floor of one poll)
    assert watch.overdue(5450 * MS) and not watch.recovered(5450 * MS)
    watch.feed([e for e in journal.events() if e.t_ns > 5450 * MS])
    assert not watch.overdue(6200 * MS) and not watch.recovered(6200 * MS)  # it failed: the run starts again


def test_what_overdue_means_follows_the_sources_own_pace() -> None:
    # Probes that answer in 300 ms (the median; one took 450): one in flight for 1,000 ms is not overdue
    # (4 x 300 ms), one for 1,300 ms is.
    took = [100, 300, 300, 450, 300]
    history: list[Op] = [
        ("probe", at, length, True) for at, length in zip(range(0, 2001, 500), took, strict=True)
    ]
    journal, _ = _journal([*history, ("probe", 2500, 2000, True)])
    watch = RecoveryWatch(0, 1000 * MS)
    watch.feed([e for e in journal.events() if e.t_ns <= 3500 * MS])
    assert not watch.overdue(3500 * MS)
    assert watch.overdue(3801 * MS)
