"""Fault families: each fault is an object with ``apply()`` and ``revert()`` that is safe to revert twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from drdrill.errors import UnsupportedFaultError
from drdrill.faults.base import InjectedFault
from drdrill.faults.container import CONTAINER_KINDS, ServiceControl, container_fault
from drdrill.faults.network import NETWORK_KINDS, network_fault
from drdrill.faults.provider import PROVIDER_KINDS, ProviderFault, ServiceUrls, simulator_fault
from drdrill.faults.toxiproxy import ToxiproxyClient

SUPPORTED_KINDS = NETWORK_KINDS | CONTAINER_KINDS | PROVIDER_KINDS


class Replica(ServiceControl, ServiceUrls, Protocol):
    """The running replica, as container and provider faults need it."""


def build_faults(
    faults: list[Any],
    proxies: Mapping[str, str],
    services: Mapping[str, str],
    client: ToxiproxyClient,
    control: Replica,
    where: str,
) -> list[InjectedFault]:
    """Turn a scenario's fault declarations into injectable faults, before anything starts.

    ``proxies`` and ``services`` map component names to their Toxiproxy proxy and compose service.
    ``where`` names the scenario file for errors.
    """
    built: list[InjectedFault] = []
    for index, fault in enumerate(faults):
        if fault.kind not in SUPPORTED_KINDS:
            known = ", ".join(sorted(SUPPORTED_KINDS))
            raise UnsupportedFaultError(
                f"{where}: fault kind {fault.kind!r} of the {fault.family} family (target {fault.target!r}) cannot "
                f"be injected by this drdrill version yet; injectable kinds: {known}. "
                "Run it as a tabletop exercise: drdrill tabletop"
            )
        if fault.kind in CONTAINER_KINDS:
            built.append(container_fault(control, fault, _mapped(services, fault, "service", where)))
        elif fault.kind in PROVIDER_KINDS:
            service = _mapped(services, fault, "service", where)
            body = simulator_fault(fault, where)
            built.append(ProviderFault(control, service, fault.target, fault.kind, body))
        else:
            built.append(network_fault(client, fault, _mapped(proxies, fault, "proxy", where), index))
    return built


def _mapped(mapping: Mapping[str, str], fault: Any, what: str, where: str) -> str:
    found = mapping.get(fault.target)
    if found is None:
        raise UnsupportedFaultError(
            f"{where}: fault {fault.kind!r} targets {fault.target!r}, which has no staging {what}; give the "
            f"component `staging: {{{what}: <name>}}` in plan.yaml"
        )
    return found


__all__ = ["SUPPORTED_KINDS", "InjectedFault", "Replica", "ServiceControl", "ToxiproxyClient", "build_faults"]
