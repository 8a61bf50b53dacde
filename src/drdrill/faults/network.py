"""Network faults through Toxiproxy: a proxy taken down, or a toxic added to it."""

from __future__ import annotations

from typing import Any

from drdrill.faults.toxiproxy import ToxiproxyClient

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


class ProxyDown:
    """Disable the proxy in front of a component: its listener closes and connections are refused."""

    def __init__(self, client: ToxiproxyClient, proxy: str, target: str) -> None:
        self._client = client
        self._proxy = proxy
        self._target = target
        self._applied = False

    @property
    def label(self) -> str:
        return f"down {self._target}"

    @property
    def target(self) -> str:
        return self._target

    def apply(self) -> None:
        self._client.set_enabled(self._proxy, False)
        self._applied = True

    def revert(self) -> None:
        if self._applied:
            self._client.set_enabled(self._proxy, True)
            self._applied = False


class ProxyToxic:
    """Add one Toxiproxy toxic to the proxy in front of a component."""

    def __init__(
        self,
        client: ToxiproxyClient,
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
        self._applied = False

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self._attributes.items()))
        return f"{self._type} {self._target} ({shown})" if shown else f"{self._type} {self._target}"

    @property
    def target(self) -> str:
        return self._target

    def apply(self) -> None:
        self._client.add_toxic(
            self._proxy, self._name, self._type, self._attributes, self._stream, self._toxicity
        )
        self._applied = True

    def revert(self) -> None:
        if self._applied:
            self._client.remove_toxic(self._proxy, self._name)
            self._applied = False


def network_fault(client: ToxiproxyClient, fault: Any, proxy: str, index: int) -> ProxyDown | ProxyToxic:
    """Build the injected fault for a plan fault of the network family."""
    if fault.kind == "down":
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
