"""Build drill journals for the measurement tests by advancing a fake clock between events.

Every helper records through a real :class:`Journal`, so the tests see the same events the runner writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drdrill.clock import NS_PER_S, FakeClock
from drdrill.journal import Event, Journal, Kind, Type
from drdrill.measure.ledger import FINAL_READ, SUBMIT
from drdrill.measure.timeline import Criterion
from drdrill.measure.verdicts import BASELINE_PHASE, Objectives, measure_and_judge
from drdrill.plan import Plan
from drdrill.report.scorecard import build_scorecard

START_NS = 1_000_000_000


def s(seconds: float) -> int:
    """Seconds to nanoseconds, exactly for the values the tests use."""
    return round(seconds * NS_PER_S)


class DrillScript:
    """A drill told step by step: each call records events at the fake clock's current time."""

    def __init__(self) -> None:
        self.clock = FakeClock(start_ns=START_NS)
        self.journal = Journal(self.clock)

    @property
    def now(self) -> int:
        return self.clock.monotonic_ns()

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def events(self) -> list[Event]:
        return self.journal.events()

    def phase(self, name: str, type_: Type) -> int:
        return self.journal.record(Kind.PHASE, type_, name).t_ns

    def probe(self, ok: bool | None, *, latency: float = 0.25, process: str = "probe-1") -> int:
        """One probe: invoke, wait ``latency``, complete ok/fail (``None``: info). Returns the invoke time."""
        invoked = self.journal.record(Kind.PROBE, Type.INVOKE, "health", process=process).t_ns
        self.wait(latency)
        completion = Type.INFO if ok is None else (Type.OK if ok else Type.FAIL)
        self.journal.record(Kind.PROBE, completion, "health", process=process, data={"detail": "probe"})
        return invoked

    def probes(self, ok: bool, count: int, *, every: float = 1.0, latency: float = 0.25) -> list[int]:
        """``count`` probes started ``every`` seconds apart; returns their invoke times."""
        invoked: list[int] = []
        for _ in range(count):
            invoked.append(self.probe(ok, latency=latency))
            self.wait(every - latency)
        return invoked

    def fault(self, type_: Type, label: str = "down primary-provider") -> int:
        return self.journal.record(Kind.FAULT, type_, label).t_ns

    def signal(self, name: str, value: str) -> int:
        return self.journal.record(Kind.SIGNAL, Type.INFO, name, value=value).t_ns

    def invoke(self, claim: str, process: str = "writer-1") -> int:
        return self.journal.record(Kind.OP, Type.INVOKE, SUBMIT, process=process, value=claim).t_ns

    def complete(self, claim: str, outcome: Type, process: str = "writer-1") -> int:
        return self.journal.record(Kind.OP, outcome, SUBMIT, process=process, value=claim).t_ns

    def submit(self, claim: str, outcome: Type | None, *, latency: float = 0.1) -> int | None:
        """Invoke then complete a claim (``None``: never completes). Returns the completion time."""
        self.invoke(claim)
        self.wait(latency)
        return None if outcome is None else self.complete(claim, outcome)

    def final_read(
        self, processed: Iterable[str], pending: Iterable[str] = (), *, outcome: Type = Type.OK
    ) -> None:
        self.journal.record(Kind.READ, Type.INVOKE, FINAL_READ, process="reader")
        self.wait(0.5)
        data = {"processed": sorted(processed), "pending": sorted(pending)}
        self.journal.record(Kind.READ, outcome, FINAL_READ, process="reader", data=data)


class StandardDrill:
    """A realistic provider-outage drill, with the figures it should produce in the attributes.

    Baseline: c1, c2 acknowledged, then 5 good probes 1 s apart. Fault F applied; a probe invoked at F+0.5 s
    fails at F+0.75 s; c3 fails, c4 times out (info), c5 never completes; probes invoked at F+1.5 and F+2.5
    fail; the system switches to the backup provider at F+3.5 s; c6 is acknowledged; probes are good from
    F+4 s to F+15 s (held 11 s, steady window 10 s); the fault is reverted at F+16 s; two more good probes;
    the final read holds c1, c2, c6 processed and c4 (stored despite the timeout) pending.
    """

    steady_window_ns = s(10)

    def __init__(self) -> None:
        d = self.script = DrillScript()
        d.phase(BASELINE_PHASE, Type.START)
        d.submit("c1", Type.OK)
        d.submit("c2", Type.OK)
        d.wait(0.8)
        self.baseline_probe_ns = d.probes(True, 5)
        d.phase(BASELINE_PHASE, Type.END)
        d.phase("fault", Type.START)
        self.fault_start_ns = d.fault(Type.START)
        d.wait(0.5)
        d.probe(False)
        d.wait(0.25)
        d.submit("c3", Type.FAIL)
        d.submit("c4", Type.INFO)
        d.invoke("c5", process="writer-2")
        d.wait(0.3)
        d.probes(False, 2)
        self.signal_ns = d.signal("active_provider", "backup")
        d.submit("c6", Type.OK)
        d.wait(0.4)
        self.good_probe_ns = d.probes(True, 12)
        self.fault_end_ns = d.fault(Type.END)
        d.phase("fault", Type.END)
        self.after_fault_probe_ns = d.probes(True, 2)
        d.final_read(processed=["c1", "c2", "c6"], pending=["c4"])
        self.events = d.events()


OBJECTIVES = Objectives(
    rto_ns=s(4 * 3600),
    rpo_ns=0,
    recovery_bound_ns=s(30),
    steady_window_ns=s(10),
    manual_ns=s(45 * 60),
    criteria=(Criterion("error_rate", s(1), above=0.5, description="error rate above 0.5 for 5 minutes"),),
)


def standard_scorecard(plan: Plan, status: str = "failed") -> dict[str, Any]:
    """The scorecard of :class:`StandardDrill` run as the plan's provider-outage scenario."""
    drill = StandardDrill()
    measurements, verdicts = measure_and_judge(drill.events, OBJECTIVES)
    return build_scorecard(
        plan=plan,
        scenario=plan.scenarios["provider-outage"],
        run_id="abc123",
        status=status,
        error=None,
        objectives=OBJECTIVES,
        measurements=measurements,
        verdicts=verdicts,
        events=drill.events,
        faults=["down primary-provider"],
        cleanup=["replica drdrill-abc123 removed"],
    )
