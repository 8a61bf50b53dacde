"""Pure functions from journal events to detection and recovery times, each with its bound. No I/O, no clock.

Every completed operation of the history is a *sample* of the service: a steady-state probe, and each write
of the workload (acknowledged: the service worked; failed or timed out: a symptom). A sample says the service
was in that state at some instant between its invocation and its completion, no more, so every time taken
from samples is known only between two of them: the bounds below say where.

Probes and writes travel different paths (a help desk may acknowledge tickets while its responder is down),
so a good write says nothing about the path a probe failed on. Each source bounds only its own path: the
first symptom of any source dates detection, and the service has recovered once every source that showed a
symptom has recovered. A source that never showed one (writes through a fault that only stops processing)
neither dates nor bounds recovery.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from drdrill.journal import LINK, PREVIOUS_POLL, SUBMIT, Event, Kind, Type

PROBE_SOURCE = "probe"
WRITE_SOURCE = "write"


@dataclass(frozen=True)
class Sample:
    """One completed operation: a probe or a write, good (``ok``) or a symptom."""

    invoke_ns: int
    complete_ns: int
    ok: bool
    detail: str = ""
    source: str = PROBE_SOURCE


ProbeResult = Sample  # a probe's sample; the name callers of :func:`probe_results` know


@dataclass(frozen=True)
class Bounded:
    """A time with the uncertainty its sampling leaves: the true value lies in [value - minus, value + plus]."""

    value_ns: int
    minus_ns: int = 0
    plus_ns: int = 0


@dataclass(frozen=True)
class FaultWindow:
    """When the disaster was in place: from the first fault applied to the last fault reverted."""

    start_ns: int
    end_ns: int | None  # None while the fault is still held


def _paired(events: Sequence[Event], source: str, links: bool = False) -> list[Sample]:
    """Operations of one source paired invoke -> completion, in invocation order; pending ones are left out.

    Probes (the steady-state probes, or with ``links`` the ``link`` probes of a component's link) are keyed by
    their process, writes by their value (the unit's id).
    """
    started: dict[str, int] = {}
    found: list[Sample] = []
    for event in events:
        if source == PROBE_SOURCE:
            wanted = event.kind is Kind.PROBE and (event.name == LINK) is links
            key = event.process if wanted else None
        else:
            key = event.value if event.kind is Kind.OP and event.name == SUBMIT else None
        if key is None:
            continue
        if event.type is Type.INVOKE:
            started[key] = event.t_ns
        elif key in started and event.type in (Type.OK, Type.FAIL, Type.INFO):
            found.append(
                Sample(
                    invoke_ns=started.pop(key),
                    complete_ns=event.t_ns,
                    ok=event.type is Type.OK,
                    detail=str(event.data.get("detail", "")),
                    source=source,
                )
            )
    found.sort(key=lambda sample: sample.invoke_ns)
    return found


def probe_results(events: Sequence[Event]) -> list[ProbeResult]:
    """Pair probe invocations with their completions, in invocation order; pending probes are left out."""
    return _paired(events, PROBE_SOURCE)


def within(probes: Sequence[Sample], start_ns: int, end_ns: int | None) -> list[Sample]:
    """The probes a phase owns: invoked at or after its start, finished by its end (None: not ended). One
    still running at the end may fail because of what came next, and says nothing about the phase; the
    warm-up's probes, invoked before it, judged nothing. The runner's steady-state check before the fault and
    the baseline verdict read the same rule."""
    return [p for p in probes if p.invoke_ns >= start_ns and (end_ns is None or p.complete_ns <= end_ns)]


def link_samples(events: Sequence[Event]) -> dict[str, list[Sample]]:
    """drdrill's own requests through each component's link, by component (the journal's ``link`` probes)."""
    components = sorted({e.value for e in events if e.kind is Kind.PROBE and e.name == LINK and e.value})
    return {
        component: _paired([e for e in events if e.name != LINK or e.value == component], PROBE_SOURCE, True)
        for component in components
    }


def write_samples(events: Sequence[Event]) -> list[Sample]:
    """Each completed workload write as a sample: acknowledged is good, failed or unknown (a timeout) is not.

    A write that never completed says nothing about when the service broke, so it is left out.
    """
    return _paired(events, WRITE_SOURCE)


def all_samples(events: Sequence[Event]) -> list[Sample]:
    """Every probe and every write of the history, in invocation order: what detection and recovery read."""
    return sorted([*probe_results(events), *write_samples(events)], key=lambda s: s.invoke_ns)


def fault_window(events: Sequence[Event]) -> FaultWindow | None:
    """The span the faults were applied, or None when no fault was applied."""
    start: int | None = None
    end: int | None = None
    active = 0
    for event in events:
        if event.kind is not Kind.FAULT:
            continue
        if event.type is Type.START:
            if start is None:
                start = event.t_ns
            active += 1
            end = None
        elif event.type is Type.END and start is not None:
            active -= 1
            if active <= 0:
                end = event.t_ns
    if start is None:
        return None
    return FaultWindow(start_ns=start, end_ns=end)


def phase_span(events: Sequence[Event], name: str) -> tuple[int, int | None] | None:
    """Start and end of a runner phase (end None while it runs)."""
    start: int | None = None
    for event in events:
        if event.kind is Kind.PHASE and event.name == name:
            if event.type is Type.START:
                start = event.t_ns
            elif event.type is Type.END and start is not None:
                return start, event.t_ns
    return None if start is None else (start, None)


def time_to_detect(
    probes: Sequence[ProbeResult],
    fault_start_ns: int,
    fault_end_ns: int | None = None,
    slow_after_ns: int | None = None,
) -> int | None:
    """Nanoseconds from the fault to its first symptom seen by a probe (None: never seen).

    A symptom is a probe that failed (seen when it completed) or, when ``slow_after_ns`` is given, a probe still
    unanswered ``slow_after_ns`` after it started (seen at that moment, even if it succeeded later). A probe
    started after the fault was reverted says nothing about the fault, so it is not counted.
    """
    seen: list[int] = []
    for p in probes:
        if fault_end_ns is not None and p.invoke_ns >= fault_end_ns:
            continue
        if not p.ok:
            seen.append(p.complete_ns)
        if slow_after_ns is not None and p.complete_ns - p.invoke_ns > slow_after_ns:
            seen.append(p.invoke_ns + slow_after_ns)
    after = [t for t in seen if t >= fault_start_ns]
    return min(after) - fault_start_ns if after else None


def _by_source(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    sources: dict[str, list[Sample]] = {}
    for s in samples:
        sources.setdefault(s.source, []).append(s)
    return sources


def detection(
    samples: Sequence[Sample],
    window: FaultWindow,
    slow_after_ns: int | None = None,
) -> Bounded | None:
    """Time from the fault to its first symptom, with where the service really broke (None: never seen).

    The first symptom is :func:`time_to_detect` over every sample (a slow write is no symptom: the latency
    threshold is the probes'). It completed at B, so the service broke by B. A source's path broke after the
    last good sample of that source that surely came before its first symptom (completed before the
    symptom's invocation), and not before the fault; the service broke when the first path did. So the onset
    lies in [the earliest of those, B]: ``minus`` is that span, ``plus`` is 0.
    """
    firsts = [
        found
        for group in _by_source(samples).values()
        if (found := _first_symptom(group, window, slow_after_ns)) is not None
    ]
    if not firsts:
        return None
    first_ns = min(seen for seen, _ in firsts)
    onset_from = min(min(since, first_ns) for _, since in firsts)
    return Bounded(first_ns - window.start_ns, minus_ns=first_ns - onset_from)


def _first_symptom(
    samples: Sequence[Sample], window: FaultWindow, slow_after_ns: int | None
) -> tuple[int, int] | None:
    """(when the first symptom was seen, the earliest the path could have broken) for one source."""
    seen: list[tuple[int, int]] = []  # (seen at, invoked at) of each symptom
    for s in samples:
        if window.end_ns is not None and s.invoke_ns >= window.end_ns:
            continue
        if not s.ok:
            seen.append((s.complete_ns, s.invoke_ns))
        if (
            slow_after_ns is not None
            and s.source == PROBE_SOURCE
            and s.complete_ns - s.invoke_ns > slow_after_ns
        ):
            seen.append((s.invoke_ns + slow_after_ns, s.invoke_ns))
    after = [pair for pair in seen if pair[0] >= window.start_ns]
    if not after:
        return None
    first_ns, first_invoked = min(after)
    good_before = [s.invoke_ns for s in samples if s.ok and s.complete_ns <= first_invoked]
    return first_ns, max([window.start_ns, *good_before])


def longest_unseen_ns(samples: Sequence[Sample], start_ns: int, end_ns: int) -> int:
    """The longest outage inside [start_ns, end_ns] that could hide from the samples, source by source.

    An outage of one path hides from that path's samples only, so the answer is the widest over the sources
    that sampled the span (a source with no sample in it, writes that had stopped, is the no-vacuous-pass
    minimums' business). With no sample at all, the whole span could have been an outage.
    """
    sampled = [
        group
        for group in _by_source(samples).values()
        if any(start_ns <= s.invoke_ns < end_ns for s in group)
    ]
    return max((_unseen_ns(group, start_ns, end_ns) for group in sampled), default=end_ns - start_ns)


def _unseen_ns(samples: Sequence[Sample], start_ns: int, end_ns: int) -> int:
    """The longest outage inside [start_ns, end_ns] that the good samples invoked there could all have missed.

    A good sample only says the service worked at some instant of [invocation, completion]. An outage (a, b)
    goes unseen when every good sample could have worked outside it: invoked by a, or completed from b on.
    For each a (the start, or an invocation) the longest such b is the earliest completion of the samples
    invoked after a (or the end), so the answer is the widest of those spans.
    """
    good = sorted(
        (s for s in samples if s.ok and start_ns <= s.invoke_ns < end_ns), key=lambda s: s.invoke_ns
    )
    invokes = [s.invoke_ns for s in good]
    earliest_after = [end_ns] * (len(good) + 1)  # earliest completion among good[i:], capped at the end
    for i in range(len(good) - 1, -1, -1):
        earliest_after[i] = min(good[i].complete_ns, earliest_after[i + 1])
    widest = 0
    for a in [start_ns, *invokes]:
        b = earliest_after[bisect_right(invokes, a)]
        widest = max(widest, min(b, end_ns) - a)
    return widest


def median_latency(probes: Sequence[ProbeResult]) -> int | None:
    """Median time a good probe took, the baseline that "slow" is measured against."""
    latencies = sorted(p.complete_ns - p.invoke_ns for p in probes if p.ok)
    return latencies[(len(latencies) - 1) // 2] if latencies else None  # the lower median


@dataclass(frozen=True)
class Recovery:
    """Where steady state came back for good, as seen by the samples."""

    recovered_at_ns: int | None  # when the final unbroken good run was first seen working, if it lasted
    held_ns: int  # how long that final run lasted, by invocation times (0 when there is none)
    broken_until_ns: int | None = None  # the last symptom's invocation before the run: recovery came after it
    interrupted: bool = True  # a sample during the fault was a symptom (False: none was)
    # completion times of the final run's samples, in order, one tuple per source that had to recover: for
    # re-dating after a failover (a detail, not compared)
    runs: tuple[tuple[int, ...], ...] = field(default=(), compare=False)
    # when every source that had to recover was seen working again (the latest of them); recovered_at_ns is the
    # earliest good sample after the last symptom of any source, so the true instant lies between the two
    confirmed_at_ns: int | None = None


def recovery_point(
    probes: Sequence[Sample], window: FaultWindow, steady_window_ns: int, now_ns: int | None = None
) -> Recovery:
    """Find the final run of good samples during the fault and check it lasted ``steady_window_ns``.

    Steady state must come back and stay until the fault is reverted (or until ``now_ns`` while the fault is
    still held), so a system that flaps back into failure has not recovered. Only samples invoked while the
    fault was in place count, so recovery is never dated before the fault. Recovery is dated at the earliest
    completion in the run: that is when the service was seen working again (a sample started during the
    outage may succeed only once it is over). It came after the last symptom's invocation, which is the
    bound on the other side.
    """
    end_ns = window.end_ns if window.end_ns is not None else now_ns
    during = [
        p for p in probes if p.invoke_ns >= window.start_ns and (end_ns is None or p.invoke_ns < end_ns)
    ]
    run: list[Sample] = []
    for probe in reversed(during):
        if not probe.ok:
            break
        run.append(probe)
    broken = during[len(during) - len(run) - 1].invoke_ns if len(run) < len(during) else None
    interrupted = broken is not None
    if not run:
        return Recovery(recovered_at_ns=None, held_ns=0, broken_until_ns=broken, interrupted=interrupted)
    run_start = run[-1].invoke_ns
    held = run[0].invoke_ns - run_start
    completions = tuple(sorted(p.complete_ns for p in run))
    if held < steady_window_ns:
        return Recovery(None, held, broken, interrupted, (completions,))
    return Recovery(completions[0], held, broken, interrupted, (completions,))


def service_recovery(
    samples: Sequence[Sample], window: FaultWindow, steady_window_ns: int, now_ns: int | None = None
) -> Recovery:
    """:func:`recovery_point` of the whole service: every source that showed a symptom must have recovered.

    Recovery is dated when the last of them came back, after the last of their symptoms; a source that saw
    none (writes, when the fault stops only processing) says nothing about it. When no source saw a symptom,
    the probes (the plan's steady state) say whether steady state held, and nothing was interrupted.
    """
    found = {
        source: recovery_point(group, window, steady_window_ns, now_ns)
        for source, group in _by_source(samples).items()
    }
    hit = [r for r in found.values() if r.interrupted]
    if not hit:
        quiet = found.get(PROBE_SOURCE) or next(iter(found.values()), Recovery(None, 0))
        return replace(quiet, interrupted=False)
    broken = max(r.broken_until_ns for r in hit if r.broken_until_ns is not None)
    held = min(r.held_ns for r in hit)
    runs = tuple(run for r in hit for run in r.runs)
    if any(r.recovered_at_ns is None for r in hit):
        return Recovery(None, held, broken, True, runs)
    confirmed = max(r.recovered_at_ns for r in hit if r.recovered_at_ns is not None)
    # Every sample of a hit source invoked after the last symptom (of any of them) was good: the first of them
    # to come back is the earliest the service can be said to work again, and the last source's return
    # confirms it. The true recovery lies between the two (the + of its bound).
    hit_sources = {source for source, r in found.items() if r.interrupted}
    end_ns = window.end_ns if window.end_ns is not None else now_ns
    after = [
        x.complete_ns
        for x in samples
        if x.source in hit_sources
        and x.ok
        and x.invoke_ns > broken
        and (end_ns is None or x.invoke_ns < end_ns)
    ]
    earliest = min(after, default=confirmed)
    return Recovery(min(earliest, confirmed), held, broken, True, runs, confirmed_at_ns=confirmed)


def first_signal_after(
    events: Sequence[Event], name: str, value: str, after_ns: int, before_ns: int | None = None
) -> int | None:
    """Time of the first system signal ``name == value`` at or after ``after_ns`` (and before ``before_ns``)."""
    for event in events:
        if (
            event.kind is Kind.SIGNAL
            and event.name == name
            and event.value == value
            and event.t_ns >= after_ns
        ):
            return event.t_ns if before_ns is None or event.t_ns < before_ns else None
    return None


def signal_change(
    events: Sequence[Event], name: str, value: str, after_ns: int, before_ns: int | None = None
) -> Bounded | None:
    """When the system's signal ``name`` first said ``value`` after ``after_ns``, counted from ``after_ns``.

    The signal is polled, so the change happened after the poll before the one that saw it (the observer
    journals when that poll began) and not before ``after_ns``: that is ``minus``. A journal without the
    previous poll's time bounds the change by ``after_ns`` alone.
    """
    for event in events:
        if (
            event.kind is Kind.SIGNAL
            and event.name == name
            and event.value == value
            and event.t_ns >= after_ns
        ):
            if before_ns is not None and event.t_ns >= before_ns:
                return None
            previous = event.data.get(PREVIOUS_POLL)
            since = max(after_ns, int(previous)) if isinstance(previous, int) else after_ns
            return Bounded(event.t_ns - after_ns, minus_ns=event.t_ns - min(since, event.t_ns))
    return None


@dataclass(frozen=True)
class Criterion:
    """A detection criterion of the plan, at staging time scale, on the samples of what it names.

    ``error_rate``: the share of failed probes among those that finished in the window is above ``above``.
    ``latency``: the median latency of the probes started in the window is above ``factor`` times the
    baseline median (a probe still running counts as slow once it has waited that long).
    ``component``: None measures it on the system's steady-state probes; a component's name measures it on
    drdrill's own requests through that component's link (``link`` probes), so "error rate of llm-main" is
    llm-main's, not the whole system's.
    """

    metric: str  # "error_rate" | "latency", or a pass/fail metric measured on ``signal``
    window_ns: int
    above: float | None = None
    factor: float | None = None
    description: str = ""
    component: str | None = None
    measured_on: str = "the system's steady-state probes"
    signal: str | None = None  # a signal of the system: the criterion holds while it is not normal


@dataclass(frozen=True)
class SignalState:
    """A system signal as a poll saw it change: at ``t_ns`` it was ``normal`` or not; the change happened after
    ``since_ns`` (the poll before), so it is known to the poll interval."""

    t_ns: int
    normal: bool
    since_ns: int


def signal_states(events: Sequence[Event]) -> dict[str, list[SignalState]]:
    """Each signal's changes, in journal order (a signal's value is journalled only when it changes)."""
    found: dict[str, list[SignalState]] = {}
    for event in events:
        if event.kind is Kind.SIGNAL:
            previous = event.data.get(PREVIOUS_POLL)
            since = int(previous) if isinstance(previous, int) else event.t_ns
            state = SignalState(event.t_ns, event.value == "normal", min(since, event.t_ns))
            found.setdefault(event.name, []).append(state)
    return found


def _signal_holds(states: Sequence[SignalState], since: int, t: int) -> bool:
    """The signal was seen not normal at ``since`` at the latest and stayed so through ``t``."""
    current: SignalState | None = None
    for state in states:
        if state.t_ns > t:
            break
        if current is None or current.normal != state.normal:
            current = state
    return current is not None and not current.normal and current.t_ns <= since


def signal_lag_ns(events: Sequence[Event], names: Sequence[str]) -> int:
    """The widest gap between a change of one of ``names`` and the poll before it: how much earlier than seen
    a criterion on those signals may really have held."""
    return max(
        (s.t_ns - s.since_ns for name in names for s in signal_states(events).get(name, ())),
        default=0,
    )


def checks_cleared(
    window: FaultWindow, names: Sequence[str], signals: Mapping[str, Sequence[SignalState]]
) -> tuple[Bounded | None, tuple[str, ...]]:
    """When the system's own checks that flagged the failure (``names``: signals the plan's criteria read) all
    said normal again, from the fault's start, and stayed so up to the revert; and the names of the checks
    that flagged it. (None, flagged) when one still flagged it at the revert; (None, ()) when none ever did.

    A failure the probes never see (a model answering worse, corrupted rows still served) recovers when the
    system's own check clears: the change happened after the poll before the one that saw it.
    """
    start, end = window.start_ns, window.end_ns
    flagged: list[str] = []
    latest: SignalState | None = None
    for name in dict.fromkeys(names):
        states = [s for s in signals.get(name, ()) if end is None or s.t_ns <= end]
        before = [s for s in states if s.t_ns < start]
        during = [s for s in states if s.t_ns >= start]
        at_start = before[-1] if before else None
        if all(s.normal for s in during) and (at_start is None or at_start.normal):
            continue  # this check never flagged the failure
        flagged.append(name)
        cleared: SignalState | None = None
        for state in during:
            if not state.normal:
                cleared = None
            elif cleared is None:
                cleared = state
        if cleared is None:
            return None, tuple(flagged)
        if latest is None or cleared.t_ns > latest.t_ns:
            latest = cleared
    if latest is None:
        return None, ()
    return Bounded(latest.t_ns - start, minus_ns=latest.t_ns - max(start, latest.since_ns)), tuple(flagged)


GRID_NS = 50_000_000  # criteria are evaluated every 50 ms, finer than any probe interval


class _Counts:
    """One criterion's samples, sorted so that the samples of any window are counted by bisection.

    The criterion is checked at every 50 ms step of the fault: counting by scanning every sample at every step
    cost O(steps x samples), minutes on a long drill at a fast probe interval; this costs O(log samples).
    """

    def __init__(self, criterion: Criterion, samples: Sequence[Sample], baseline_ns: int | None) -> None:
        self.window_ns = criterion.window_ns
        self.above: float | None = None  # an error-rate criterion's share
        self.latency = False
        # error rate: completions, and those that failed; latency: when each probe was seen fast (it finished
        # in time) or slow (the moment it had waited past the threshold)
        self.first: list[int] = []
        self.second: list[int] = []
        if criterion.metric == "error_rate" and criterion.above is not None:
            self.above = criterion.above
            self.first = sorted(s.complete_ns for s in samples)
            self.second = sorted(s.complete_ns for s in samples if not s.ok)
        elif criterion.metric == "latency" and criterion.factor is not None and baseline_ns:
            self.latency = True
            threshold = round(criterion.factor * baseline_ns)
            self.first = sorted(s.complete_ns for s in samples if s.complete_ns - s.invoke_ns <= threshold)
            self.second = sorted(
                s.invoke_ns + threshold for s in samples if s.complete_ns - s.invoke_ns > threshold
            )

    def holds(self, t: int) -> bool:
        """Whether the criterion holds over the window ending at ``t``, on the outcomes known in it."""
        since = t - self.window_ns
        first = bisect_right(self.first, t) - bisect_right(self.first, since)  # in (since, t]
        second = bisect_right(self.second, t) - bisect_right(self.second, since)
        if self.above is not None:
            return first > 0 and second / first > self.above
        # The median is above the threshold when more probes were seen slow than fast in the window.
        return self.latency and second > first


def time_to_detect_by_criteria(
    probes: Sequence[ProbeResult],
    window: FaultWindow,
    criteria: Sequence[Criterion],
    baseline_ns: int | None,
    match_all: bool = False,
    links: Mapping[str, Sequence[Sample]] | None = None,
    link_baselines: Mapping[str, int | None] | None = None,
    signals: Mapping[str, Sequence[SignalState]] | None = None,
) -> int | None:
    """Nanoseconds from the fault until the plan's criteria first held over a whole window of the fault.

    Windows start at the fault at the earliest, so a criterion holds only on what the fault caused; they end
    at the revert at the latest. ``match_all`` wants every criterion at once, else any one is enough. A
    criterion on a component is judged on that component's ``links`` samples against its own baseline; one on
    a signal of the system, on that signal's ``signals`` states (it holds while the signal is not normal).
    """
    usable = [c for c in criteria if c.signal is not None or c.metric in ("error_rate", "latency")]
    links = links or {}
    link_baselines = link_baselines or {}
    signals = signals or {}

    def source(c: Criterion) -> tuple[Sequence[Sample], int | None]:
        if c.component is None or c.signal is not None:
            return probes, baseline_ns
        return links.get(c.component, ()), link_baselines.get(c.component)

    sources = [source(c) for c in usable]
    seen = [s.complete_ns for samples, _ in sources for s in samples]
    on_signals = [c.signal for c in usable if c.signal is not None]
    if on_signals:
        # A signal is journalled only when it changes: one still not normal holds for as long as the drill
        # was watching, which the probes' completions say.
        seen += [state.t_ns for name in on_signals for state in signals.get(name, ())]
        seen += [p.complete_ns for p in probes]
    if not usable or not seen:
        return None
    last = max(seen)
    end = min(last, window.end_ns) if window.end_ns is not None else last
    counts = [
        None if c.signal is not None else _Counts(c, samples, baseline)
        for c, (samples, baseline) in zip(usable, sources, strict=True)
    ]
    t = window.start_ns + min(c.window_ns for c in usable)
    while t <= end:
        held = [
            t - c.window_ns >= window.start_ns
            and (
                k.holds(t)
                if k is not None
                else _signal_holds(signals.get(c.signal or "", ()), t - c.window_ns, t)
            )
            for c, k in zip(usable, counts, strict=True)
        ]
        if all(held) if match_all else any(held):
            return t - window.start_ns
        t += GRID_NS
    return None
