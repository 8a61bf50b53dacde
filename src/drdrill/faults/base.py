"""What every injected fault is, and what a fault family needs to build one.

A fault is an object with ``apply()`` and ``revert()``; reverting is safe when the fault is not in place and safe
twice. Whether it *is* in place is not the fault's business: whoever applies it pushes its revert onto the
drill's undo stack (:mod:`drdrill.undo`), which is the one record of what must be undone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from drdrill.datastores import Stores
from drdrill.errors import UnsupportedFaultError
from drdrill.faults.toxiproxy import Proxies
from drdrill.plan import Plan
from drdrill.plan.faults import Fault
from drdrill.staging.backend import ReplicaControl


@runtime_checkable
class InjectedFault(Protocol):
    """A disaster the runner puts in place and takes away again."""

    @property
    def label(self) -> str:
        """Short description for the journal, e.g. ``down primary-provider``."""

    @property
    def target(self) -> str:
        """The plan component (or zone, region) it hits."""

    def apply(self) -> None:
        """Put the fault in place."""

    def revert(self) -> None:
        """Take it away; a no-op when it is not in place. Raises :class:`FaultError` when it cannot."""


@runtime_checkable
class StopsServices(Protocol):
    """A fault that itself stops (or replaces) containers: their going down is the fault, not a finding."""

    @property
    def stops(self) -> tuple[str, ...]:
        """The compose services whose containers this fault takes down."""


@runtime_checkable
class Reports(Protocol):
    """A fault whose target counts what happened while it was in place (a provider's calls, errors, calls made
    before a Retry-After allowed them): a note journalled just after the revert's event carries it (read after
    the revert is stamped, so a count that waits for calls still running is no part of the fault's time)."""

    def report(self) -> Mapping[str, int]:
        """The counts over the fault's time in place; empty when the target could not say."""


@runtime_checkable
class ChecksBackend(Protocol):
    """A fault whose playing depends on the staging back-end (a container fault on Kubernetes is played on pods,
    and a pause is not played at all): it checks the back-end before anything runs."""

    def check_backend(self, backend: object) -> None:
        """Raise :class:`UnsupportedFaultError` (why, and the fix) when ``backend`` cannot play this fault."""


@dataclass(frozen=True)
class FaultTargets:
    """What a family builds its faults against: the plan's mapping of components to the replica, and the
    replica (with what only its back-end can do) and Toxiproxy, which are reached only when a fault acts
    (faults are built before anything runs)."""

    plan: Plan
    where: str  # the scenario file, for errors
    replica: ReplicaControl
    toxiproxy: Callable[[], Proxies]
    stores: Stores  # the plan's data stores, for data faults

    @property
    def services(self) -> Mapping[str, str]:
        """Compose service of each plan component that has one."""
        return {
            name: c.staging.service
            for name, c in self.plan.components.items()
            if c.staging is not None and c.staging.service
        }

    @property
    def proxies(self) -> Mapping[str, str]:
        """Toxiproxy proxy of each plan component that has one."""
        return {
            name: c.staging.proxy
            for name, c in self.plan.components.items()
            if c.staging is not None and c.staging.proxy
        }

    def service_of(self, fault: Fault) -> str:
        """The compose service behind the component ``fault`` targets; refused when it has none."""
        return self._mapped(self.services, fault, "service")

    def proxy_of(self, fault: Fault) -> str:
        """The Toxiproxy proxy in front of the component ``fault`` targets; refused when it has none."""
        return self._mapped(self.proxies, fault, "proxy")

    def _mapped(self, mapping: Mapping[str, str], fault: Fault, what: str) -> str:
        found = mapping.get(fault.target)
        if found is None:
            raise UnsupportedFaultError(
                f"{self.where}: fault {fault.kind!r} targets {fault.target!r}, which has no staging {what}; give "
                f"the component `staging: {{{what}: <name>}}` in plan.yaml"
            )
        return found


class FaultFamily(Protocol):
    """One family of faults (network, container, provider HTTP, ...): the kinds it plays and how it builds them."""

    kinds: frozenset[str]

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        """The injectable fault for one declaration (``index``: its place in the scenario, for unique names)."""
