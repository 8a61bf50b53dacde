"""What the runner needs of a staging replica. :class:`~drdrill.staging.stack.StagingStack` is the real one
(compose + testcontainers); unit tests give the runner a fake one and drive it on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from drdrill.plan import Plan
from drdrill.replica import Replica
from drdrill.staging.configuration import Configuration
from drdrill.staging.override import ProxyPlan
from drdrill.staging.watch import ContainerEvent

Log = Callable[[str], None]


class Stoppable(Protocol):
    def stop(self) -> None:
        """Stop (safe twice)."""


class StagingBackend(Replica, Protocol):
    """One run's replica: prepared with nothing started, started, reached from the host (:class:`Replica`),
    stopped."""

    project: str
    compose_file: Path
    started: bool

    @property
    def secrets(self) -> Mapping[str, str]:
        """The run's generated secrets, by variable name (never written anywhere)."""

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
