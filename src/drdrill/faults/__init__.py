"""Fault families: each fault is an object with ``apply()`` and ``revert()`` that is safe to revert twice."""

from __future__ import annotations

from typing import Any

from drdrill.errors import UnsupportedFaultError
from drdrill.faults.base import InjectedFault
from drdrill.faults.network import NETWORK_KINDS, network_fault
from drdrill.faults.toxiproxy import ToxiproxyClient

SUPPORTED_KINDS = NETWORK_KINDS


def build_faults(
    faults: list[Any], proxies: dict[str, str], client: ToxiproxyClient, where: str
) -> list[InjectedFault]:
    """Turn a scenario's fault declarations into injectable faults, before anything starts.

    ``proxies`` maps component names to their Toxiproxy proxy. ``where`` names the scenario file for errors.
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
        proxy = proxies.get(fault.target)
        if proxy is None:
            raise UnsupportedFaultError(
                f"{where}: fault {fault.kind!r} targets {fault.target!r}, which has no Toxiproxy proxy in the "
                f"staging topology; give the component `staging: {{proxy: <name>}}` in plan.yaml"
            )
        built.append(network_fault(client, fault, proxy, index))
    return built


__all__ = ["SUPPORTED_KINDS", "InjectedFault", "ToxiproxyClient", "build_faults"]
