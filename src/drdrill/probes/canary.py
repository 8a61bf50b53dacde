"""The steady-state probe: the system contract's ``probe`` (a write read back as done, or a health check).

Probes start every ``interval`` on a small pool, so one slow probe does not delay the next and detection
resolution stays at about one interval. The interval can go down to 50 ms: however short it is, at most
:data:`MAX_IN_FLIGHT` probes wait on the system at once (a tick that finds them all busy is skipped and
counted, never queued), so an outage in which every probe hangs until its timeout does not pile up probes,
threads or connections against the system and the drill's own HTTP pool.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Sequence

from drdrill.clock import Clock
from drdrill.journal import CANARY, Journal, Kind, Type
from drdrill.probes.observer import Observer
from drdrill.system import DrillSystem

# Eight read-back probes polling every 50 ms are at most 160 reads a second, and with the workload's 8 writers
# and the signal poll they stay inside the 32 connections the HTTP system keeps.
MAX_IN_FLIGHT = 8
SAMPLE_PAYLOAD = "drdrill sample payload"  # what probes and writes send when the system names no payloads


def payloads_of(system: DrillSystem) -> tuple[str, ...]:
    """The system's own payloads, or drdrill's sample one."""
    return tuple(system.payloads()) or (SAMPLE_PAYLOAD,)


class CappedProbe(Observer):
    """A probe every ``interval_s`` with at most :data:`MAX_IN_FLIGHT` waiting at once; the rest are skipped,
    counted, and said in one note when the probe stops."""

    note_name = "probe"

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        interval_s: float,
        timeout_s: float,
        max_seconds: float,
    ) -> None:
        # Enough threads for every probe that can be in flight at once, up to the cap, and one more so a tick
        # that finds the cap reached can say so at once instead of waiting for a thread.
        self.max_in_flight = min(MAX_IN_FLIGHT, max(2, int(timeout_s / interval_s) + 2))
        super().__init__(system, journal, clock, interval_s, max_seconds, workers=self.max_in_flight + 1)
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._in_flight = 0
        self.skipped = 0

    def stop(self) -> None:
        """Stop probing; a drill that skipped ticks says how many in its journal."""
        super().stop()
        if self.skipped:
            why = f"{self.max_in_flight} probes were already waiting on the system"
            self.journal.record(
                Kind.NOTE, Type.INFO, self.note_name, data={"skipped": self.skipped, "why": why}
            )

    def tick(self, n: int) -> None:
        with self._lock:
            if self._in_flight >= self.max_in_flight:
                self.skipped += 1
                return
            self._in_flight += 1
        try:
            self._probe(n)
        finally:
            with self._lock:
                self._in_flight -= 1

    @abstractmethod
    def _probe(self, n: int) -> None:
        """One probe, journalled as an invoke and its completion."""


class CanaryProbe(CappedProbe):
    """Run the system's probe every ``interval_s`` and record each as a probe that passed or failed."""

    thread_name = "drdrill-probe"
    label = "canary"  # in each probe's id: <run>-<label>-<n>

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        run_id: str,
        payloads: Sequence[str],
        interval_s: float,
        timeout_s: float,
        max_seconds: float,
    ) -> None:
        super().__init__(system, journal, clock, interval_s, timeout_s, max_seconds)
        self._run_id = run_id
        self._payloads = tuple(payloads)

    def _probe(self, n: int) -> None:
        probe_id = f"{self._run_id}-{self.label}-{n:05d}"
        self.journal.record(Kind.PROBE, Type.INVOKE, CANARY, process=probe_id)
        try:
            result = self.system.probe(probe_id, self._payloads[n % len(self._payloads)], self._timeout_s)
            ok, detail = result.ok, result.detail
        except Exception as exc:  # a system's probe that raises has failed, and the drill goes on
            ok, detail = False, f"the probe raised {type(exc).__name__}: {exc}"
        self.journal.record(
            Kind.PROBE, Type.OK if ok else Type.FAIL, CANARY, process=probe_id, data={"detail": detail[:500]}
        )


class WarmupProbe(CanaryProbe):
    """The same probe at a quicker pace while the warm-up waits for good probes in a row: the plan's probe
    interval sets how finely the baseline and the fault are sampled, and the warm-up does not need to wait two of
    them to learn the system answers (the steady-state probe keeps its own schedule beside it)."""

    thread_name = "drdrill-warmup-probe"
    label = "warm"
