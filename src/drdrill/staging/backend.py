"""What the runner needs of a staging replica. :class:`~drdrill.staging.stack.StagingStack` is the real one
(compose + testcontainers); unit tests give the runner a fake one and drive it on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from drdrill.plan import Plan
from drdrill.replica import Replica, ReplicaSlot
from drdrill.staging.configuration import Configuration
from drdrill.staging.override import ProxyPlan
from drdrill.staging.watch import ContainerEvent

Log = Callable[[str], None]


class Stoppable(Protocol):
    def stop(self) -> None:
        """Stop (safe twice)."""


@dataclass(frozen=True)
class ExecResult:
    """How a command run in a container ended: its exit status (None: it did not end in time) and its output."""

    exit_code: int | None
    output: str


@runtime_checkable
class ReplicaControl(Replica, Protocol):
    """What only the staging back-end can do to the running replica: the faults of the zone, region and data
    families and the declarative recovery actions take this, never a compose command of their own."""

    @property
    def secrets(self) -> Mapping[str, str]:
        """The run's generated secrets, by variable name (never written anywhere)."""

    def replace(self, service: str) -> None:
        """Throw ``service``'s container away (SIGKILL, removed with its anonymous volumes) and create a new one
        from the same configuration: a new id and hostname, as an orchestrator does after a node loss."""

    def start_services(self, services: Sequence[str] = (), profile: str | None = None) -> list[str]:
        """Create and start ``services`` (or every service of compose ``profile``) without touching any other;
        returns the services started."""

    def await_ready(self, services: Sequence[str], timeout_s: float) -> None:
        """Wait until the plan's readiness of each of ``services`` holds; raises when it does not in time."""

    def disconnect(self, service: str) -> None:
        """Cut ``service``'s container from every network it is on (it keeps running: a partition)."""

    def reconnect(self, service: str) -> None:
        """Attach ``service``'s container again to the networks :meth:`disconnect` cut, with the same names."""

    def remove_volume(self, volume: str) -> list[str]:
        """Remove every container mounting the named compose ``volume``, then the volume (the disk is gone);
        returns the services whose containers went."""

    def exec(
        self,
        service: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> ExecResult:
        """Run ``argv`` in ``service``'s running container, within ``timeout_s``."""


class StagingBackend(ReplicaControl, Protocol):
    """One run's replica: prepared with nothing started, started, reached from the host (:class:`Replica`),
    stopped."""

    project: str
    compose_file: Path
    started: bool
    teardown_notes: list[str]  # what :meth:`stop` left in place, and why, for the scorecard
    # compose's reading of the file taken up from before the set-up (staging/early.py); None: no compose file
    read_early: bool | None

    @property
    def proxies(self) -> list[ProxyPlan]:
        """The Toxiproxy proxies of this run (the plan's links)."""

    @property
    def toxiproxy_address(self) -> tuple[str, int]:
        """Where the host reaches the run's Toxiproxy API."""

    def watch(self, on_event: Callable[[ContainerEvent], None], on_error: Callable[[str], None]) -> Stoppable:
        """Hand every container event of the running replica to ``on_event`` until stopped."""

    def link_address(self, link: str) -> tuple[str, int]:
        """Where the host reaches the listener of a link's proxy."""

    @property
    def override_text(self) -> str:
        """The generated compose override, for the scorecard."""

    def environment(self) -> dict[str, str]:
        """Versions of the engine and tools, for the scorecard; raises when they are missing."""

    def sweep(self) -> int:
        """Remove what killed runs left behind; returns how many objects."""

    def prepare(self) -> None:
        """Everything that needs no container: images, ports, the override."""

    def start(self) -> None:
        """Bring the replica up and wait for the plan's readiness."""

    def stop(self) -> int:
        """Remove everything of this run; returns how many leftovers the label sweep removed."""

    def images(self) -> dict[str, str]:
        """Image id per service."""

    def configuration(self) -> Configuration:
        """What shapes the replica (after ``prepare``): compose file and plan digests, substituted variables."""


StagingFactory = Callable[[Plan, str, Log], StagingBackend]


@runtime_checkable
class NodeZones(Protocol):
    """A back-end whose zones are nodes (Kubernetes: ``topology.kubernetes.io/zone``): a zone is lost by losing
    its nodes, whatever the scheduler put there, not by the plan's placement of services."""

    def lose_zones(self, zones: frozenset[str], mode: str) -> list[str]:
        """Lose every node of ``zones`` in ``mode`` (power, freeze, drain); returns the services that had pods
        there (the scheduler placed them, not the plan: they are the ones the fault stopped)."""

    def restore_zones(self, zones: frozenset[str]) -> str:
        """Bring back the nodes :meth:`lose_zones` lost; returns what was done, in words."""


@runtime_checkable
class ServiceFaults(Protocol):
    """How the container family's faults (``stop``, ``kill``, ``pause``) act on one service. On compose a service
    is one container and the family acts on it itself (``drdrill.faults.container.DockerContainers``, over
    :meth:`Replica.container`); a back-end whose services are something else (Kubernetes: a Service's pods and
    the workloads that make them) implements this, and the family goes through it."""

    def service_fault(self, kind: str, signal: str) -> str:
        """What container fault ``kind`` (``signal`` for a kill) does to a service here, in a few words for its
        journal label ("" when it is what the kind says); raises :class:`~drdrill.errors.UnsupportedFaultError`
        with the reason and the fix when it cannot be played here. Asked in preflight, before anything runs."""

    def stop_service(self, service: str) -> str:
        """Stop ``service`` gracefully until :meth:`bring_back_service`; returns what was done, in words."""

    def kill_service(self, service: str, signal: str) -> str:
        """Kill ``service`` with ``signal``; returns what was done, in words."""

    def pause_service(self, service: str) -> str:
        """Freeze ``service`` (it keeps its connections, answers nothing); returns what was done, in words."""

    def bring_back_service(self, service: str) -> str:
        """Undo :meth:`stop_service`, :meth:`kill_service` or :meth:`pause_service` (safe twice); returns what
        was done, in words."""


class ControlSlot(ReplicaSlot):
    """The slot faults and recovery actions are built against in preflight: the replica (:class:`Replica`) and
    what only its back-end can do (:class:`ReplicaControl`), reached once the replica runs."""

    def __init__(self) -> None:
        super().__init__()
        self._control: ReplicaControl | None = None

    def attach(self, replica: Replica) -> None:
        super().attach(replica)
        self._control = replica if isinstance(replica, ReplicaControl) else None

    @property
    def secrets(self) -> Mapping[str, str]:
        return self._backend().secrets

    def node_zones(self) -> NodeZones | None:
        """The back-end, when its zones are nodes; None when a zone is the plan's placement of services."""
        backend = self._backend()
        return backend if isinstance(backend, NodeZones) else None

    def service_faults(self) -> ServiceFaults | None:
        """The back-end, when it plays the container faults itself; None when a service is one container."""
        backend = self._backend()
        return backend if isinstance(backend, ServiceFaults) else None

    def _backend(self) -> ReplicaControl:
        if self._control is None:
            raise LookupError("the staging replica is not running")
        return self._control

    def replace(self, service: str) -> None:
        self._backend().replace(service)

    def start_services(self, services: Sequence[str] = (), profile: str | None = None) -> list[str]:
        return self._backend().start_services(services, profile)

    def await_ready(self, services: Sequence[str], timeout_s: float) -> None:
        self._backend().await_ready(services, timeout_s)

    def disconnect(self, service: str) -> None:
        self._backend().disconnect(service)

    def reconnect(self, service: str) -> None:
        self._backend().reconnect(service)

    def remove_volume(self, volume: str) -> list[str]:
        return self._backend().remove_volume(volume)

    def exec(
        self,
        service: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> ExecResult:
        return self._backend().exec(service, argv, user=user, env=env, timeout_s=timeout_s)
