"""HTTP-level AI-provider faults, set on the provider simulator through its admin API.

Toxiproxy works on TCP; a provider that answers 429 with Retry-After, answers slowly, or sends a body that
breaks its own format is an HTTP-level failure, which the simulator plays on request.
"""

from __future__ import annotations

from typing import Any

import httpx

from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.plan.faults import Fault, HttpError, MalformedBody, SlowFirstToken
from drdrill.replica import Replica

PROVIDER_KINDS = frozenset({"http_error", "slow_first_token", "malformed_body"})
SIMULATOR_PORT = 8000  # drdrill/provider-sim's port in its container (chat completions and /_sim admin)


def simulator_fault(fault: Fault, where: str) -> dict[str, Any]:
    """The simulator's admin body for a plan fault of the provider_http family."""
    if isinstance(fault, HttpError):
        body: dict[str, Any] = {"status": fault.status, "error_rate": fault.error_rate}
        if fault.retry_after is not None:
            body["retry_after_s"] = round(fault.retry_after.total_seconds())
        if fault.heal_after is not None:
            body["heal_after_ms"] = round(fault.heal_after.total_seconds() * 1000)
        return body
    if isinstance(fault, SlowFirstToken):
        # The replica does not stream: the first token is the whole answer, so the delay is the answer's.
        return {"status": 200, "error_rate": 1.0, "latency_ms": round(fault.delay.total_seconds() * 1000)}
    if isinstance(fault, MalformedBody):
        return {"malformed": True, "error_rate": fault.error_rate}
    raise UnsupportedFaultError(f"{where}: the provider simulator cannot play {fault.kind!r}")


class ProviderFault:
    """Set a fault on one provider simulator; reverting clears it (clearing twice is safe)."""

    def __init__(
        self,
        replica: Replica,
        service: str,
        target: str,
        kind: str,
        body: dict[str, Any],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._replica = replica
        self._service = service
        self._target = target
        self._kind = kind
        self._body = body
        # Built now, not in apply(): building a client (its TLS context) takes ~40 ms, which would sit between
        # the runner's stamp of the fault's start and the fault itself, and lengthen every measured time.
        self._http = httpx.Client(timeout=5.0, transport=transport)

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self._body.items()))
        return f"{self._kind} {self._target} ({shown})"

    @property
    def target(self) -> str:
        return self._target

    def _admin(self, method: str, what: str, body: dict[str, Any] | None = None) -> None:
        try:
            url = f"{self._replica.url(self._service, SIMULATOR_PORT)}/_sim/fault"
            response = self._http.request(method, url, json=body)
        except (httpx.HTTPError, LookupError) as exc:
            raise FaultError(
                f"the {self._target} simulator did not answer while trying to {what}: {exc}"
            ) from exc
        if response.status_code != 200:
            raise FaultError(
                f"the {self._target} simulator refused to {what}: HTTP {response.status_code} {response.text}"
            )

    def apply(self) -> None:
        self._admin("POST", f"set {self.label}", self._body)

    def revert(self) -> None:
        self._admin("DELETE", f"clear {self._kind}")

    def close(self) -> None:
        """Release the admin client (after the last revert)."""
        self._http.close()


class ProviderFamily:
    """HTTP-level faults of an AI provider played by drdrill's simulator."""

    kinds = PROVIDER_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        body = simulator_fault(fault, targets.where)
        return ProviderFault(targets.replica, targets.service_of(fault), fault.target, fault.kind, body)
