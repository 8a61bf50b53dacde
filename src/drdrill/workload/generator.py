"""The load generator: writes into the system under drill on a fixed schedule, every one recorded in the journal.

Each write is an operation in Jepsen's sense: ``invoke``, then ``ok`` (the system acknowledged it), ``fail``
(it certainly did not take effect) or ``info`` (unknown: it may or may not have been stored). What counts as
which is the system contract's business (:meth:`DrillSystem.write`).

The workload is an open model: each write starts at its due time whatever the system's latency, as real
clients keep arriving while a system is slow. A closed loop (a few writers, each waiting for its answer before
the next write) would start writes late exactly when the system is slow, sparing it the load a drill is about
and sampling it least when it matters (coordinated omission). Here the schedule's thread only hands each write
over as it falls due: to the workload's event loop when the system writes asynchronously
(:class:`~drdrill.system.AsyncWrites`, as the HTTP system does), else to a bounded pool of threads. At most
``max_in_flight`` writes wait on the system at once; a write due when that many are in flight is refused by
drdrill, counted, and said in the journal, never queued (a queued write would start late). Each invoke records
when it was due, so the scorecard states how late writes started and how many were refused.

While the schedule runs, the objects that were alive before it (the plan, its models, every module the drill
imported) are set aside from Python's cyclic garbage collector (:func:`gc.freeze`): a full collection that
walked them paused every thread of the process for 64 to 90 ms at 1,000 writes a second, and each write due in
that pause started that late. They are handed back when the workload stops.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor

from drdrill.clock import Clock, EventLoop
from drdrill.journal import DUE, SUBMIT, WORKLOAD, Journal, Kind, Type
from drdrill.probes.canary import SAMPLE_PAYLOAD
from drdrill.probes.observer import Observer
from drdrill.system import MAX_WRITES_IN_FLIGHT, AsyncWrites, DrillSystem, WriteResult

# A system that writes only synchronously gets this many threads, each waiting on one write.
MAX_WRITER_THREADS = 64
STOP_TIMEOUT_S = 30.0  # how long stopping waits for the writes in flight (each bounded by its own timeout)
_DRAIN_POLL_S = 0.01


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
        max_in_flight: int | None = None,
        offset_s: float = 0.0,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"workload rate must be positive, got {rate_per_s}")
        # The schedule's own thread runs each tick inline: a tick only hands its write over, so it never waits.
        super().__init__(
            system,
            journal,
            clock,
            1 / rate_per_s,
            max_seconds,
            max_ticks=max(1, round(rate_per_s * max_seconds)),
            workers=0,
            offset_s=offset_s,
        )
        self.rate_per_s = rate_per_s
        self.writes_async = isinstance(system, AsyncWrites)
        default = MAX_WRITES_IN_FLIGHT if self.writes_async else MAX_WRITER_THREADS
        self.max_in_flight = max_in_flight if max_in_flight is not None else default
        self._run_id = run_id
        self._payloads = tuple(payloads) or (SAMPLE_PAYLOAD,)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.refused = 0
        self.first_refused_ns: int | None = None
        self.last_refused_ns: int | None = None
        self._events: EventLoop | None = None
        self._pool: Executor | None = None
        self._write_async_to: Callable[[str, str], Awaitable[WriteResult]] = _no_async_writes
        self._stopped = False

    @property
    def sent(self) -> int:
        """Writes due so far (started or refused)."""
        return self.ticks

    def start(self) -> None:
        if isinstance(self.system, AsyncWrites):
            # The schedule runs on the event loop too: each write begins on the thread that fires its tick.
            self._events = self.clock.event_loop(self.thread_name)
            self._write_async_to = self.system.write_async
            self._start_on(self._events.drive)
        else:
            self._pool = self.clock.executor(self.max_in_flight, self.thread_name)
            super().start()
        schedule = {
            "rate_per_s": self.rate_per_s,
            "first_due_ns": self.due_ns(1),
            "interval_ns": self.due_ns(2) - self.due_ns(1),
            "max_in_flight": self.max_in_flight,
            "mode": "async" if self.writes_async else "threads",
        }
        self.journal.record(Kind.NOTE, Type.START, WORKLOAD, data=schedule)
        _COLLECTOR.enter()  # once started: a start that raised leaves nothing set aside for a stop to hand back

    def stop(self) -> None:
        """Start no more writes, wait for those in flight, and journal what could not start."""
        if self._stopped:
            return
        self._stopped = True
        super().stop()
        if self._events is not None:
            self._events.start(self._close_async())
            self._events.close(STOP_TIMEOUT_S)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        data: dict[str, object] = {"scheduled": self.ticks, "refused": self.refused}
        if self.first_refused_ns is not None:
            data["first_refused_ns"], data["last_refused_ns"] = self.first_refused_ns, self.last_refused_ns
        self.journal.record(Kind.NOTE, Type.END, WORKLOAD, data=data)
        _COLLECTOR.leave()

    def tick(self, n: int) -> None:
        due = self.due_ns(n)
        with self._lock:
            if self._in_flight >= self.max_in_flight:
                self.refused += 1
                self.last_refused_ns = self.clock.monotonic_ns()
                if self.first_refused_ns is None:
                    self.first_refused_ns = self.last_refused_ns
                return
            self._in_flight += 1
        if self._events is not None:
            self._events.start(self._write_async(n, due))
        elif self._pool is not None:
            self._pool.submit(self._write, n, due)

    def _unit(self, n: int) -> tuple[str, str]:
        return f"{self._run_id}-{n - 1:06d}", self._payloads[(n - 1) % len(self._payloads)]

    def _write(self, n: int, due_ns: int) -> None:
        unit_id, payload = self._unit(n)
        self._invoked(unit_id, due_ns)
        try:
            result = self.system.write(unit_id, payload)
        except Exception as exc:  # Jepsen: an exception is unknown, never "failed"
            result = _raised(exc)
        self._completed(unit_id, result)

    async def _write_async(self, n: int, due_ns: int) -> None:
        unit_id, payload = self._unit(n)
        self._invoked(unit_id, due_ns)
        try:
            result = await self._write_async_to(unit_id, payload)
        except Exception as exc:
            result = _raised(exc)
        self._completed(unit_id, result)

    def _invoked(self, unit_id: str, due_ns: int) -> None:
        self.journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=unit_id, process=WORKLOAD, data={DUE: due_ns})

    def _completed(self, unit_id: str, result: WriteResult) -> None:
        try:
            outcome, detail, job = Type(result.outcome), result.detail, result.job_id
        except (ValueError, AttributeError) as exc:
            outcome, detail, job = (
                Type.INFO,
                f"the write answered {result!r}, not a WriteResult ({exc})",
                None,
            )
        data: dict[str, str] = {"detail": detail[:500]}
        if job is not None:
            data["job_id"] = job
        try:
            self.journal.record(Kind.OP, outcome, SUBMIT, value=unit_id, process=WORKLOAD, data=data)
        finally:
            with self._lock:
                self._in_flight -= 1

    async def _close_async(self) -> None:
        """Once the writes in flight are done, let the system release what its async writes opened."""
        while True:
            with self._lock:
                if self._in_flight == 0:
                    break
            await self.clock.sleep_async(_DRAIN_POLL_S)
        if isinstance(self.system, AsyncWrites):
            try:
                await self.system.close_async()
            except Exception as exc:  # the writes are all journalled; a close that fails is only noted
                self.journal.record(
                    Kind.NOTE, Type.FAIL, WORKLOAD, data={"close": f"{type(exc).__name__}: {exc}"[:300]}
                )


async def _no_async_writes(unit_id: str, payload: str) -> WriteResult:
    raise RuntimeError("the system has no write_async")


def _raised(exc: Exception) -> WriteResult:
    return WriteResult("info", f"the write raised {type(exc).__name__}: {exc}")


class _CollectorAside:
    """Leaves the objects alive when a workload starts out of the garbage collector's full passes (see the
    module's docstring), and hands them back once no workload runs (collected as usual from then on)."""

    def __init__(self) -> None:
        self._running = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            if self._running == 0:
                gc.freeze()
            self._running += 1

    def leave(self) -> None:
        with self._lock:
            self._running = max(0, self._running - 1)
            if self._running == 0:
                gc.unfreeze()


_COLLECTOR = _CollectorAside()
