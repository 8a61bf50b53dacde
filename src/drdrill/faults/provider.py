"""HTTP-level AI-provider faults, set on the provider simulator through its admin API.

Toxiproxy works on TCP; a provider that answers 429 with Retry-After, hangs after reading the request, holds
its first token, cuts a stream mid-answer, breaks a chunk, changes its response schema, or ships a worse model
under the same name is an HTTP-level failure, which the simulator plays on request. Each fault reports what
the provider saw while it was in place (calls, errors, calls made before a Retry-After allowed them, streams
cut): a note journalled just after the revert carries it, and measure/ reads it from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from drdrill import tls
from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.plan import faults as f
from drdrill.plan.faults import Fault
from drdrill.replica import Replica

PROVIDER_KINDS = frozenset({*f.PROVIDER_KINDS, "degrade_accuracy"})
SIMULATOR_PORT = 8000  # drdrill/provider-sim's port in its container (the APIs and /_sim admin)
# What the provider counted that a drill reports: for an outage, the simulator's own count of the calls that
# arrived while it was set; for a model update, a difference over its time in place.
REPORTED = ("requests", "errors", "retry_after_sent", "early_calls", "cut", "streams", "refused_keys")
SETTLE_S = 2.0  # how long a report waits for the calls an outage caught to end (a slow first token, a hang)


def _ms(value: timedelta) -> int:
    return round(value.total_seconds() * 1000)


def _shared(fault: f._SharedProviderFault) -> dict[str, Any]:
    body: dict[str, Any] = {"error_rate": fault.error_rate}
    if fault.heal_after is not None:
        body["heal_after_ms"] = _ms(fault.heal_after)
    return body


def simulator_fault(fault: Fault, where: str) -> dict[str, Any]:
    """The simulator's admin body (``/_sim/fault``) for a plan fault of the provider_http family."""
    if isinstance(fault, f.HttpError):
        body: dict[str, Any] = {"status": fault.status, **_shared(fault)}
        if fault.retry_after is not None:
            body["retry_after_ms"] = _ms(fault.retry_after)
        if fault.period is not None:
            body["flap_period_ms"] = _ms(fault.period)
            body["flap_on_ms"] = _ms(fault.down_for if fault.down_for is not None else fault.period / 2)
        return body
    if isinstance(fault, f.RateLimit):
        return {"status": 429, "retry_after_ms": _ms(fault.retry_after), **_shared(fault)}
    if isinstance(fault, f.Hang):
        return {"kind": "hang", **_shared(fault)}
    if isinstance(fault, f.SlowFirstToken):
        return {"kind": "slow", "first_token_ms": _ms(fault.delay), **_shared(fault)}
    if isinstance(fault, f.TruncatedStream):
        return {"kind": "cut", "after_chunks": fault.after_chunks, **_shared(fault)}
    if isinstance(fault, f.MalformedBody):
        return {"malformed": True, **_shared(fault)}
    if isinstance(fault, f.MalformedChunk):
        return {"kind": "malformed", "after_chunks": fault.after_chunks, **_shared(fault)}
    if isinstance(fault, f.SchemaChange):
        return {"kind": "schema", **_shared(fault)}
    raise UnsupportedFaultError(f"{where}: the provider simulator cannot play {fault.kind!r}")


class ProviderFault:
    """Set a fault on one provider simulator; reverting clears it (clearing twice is safe).

    ``path`` is the admin resource: ``/_sim/fault`` for HTTP faults, ``/_sim/model`` for a model update (its
    revert is the provider rolling the name back to the version it served before). With ``clear_on_revert``
    false the revert only counts: the fault stays in the simulator to the end of the drill (a model update the
    provider never takes back, so only the system's own rollback restores the answers).
    """

    def __init__(
        self,
        replica: Replica,
        service: str,
        target: str,
        kind: str,
        body: dict[str, Any],
        transport: httpx.BaseTransport | None = None,
        path: str = "/_sim/fault",
        clear_on_revert: bool = True,
    ) -> None:
        self._replica = replica
        self._service = service
        self._target = target
        self._kind = kind
        self._body = body
        self._path = path
        self._clear_on_revert = clear_on_revert
        self._before: dict[str, int] | None = None
        self._outage: int | None = None  # the simulator's index of the outage this fault set
        self._report: dict[str, int] = {}
        # Built now, not in apply(): building a client (its TLS context) takes ~40 ms, which would sit between
        # the runner's stamp of the fault's start and the fault itself, and lengthen every measured time.
        self._http = httpx.Client(timeout=5.0, transport=transport, verify=tls.context())

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self._body.items()))
        return f"{self._kind} {self._target} ({shown})"

    @property
    def target(self) -> str:
        return self._target

    def _url(self, path: str) -> str:
        return f"{self._replica.url(self._service, SIMULATOR_PORT)}{path}"

    def _admin(self, method: str, what: str, body: dict[str, Any] | None = None) -> Any:
        """Call the admin resource; its JSON answer (None when it is not JSON)."""
        try:
            response = self._http.request(method, self._url(self._path), json=body)
        except (httpx.HTTPError, LookupError) as exc:
            raise FaultError(
                f"the {self._target} simulator did not answer while trying to {what}: {exc}"
            ) from exc
        if response.status_code != 200:
            raise FaultError(
                f"the {self._target} simulator refused to {what}: HTTP {response.status_code} {response.text}"
            )
        try:
            return response.json()
        except ValueError:
            return None

    def _counts(self) -> dict[str, int] | None:
        """The provider's counters now; None when it cannot say (the report then says nothing, never 0)."""
        try:
            found = self._http.get(self._url("/_sim/stats")).json()
        except (httpx.HTTPError, LookupError, ValueError):
            return None
        return {name: int(found.get(name, 0)) for name in REPORTED}

    def apply(self) -> None:
        answer = self._admin("POST", f"set {self.label}", self._body)
        outage = answer.get("outage") if isinstance(answer, dict) else None
        if isinstance(outage, int) and not isinstance(outage, bool):
            # The simulator counts the calls that arrive under this outage by themselves, to each call's end.
            self._outage = outage
            return
        # A model update has no outage: the counters' difference over its time in place. Read after setting,
        # so the stamp of the fault's start is not delayed; a call between the two is not counted.
        self._before = self._counts()

    def revert(self) -> None:
        after = self._counts() if self._before is not None else None
        if self._clear_on_revert:
            self._admin("DELETE", f"clear {self._kind}")
        if self._before is not None and after is not None:
            self._report = {name: after[name] - self._before[name] for name in REPORTED}
        self._before = None

    def report(self) -> Mapping[str, int]:
        """What the provider counted while the fault was in place (empty when it could not be read).

        For an outage, the calls that arrived while it was set and what became of each: read once they
        have all ended, so a call cut just after the revert is counted with the call itself. This waits
        for them (at most ``SETTLE_S``); ``running`` then says how many had not ended.
        """
        if self._outage is not None:
            index, self._outage = self._outage, None
            self._report = self._settled(index)
        return dict(self._report)

    def _settled(self, index: int) -> dict[str, int]:
        url = self._url(f"/_sim/outages/{index}?settle_ms={round(SETTLE_S * 1000)}")
        try:
            found = self._http.get(url, timeout=SETTLE_S + 5.0).json()
            counts = found["counts"]
            report = {name: int(counts[name]) for name in REPORTED}
            running = int(found["running"])
        except (httpx.HTTPError, LookupError, ValueError, TypeError):
            return {}
        return {**report, "running": running} if running else report

    def close(self) -> None:
        """Release the admin client (after the last revert)."""
        self._http.close()


class ProviderFamily:
    """HTTP-level faults of an AI provider, and model updates, played by drdrill's simulator."""

    kinds = PROVIDER_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        service = targets.service_of(fault)
        if isinstance(fault, f.DegradeAccuracy):
            body = {"wrong_rate": fault.wrong_label_rate}
            return ProviderFault(
                targets.replica,
                service,
                fault.target,
                fault.kind,
                body,
                path="/_sim/model",
                clear_on_revert=fault.provider_rolls_back,
            )
        body = simulator_fault(fault, targets.where)
        return ProviderFault(targets.replica, service, fault.target, fault.kind, body)
