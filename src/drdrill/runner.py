"""Runs one drill, phase by phase, and writes the journal as it goes.

    preflight -> sweep -> stack-start -> warm-up -> baseline -> fault (inject, recovery steps, hold, revert) -> drain
    -> final-read -> verify (data checks) -> teardown (always) -> measure, scorecard, views

Each phase is a small function of the drill's context (:mod:`drdrill.run.phases`); its outcome is a value
(pytest's ``CallInfo.from_call``), so the runner only sequences them and settles what the drill's status is.
Whatever a phase acquires or applies pushes its undo onto one stack, which teardown unwinds on every exit path:
a drill that passed, failed, raised or was interrupted leaves no container, network, proxy or toxic behind, and
an undo that fails makes the drill ERRORED, loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from drdrill.clock import Clock, SystemClock
from drdrill.errors import DrdrillError
from drdrill.journal import Journal, Kind, Phase, Type
from drdrill.measure.verdicts import DrillEnd
from drdrill.plan import Plan, Scenario
from drdrill.run import connect, phases, warmup
from drdrill.run.context import DrillContext, DrillSettings, Prepared
from drdrill.run.interrupts import PENDING
from drdrill.run.preflight import preflight
from drdrill.run.result import DrillResult, finish
from drdrill.run.teardown import Teardown, teardown
from drdrill.staging.backend import ControlSlot
from drdrill.undo import UndoStack

__all__ = ["DrillResult", "DrillRunner", "DrillSettings"]

PhaseBody = Callable[[DrillContext], None]
PHASES: tuple[tuple[Phase, PhaseBody], ...] = (
    (Phase.SWEEP, phases.sweep),
    (Phase.STACK_START, connect.start_replica),
    (Phase.WARMUP, warmup.warm_up),
    (Phase.BASELINE, phases.baseline),
    (Phase.FAULT, phases.fault),
    (Phase.DRAIN, phases.drain),
    (Phase.FINAL_READ, phases.final_read),
    (Phase.VERIFY, phases.verify),
)


@dataclass(frozen=True)
class PhaseOutcome:
    """How a phase (or preflight) ended: normally, or with the exception it raised."""

    phase: str
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def call_phase(journal: Journal, phase: Phase, body: Callable[[], object]) -> PhaseOutcome:
    """Run one phase between its journal events; whatever it raises becomes its outcome."""
    journal.record(Kind.PHASE, Type.START, phase)
    try:
        body()
        PENDING.raise_noted()  # a signal whose KeyboardInterrupt a finalizer swallowed in this phase
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            PENDING.taken()
        return PhaseOutcome(phase, exc)
    finally:
        journal.record(Kind.PHASE, Type.END, phase)
    return PhaseOutcome(phase)


def settle(outcome: PhaseOutcome, down: Teardown) -> DrillEnd:
    """The drill's end from its last phase and its teardown: completed, errored (the tool failed, not the
    system) or aborted (a signal)."""
    error = outcome.error
    if isinstance(error, KeyboardInterrupt):
        status, text = "aborted", f"interrupted ({str(error) or 'Ctrl-C'}) during the {outcome.phase} phase"
    elif isinstance(error, DrdrillError):
        status, text = "errored", str(error)
    elif error is not None:
        status, text = "errored", f"{type(error).__name__}: {error}"
    else:
        status, text = "completed", None
    cleanup = down.message()
    if down.interrupted:
        status = "aborted"
        cleanup = (
            f"{cleanup}; interrupted again after the teardown deadline, so the replica may be partly left: the "
            "next drill's sweep removes it"
        )
    elif cleanup and status != "aborted":
        status = "errored"
    return DrillEnd(status, "; ".join(filter(None, [text, cleanup])) or None)


class DrillRunner:
    """One drill of one scenario on a fresh staging replica."""

    def __init__(
        self, plan: Plan, scenario: Scenario, settings: DrillSettings, clock: Clock | None = None
    ) -> None:
        self.plan = plan
        self.scenario = scenario
        self.settings = settings
        self.clock = clock or SystemClock()
        self.run_dir = (
            settings.report_dir / f"{self.clock.wall():%Y%m%dT%H%M%SZ}-{scenario.name}-{settings.run_id}"
        )
        self._replica = ControlSlot()
        self.prepared: Prepared | None = None
        self.result: DrillResult | None = None  # set once the scorecard is written, even if run() then raises

    def preflight(self) -> None:
        """Check and build everything a drill needs before any container starts; raises with what to fix."""
        started = self.clock.monotonic_ns()
        self.prepared = preflight(self.plan, self.scenario, self.settings, self._replica)
        # when the set-up checks ran, on the journal's clock (they come before the journal): a drill's fixed cost
        self.prepared.environment["preflight_ns"] = [started, self.clock.monotonic_ns()]

    def run(self) -> DrillResult:
        """Run every phase; always tear down and always write the scorecard, even after Ctrl-C or SIGTERM.

        An interrupt is re-raised once the scorecard is written, so pytest still stops the session.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        journal = Journal(self.clock, self.run_dir / "journal.jsonl")
        undo = UndoStack()
        ctx: DrillContext | None = None
        outcome = self._preflight_outcome()
        if self.prepared is not None and outcome.ok:
            ctx = DrillContext(
                self.plan,
                self.scenario,
                self.settings,
                self.clock,
                self.run_dir,
                journal,
                self.prepared,
                replica=self._replica,
                undo=undo,
            )
            undo.push(
                f"remove replica {ctx.stack.project}", lambda: connect.remove_replica(ctx), _replica_problem
            )
            outcome = self._phases(ctx)
        journal.record(Kind.PHASE, Type.START, Phase.TEARDOWN)
        try:
            down = teardown(undo, journal, self.clock)
        finally:
            journal.record(Kind.PHASE, Type.END, Phase.TEARDOWN)
        end = settle(outcome, down)
        cleanup = ctx.cleanup if ctx is not None else []
        if down.ignored_signals:
            cleanup.append(
                f"{', '.join(down.ignored_signals)} during teardown: noted and ignored until it finished"
            )
        result = self.result = finish(
            plan=self.plan,
            scenario=self.scenario,
            settings=self.settings,
            prepared=self.prepared,
            journal=journal,
            run_dir=self.run_dir,
            end=end,
            environment=ctx.environment if ctx is not None else {},
            cleanup=cleanup,
        )
        if isinstance(outcome.error, KeyboardInterrupt):
            raise outcome.error
        if down.interrupted or down.ignored_signals:
            raise KeyboardInterrupt(f"{', '.join(down.ignored_signals) or 'a signal'} during teardown")
        return result

    def _preflight_outcome(self) -> PhaseOutcome:
        if self.prepared is not None:
            return PhaseOutcome("preflight")
        try:
            self.preflight()
        except BaseException as exc:
            return PhaseOutcome("preflight", exc)
        return PhaseOutcome("preflight")

    def _phases(self, ctx: DrillContext) -> PhaseOutcome:
        """Each phase in turn until one does not end normally; the fault waits for a steady baseline."""
        last = PhaseOutcome("preflight")
        for phase, body in PHASES:
            if phase is Phase.FAULT and not ctx.steady_before_fault:
                continue
            last = call_phase(ctx.journal, phase, partial(body, ctx))
            if not last.ok:
                return last
        return last


def _replica_problem(what: str, exc: BaseException) -> str:
    return f"replica not removed: {exc}"
