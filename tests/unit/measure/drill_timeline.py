"""Build drill journals for the measurement tests by advancing a fake clock between events.

Every helper records through a real :class:`Journal`, so the tests see the same events the runner writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from drdrill.clock import FakeClock
from drdrill.journal import (
    FAILOVER,
    FINAL_READ,
    PREVIOUS_POLL,
    SKIPPED,
    SUBMIT,
    Event,
    Journal,
    Kind,
    Phase,
    Type,
)
from drdrill.measure.objectives import planned_steps
from drdrill.measure.timeline import Criterion
from drdrill.measure.verdicts import (
    DrillEnd,
    Objectives,
    Words,
    measure_and_judge,
)
from drdrill.plan import Plan
from drdrill.report.schema import Scorecard, parse_scorecard
from drdrill.report.scorecard import build_scorecard
from drdrill.units import NS_PER_S

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

    def signal(self, name: str, value: str, raw: str | None = None) -> int:
        """A signal as the observer journals it: its state as the value, the system's own word as ``raw``."""
        data = {"raw": value if raw is None else raw}
        return self.journal.record(Kind.SIGNAL, Type.INFO, name, value=value, data=data).t_ns

    def failover(self, state: str, raw: str, *, polled_since: int | None = None) -> int:
        """The failover signal: ``normal``, ``failed_over`` or ``other``, and what the system said; with
        ``polled_since``, when the poll before the one that saw it began (as the observer journals it)."""
        data: dict[str, Any] = {"raw": raw}
        if polled_since is not None:
            data[PREVIOUS_POLL] = polled_since
        return self.journal.record(Kind.SIGNAL, Type.INFO, FAILOVER, value=state, data=data).t_ns

    def skipped(self) -> None:
        """The runner's note when the baseline was not steady and it applied no fault."""
        self.journal.record(
            Kind.NOTE, Type.INFO, SKIPPED, data={"why": "steady state did not hold before the fault"}
        )

    def invoke(self, unit: str, process: str = "writer-1") -> int:
        return self.journal.record(Kind.OP, Type.INVOKE, SUBMIT, process=process, value=unit).t_ns

    def complete(self, unit: str, outcome: Type, process: str = "writer-1") -> int:
        return self.journal.record(Kind.OP, outcome, SUBMIT, process=process, value=unit).t_ns

    def submit(self, unit: str, outcome: Type | None, *, latency: float = 0.1) -> int | None:
        """Invoke then complete a write (``None``: never completes). Returns the completion time."""
        self.invoke(unit)
        self.wait(latency)
        return None if outcome is None else self.complete(unit, outcome)

    def final_read(self, held: Iterable[str], done: Iterable[str] = ()) -> None:
        """The final read as the runner journals it: what the system holds, and of that, what it finished."""
        self.wait(0.5)
        data = {"held": sorted(held), "done": sorted(done), "detail": "scripted"}
        self.journal.record(Kind.READ, Type.OK, FINAL_READ, data=data)

    def step(
        self,
        title: str,
        hook: str,
        outcome: Type | None,
        detail: str,
        *,
        took: float = 0.5,
        serves: str | None = None,
        signal: tuple[str, str] | None = None,
    ) -> int:
        """An automated recovery step as the runner journals it: invoke, ``took`` seconds, then ok/fail (``None``:
        never completes); ``serves`` as the runner's invoke says it, when it does; ``signal``: the failover
        signal's (state, raw value) a completed step saw. Returns the invoke time."""
        data = {} if serves is None else {"serves": serves}
        invoked = self.journal.record(Kind.STEP, Type.INVOKE, title, value=hook, data=data).t_ns
        self.wait(took)
        if outcome is Type.OK and signal is not None:  # a step that waits on the signal journals what it saw
            self.failover(*signal)
        if outcome is not None:
            self.journal.record(Kind.STEP, outcome, title, value=hook, data={"detail": detail})
        return invoked

    def final_read_failed(self, why: str) -> None:
        """A final read that did not happen, with the reason the runner journals."""
        self.wait(0.5)
        self.journal.record(Kind.READ, Type.FAIL, FINAL_READ, data={"why": why})


class StandardDrill:
    """A realistic provider-outage drill, with the figures it should produce in the attributes.

    Baseline: c1, c2 acknowledged, then 5 good probes 1 s apart. Fault F applied; a probe invoked at F+0.5 s
    fails at F+0.75 s; c3 fails, c4 times out (info), c5 never completes; probes invoked at F+1.5 and F+2.5
    fail; the system switches to the backup provider at F+3.5 s; c6 is acknowledged at F+3.6 s (writes are
    back, and stay so); probes are good from F+4 s to F+15 s (held 11 s, steady window 10 s), so service is
    back when the first of them completes at F+4.25 s, after the last symptom (the probe invoked at F+2.5 s);
    c7 to c10 are acknowledged after the 1st, 4th, 8th and 12th good probe; the fault is reverted at F+16 s;
    two more good probes; the final read holds c1, c2, c4 (stored despite the timeout) and c6 to c10, and of
    them all but c4 are done. Five writes were acknowledged while the fault was held.
    """

    steady_window_ns = s(10)

    def __init__(self) -> None:
        d = self.script = DrillScript()
        d.phase(Phase.BASELINE, Type.START)
        d.submit("c1", Type.OK)
        d.submit("c2", Type.OK)
        d.wait(0.8)
        self.baseline_probe_ns = d.probes(True, 5)
        d.phase(Phase.BASELINE, Type.END)
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
        self.signal_ns = d.failover("failed_over", "backup")
        d.submit("c6", Type.OK)
        d.wait(0.4)
        self.good_probe_ns = []
        writes = {0: "c7", 3: "c8", 7: "c9", 11: "c10"}
        for i in range(12):
            self.good_probe_ns.append(d.probe(True))
            if i in writes:
                d.submit(writes[i], Type.OK)
            d.wait(0.65 if i in writes else 0.75)
        self.fault_end_ns = d.fault(Type.END)
        d.phase("fault", Type.END)
        self.after_fault_probe_ns = d.probes(True, 2)
        later = ["c6", "c7", "c8", "c9", "c10"]
        d.final_read(held=["c1", "c2", "c4", *later], done=["c1", "c2", *later])
        self.events = d.events()


OBJECTIVES = Objectives(
    rto_ns=s(4 * 3600),
    rpo_ns=0,
    recovery_bound_ns=s(30),
    steady_window_ns=s(10),
    manual_ns=s(45 * 60),
    criteria=(Criterion("error_rate", s(1), above=0.5, description="error rate above 0.5 for 5 minutes"),),
)


def plan_objectives(plan: Plan) -> Objectives:
    """:data:`OBJECTIVES` in the plan's words, as the runner builds them."""
    unit = plan.staging_topology.unit
    return replace(OBJECTIVES, unit=Words(unit.one, unit.many))


def standard_scorecard(
    plan: Plan,
    status: str = "failed",
    *,
    scenario: str = "provider-outage",
    faults: Sequence[str] = ("down primary-provider",),
    events: Sequence[Event] | None = None,
    error: str | None = None,
    with_steps: bool = False,
) -> Scorecard:
    """The scorecard of :class:`StandardDrill` (or of ``events``) run as one of the plan's scenarios; an
    ``errored`` or ``aborted`` status is judged as the runner judges it, with ``error`` its error text.
    ``with_steps``: judged against the scenario's recovery steps, as the runner judges (the standard drill
    journals none, so its cards leave them out by default)."""
    journal = StandardDrill().events if events is None else list(events)
    objectives = plan_objectives(plan)
    if with_steps:
        objectives = replace(objectives, steps=planned_steps(plan.scenarios[scenario]))
    measurements, verdicts = measure_and_judge(journal, objectives, DrillEnd(status, error))
    return build_scorecard(
        plan=plan,
        scenario=plan.scenarios[scenario],
        run_id="abc123",
        status=status,
        error=error,
        objectives=objectives,
        measurements=measurements,
        verdicts=verdicts,
        events=journal,
        faults=list(faults),
        cleanup=["replica drdrill-abc123 removed"],
    )


def edited(card: Scorecard, change: Callable[[dict[str, Any]], None]) -> Scorecard:
    """``card`` changed as its JSON (``change`` edits it in place), read back as a scorecard file would be."""
    data = card.to_json()
    change(data)
    return parse_scorecard(data, "an edited scorecard")


FAILOVER_STEP = "Worker fails over to the backup provider after repeated primary failures"
FAILBACK_STEP = "After the primary recovers, let the worker fail back and drain anything queued"
NO_SIGNAL = (
    "this step waits for the failover signal to say 'failed_over', but the plan declares none; add "
    "staging_topology.system.signals.failover (normal / failed_over) to plan.yaml"
)


def stepped_drill(
    failover: Type | None = Type.OK,
    failback: Type | None = Type.OK,
    *,
    failover_detail: str = "the failover signal says 'backup' (failed over)",
    failback_detail: str = "the failover signal says 'primary' (normal)",
    run_failback: bool = True,
    serves: bool = False,
    stuck: Sequence[str] = (),
) -> DrillScript:
    """The bundled provider-outage scenario's drill with its two automated steps, as the runner journals
    them: the failover step from the fault's start (``failover``: its completion, ``None`` never), the
    fail-back step after the revert (not run when ``run_failback`` is false). Otherwise a drill that passes:
    a steady baseline, two failed probes, then twelve good ones with a write after each; the final read
    holds every write, and all but ``stuck`` are done. ``serves``: the invoke events say what they serve."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 5)
    d.phase(Phase.BASELINE, Type.END)
    d.phase(Phase.FAULT, Type.START)
    d.fault(Type.START)
    d.step(
        FAILOVER_STEP,
        "provider-failover",
        failover,
        failover_detail,
        took=1.5,
        serves="recovery" if serves else None,
        signal=("failed_over", "backup"),
    )
    d.probes(False, 2)
    written = []
    for n in range(12):
        d.probe(True)
        d.submit(f"c{n}", Type.OK)
        written.append(f"c{n}")
        d.wait(0.65)
    d.fault(Type.END)
    d.phase(Phase.FAULT, Type.END)
    d.phase(Phase.DRAIN, Type.START)
    if run_failback:
        d.step(
            FAILBACK_STEP,
            "provider-failback",
            failback,
            failback_detail,
            took=1.2,
            serves="failback" if serves else None,
            signal=("normal", "primary"),
        )
    d.phase(Phase.DRAIN, Type.END)
    d.final_read(held=written, done=[w for w in written if w not in stuck])
    return d
