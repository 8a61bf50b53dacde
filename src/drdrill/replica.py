"""The running staging replica, as everything that acts on it sees it: one protocol, declared once.

The system under drill reaches its services through it, faults and recovery steps find containers through it,
and the staging back-end (:class:`drdrill.staging.backend.StagingBackend`) is one implementation of it.
"""

from __future__ import annotations

from typing import Protocol

from docker.models.containers import Container


class Replica(Protocol):
    """Where the host reaches the replica's services, and their containers."""

    def address(self, service: str, port: int) -> tuple[str, int]:
        """``("127.0.0.1", host_port)`` where the host reaches ``service``'s container ``port``."""

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        """``http://127.0.0.1:<host port>`` of ``service``'s container ``port``."""

    def container(self, service: str) -> Container:
        """The container of a compose service, running or not."""


class NotRunning:
    """The replica before it runs: what is built in preflight may hold it, and fails loudly if it uses it."""

    def address(self, service: str, port: int) -> tuple[str, int]:
        raise LookupError("the staging replica is not running")

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        raise LookupError("the staging replica is not running")

    def container(self, service: str) -> Container:
        raise LookupError("the staging replica is not running")


class ReplicaSlot:
    """A replica that is attached once it runs: faults and steps are built in preflight against this slot, and
    reach the real replica when they act (after the start), or fail with "not running" before it."""

    def __init__(self) -> None:
        self._replica: Replica = NotRunning()

    def attach(self, replica: Replica) -> None:
        self._replica = replica

    def address(self, service: str, port: int) -> tuple[str, int]:
        return self._replica.address(service, port)

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        return self._replica.url(service, port, scheme)

    def container(self, service: str) -> Container:
        return self._replica.container(service)
