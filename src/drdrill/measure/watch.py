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

from drdrill.journal import SUBMIT, Event, Kind, Type
from drdrill.measure.timeline import PROBE_SOURCE, WRITE_SOURCE


@dataclass
class _Source:
    last_symptom_ns: int | None = None  # invocation of the latest symptom invoked during the fault
    good: list[int] = field(default_factory=list)  # invocations of good samples after it, sorted

    def add(self, invoke_ns: int, ok: bool) -> None:
        if ok:
            if self.last_symptom_ns is None or invoke_ns > self.last_symptom_ns:
                insort(self.good, invoke_ns)
        elif self.last_symptom_ns is None or invoke_ns > self.last_symptom_ns:
            self.last_symptom_ns = invoke_ns
            del self.good[: bisect_right(self.good, invoke_ns)]

    def held_ns(self, before_ns: int) -> int:
        """How long the run of good samples after the last symptom, invoked before ``before_ns``, spans."""
        last = bisect_left(self.good, before_ns) - 1
        return self.good[last] - self.good[0] if last >= 0 else -1


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
            if event.kind is Kind.PROBE and event.process is not None:
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
            if invoked >= self._start_ns:  # only samples invoked while the fault is held count
                self._sources.setdefault(key[0], _Source()).add(invoked, event.type is Type.OK)

    def recovered(self, now_ns: int) -> bool:
        """Steady state is back by the samples invoked before ``now_ns`` (the revert, if it came now, would
        end the fault window there, and a sample invoked at the revert is not one of the fault's)."""
        hit = [s for s in self._sources.values() if s.last_symptom_ns is not None]
        if not hit:
            probes = self._sources.get(PROBE_SOURCE) or next(iter(self._sources.values()), None)
            return probes is not None and probes.held_ns(now_ns) >= self._steady_ns
        return all(s.held_ns(now_ns) >= self._steady_ns for s in hit)
