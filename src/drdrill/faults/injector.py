"""The fault injector: a scenario's faults built once, typed, before anything starts; the run's Toxiproxy client.

Each family (network, container, provider HTTP, ...) registers the kinds it plays; a kind no family plays is
refused in preflight with the list of those that can be injected. Faults are built against a replica slot and
a Toxiproxy that are reached only when a fault acts, so the same objects that were checked are the ones applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults.base import FaultFamily, FaultTargets, InjectedFault
from drdrill.faults.container import ContainerFamily
from drdrill.faults.network import NetworkFamily
from drdrill.faults.provider import ProviderFamily
from drdrill.faults.toxiproxy import ToxiproxyClient
from drdrill.plan import Plan
from drdrill.plan.faults import Fault
from drdrill.replica import Replica

FAMILIES: tuple[FaultFamily, ...] = (NetworkFamily(), ContainerFamily(), ProviderFamily())


def supported_kinds(families: Sequence[FaultFamily] = FAMILIES) -> frozenset[str]:
    """Every fault kind some family can inject."""
    return frozenset(kind for family in families for kind in family.kinds)


@runtime_checkable
class Closeable(Protocol):
    def close(self) -> None: ...


class FaultInjector:
    """The faults of one drill, and the Toxiproxy client they share (connected once the replica runs)."""

    def __init__(
        self,
        plan: Plan,
        faults: Sequence[Fault],
        where: str,
        replica: Replica,
        families: Sequence[FaultFamily] = FAMILIES,
    ) -> None:
        self._toxiproxy: ToxiproxyClient | None = None
        targets = FaultTargets(plan=plan, where=where, replica=replica, toxiproxy=self.toxiproxy)
        by_kind = {kind: family for family in families for kind in family.kinds}
        built: list[InjectedFault] = []
        for index, fault in enumerate(faults):
            family = by_kind.get(fault.kind)
            if family is None:
                known = ", ".join(sorted(by_kind))
                raise UnsupportedFaultError(
                    f"{where}: fault kind {fault.kind!r} of the {fault.family} family (target {fault.target!r}) "
                    f"cannot be injected by this drdrill version yet; injectable kinds: {known}. "
                    "Run it as a tabletop exercise: drdrill tabletop"
                )
            built.append(family.build(fault, targets, index))
        self.faults: tuple[InjectedFault, ...] = tuple(built)

    def connect(self, host: str, port: int) -> str:
        """Reach the run's Toxiproxy API; returns its version (for the scorecard)."""
        self._toxiproxy = ToxiproxyClient(host, port)
        return self._toxiproxy.version()

    def toxiproxy(self) -> ToxiproxyClient:
        """The run's Toxiproxy client; a network fault acting without one is a fault that cannot act."""
        if self._toxiproxy is None:
            raise FaultError("Toxiproxy is not connected: the replica runs no proxy for the plan's links")
        return self._toxiproxy

    def close(self) -> None:
        """Release every client the faults hold (safe twice)."""
        for fault in self.faults:
            if isinstance(fault, Closeable):
                fault.close()
        if self._toxiproxy is not None:
            self._toxiproxy.close()
            self._toxiproxy = None
