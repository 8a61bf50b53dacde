"""Network faults through Toxiproxy: a proxy taken down, or a toxic added to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.faults.toxiproxy import Proxies
from drdrill.plan.faults import (
    Bandwidth,
    Down,
    Fault,
    Latency,
    LimitData,
    ResetPeer,
    Slicer,
    SlowClose,
    Timeout,
)

Toxic = Latency | Timeout | Bandwidth | ResetPeer | SlowClose | Slicer | LimitData
NetworkFault = Down | Toxic

# Plan field -> Toxiproxy attribute, per toxic type.
TOXIC_ATTRIBUTES: dict[str, dict[str, str]] = {
    "latency": {"latency_ms": "latency", "jitter_ms": "jitter"},
    "timeout": {"timeout_ms": "timeout"},
    "bandwidth": {"rate_kbps": "rate"},
    "reset_peer": {"timeout_ms": "timeout"},
    "slow_close": {"delay_ms": "delay"},
    "slicer": {"average_size": "average_size", "size_variation": "size_variation", "delay_us": "delay"},
    "limit_data": {"bytes": "bytes"},
}
NETWORK_KINDS = frozenset({"down", *TOXIC_ATTRIBUTES})
Connect = Callable[[], Proxies]


class ProxyDown:
    """Disable the proxy in front of a component: its listener closes and connections are refused."""

    def __init__(self, client: Connect, proxy: str, target: str) -> None:
        self._client = client
        self._proxy = proxy
        self._target = target

    @property
    def label(self) -> str:
        return f"down {self._target}"

    @property
    def target(self) -> str:
        return self._target

    def apply(self) -> None:
        self._client().set_enabled(self._proxy, False)

    def revert(self) -> None:
        self._client().set_enabled(self._proxy, True)


class ProxyToxic:
    """Add one Toxiproxy toxic to the proxy in front of a component."""

    def __init__(
        self,
        client: Connect,
        proxy: str,
        target: str,
        type_: str,
        attributes: dict[str, Any],
        stream: str,
        toxicity: float,
        name: str,
    ) -> None:
        self._client = client
        self._proxy = proxy
        self._target = target
        self._type = type_
        self._attributes = attributes
        self._stream = stream
        self._toxicity = toxicity
        self._name = name

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self._attributes.items()))
        return f"{self._type} {self._target} ({shown})" if shown else f"{self._type} {self._target}"

    @property
    def target(self) -> str:
        return self._target

    def apply(self) -> None:
        self._client().add_toxic(
            self._proxy, self._name, self._type, self._attributes, self._stream, self._toxicity
        )

    def revert(self) -> None:
        self._client().remove_toxic(self._proxy, self._name)  # a toxic already gone is fine


def network_fault(client: Connect, fault: NetworkFault, proxy: str, index: int) -> ProxyDown | ProxyToxic:
    """Build the injected fault for a plan fault of the network family."""
    if isinstance(fault, Down):
        return ProxyDown(client, proxy, fault.target)
    mapping = TOXIC_ATTRIBUTES[fault.kind]
    attributes = {wire: getattr(fault, field) for field, wire in mapping.items()}
    return ProxyToxic(
        client,
        proxy,
        fault.target,
        fault.kind,
        attributes,
        stream=fault.stream,
        toxicity=fault.toxicity,
        name=f"drdrill-{index}-{fault.kind}",
    )


class NetworkFamily:
    """Faults on a plan's links, played by the run's Toxiproxy."""

    kinds = NETWORK_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        if not isinstance(fault, Down | Toxic):
            raise TypeError(f"not a network fault: {fault.kind!r}")
        return network_fault(targets.toxiproxy, fault, targets.proxy_of(fault), index)
