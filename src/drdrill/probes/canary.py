"""The steady-state probe: the system contract's ``probe`` (a write read back as done, or a health check).

Probes start every ``interval`` on a small pool, so one slow probe does not delay the next and detection
resolution stays at about one interval.
"""

from __future__ import annotations

from collections.abc import Sequence

from drdrill.clock import Clock
from drdrill.journal import Journal, Kind, Type
from drdrill.probes.observer import Observer
from drdrill.system import DrillSystem

PROBE = "canary"


class CanaryProbe(Observer):
    """Run the system's probe every ``interval_s`` and record each as a probe that passed or failed."""

    thread_name = "drdrill-probe"

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
        # enough threads for every probe that can be in flight at once, so none waits for a thread
        workers = max(2, int(timeout_s / interval_s) + 2)
        super().__init__(system, journal, clock, interval_s, max_seconds, workers=workers)
        self._run_id = run_id
        self._payloads = tuple(payloads)
        self._timeout_s = timeout_s

    def tick(self, n: int) -> None:
        probe_id = f"{self._run_id}-canary-{n:05d}"
        self.journal.record(Kind.PROBE, Type.INVOKE, PROBE, process=probe_id)
        try:
            result = self.system.probe(probe_id, self._payloads[n % len(self._payloads)], self._timeout_s)
            ok, detail = result.ok, result.detail
        except Exception as exc:  # a system's probe that raises has failed, and the drill goes on
            ok, detail = False, f"the probe raised {type(exc).__name__}: {exc}"
        self.journal.record(
            Kind.PROBE, Type.OK if ok else Type.FAIL, PROBE, process=probe_id, data={"detail": detail[:500]}
        )
