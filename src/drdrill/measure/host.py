"""Whether the host running the drill was saturated, from the two samples the runner journals. Pure.

The samples (:mod:`drdrill.host`) hold the host's CPU counters since boot and its load averages; between them,
the share of all cores' time that was busy, and that a hypervisor stole, say how much CPU the drill could have
had. A saturated host does not fail a drill by itself: it is said beside the timings it may have made late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import HOST, Event, Kind
from drdrill.measure.fields import number

# Saturated: nearly every core busy over the drill, or a tenth of its time stolen by a hypervisor, or, at either
# sample, twice as many runnable tasks as cores over the last minute.
BUSY_SATURATED = 0.9
STEAL_SATURATED = 0.1
LOAD_PER_CPU_SATURATED = 2.0


@dataclass(frozen=True)
class HostLoad:
    """How busy the host was while the drill ran (between the replica up and the drain's end)."""

    cpus: int
    load_1m: float  # the higher of the two samples' one-minute load average
    busy_share: float | None  # of all cores' time, busy (None: the counters did not move)
    steal_share: float | None  # of all cores' time, stolen by a hypervisor

    @property
    def saturated(self) -> bool:
        return bool(self.why_saturated())

    def why_saturated(self) -> list[str]:
        """What made the host saturated, in words (empty when it was not)."""
        found = []
        if self.busy_share is not None and self.busy_share >= BUSY_SATURATED:
            found.append(f"its CPUs were {self.busy_share:.0%} busy")
        if self.steal_share is not None and self.steal_share >= STEAL_SATURATED:
            found.append(f"{self.steal_share:.0%} of their time was stolen by the hypervisor")
        if self.load_1m >= LOAD_PER_CPU_SATURATED * self.cpus:
            found.append(f"its load average reached {self.load_1m:.1f} on {self.cpus} CPU(s)")
        return found


def host_load(events: Sequence[Event]) -> HostLoad | None:
    """The host's load over the drill from its first and last ``host`` notes; None without two of them."""
    samples = [dict(e.data) for e in events if e.kind is Kind.NOTE and e.name == HOST]
    if len(samples) < 2:
        return None
    first, last = samples[0], samples[-1]
    cpus = number(last, "cpus")
    loads = [x for x in (number(first, "load_1m"), number(last, "load_1m")) if x is not None]
    ticks = {
        key: (number(first, key), number(last, key)) for key in ("busy_ticks", "idle_ticks", "steal_ticks")
    }
    if cpus is None or not loads or any(a is None or b is None for a, b in ticks.values()):
        return None
    delta = {key: b - a for key, (a, b) in ticks.items() if a is not None and b is not None}
    total = delta["busy_ticks"] + delta["idle_ticks"] + delta["steal_ticks"]
    return HostLoad(
        cpus=int(cpus),
        load_1m=max(loads),
        busy_share=delta["busy_ticks"] / total if total > 0 else None,
        steal_share=delta["steal_ticks"] / total if total > 0 else None,
    )
