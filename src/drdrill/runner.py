"""Runs one drill, phase by phase, and writes the journal as it goes.

    preflight -> sweep leftovers -> start replica -> baseline -> inject faults -> automated recovery steps
    -> hold until steady again (or the bound runs out) -> revert -> drain -> final read -> teardown -> measure

Teardown runs whatever happened before it: a drill that passed, failed, raised or was interrupted leaves no
container, network, proxy or toxic behind. A fault that cannot be reverted makes the drill ERRORED, loudly.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from docker.models.containers import Container

from drdrill.clock import NS_PER_S, Clock, SystemClock
from drdrill.errors import DrdrillError, EnvironmentNotReadyError
from drdrill.faults import InjectedFault, ToxiproxyClient, build_faults
from drdrill.journal import Journal, Kind, Type
from drdrill.measure import Measurements, Objectives, Verdict, measure_and_judge
from drdrill.measure.ledger import FINAL_READ, build_ledger
from drdrill.measure.timeline import Criterion, FaultWindow, probe_results, recovery_point
from drdrill.measure.verdicts import BASELINE_PHASE
from drdrill.plan import Plan, RecoveryStep, Scenario
from drdrill.probes import CanaryProbe, ClaimStore, WorkerSignals
from drdrill.recovery import BUILTIN_HOOKS, RecoveryContext, RecoveryHook
from drdrill.report.html import write_html
from drdrill.report.scorecard import build_scorecard, write_scorecard
from drdrill.staging import images
from drdrill.staging.stack import Endpoints, StagingStack, check_compose, docker_client, sweep_leftovers
from drdrill.workload import ClaimWorkload

Log = Callable[[str], None]
HOLD_POLL_S = 0.1
DRAIN_POLL_S = 0.5
SIGNAL_POLL_S = 0.2


def ns(delta: timedelta) -> int:
    """A plan duration in nanoseconds."""
    return round(delta.total_seconds() * NS_PER_S)


@dataclass(frozen=True)
class DrillSettings:
    """How to run a drill, apart from the scenario itself."""

    report_dir: Path = Path("reports")
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    hooks: Mapping[str, RecoveryHook] = field(default_factory=lambda: dict(BUILTIN_HOOKS))
    extra_faults: tuple[Any, ...] = ()  # added to the scenario's own (e.g. a broken backup as well)
    log: Log = print


@dataclass(frozen=True)
class DrillResult:
    """What a drill produced: the scorecard (the one artifact every view is built from) and where it is."""

    status: str  # passed | failed | errored | aborted
    scorecard: dict[str, Any]
    scorecard_path: Path
    verdicts: list[Verdict]
    measurements: Measurements

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.passed]


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
        self._fault_decls = [*scenario.faults, *settings.extra_faults]
        self._proxies = {
            name: c.staging.proxy for name, c in plan.components.items() if c.staging and c.staging.proxy
        }
        self._services = {
            name: c.staging.service for name, c in plan.components.items() if c.staging and c.staging.service
        }
        self._steps: list[tuple[RecoveryStep, RecoveryHook]] = []
        self._faults: list[InjectedFault] = []
        self._applied: list[InjectedFault] = []
        self._observers: list[CanaryProbe | ClaimWorkload | WorkerSignals] = []
        self._stack: StagingStack | None = None
        self._toxiproxy: ToxiproxyClient | None = None
        self._cleanup: list[str] = []
        self._environment: dict[str, Any] = {}
        self.preflight_done = False

    def service_url(self, service: str, port: int) -> str:
        """Where the host reaches ``service``'s container ``port`` (for provider faults)."""
        if self._stack is None:
            raise LookupError("the staging replica is not running")
        return self._stack.service_url(service, port)

    def container(self, service: str) -> Container:
        """The container of ``service`` in the running replica (for container faults and restart hooks)."""
        if self._stack is None:
            raise LookupError("the staging replica is not running")
        return self._stack.container(service)

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
        """Check everything a drill needs before anything starts; raises with what to install or fix."""
        if not self._fault_decls:
            raise DrdrillError(
                f"{self.scenario.source}: the scenario declares no fault, so a drill has nothing to inject; "
                "add a `faults:` entry, or exercise it as a tabletop (drdrill tabletop)"
            )
        placeholder = ToxiproxyClient("127.0.0.1", 0)
        build_faults(
            self._fault_decls, self._proxies, self._services, placeholder, self, str(self.scenario.source)
        )
        placeholder.close()
        self._steps = [(s, self._resolve_hook(s.hook)) for s in self.scenario.recovery if s.hook is not None]
        engine = docker_client()
        self._environment["docker_engine"] = str(engine.version().get("Version", "unknown"))
        self._environment["docker_compose"] = check_compose()
        missing = images.missing_images()
        if missing:
            raise EnvironmentNotReadyError(
                f"local images missing: {', '.join(missing)}; build them with `./dev setup` "
                "(no image is ever pulled: they are built from Debian packages)"
            )
        self.preflight_done = True

    # -- the drill ----------------------------------------------------------------------------------

    def run(self) -> DrillResult:
        """Run every phase; always tear down and always write the scorecard."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        journal = Journal(self.clock, self.run_dir / "journal.jsonl")
        status, error = "errored", None
        try:
            if not self.preflight_done:
                self.preflight()
            self._phase(journal, "sweep", lambda: self._sweep(journal))
            endpoints = self._phase(journal, "stack-start", self._start_stack)
            self._drill(journal, endpoints)
            status = "completed"
        except KeyboardInterrupt as exc:
            how = str(exc) or "Ctrl-C"
            status, error = "aborted", f"interrupted ({how}): faults reverted and the replica removed"
            raise
        except DrdrillError as exc:
            error = str(exc)
        except Exception as exc:  # the tool failed, not the system: keep it apart (ERRORED, not FAILED)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            teardown_error = self._phase(journal, "teardown", lambda: self._teardown(journal))
            if teardown_error:
                status, error = "errored", "; ".join(filter(None, [error, teardown_error]))
            result = self._finish(journal, status, error)
        return result

    def _drill(self, journal: Journal, endpoints: Endpoints) -> None:
        self._toxiproxy = ToxiproxyClient(endpoints.toxiproxy_host, endpoints.toxiproxy_port)
        self._environment["toxiproxy"] = self._toxiproxy.version()
        if self._stack is not None:
            self._environment["images"] = self._stack.images()
        self._faults = build_faults(
            self._fault_decls, self._proxies, self._services, self._toxiproxy, self, str(self.scenario.source)
        )
        self._start_observers(journal, endpoints)
        self._phase(
            journal, BASELINE_PHASE, lambda: self.clock.sleep(self.scenario.staging.baseline.total_seconds())
        )
        if not self._steady_during_baseline(journal):
            journal.record(
                Kind.NOTE, Type.INFO, "skipped", data={"why": "steady state did not hold before the fault"}
            )
        else:
            self._phase(journal, "fault", lambda: self._inject_and_hold(journal, endpoints))
        self._stop_observers(kinds=(ClaimWorkload,))
        self._phase(journal, "drain", lambda: self._drain(journal, endpoints))
        self._stop_observers()
        self._phase(journal, "final-read", lambda: self._final_read(journal, endpoints))

    def _phase(self, journal: Journal, name: str, body: Callable[[], Any]) -> Any:
        journal.record(Kind.PHASE, Type.START, name)
        try:
            return body()
        finally:
            journal.record(Kind.PHASE, Type.END, name)

    def _sweep(self, journal: Journal) -> None:
        removed = sweep_leftovers(docker_client(), self.settings.log)
        if removed:
            journal.record(Kind.NOTE, Type.INFO, "sweep", data={"removed": removed})

    def _start_stack(self) -> Endpoints:
        self._stack = StagingStack(self.settings.run_id, self.settings.log)
        self.settings.log(f"starting staging replica {self._stack.project}")
        return self._stack.start()

    def _observation_budget_s(self) -> float:
        s = self.scenario.staging
        return (
            s.baseline + s.recovery_bound + s.steady_window + s.probe_timeout * 2 + s.drain_timeout
        ).total_seconds()

    def _start_observers(self, journal: Journal, endpoints: Endpoints) -> None:
        s = self.scenario.staging
        budget = self._observation_budget_s()
        run_id = self.settings.run_id
        self._observers = [
            WorkerSignals(endpoints.worker_url, journal, self.clock, SIGNAL_POLL_S, budget),
            CanaryProbe(
                endpoints.intake_url,
                journal,
                self.clock,
                run_id,
                s.probe_interval.total_seconds(),
                s.probe_timeout.total_seconds(),
                budget,
            ),
            ClaimWorkload(endpoints.intake_url, journal, self.clock, run_id, s.workload_rate, budget),
        ]
        for observer in self._observers:
            observer.start()

    def _stop_observers(self, kinds: tuple[type, ...] = (object,)) -> None:
        for observer in list(self._observers):
            if isinstance(observer, kinds):
                observer.stop()
                self._observers.remove(observer)

    def _steady_during_baseline(self, journal: Journal) -> bool:
        probes = probe_results(journal.events())
        return bool(probes) and all(p.ok for p in probes)

    def _inject_and_hold(self, journal: Journal, endpoints: Endpoints) -> None:
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
        self._run_steps(journal, endpoints, bound_ns, after_revert=False)
        deadline = bound_ns + ns(s.steady_window) + ns(s.probe_timeout)
        while self.clock.monotonic_ns() < deadline:
            now = self.clock.monotonic_ns()
            found = recovery_point(
                probe_results(journal.events()), FaultWindow(start_ns, None), ns(s.steady_window), now
            )
            if found.recovered_at_ns is not None:
                break
            self.clock.sleep(HOLD_POLL_S)
        self._revert_all(journal)

    def _run_steps(
        self, journal: Journal, endpoints: Endpoints, deadline_ns: int, *, after_revert: bool
    ) -> None:
        for step, hook in self._steps:
            if hook.after_revert != after_revert:
                continue
            journal.record(Kind.STEP, Type.INVOKE, step.title, value=step.hook)
            ctx = RecoveryContext(
                endpoints, journal, self.clock, deadline_ns, self, self._services, tuple(step.components)
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

    def _drain(self, journal: Journal, endpoints: Endpoints) -> None:
        deadline = self.clock.monotonic_ns() + ns(self.scenario.staging.drain_timeout)
        self._run_steps(journal, endpoints, deadline, after_revert=True)
        acknowledged = build_ledger(journal.events()).acknowledged
        store = ClaimStore(endpoints.intake_url)
        while True:
            pending = acknowledged - store.snapshot().processed
            if not pending or self.clock.monotonic_ns() >= deadline:
                break
            self.clock.sleep(DRAIN_POLL_S)
        journal.record(Kind.NOTE, Type.INFO, "drain", data={"pending": len(pending)})

    def _final_read(self, journal: Journal, endpoints: Endpoints) -> None:
        snapshot = ClaimStore(endpoints.intake_url).snapshot()
        data = {"processed": sorted(snapshot.processed), "pending": sorted(snapshot.pending)}
        journal.record(Kind.READ, Type.OK, FINAL_READ, data=data)

    # -- teardown and result ------------------------------------------------------------------------

    def _teardown(self, journal: Journal) -> str | None:
        problems: list[str] = []
        self._stop_observers()
        try:
            self._revert_all(journal)
        except DrdrillError as exc:
            problems.append(f"FAULT NOT REVERTED: {exc}")
        if self._toxiproxy is not None:
            try:
                self._toxiproxy.reset()
            except DrdrillError as exc:
                if self._applied:
                    problems.append(f"Toxiproxy reset failed: {exc}")
            self._toxiproxy.close()
        if self._stack is not None:
            try:
                removed = self._stack.stop()
                self._cleanup.append(f"replica {self._stack.project} removed")
                if removed:
                    self._cleanup.append(f"{removed} object(s) left by compose were removed by label")
            except DrdrillError as exc:
                problems.append(f"replica not removed: {exc}")
        for problem in problems:
            journal.record(Kind.NOTE, Type.FAIL, "cleanup", data={"problem": problem})
        return "; ".join(problems) or None

    def objectives(self) -> Objectives:
        objective = self.plan.objectives_for(self.scenario)
        s = self.scenario.staging
        return Objectives(
            rto_ns=ns(objective.rto),
            rpo_ns=ns(objective.rpo),
            recovery_bound_ns=ns(s.recovery_bound),
            steady_window_ns=ns(s.steady_window),
            manual_ns=ns(self.scenario.manual_estimate),
            slow_factor=self._latency_factor(),
            criteria=tuple(self._criteria()),
            criteria_match_all=self.scenario.detection.match == "all",
        )

    def _criteria(self) -> list[Criterion]:
        """The plan's detection criteria the canary probes can evaluate, at staging time scale."""
        return [
            Criterion(
                metric=c.metric,
                window_ns=ns(self.scenario.staging_window(c)),
                above=c.above,
                factor=c.baseline_factor,
                description=c.describe(),
            )
            for c in self.scenario.detection.criteria
            if (c.metric == "error_rate" and c.above is not None)
            or (c.metric == "latency" and c.baseline_factor is not None)
        ]

    def _latency_factor(self) -> float | None:
        """The plan's own latency criterion (e.g. 10x baseline) decides when a slow probe is a symptom."""
        factors = [
            c.baseline_factor
            for c in self.scenario.detection.criteria
            if c.metric == "latency" and c.baseline_factor is not None
        ]
        return min(factors) if factors else None

    def _finish(self, journal: Journal, status: str, error: str | None) -> DrillResult:
        events = journal.events()
        journal.close()
        objectives = self.objectives()
        measurements, verdicts = measure_and_judge(events, objectives)
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
            },
        )
        path = write_scorecard(scorecard, self.run_dir / "scorecard.json")
        write_html(scorecard, self.run_dir / "scorecard.html", str(path))
        return DrillResult(status, scorecard, path, verdicts, measurements)
