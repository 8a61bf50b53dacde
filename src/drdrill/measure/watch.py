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
from collections.abc import Iterable
from dataclasses import dataclass, field

from drdrill.journal import LINK, SUBMIT, Event, Kind, Type
from drdrill.measure.timeline import PROBE_SOURCE, WRITE_SOURCE

# A sample's place in the scorecard's order: by invocation, and among samples invoked at the same instant, by
# when they completed (the journal's sequence of the completion), as the scorecard's stable sort orders them.
Key = tuple[int, int]


@dataclass
class _Source:
    last_symptom: Key | None = None  # the latest symptom invoked during the fault
    good: list[Key] = field(default_factory=list)  # good samples after it, in order

    def add(self, key: Key, ok: bool) -> None:
        if self.last_symptom is not None and key < self.last_symptom:
            return  # a sample before the latest symptom is not part of the run after it
        if ok:
            insort(self.good, key)
        else:
            self.last_symptom = key
            del self.good[: bisect_right(self.good, key)]

    def held_ns(self, before_ns: int) -> int:
        """How long the run of good samples after the last symptom, invoked before ``before_ns``, spans."""
        last = bisect_left(self.good, (before_ns, -1)) - 1
        return self.good[last][0] - self.good[0][0] if last >= 0 else -1


class RecoveryWatch:
    """Feed it the journal's new events; :meth:`recovered` says whether steady state is back for good."""

    def __init__(self, fault_start_ns: int, steady_window_ns: int) -> None:
        self._start_ns = fault_start_ns
        self._steady_ns = steady_window_ns
        self._pending: dict[tuple[str, str], int] = {}  # (source, key) -> invocation
        self._sources: dict[str, _Source] = {}
        self.seen = 0  # events consumed

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
                continue
            invoked = self._pending.pop(key, None)
            if invoked is None or event.type not in (Type.OK, Type.FAIL, Type.INFO):
                continue
            # A source counts once it has a sample (the probes decide when no source saw a symptom, even before
            # one of theirs ran during the fault), but only samples invoked while the fault is held are judged.
            source = self._sources.setdefault(key[0], _Source())
            if invoked >= self._start_ns:
                source.add((invoked, event.seq), event.type is Type.OK)

    def cutoff(self, now_ns: int) -> int:
        """``now_ns``, or the invocation of the earliest sample of the fault still in flight, if earlier: until a
        sample completes nobody knows whether it is a symptom, and the scorecard will judge it as one of the
        fault's when it was invoked before the revert (a probe sent 50 ms before the hold stopped, into a
        replica that was not yet steady, failed after it and made the scorecard's run of good samples short)."""
        pending = [t for t in self._pending.values() if t >= self._start_ns]
        return min(now_ns, *pending) if pending else now_ns

    def recovered(self, now_ns: int) -> bool:
        """Steady state is back by the samples invoked before the :meth:`cutoff` (the revert, if it came now,
        would end the fault window there, and a sample invoked at the revert is not one of the fault's)."""
        until = self.cutoff(now_ns)
        hit = [s for s in self._sources.values() if s.last_symptom is not None]
        if not hit:
            probes = self._sources.get(PROBE_SOURCE) or next(iter(self._sources.values()), None)
            return probes is not None and probes.held_ns(until) >= self._steady_ns
        return all(s.held_ns(until) >= self._steady_ns for s in hit)
