"""Container faults: the container behind a component is stopped, killed or frozen, then brought back; or
replaced by a new one, as an orchestrator does after a node loss."""

from __future__ import annotations

import docker.errors
from docker.models.containers import Container

from drdrill.errors import DrdrillError, FaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.plan.faults import Fault, Kill, Pause, Replace, Stop
from drdrill.replica import Replica
from drdrill.staging.backend import ReplicaControl

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


class ContainerFault:
    """Stop, kill or pause one service's container; reverting starts (or unpauses) it if it is down."""

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

    @property
    def label(self) -> str:
        return (
            f"kill {self._target} ({self._signal})"
            if self._kind == "kill"
            else f"{self._kind} {self._target}"
        )

    @property
    def target(self) -> str:
        return self._target

    @property
    def stops(self) -> tuple[str, ...]:
        return () if self._kind == "pause" else (self._service,)

    def apply(self) -> None:
        container = self._container("apply")
        try:
            if self._kind == "kill":
                container.kill(signal=self._signal)
            elif self._kind == "stop":
                container.stop(timeout=STOP_TIMEOUT_S)
            else:
                container.pause()
        except docker.errors.APIError as exc:
            raise FaultError(f"could not {self._kind} the container of {self._target}: {exc}") from exc

    def revert(self) -> None:
        container = self._container("revert")
        try:
            bring_back(container)
        except docker.errors.APIError as exc:
            raise FaultError(f"could not bring back the container of {self._target}: {exc}") from exc

    def _container(self, what: str) -> Container:
        try:
            return self._replica.container(self._service)
        except (docker.errors.APIError, LookupError) as exc:
            raise FaultError(
                f"cannot {what} {self.label}: no container for service {self._service!r}: {exc}"
            ) from exc


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
