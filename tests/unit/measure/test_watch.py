"""The hold's incremental stop condition agrees with the scorecard's own recovery rule on any history."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drdrill.clock import FakeClock
from drdrill.journal import SUBMIT, Journal, Kind, Type
from drdrill.measure.timeline import FaultWindow, all_samples, service_recovery
from drdrill.measure.watch import RecoveryWatch

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
def test_the_watch_says_recovered_exactly_when_the_scorecards_rule_does(
    history: list[Op], start: int, steady: int, now: int
) -> None:
    journal, _ = _journal(history)
    events = [e for e in journal.events() if e.t_ns <= now * MS]  # what the hold has seen by now
    expected = service_recovery(all_samples(events), FaultWindow(start * MS, None), steady * MS, now * MS)

    watch = RecoveryWatch(start * MS, steady * MS)
    half = len(events) // 2
    watch.feed(events[:half])  # fed in two polls: the answer cannot depend on where the polls fell
    watch.feed(events[half:])

    assert watch.recovered(now * MS) is (expected.recovered_at_ns is not None)
    assert watch.seen == len(events)


def test_a_late_symptom_invoked_among_good_samples_cuts_their_run_when_it_completes() -> None:
    # good probes every 100 ms from 100 ms; the one invoked at 450 ms hangs until 900 ms and fails
    good: list[Op] = [("probe", t, 10, True) for t in (100, 200, 300, 400, 500, 600, 700, 800)]
    journal, _ = _journal([*good, ("probe", 450, 450, False)])
    watch = RecoveryWatch(0, 500 * MS)
    early = [e for e in journal.events() if e.t_ns < 850 * MS]
    watch.feed(early)
    assert watch.recovered(850 * MS)  # as far as the samples say yet, good from 100 to 800 ms: 700 ms
    watch.feed(journal.since(len(early)))
    assert not watch.recovered(950 * MS)  # the failure came in: the run after 450 ms spans only 300 ms
