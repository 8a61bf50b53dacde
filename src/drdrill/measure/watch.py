"""The hold's stop condition, judged incrementally: each new event updates it, so a check costs O(new events).

The runner holds the fault until steady state is back, by the same rule the scorecard dates recovery with
(:func:`drdrill.measure.timeline.service_recovery`): every source (probes, writes) that showed a symptom since
the fault started has had an unbroken run of good samples, invoked after its last symptom, spanning the steady
window; when no source showed one, the probes' run since the fault must span it. Re-reading the whole journal
at every poll cost 310 ms at 138k events, longer than the poll; this keeps, per source, the last symptom's
invocation and the good invocations after it, and nothing else.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from drdrill.journal import LINK, SUBMIT, Event, Kind, Type
from drdrill.measure.timeline import PROBE_SOURCE, WRITE_SOURCE

# A sample of the fault still in flight after this many times its source's median good sample (and at least
# OVERDUE_FLOOR_NS) is overdue: until it completes the hold does not say steady state is back.
OVERDUE_FACTOR = 4
OVERDUE_FLOOR_NS = 100_000_000  # one poll of the hold
TOOK_KEPT = 64  # the latest good samples' durations kept per source

# A sample's place in the scorecard's order: by invocation, and among samples invoked at the same instant, by
# when they completed (the journal's sequence of the completion), as the scorecard's stable sort orders them.
Key = tuple[int, int]


@dataclass
class _Source:
    last_symptom: Key | None = None  # the latest settled symptom invoked during the fault
    good: list[Key] = field(default_factory=list)  # settled good samples after it, in order
    # How long its latest good samples of the fault took (ns): what "overdue" is measured against.
    took: deque[int] = field(default_factory=lambda: deque(maxlen=TOOK_KEPT))
    # Samples invoked at or after the earliest sample still in flight: a cutoff may yet fall before them, and the
    # scorecard leaves out what was invoked at or after its cutoff, so they are folded in only once settled.
    tail: list[tuple[Key, bool]] = field(default_factory=list)

    def add(self, key: Key, ok: bool) -> None:
        insort(self.tail, (key, ok))

    def settle(self, before_ns: int) -> None:
        """Fold the samples invoked before ``before_ns`` into the run: no cutoff can fall before them now."""
        cut = bisect_left(self.tail, ((before_ns, -1), False))
        for key, ok in self.tail[:cut]:
            self.last_symptom, self.good = _fold(self.last_symptom, self.good, key, ok)
        del self.tail[:cut]

    def judged(self, before_ns: int) -> tuple[Key | None, int]:
        """Of the samples invoked before ``before_ns``: the latest symptom, and how long the run of good samples
        after it spans (-1: there is none). Costs O(log settled + tail); the settled run is not copied."""
        early = [(key, ok) for key, ok in self.tail if key[0] < before_ns]
        symptom = max([self.last_symptom, *(key for key, ok in early if not ok)], key=lambda k: k or (-1, -1))
        floor = symptom or (-1, -1)
        first, end = bisect_right(self.good, floor), bisect_left(self.good, (before_ns, -1))
        ends = [key for key, ok in early if ok and key > floor]
        if first < end:  # the settled run's first and last good sample (not a copy of it)
            ends += [self.good[first], self.good[end - 1]]
        return symptom, (max(ends)[0] - min(ends)[0]) if ends else -1


def _fold(symptom: Key | None, good: list[Key], key: Key, ok: bool) -> tuple[Key | None, list[Key]]:
    """One sample into (latest symptom, good samples after it); ``good`` is changed in place."""
    if symptom is not None and key < symptom:
        return symptom, good  # a sample before the latest symptom is not part of the run after it
    if ok:
        insort(good, key)
        return symptom, good
    del good[: bisect_right(good, key)]
    return key, good


class RecoveryWatch:
    """Feed it the journal's new events; :meth:`recovered` says whether steady state is back for good."""

    def __init__(self, fault_start_ns: int, steady_window_ns: int) -> None:
        self._start_ns = fault_start_ns
        self._steady_ns = steady_window_ns
        self._pending: dict[tuple[str, str], int] = {}  # (source, key) -> invocation
        self._sources: dict[str, _Source] = {}
        self.seen = 0  # events consumed
        self._latest_ns = 0  # the latest invocation seen

    def feed(self, events: Iterable[Event]) -> None:
        for event in events:
            self.seen += 1
            if event.kind is Kind.PROBE and event.name != LINK and event.process is not None:
                key = (PROBE_SOURCE, event.process)
            elif event.kind is Kind.OP and event.name == SUBMIT and event.value is not None:
                key = (WRITE_SOURCE, event.value)
            else:
                continue
            if event.type is Type.INVOKE:
                self._pending[key] = event.t_ns
                self._latest_ns = max(self._latest_ns, event.t_ns)
                continue
            invoked = self._pending.pop(key, None)
            if invoked is None or event.type not in (Type.OK, Type.FAIL, Type.INFO):
                continue
            # A source counts once it has a sample (the probes decide when no source saw a symptom, even before
            # one of theirs ran during the fault), but only samples invoked while the fault is held are judged.
            source = self._sources.setdefault(key[0], _Source())
            if invoked >= self._start_ns:
                source.add((invoked, event.seq), event.type is Type.OK)
                if event.type is Type.OK:
                    source.took.append(event.t_ns - invoked)
        # Whatever was invoked before both the earliest sample in flight and the latest invocation is settled:
        # every cutoff from now on falls at or after that (a sample invoked later is invoked after it).
        floor = min([self._latest_ns, *(t for t in self._pending.values() if t >= self._start_ns)])
        for source in self._sources.values():
            source.settle(floor)

    def cutoff(self, now_ns: int) -> int:
        """``now_ns``, or the invocation of the earliest sample of the fault still in flight, if earlier: until a
        sample completes nobody knows whether it is a symptom, and the scorecard will judge it as one of the
        fault's when it was invoked before the revert (a probe sent 50 ms before the hold stopped, into a
        replica that was not yet steady, failed after it and made the scorecard's run of good samples short)."""
        pending = [t for t in self._pending.values() if t >= self._start_ns]
        return min(now_ns, *pending) if pending else now_ns

    def overdue(self, now_ns: int) -> bool:
        """Whether a sample of the fault is still in flight long past what its source's good samples take
        (:data:`OVERDUE_FACTOR` times their median, at least :data:`OVERDUE_FLOOR_NS`).

        The cutoff leaves such a sample out of the judgement, but the scorecard judges every sample invoked
        before the revert: a request that hangs (routed to a pod of a lost zone that the Service still lists)
        fails after the revert and breaks the run the hold stopped on. A sample merely in flight is no reason
        to wait (at a high rate one always is); one that has hung this long is.
        """
        for (source, _), invoked in self._pending.items():
            took = self._sources[source].took if source in self._sources else None
            if invoked < self._start_ns or not took:
                continue
            patience = max(OVERDUE_FLOOR_NS, OVERDUE_FACTOR * sorted(took)[len(took) // 2])
            if now_ns - invoked > patience:
                return True
        return False

    def recovered(self, now_ns: int) -> bool:
        """Steady state is back by the samples invoked before the :meth:`cutoff` (the revert, if it came now,
        would end the fault window there, and a sample invoked at the revert is not one of the fault's), and
        no sample of the fault is :meth:`overdue`."""
        return self._steady(now_ns) and not self.overdue(now_ns)

    def _steady(self, now_ns: int) -> bool:
        until = self.cutoff(now_ns)
        judged = {name: source.judged(until) for name, source in self._sources.items()}
        hit = [held for symptom, held in judged.values() if symptom is not None]
        if not hit:
            probes = judged.get(PROBE_SOURCE) or next(iter(judged.values()), None)
            return probes is not None and probes[1] >= self._steady_ns
        return all(held >= self._steady_ns for held in hit)
