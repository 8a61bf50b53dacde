"""What the phases of one drill share: the plan, the settings, the clock, the journal, the undo stack, and what
the phases acquire on the way (the replica, the system, the faults, the observers)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drdrill import host
from drdrill.clock import Clock
from drdrill.errors import StagingError
from drdrill.faults import FaultInjector, ToxiproxyClient
from drdrill.faults.toxiproxy import ProxiesFactory
from drdrill.journal import Journal
from drdrill.plan import Plan, Scenario
from drdrill.plan.faults import Fault
from drdrill.probes import Observer
from drdrill.recovery import BUILTIN_HOOKS, RecoveryHook
from drdrill.run.interrupts import PENDING
from drdrill.run.steps import PlannedStep
from drdrill.staging.backend import ControlSlot, StagingBackend, StagingFactory
from drdrill.staging.configuration import Configuration
from drdrill.staging.stack import StagingStack
from drdrill.system import DrillSystem
from drdrill.undo import Undo, UndoStack

if TYPE_CHECKING:
    from drdrill.run.verification import GoldenRun

Log = Callable[[str], None]
WAIT_SLICE_S = 0.1  # how soon a dead Toxiproxy ends a wait


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
    proxies: ProxiesFactory = ToxiproxyClient  # the run's Toxiproxy client; unit tests give a fake one
    # Where in a probe interval the fault lands, as a share of it; None: drawn from the run id (see baseline).
    fault_phase: float | None = None
    # How busy the host is (drdrill.host.sample: its /proc counters); unit tests give a fixed one.
    host_sample: Callable[[], dict[str, object] | None] = host.sample


@dataclass
class Prepared:
    """What preflight built, checked, before any container starts."""

    system_kind: str
    system: DrillSystem
    injector: FaultInjector
    steps: tuple[PlannedStep, ...]
    stack: StagingBackend
    environment: dict[str, Any] = field(default_factory=dict)  # engine and tool versions, for the scorecard
    configuration: Configuration | None = None  # what shapes the system under drill


@dataclass
class DrillContext:
    """One drill's shared state. Phases read the plan and settings and record what they acquire here; whatever
    must be undone is pushed onto ``undo`` by the phase that acquired it."""

    plan: Plan
    scenario: Scenario
    settings: DrillSettings
    clock: Clock
    run_dir: Path
    journal: Journal
    prepared: Prepared
    replica: ControlSlot = field(default_factory=ControlSlot)
    undo: UndoStack = field(default_factory=UndoStack)
    observers: dict[str, tuple[Observer, Undo]] = field(default_factory=dict)
    cleanup: list[str] = field(default_factory=list)
    steady_before_fault: bool = False
    fatal: str | None = None  # set by the replica watch when the drill cannot go on (Toxiproxy died)
    warmup_from_ns: int | None = None  # when the warm-up's probing began (its bound counts from there)
    golden: GoldenRun | None = None  # the golden set written by the drain, for the verify phase to score
    golden_submitted: bool = False

    def check(self) -> None:
        """Raise if the drill cannot go on, or was asked to stop by a signal whose own KeyboardInterrupt was lost
        (:mod:`drdrill.run.interrupts`); phases call it while they wait."""
        PENDING.raise_noted()
        if self.fatal is not None:
            raise StagingError(self.fatal)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` on the drill's clock, checking every tenth of a second that it can go on."""
        deadline = self.clock.monotonic_ns() + round(seconds * 1e9)
        while (left := deadline - self.clock.monotonic_ns()) > 0:
            self.check()
            self.clock.sleep(min(left / 1e9, WAIT_SLICE_S))
        self.check()

    @property
    def environment(self) -> dict[str, Any]:
        """Versions and image ids for the scorecard (preflight's, and what the start adds)."""
        return self.prepared.environment

    @property
    def system(self) -> DrillSystem:
        return self.prepared.system

    @property
    def stack(self) -> StagingBackend:
        return self.prepared.stack

    def stop_observer(self, name: str) -> None:
        """Stop one observer now (the normal path); teardown stops whatever is left."""
        found = self.observers.pop(name, None)
        if found is not None:
            self.undo.release(found[1])
