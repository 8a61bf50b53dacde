"""A steady stream of writes into the system under drill, every one recorded in the journal.

Each write is an operation in Jepsen's sense: ``invoke``, then ``ok`` (the system acknowledged it), ``fail``
(it certainly did not take effect) or ``info`` (unknown: it may or may not have been stored). What counts as
which is the system contract's business (``DrillSystem.write``). The loop is bounded in count and in time.
"""

from __future__ import annotations

from collections.abc import Sequence

from drdrill.clock import Clock
from drdrill.journal import SUBMIT, Journal, Kind, Type
from drdrill.probes.observer import Observer
from drdrill.system import DrillSystem


class Workload(Observer):
    """Write units at ``rate_per_s`` until stopped, the count bound is reached, or ``max_seconds`` pass."""

    thread_name = "drdrill-workload"

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        run_id: str,
        payloads: Sequence[str],
        rate_per_s: float,
        max_seconds: float,
        concurrency: int = 8,
        offset_s: float = 0.0,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"workload rate must be positive, got {rate_per_s}")
        super().__init__(
            system,
            journal,
            clock,
            1 / rate_per_s,
            max_seconds,
            max_ticks=max(1, round(rate_per_s * max_seconds)),
            workers=concurrency,
            offset_s=offset_s,
        )
        self._run_id = run_id
        self._payloads = tuple(payloads) or ("drdrill sample payload",)

    @property
    def sent(self) -> int:
        """Writes submitted so far."""
        return self.ticks

    def tick(self, n: int) -> None:
        unit_id = f"{self._run_id}-{n - 1:06d}"
        self.journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=unit_id, process="workload")
        try:
            result = self.system.write(unit_id, self._payloads[(n - 1) % len(self._payloads)])
            outcome, detail, job = Type(result.outcome), result.detail, result.job_id
        except Exception as exc:  # Jepsen: an exception is unknown, never "failed"
            outcome, detail, job = Type.INFO, f"the write raised {type(exc).__name__}: {exc}", None
        data: dict[str, str] = {"detail": detail[:500]}
        if job is not None:
            data["job_id"] = job
        self.journal.record(Kind.OP, outcome, SUBMIT, value=unit_id, process="workload", data=data)
