"""The system under drill, as the runner sees it: a Jepsen-style client of *your* system.

The runner never names a service, a port or a URL of the system it drills: it calls this protocol. The plan's
declarative HTTP form (:class:`drdrill.system.HttpSystem`) implements it for JSON-over-HTTP systems; anything
else is a Python object returned by a ``pytest_drdrill_system`` hook in the user's ``conftest.py``.

Every operation completes as Jepsen's ``ok`` (took effect), ``fail`` (certainly did not) or ``info``
(unknown: a timeout, a dropped connection). An exception inside ``write`` is ``info``, never ``fail``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from drdrill.clock import Clock
from drdrill.datastores import DataAccess
from drdrill.plan import Plan
from drdrill.replica import Replica

Outcome = Literal["ok", "fail", "info"]


class NotDeclared(Exception):  # noqa: N818 - reads as a reason: "not declared"
    """The system has no such part (no final read, no signals); the figure that needs it is not measured."""


@dataclass(frozen=True)
class WriteResult:
    """How one write ended: ``ok`` (acknowledged), ``fail`` (refused), ``info`` (unknown)."""

    outcome: Outcome
    detail: str = ""
    job_id: str | None = None  # an asynchronous acknowledgement's handle, for reading the unit back


@dataclass(frozen=True)
class ProbeResult:
    """One steady-state probe: did the whole path work in time?"""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class FinalRead:
    """What the system holds after the drill: ids of units it kept, and of those, the ones it finished;
    ``times_done``, when the system says it, how many times each unit was done (more than once: done twice);
    ``outputs``, when the system says it, what it made of each unit done (a label, an answer), which a golden
    set is judged on."""

    held: frozenset[str]
    done: frozenset[str]
    detail: str = ""
    times_done: Mapping[str, int] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SignalMeaning:
    """What a signal's raw values mean: which one is normal operation, which ones mean "on the fallback", and
    (for the ``mode`` signal) which degraded mode of the plan each other value means."""

    normal: str | None = None
    failed_over: frozenset[str] = frozenset()
    modes: Mapping[str, str] = field(default_factory=dict)  # raw value -> the plan's degraded mode

    def state(self, raw: str | None) -> str:
        """``normal``, ``failed_over``, a degraded mode's name, or ``other`` for a value the system did not name."""
        if raw is not None and raw in self.failed_over:
            return "failed_over"
        if raw is not None and raw == self.normal:
            return "normal"
        if raw is not None and raw in self.modes:
            return self.modes[raw]
        return "other"


@dataclass(frozen=True)
class SystemContext:
    """What a system gets when the replica is up: where it runs, the clock, the plan and the run's id."""

    replica: Replica
    clock: Clock
    plan: Plan
    run_id: str
    # The run's generated secrets (staging_topology.generated_secrets), e.g. a database password to read with.
    secrets: Mapping[str, str] = field(default_factory=dict)
    # The plan's data stores, reached where they are now (a store behind a link follows a repoint).
    stores: DataAccess | None = None


@runtime_checkable
class Searches(Protocol):
    """A system with a derived index it can search (a vector index): recall@k is judged on it after recovery.
    Optional: a system without it has its recall not measured."""

    def search(self, query: str, k: int) -> Sequence[str]:
        """The ids of the ``k`` nearest items to ``query``, nearest first; :class:`NotDeclared` if it has none."""


# How many writes drdrill keeps waiting on a system at once, at most: a write due when this many are in flight
# is refused by drdrill (counted and journalled, never queued, so no write starts late). An async system should
# be able to carry this many at once (the HTTP system's async client keeps as many connections).
MAX_WRITES_IN_FLIGHT = 256


@runtime_checkable
class AsyncWrites(Protocol):
    """What a system adds to write without a thread per write in flight (optional; :class:`HttpSystem` has it).

    The workload then starts each write on its due time on an event loop of its own, however long the system
    takes to answer; a system without it has its ``write`` run on a bounded pool of threads instead.
    """

    async def write_async(self, unit_id: str, payload: str) -> WriteResult:
        """:meth:`DrillSystem.write`, awaited on the workload's event loop."""

    async def close_async(self) -> None:
        """Release what ``write_async`` opened, on that same event loop; safe to call twice."""


@runtime_checkable
class DrillSystem(Protocol):
    """A client of the system under drill. ``open`` is called once the replica is ready, ``close`` at teardown.

    Check an implementation with :func:`drdrill.system.conformance.check_conformance`.

    ``write``, ``probe`` and ``signals`` are called from several threads at once: keep them thread-safe.
    """

    def open(self, context: SystemContext) -> None:
        """Connect to the running replica."""

    def write(self, unit_id: str, payload: str) -> WriteResult:
        """Submit one unit of work with this id; never raise for an answer of the system."""

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        """One steady-state check, finished (ok or not) within ``timeout_s``."""

    def final_read(self) -> FinalRead:
        """List what the system holds; raise :class:`NotDeclared` if it cannot, any other error if it failed."""

    def signals(self) -> Mapping[str, str]:
        """The current value of each signal (e.g. ``{"failover": "backup"}``); empty when it declares none."""

    def payloads(self) -> Sequence[str]:
        """Sample payloads the workload and the probes cycle through (at least one)."""

    def signal_meanings(self) -> Mapping[str, SignalMeaning]:
        """What each signal's values mean; ``failover`` (normal / failed over) dates failover and fail-back,
        ``mode`` (normal / each degraded mode of the plan) dates the degraded modes the system entered."""

    def close(self) -> None:
        """Release connections; safe to call twice, and before ``open``."""
