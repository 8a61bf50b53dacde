"""The fault injector: a scenario's faults built once, typed, before anything starts; the run's Toxiproxy client.

Each family (network, container, provider HTTP, ...) registers the kinds it plays; a kind no family plays is
refused in preflight with the list of those that can be injected. Faults are built against a replica slot and
a Toxiproxy that are reached only when a fault acts, so the same objects that were checked are the ones applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from drdrill.datastores import Stores
from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults.base import ChecksBackend, FaultFamily, FaultTargets, InjectedFault
from drdrill.faults.container import ContainerFamily
from drdrill.faults.credentials import CredentialFamily
from drdrill.faults.data import DataFamily
from drdrill.faults.network import NetworkFamily
from drdrill.faults.provider import ProviderFamily
from drdrill.faults.toxiproxy import Proxies, ProxiesFactory, ToxiproxyClient
from drdrill.faults.zone import PlaceFamily
from drdrill.plan import Plan
from drdrill.plan.faults import Fault
from drdrill.plan.yamlsource import YamlDoc, read_yaml
from drdrill.staging.backend import ReplicaControl

FAMILIES: tuple[FaultFamily, ...] = (
    NetworkFamily(),
    ContainerFamily(),
    ProviderFamily(),
    PlaceFamily(),
    DataFamily(),
    CredentialFamily(),
)


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
        replica: ReplicaControl,
        families: Sequence[FaultFamily] = FAMILIES,
        proxies: ProxiesFactory = ToxiproxyClient,
    ) -> None:
        self._toxiproxy: Proxies | None = None
        self._connect = proxies  # the real client, or a fake one in unit tests
        self.stores = Stores(plan, replica, secrets=lambda: replica.secrets, link_upstream=self.link_upstream)
        targets = FaultTargets(
            plan=plan, where=where, replica=replica, toxiproxy=self.toxiproxy, stores=self.stores
        )
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
        self.declared: tuple[Fault, ...] = tuple(faults)  # each fault as the scenario declares it, in order
        self._where = where

    def check_backend(self, backend: object) -> None:
        """Every fault whose playing depends on the staging back-end checks ``backend`` (in preflight, before
        anything runs); a refusal names the scenario file and the fault's line."""
        for index, (built, declared) in enumerate(zip(self.faults, self.declared, strict=True)):
            if not isinstance(built, ChecksBackend):
                continue
            try:
                built.check_backend(backend)
            except UnsupportedFaultError as exc:
                raise UnsupportedFaultError(
                    f"{self._line_of(index)}: fault {declared.kind!r} (target {declared.target!r}): {exc}"
                ) from None

    def _line_of(self, index: int) -> str:
        """``file:line`` of the scenario's ``index``-th fault; the file alone for a fault it does not declare
        (one added to the drill) or a file that cannot be read again."""
        doc = read_yaml(Path(self._where))
        if not isinstance(doc, YamlDoc):
            return self._where
        declared = doc.data.get("faults") if isinstance(doc.data, dict) else None
        if not isinstance(declared, list) or index >= len(declared):
            return self._where
        line, _ = doc.position(["faults", index], key=False)
        return f"{self._where}:{line}"

    def connect(self, host: str, port: int) -> str:
        """Reach the run's Toxiproxy API; returns its version (for the scorecard)."""
        self._toxiproxy = self._connect(host, port)
        return self._toxiproxy.version()

    def toxiproxy(self) -> Proxies:
        """The run's Toxiproxy client; a network fault acting without one is a fault that cannot act."""
        if self._toxiproxy is None:
            raise FaultError("Toxiproxy is not connected: the replica runs no proxy for the plan's links")
        return self._toxiproxy

    def link_upstream(self, link: str) -> str:
        """Where a link leads now (``service:port``), as the run's Toxiproxy says."""
        found = self.toxiproxy().proxies().get(link)
        if found is None:
            raise FaultError(f"the run's Toxiproxy has no proxy for link {link!r}")
        return found.upstream

    def close(self) -> None:
        """Release every client the faults hold (safe twice)."""
        for fault in self.faults:
            if isinstance(fault, Closeable):
                fault.close()
        if self._toxiproxy is not None:
            self._toxiproxy.close()
            self._toxiproxy = None
