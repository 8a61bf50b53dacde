"""A fake system under drill and a fake staging replica, both on a fake clock: the runner without Docker.

The help desk of :mod:`tests.unit.ticket_plan` is down from the moment its responder's container is killed
until it comes back: by itself ``heal_after_s`` later (the engine's restart policy), or when the runner starts
the container again (a revert, a restart-service step), ``boot_s`` after that start. Everything it answers
is a function of the fake clock, so a drill of it runs the same way every time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from docker.models.containers import Container

from drdrill.clock import FakeClock
from drdrill.plan import Plan
from drdrill.run.interrupts import PENDING
from drdrill.staging.backend import ExecResult, Log, StagingBackend
from drdrill.staging.configuration import Configuration
from drdrill.staging.override import ProxyPlan
from drdrill.staging.watch import ContainerEvent
from drdrill.system import FinalRead, ProbeResult, SignalMeaning, SystemContext, WriteResult
from drdrill.units import NS_PER_S


def ns(seconds: float) -> int:
    return round(seconds * NS_PER_S)


@dataclass
class FakeHelpdesk:
    """A :class:`~drdrill.system.DrillSystem` whose health follows its responder's container.

    ``lose_while_down``: writes acknowledged while the responder is down are dropped (acknowledged, then lost).
    ``read_error``: the final read raises it (after ``reads_ok`` reads that work). ``interrupt_after_s``: a probe this long into the outage raises
    KeyboardInterrupt, as Ctrl-C would mid-fault (``interrupt_lost``: only notes it, as the signal handler does
    when its KeyboardInterrupt is swallowed by a finalizer). ``failover``: the raw failover signal while down (else it
    says ``main``).
    """

    clock: FakeClock
    heal_after_s: float | None = None
    boot_s: float = 0.0
    lose_while_down: bool = False
    read_error: BaseException | None = None
    reads_ok: int = 0  # reads that work before read_error (the runner reads once right after the start)
    interrupt_after_s: float | None = None
    interrupt_lost: bool = (
        False  # the interrupt is only noted, its KeyboardInterrupt lost (as in a finalizer)
    )
    failover: str | None = None
    down_since_ns: int | None = None
    up_at_ns: int | None = None
    held: set[str] = field(default_factory=set)
    written_down: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    probed: list[str] = field(default_factory=list)
    opened: int = 0
    closed: int = 0
    reads: int = 0
    interrupt_noted: bool = False

    # what the fake container does to it

    def killed(self) -> None:
        now = self.clock.monotonic_ns()
        self.down_since_ns = now
        self.up_at_ns = None if self.heal_after_s is None else now + ns(self.heal_after_s)

    def started(self) -> None:
        self.up_at_ns = self.clock.monotonic_ns() + ns(self.boot_s)

    def healthy(self) -> bool:
        if self.down_since_ns is None:
            return True
        return self.up_at_ns is not None and self.clock.monotonic_ns() >= self.up_at_ns

    # the contract

    def open(self, context: SystemContext) -> None:
        self.opened += 1

    def write(self, unit_id: str, payload: str) -> WriteResult:
        if not self.healthy():
            self.written_down.append(unit_id)
            if self.lose_while_down:
                self.dropped.append(unit_id)
                return WriteResult("ok", "accepted")  # acknowledged, but never kept
        self.held.add(unit_id)
        return WriteResult("ok", "accepted")

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        if (
            self.interrupt_after_s is not None
            and self.down_since_ns is not None
            and self.clock.monotonic_ns() >= self.down_since_ns + ns(self.interrupt_after_s)
        ):
            if not self.interrupt_lost:
                raise KeyboardInterrupt
            if not self.interrupt_noted:
                self.interrupt_noted = True
                PENDING.note("SIGINT")  # what the handler notes before its KeyboardInterrupt is swallowed
        self.probed.append(probe_id)
        self.held.add(probe_id)  # a read-back probe writes a unit of its own, which the system then holds
        if self.healthy():
            return ProbeResult(True, "answered")
        return ProbeResult(False, "no answer: the responder is down")

    def final_read(self) -> FinalRead:
        self.reads += 1
        if self.read_error is not None and self.reads > self.reads_ok:
            raise self.read_error
        done = frozenset(self.held) if self.healthy() else frozenset()
        return FinalRead(frozenset(self.held), done, f"{len(self.held)} held")

    def signals(self) -> Mapping[str, str]:
        if self.failover is None:
            return {}
        return {"failover": "main" if self.healthy() else self.failover}

    def close(self) -> None:
        self.closed += 1

    def payloads(self) -> Sequence[str]:
        return ("My printer prints only blank pages.", "The invoice total is wrong.")

    def signal_meanings(self) -> Mapping[str, SignalMeaning]:
        if self.failover is None:
            return {}
        return {"failover": SignalMeaning(normal="main", failed_over=frozenset({self.failover}))}


@dataclass
class FakeContainer:
    """The few calls container faults and restart hooks make on a docker ``Container``."""

    system: FakeHelpdesk
    start_error: BaseException | None = None
    status: str = "running"
    calls: list[str] = field(default_factory=list)

    def kill(self, signal: str = "SIGKILL") -> None:
        self.calls.append(f"kill {signal}")
        self.status = "exited"
        self.system.killed()

    def stop(self, timeout: int = 10) -> None:
        self.calls.append(f"stop {timeout}")
        self.status = "exited"
        self.system.killed()

    def start(self) -> None:
        self.calls.append("start")
        if self.start_error is not None:
            raise self.start_error
        self.status = "running"
        self.system.started()

    def reload(self) -> None:
        # a container the engine restarted by itself runs again
        if self.status == "exited" and self.system.up_at_ns is not None and self.system.healthy():
            self.status = "running"

    def unpause(self) -> None:
        self.calls.append("unpause")
        self.status = "running"

    def pause(self) -> None:
        self.calls.append("pause")
        self.status = "paused"
        self.system.killed()


@dataclass
class FakeWatch:
    """The replica watch of a fake replica: the test says what the engine saw."""

    on_event: Callable[[ContainerEvent], None]
    stopped: bool = False

    def emit(self, service: str, action: str, exit_code: int | None = None) -> None:
        if not self.stopped:
            self.on_event(ContainerEvent(service, action, exit_code))

    def stop(self) -> None:
        self.stopped = True


@dataclass
class FakeStaging:
    """A :class:`~drdrill.staging.backend.StagingBackend` with no engine: one container per service."""

    containers: dict[str, FakeContainer]
    project: str = "drdrill-test"
    compose_file: Path = Path("compose.yaml")
    started: bool = False
    calls: list[str] = field(default_factory=list)
    stop_error: BaseException | None = None
    stop_notes: list[str] = field(default_factory=list)  # what stop() says it left in place
    teardown_notes: list[str] = field(default_factory=list)
    read_early: bool | None = None
    watcher: FakeWatch | None = None
    # What an exec answers, by service (default: exit 0 with no output); it may act on the fakes.
    execs: dict[str, Callable[[Sequence[str]], ExecResult]] = field(default_factory=dict)
    profiles: dict[str, list[str]] = field(default_factory=dict)
    on_start: dict[str, Callable[[], None]] = field(default_factory=dict)  # what starting a service does

    @property
    def secrets(self) -> Mapping[str, str]:
        return {"DRDRILL_TEST_SECRET": "not-a-real-secret"}

    @property
    def proxies(self) -> list[ProxyPlan]:
        return []  # no link: the drill needs no Toxiproxy

    def watch(self, on_event: Callable[[ContainerEvent], None], on_error: Callable[[str], None]) -> FakeWatch:
        """Container events come from the test: ``staging.watcher.emit(...)``."""
        self.watcher = FakeWatch(on_event)
        return self.watcher

    def link_address(self, link: str) -> tuple[str, int]:
        raise AssertionError("a replica without links has no link to reach")

    @property
    def toxiproxy_address(self) -> tuple[str, int]:
        raise AssertionError("a replica without links has no Toxiproxy")

    @property
    def override_text(self) -> str:
        return "# generated override (fake)\n"

    def environment(self) -> dict[str, str]:
        return {"engine": "fake"}

    def sweep(self) -> int:
        self.calls.append("sweep")
        return 0

    def prepare(self) -> None:
        self.calls.append("prepare")

    def start(self) -> None:
        self.calls.append("start")
        self.started = True

    def stop(self) -> int:
        self.calls.append("stop")
        if self.stop_error is not None:
            raise self.stop_error
        self.teardown_notes.extend(self.stop_notes)
        self.started = False
        return 0

    def images(self) -> dict[str, str]:
        return {service: f"sha256:{service}" for service in self.containers}

    def configuration(self) -> Configuration:
        return Configuration(
            compose_file=str(self.compose_file),
            compose_digest="sha256:compose",
            environment={"RESPONDER_MODEL": "small (default)"},
            plan_digest="sha256:plan",
        )

    def address(self, service: str, port: int) -> tuple[str, int]:
        return "127.0.0.1", 40000 + port

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        return "{}://{}:{}".format(scheme, *self.address(service, port))

    def container(self, service: str) -> Container:
        if service not in self.containers:
            raise LookupError(f"no container for service {service!r}")
        return cast(Container, self.containers[service])

    # what only the back-end can do

    def replace(self, service: str) -> None:
        self.calls.append(f"replace {service}")
        old = self.containers[service]
        old.kill()
        self.containers[service] = FakeContainer(old.system)
        self.containers[service].start()

    def start_services(self, services: Sequence[str] = (), profile: str | None = None) -> list[str]:
        names = list(services) if profile is None else self.profiles[profile]
        self.calls.append(f"start_services {' '.join(names)}")
        for name in names:
            self.on_start.get(name, lambda: None)()
        return names

    def await_ready(self, services: Sequence[str], timeout_s: float) -> None:
        self.calls.append(f"await_ready {' '.join(services)}")

    def disconnect(self, service: str) -> None:
        self.calls.append(f"disconnect {service}")
        self.containers[service].system.killed()

    def reconnect(self, service: str) -> None:
        self.calls.append(f"reconnect {service}")
        container = self.containers[service]
        if container.status == "running":  # a container that kept running serves again once attached
            container.system.started()

    def remove_volume(self, volume: str) -> list[str]:
        self.calls.append(f"remove_volume {volume}")
        return []

    def exec(
        self,
        service: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> ExecResult:
        self.calls.append(f"exec {service} {' '.join(argv)}")
        run = self.execs.get(service)
        return run(argv) if run is not None else ExecResult(0, "")

    def factory(self, plan: Plan, run_id: str, log: Log) -> StagingBackend:
        """What ``DrillSettings.staging`` calls: this replica, whatever the run."""
        self.calls.append(f"factory {run_id}")
        return self
