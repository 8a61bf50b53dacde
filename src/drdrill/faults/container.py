"""Container faults: the container behind a component is stopped, killed or frozen, then brought back; or
replaced by a new one, as an orchestrator does after a node loss."""

from __future__ import annotations

import docker.errors
from docker.models.containers import Container

from drdrill.errors import DrdrillError, FaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.plan.faults import Fault, Kill, Pause, Replace, Stop
from drdrill.replica import Replica
from drdrill.staging.backend import ReplicaControl, ServiceFaults

CONTAINER_KINDS = frozenset({"stop", "kill", "pause", "replace"})
STOP_TIMEOUT_S = 2


def bring_back(container: Container) -> bool:
    """Unpause or start ``container`` unless it runs already; True when it had to be brought back."""
    container.reload()
    if container.status == "paused":
        container.unpause()
    elif container.status != "running":
        container.start()
    else:
        return False
    return True


class DockerContainers:
    """The container faults where a service is one Docker container (compose): the :class:`ServiceFaults` of a
    back-end that has no other units, acting on :meth:`Replica.container`."""

    def __init__(self, replica: Replica) -> None:
        self._replica = replica

    def service_fault(self, kind: str, signal: str) -> str:
        return ""  # every kind, every signal: what the kind says, on the container

    def stop_service(self, service: str) -> str:
        self._replica.container(service).stop(timeout=STOP_TIMEOUT_S)
        return f"stopped the container of {service}"

    def kill_service(self, service: str, signal: str) -> str:
        self._replica.container(service).kill(signal=signal)
        return f"sent {signal} to the container of {service}"

    def pause_service(self, service: str) -> str:
        self._replica.container(service).pause()
        return f"paused the container of {service}"

    def bring_back_service(self, service: str) -> str:
        brought = bring_back(self._replica.container(service))
        return f"{'brought back' if brought else 'nothing to bring back:'} the container of {service}"


class ContainerFault:
    """Stop, kill or pause one service; reverting brings it back. On compose the service's container, through
    :class:`DockerContainers`; on a back-end that plays these faults itself (:class:`ServiceFaults`, e.g.
    Kubernetes), through it."""

    def __init__(
        self, replica: Replica, service: str, target: str, kind: str, signal: str = "SIGKILL"
    ) -> None:
        if kind not in CONTAINER_KINDS - {"replace"}:
            raise ValueError(f"not a container fault: {kind!r}")
        self._replica = replica
        self._service = service
        self._target = target
        self._kind = kind
        self._signal = signal
        self._how = ""  # what the fault does on the drill's back-end, when not what its kind says

    @property
    def label(self) -> str:
        said = [self._signal] if self._kind == "kill" else []
        said += [self._how] if self._how else []
        return f"{self._kind} {self._target}" + (f" ({': '.join(said)})" if said else "")

    @property
    def target(self) -> str:
        return self._target

    @property
    def stops(self) -> tuple[str, ...]:
        return () if self._kind == "pause" else (self._service,)

    def check_backend(self, backend: object) -> None:
        """Refuse (:class:`UnsupportedFaultError`) a back-end that cannot play this fault; learn what it does
        there, for the label. Called in preflight, before anything runs."""
        if isinstance(backend, ServiceFaults):
            self._how = backend.service_fault(self._kind, self._signal)

    def apply(self) -> None:
        services = self._services()
        try:
            if self._kind == "kill":
                services.kill_service(self._service, self._signal)
            elif self._kind == "stop":
                services.stop_service(self._service)
            else:
                services.pause_service(self._service)
        except (docker.errors.APIError, DrdrillError) as exc:
            raise FaultError(f"could not {self._kind} the container of {self._target}: {exc}") from exc
        except LookupError as exc:
            raise self._no_container("apply", exc) from exc

    def revert(self) -> None:
        services = self._services()
        try:
            services.bring_back_service(self._service)
        except (docker.errors.APIError, DrdrillError) as exc:
            raise FaultError(f"could not bring back the container of {self._target}: {exc}") from exc
        except LookupError as exc:
            raise self._no_container("revert", exc) from exc

    def _services(self) -> ServiceFaults:
        """The back-end when it plays container faults itself (the replica, or the back-end a slot holds), else
        the service's container."""
        if isinstance(self._replica, ServiceFaults):
            return self._replica
        found = getattr(self._replica, "service_faults", None)
        try:
            backend = found() if callable(found) else None
        except LookupError:
            backend = None  # not running: the container's lookup says so in its own words
        return backend if isinstance(backend, ServiceFaults) else DockerContainers(self._replica)

    def _no_container(self, what: str, exc: LookupError) -> FaultError:
        return FaultError(f"cannot {what} {self.label}: no container for service {self._service!r}: {exc}")


class ReplacedContainer:
    """The container of a service thrown away and a new one created from the same configuration: a new id, a
    new hostname, empty anonymous volumes. Nothing to revert: the new container is the one that stays (an
    orchestrator does not bring the old node back)."""

    def __init__(self, replica: ReplicaControl, service: str, target: str) -> None:
        self._replica = replica
        self._service = service
        self._target = target

    @property
    def label(self) -> str:
        return f"replace {self._target}"

    @property
    def target(self) -> str:
        return self._target

    @property
    def stops(self) -> tuple[str, ...]:
        return (self._service,)

    def apply(self) -> None:
        try:
            self._replica.replace(self._service)
        except (docker.errors.APIError, LookupError, DrdrillError) as exc:
            raise FaultError(f"could not replace the container of {self._target}: {exc}") from exc

    def revert(self) -> None:
        """Nothing: the replacement is the container from now on."""


class ContainerFamily:
    """Faults on the container of a component's compose service."""

    kinds = CONTAINER_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        if isinstance(fault, Replace):
            return ReplacedContainer(targets.replica, targets.service_of(fault), fault.target)
        if not isinstance(fault, Stop | Kill | Pause):
            raise TypeError(f"not a container fault: {fault.kind!r}")
        signal = fault.signal if isinstance(fault, Kill) else "SIGKILL"
        return ContainerFault(targets.replica, targets.service_of(fault), fault.target, fault.kind, signal)
