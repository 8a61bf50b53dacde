"""Runs one drill, phase by phase, and writes the journal as it goes.

    preflight -> sweep leftovers -> start replica -> baseline -> inject faults -> automated recovery steps
    -> hold until steady again (or the bound runs out) -> revert -> drain -> final read -> teardown -> measure

Teardown runs whatever happened before it: a drill that passed, failed, raised or was interrupted leaves no
container, network, proxy or toxic behind. A fault that cannot be reverted makes the drill ERRORED, loudly.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drdrill.clock import Clock, SystemClock
from drdrill.errors import DrdrillError
from drdrill.faults import InjectedFault, ToxiproxyClient, build_faults
from drdrill.journal import FINAL_READ, Journal, Kind, Phase, Type
from drdrill.measure import Measurements, Objectives, Verdict, measure_and_judge
from drdrill.measure.ledger import build_ledger
from drdrill.measure.objectives import objectives_for
from drdrill.measure.timeline import FaultWindow, all_samples, probe_results, service_recovery
from drdrill.measure.verdicts import DrillEnd
from drdrill.plan import Plan, RecoveryStep, Scenario
from drdrill.plan.faults import Fault
from drdrill.plan.system import FAILOVER_SIGNAL
from drdrill.probes import CanaryProbe, Observer, SystemSignals
from drdrill.recovery import BUILTIN_HOOKS, RecoveryContext, RecoveryHook
from drdrill.report.html import write_html
from drdrill.report.schema import Scorecard
from drdrill.report.scorecard import build_scorecard, write_scorecard
from drdrill.staging.backend import StagingBackend, StagingFactory
from drdrill.staging.stack import StagingStack
from drdrill.system import DrillSystem, HttpSystem, NotDeclared, SystemContext
from drdrill.units import ns
from drdrill.workload import Workload

Log = Callable[[str], None]
HOLD_POLL_S = 0.1
DRAIN_POLL_S = 0.5
SIGNAL_POLL_S = 0.2


@dataclass(frozen=True)
class DrillSettings:
    """How to run a drill, apart from the scenario itself."""

    report_dir: Path = Path("reports")
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    hooks: Mapping[str, RecoveryHook] = field(default_factory=lambda: dict(BUILTIN_HOOKS))
    extra_faults: tuple[Fault, ...] = ()  # added to the scenario's own (e.g. a broken backup as well)
    log: Log = print
    # A Python system (from pytest_drdrill_system); None drills the plan's declarative HTTP contract.
    system: DrillSystem | None = None
    staging: StagingFactory = StagingStack  # the replica's back-end; unit tests give a fake one
    # Where in a probe interval the fault lands, as a share of it; None: drawn from the run id (see _baseline).
    fault_phase: float | None = None


@dataclass(frozen=True)
class DrillResult:
    """What a drill produced: the scorecard (the one artifact every view is built from) and where it is."""

    status: str  # passed | failed | errored | aborted
    scorecard: Scorecard
    scorecard_path: Path
    verdicts: list[Verdict]
    measurements: Measurements

    @property
    def failures(self) -> list[Verdict]:
        """Objectives the system missed."""
        return [v for v in self.verdicts if v.outcome == "fail"]

    @property
    def not_judged(self) -> list[Verdict]:
        """Objectives whose inputs were never measured."""
        return [v for v in self.verdicts if v.outcome == "unknown"]


class _NotRunning:
    """The replica before it starts: faults are built against it in preflight only to check the plan."""

    def container(self, service: str) -> Any:
        raise LookupError("the staging replica is not running")

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        raise LookupError("the staging replica is not running")


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
        self._fault_decls: list[Fault] = [*scenario.faults, *settings.extra_faults]
        self._proxies = {
            name: c.staging.proxy for name, c in plan.components.items() if c.staging and c.staging.proxy
        }
        self._services = {
            name: c.staging.service for name, c in plan.components.items() if c.staging and c.staging.service
        }
        self.system: DrillSystem = settings.system or HttpSystem.from_plan(plan)
        self._steps: list[tuple[RecoveryStep, RecoveryHook]] = []
        self._faults: list[InjectedFault] = []
        self._applied: list[InjectedFault] = []
        self._observers: list[Observer] = []
        self._stack: StagingBackend | None = None
        self._toxiproxy: ToxiproxyClient | None = None
        self._system_open = False
        self._cleanup: list[str] = []
        self._environment: dict[str, Any] = {}
        self.preflight_done = False
        self._phase_now: str | None = None

    @property
    def stack(self) -> StagingBackend:
        """The staging replica (after preflight)."""
        if self._stack is None:
            raise LookupError("the staging replica is not prepared")
        return self._stack

    # -- preflight ----------------------------------------------------------------------------------

    def _resolve_hook(self, name: str) -> RecoveryHook:
        hook = self.settings.hooks.get(name)
        if hook is None:
            known = ", ".join(sorted(self.settings.hooks)) or "none"
            raise DrdrillError(
                f"{self.scenario.source}: recovery step hook {name!r} is not registered; known hooks: {known}. "
                "Register it with the pytest_drdrill_recovery_hooks hook."
            )
        return hook

    def preflight(self) -> None:
        """Check everything a drill needs before any container starts; raises with what to install or fix.

        Builds (or finds) every image of the replica and writes the compose override, so a drill that cannot
        start says so here, with nothing started.
        """
        if not self._fault_decls:
            raise DrdrillError(
                f"{self.scenario.source}: the scenario declares no fault, so a drill has nothing to inject; "
                "add a `faults:` entry, or exercise it as a tabletop (drdrill tabletop)"
            )
        self._check_contract()
        placeholder = ToxiproxyClient("127.0.0.1", 0)
        build_faults(
            self._fault_decls,
            self._proxies,
            self._services,
            placeholder,
            _NotRunning(),
            str(self.scenario.source),
        )
        placeholder.close()
        self._steps = [(s, self._resolve_hook(s.hook)) for s in self.scenario.recovery if s.hook is not None]
        self._stack = self.settings.staging(self.plan, self.settings.run_id, self.settings.log)
        self._environment.update(self._stack.environment())
        try:
            self._stack.prepare()
        except BaseException:
            self._stack.stop()  # nothing runs yet: this removes the run's temporary files
            self._stack = None
            raise
        self.preflight_done = True

    def _check_contract(self) -> None:
        """A declarative system must declare what the drill calls; a Python system answers for itself."""
        if not isinstance(self.system, HttpSystem):
            return
        contract = self.system.contract
        missing = [name for name in ("write", "probe") if getattr(contract, name) is None]
        if missing:
            raise DrdrillError(
                f"{self.plan.source_dir / 'plan.yaml'}: staging_topology.system declares no "
                f"{' and no '.join(missing)}, so the drill has no workload and no steady-state probe; declare "
                "them (see docs/drill-your-own-system.md) or return a system from a pytest_drdrill_system hook"
            )

    # -- the drill ----------------------------------------------------------------------------------

    def run(self) -> DrillResult:
        """Run every phase; always tear down and always write the scorecard, even after Ctrl-C or SIGTERM.

        An interrupt is re-raised once the scorecard is written, so pytest still stops the session.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        journal = Journal(self.clock, self.run_dir / "journal.jsonl")
        status, error = "errored", None
        interrupted: KeyboardInterrupt | None = None
        try:
            if not self.preflight_done:
                self.preflight()
            self._phase(journal, Phase.SWEEP, lambda: self._sweep(journal))
            self._phase(journal, Phase.STACK_START, self._start_stack)
            self._drill(journal)
            status = "completed"
        except KeyboardInterrupt as exc:
            interrupted = exc
            how = str(exc) or "Ctrl-C"
            status = "aborted"
            error = f"interrupted ({how}) during the {self._phase_now or 'preflight'} phase"
        except DrdrillError as exc:
            error = str(exc)
        except Exception as exc:  # the tool failed, not the system: keep it apart (ERRORED, not FAILED)
            error = f"{type(exc).__name__}: {exc}"
        teardown_error = self._teardown_keeping_the_result(journal)
        if isinstance(teardown_error, KeyboardInterrupt):
            interrupted = interrupted or teardown_error
            status = "aborted"
            teardown_error = (
                "interrupted again during teardown: the replica may be partly left; the next drill's sweep "
                "removes it"
            )
        if teardown_error and status != "aborted":
            status = "errored"
        error = "; ".join(filter(None, [error, teardown_error])) or None
        result = self._finish(journal, status, error)
        if interrupted is not None:
            raise interrupted
        return result

    def _teardown_keeping_the_result(self, journal: Journal) -> str | KeyboardInterrupt | None:
        """Teardown, with a second Ctrl-C (inside ``compose down``, say) returned rather than raised."""
        try:
            teardown_error: str | None = self._phase(journal, Phase.TEARDOWN, lambda: self._teardown(journal))
        except KeyboardInterrupt as exc:
            journal.record(Kind.NOTE, Type.FAIL, "cleanup", data={"problem": "interrupted during teardown"})
            return exc
        return teardown_error

    def _drill(self, journal: Journal) -> None:
        stack = self.stack
        if stack.proxies:
            self._toxiproxy = ToxiproxyClient(*stack.toxiproxy_address)
            self._environment["toxiproxy"] = self._toxiproxy.version()
        self._environment["images"] = stack.images()
        # Without links no network fault can be declared (the plan checks), so a closed placeholder will do.
        client = self._toxiproxy or ToxiproxyClient("127.0.0.1", 0)
        self._faults = build_faults(
            self._fault_decls, self._proxies, self._services, client, stack, str(self.scenario.source)
        )
        if client is not self._toxiproxy:
            client.close()
        self.system.open(SystemContext(stack, self.clock, self.plan, self.settings.run_id, stack.secrets))
        self._system_open = True
        self._start_observers(journal)
        self._phase(journal, Phase.BASELINE, self._baseline)
        if not self._steady_during_baseline(journal):
            journal.record(
                Kind.NOTE, Type.INFO, "skipped", data={"why": "steady state did not hold before the fault"}
            )
        else:
            self._phase(journal, Phase.FAULT, lambda: self._inject_and_hold(journal))
        self._stop_observers(kinds=(Workload,))
        self._phase(journal, Phase.DRAIN, lambda: self._drain(journal))
        self._stop_observers()
        self._phase(journal, Phase.FINAL_READ, lambda: self._final_read(journal))

    def _phase(self, journal: Journal, name: str, body: Callable[[], Any]) -> Any:
        journal.record(Kind.PHASE, Type.START, name)
        outer, self._phase_now = self._phase_now, name
        try:
            result = body()
        finally:
            journal.record(Kind.PHASE, Type.END, name)
        # Only a phase that ended normally hands back to the outer one: after a raise (Ctrl-C), run() still
        # sees the phase the drill was in.
        self._phase_now = outer
        return result

    def _sweep(self, journal: Journal) -> None:
        removed = self.stack.sweep()
        if removed:
            journal.record(Kind.NOTE, Type.INFO, "sweep", data={"removed": removed})

    def _start_stack(self) -> None:
        self.settings.log(f"starting staging replica {self.stack.project} from {self.stack.compose_file}")
        self.stack.start()

    def _observation_budget_s(self) -> float:
        s = self.scenario.staging
        return (
            s.baseline + s.recovery_bound + s.steady_window + s.probe_timeout * 2 + s.drain_timeout
        ).total_seconds()

    def _payloads(self) -> tuple[str, ...]:
        contract = self.plan.staging_topology.system
        return tuple(contract.payloads) if contract is not None else ("drdrill sample payload",)

    def _start_observers(self, journal: Journal) -> None:
        s = self.scenario.staging
        budget = self._observation_budget_s()
        run_id, payloads = self.settings.run_id, self._payloads()
        contract = self.plan.staging_topology.system
        signals = contract.signals if contract is not None else {}
        self._observers = [
            SystemSignals(self.system, journal, self.clock, signals, SIGNAL_POLL_S, budget),
            CanaryProbe(
                self.system,
                journal,
                self.clock,
                run_id,
                payloads,
                s.probe_interval.total_seconds(),
                s.probe_timeout.total_seconds(),
                budget,
            ),
            Workload(
                self.system,
                journal,
                self.clock,
                run_id,
                payloads,
                s.workload_rate,
                budget,
                # Writes land between the probes, not on them: every sample narrows when a change happened.
                offset_s=min(1 / s.workload_rate, s.probe_interval.total_seconds()) / 2,
            ),
        ]
        for observer in self._observers:
            observer.start()

    def _stop_observers(self, kinds: tuple[type, ...] = (object,)) -> None:
        for observer in list(self._observers):
            if isinstance(observer, kinds):
                observer.stop()
                self._observers.remove(observer)

    def _baseline(self) -> None:
        """The baseline, ending at a random instant of a probe interval: a real outage does not start just
        after a sample, so the fault should not either (at a fixed phase every error would be the worst one)."""
        s = self.scenario.staging
        share = self.settings.fault_phase
        if share is None:
            share = random.Random(self.settings.run_id).random()
        self.clock.sleep(s.baseline.total_seconds() + share * s.probe_interval.total_seconds())

    def _steady_during_baseline(self, journal: Journal) -> bool:
        probes = probe_results(journal.events())
        return bool(probes) and all(p.ok for p in probes)

    def _inject_and_hold(self, journal: Journal) -> None:
        s = self.scenario.staging
        starts: list[int] = []
        for fault in self._faults:
            # Stamped before apply(): a fault may act before the call returns (a kill does), and starting the
            # clock early can only make the measured times longer, never flatter the system.
            starts.append(journal.record(Kind.FAULT, Type.START, fault.label, value=fault.target).t_ns)
            self._applied.append(fault)
            fault.apply()
        start_ns = starts[0]  # the disaster begins with the first fault, as measure/ counts it
        bound_ns = start_ns + ns(s.recovery_bound)
        self._run_steps(journal, bound_ns, after_revert=False)
        deadline = bound_ns + ns(s.steady_window) + ns(s.probe_timeout)
        while self.clock.monotonic_ns() < deadline:
            now = self.clock.monotonic_ns()
            # The same samples measure/ dates recovery from (probes and writes), so the hold ends when the
            # scorecard will also see steady state back.
            samples = all_samples(journal.events())
            found = service_recovery(samples, FaultWindow(start_ns, None), ns(s.steady_window), now)
            if found.recovered_at_ns is not None:
                break
            self.clock.sleep(HOLD_POLL_S)
        self._revert_all(journal)

    def _run_steps(self, journal: Journal, deadline_ns: int, *, after_revert: bool) -> None:
        contract = self.plan.staging_topology.system
        failover = contract.signals.get(FAILOVER_SIGNAL) if contract is not None else None
        for step, hook in self._steps:
            if hook.after_revert != after_revert:
                continue
            journal.record(Kind.STEP, Type.INVOKE, step.title, value=step.hook)
            ctx = RecoveryContext(
                replica=self.stack,
                system=self.system,
                journal=journal,
                clock=self.clock,
                deadline_ns=deadline_ns,
                services=self._services,
                components=tuple(step.components),
                failover=failover,
            )
            try:
                detail = hook.run(ctx)
            except DrdrillError as exc:
                journal.record(Kind.STEP, Type.FAIL, step.title, value=step.hook, data={"detail": str(exc)})
            else:
                journal.record(Kind.STEP, Type.OK, step.title, value=step.hook, data={"detail": detail})

    def _revert_all(self, journal: Journal) -> None:
        for fault in reversed(list(self._applied)):
            fault.revert()
            self._applied.remove(fault)
            journal.record(Kind.FAULT, Type.END, fault.label, value=fault.target)

    def _drain(self, journal: Journal) -> None:
        """Run the after-revert steps, then wait until every acknowledged unit is done (or the drain times out)."""
        deadline = self.clock.monotonic_ns() + ns(self.scenario.staging.drain_timeout)
        self._run_steps(journal, deadline, after_revert=True)
        acknowledged = build_ledger(journal.events()).acknowledged
        pending: frozenset[str] = acknowledged
        while True:
            try:
                pending = acknowledged - self.system.final_read().done
            except NotDeclared:
                journal.record(Kind.NOTE, Type.INFO, "drain", data={"why": "no final read to wait on"})
                return
            except Exception as exc:  # the final read is judged in its own phase; here it only paces the wait
                journal.record(Kind.NOTE, Type.INFO, "drain", data={"why": f"read failed: {exc}"[:300]})
            if not pending or self.clock.monotonic_ns() >= deadline:
                break
            self.clock.sleep(DRAIN_POLL_S)
        journal.record(Kind.NOTE, Type.INFO, "drain", data={"pending": len(pending)})

    def _final_read(self, journal: Journal) -> None:
        """What the system holds now: the ledger's input. A read that fails leaves every figure it feeds unknown."""
        try:
            read = self.system.final_read()
        except NotDeclared as exc:
            why = f"not measured, because {exc}"
            journal.record(Kind.READ, Type.FAIL, FINAL_READ, data={"why": why})
            return
        except Exception as exc:  # the system's read failed: data loss is unknown, never "0 lost"
            why = f"not measured, because the final read failed: {type(exc).__name__}: {exc}"
            journal.record(Kind.READ, Type.FAIL, FINAL_READ, data={"why": why[:1000]})
            return
        data = {"held": sorted(read.held), "done": sorted(read.done), "detail": read.detail}
        journal.record(Kind.READ, Type.OK, FINAL_READ, data=data)

    # -- teardown and result ------------------------------------------------------------------------

    def _teardown(self, journal: Journal) -> str | None:
        """Stop observers, revert faults, remove the replica: each step runs whatever the one before raised."""
        problems: list[str] = []
        self._stop_observers()
        try:
            self._revert_all(journal)
        except (
            Exception
        ) as exc:  # a revert that raised anything still lets the replica go and the scorecard out
            problems.append(f"FAULT NOT REVERTED: {type(exc).__name__}: {exc}")
        if self._toxiproxy is not None:
            try:
                self._toxiproxy.reset()
            except Exception as exc:
                if self._applied:
                    problems.append(f"Toxiproxy reset failed: {exc}")
            self._toxiproxy.close()
        if self._system_open:
            try:
                self.system.close()
            except Exception as exc:
                problems.append(f"the system's close() raised {type(exc).__name__}: {exc}")
        if self._stack is not None:
            was_started = self._stack.started
            try:
                removed = self._stack.stop()
                if was_started:
                    self._cleanup.append(f"replica {self._stack.project} removed")
                if removed:
                    self._cleanup.append(f"{removed} object(s) left by compose were removed by label")
            except (DrdrillError, OSError) as exc:
                problems.append(f"replica not removed: {exc}")
        for problem in problems:
            journal.record(Kind.NOTE, Type.FAIL, "cleanup", data={"problem": problem})
        return "; ".join(problems) or None

    def objectives(self) -> Objectives:
        return objectives_for(self.plan, self.scenario)

    def _finish(self, journal: Journal, status: str, error: str | None) -> DrillResult:
        events = journal.events()
        journal.close()
        objectives = self.objectives()
        measurements, verdicts = measure_and_judge(events, objectives, DrillEnd(status, error))
        if status == "completed":
            status = "passed" if all(v.passed for v in verdicts) else "failed"
        scorecard = build_scorecard(
            plan=self.plan,
            scenario=self.scenario,
            run_id=self.settings.run_id,
            status=status,
            error=error,
            objectives=objectives,
            measurements=measurements,
            verdicts=verdicts,
            events=events,
            faults=[f.label for f in self._faults],
            cleanup=self._cleanup,
            environment=self._environment,
            config={
                "staging": self.scenario.staging.model_dump(mode="json"),
                "faults": [f.model_dump(mode="json") for f in self._fault_decls],
                "recovery_hooks": [step.hook for step, _ in self._steps],
                "compose_file": str(self._stack.compose_file) if self._stack else None,
                "compose_override": self._stack.override_text if self._stack else None,
                "system": type(self.system).__qualname__,
            },
        )
        path = write_scorecard(scorecard, self.run_dir / "scorecard.json")
        write_html(scorecard, self.run_dir / "scorecard.html", str(path))
        return DrillResult(status, scorecard, path, verdicts, measurements)
