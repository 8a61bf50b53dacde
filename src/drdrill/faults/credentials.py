"""Credential faults: a secret of the plan declared compromised, and used by whoever found it.

``leak_secret``: the run's value of a generated secret (``staging_topology.generated_secrets``, ``value_from``) is
the leaked one. While the fault holds, drdrill uses it at every place the scenario says took it (``uses``), as an
attacker would: a request every ``every`` with the value where a header says ``{secret}``. That is the misuse a
system's own key-use watch must notice, and the evidence of rotation: each call is kept with when it was made and
what it was answered (accepted, refused, or no answer), and the revert's journal event carries them, so measure/
can tell when every place refused the old value for good. The value itself is never journalled, only its
fingerprint. Reverting stops the calls; it gives the secret back to nobody (a leak is not undone).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

import httpx

from drdrill import tls
from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.plan import faults as f
from drdrill.plan.faults import Fault
from drdrill.staging.backend import ReplicaControl
from drdrill.templates import render

CREDENTIAL_KINDS = frozenset({"leak_secret"})
NO_ANSWER = 0  # a call's status when nothing answered it (connection refused, timeout)


def fingerprint(value: str) -> str:
    """What the journal says of a secret: enough to tell values apart, never the value."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


@runtime_checkable
class Traced(Protocol):
    """A fault that keeps what happened while it was in place, call by call: the revert's journal event carries
    it."""

    def trace(self) -> Mapping[str, object]:
        """Its record: JSON data, never a secret's value."""


class _Use:
    """One place that took the secret, tried with the leaked value until stopped."""

    def __init__(self, use: f.SecretUse, http: httpx.Client, clock: Callable[[], int]) -> None:
        self.use = use
        self.calls: list[tuple[int, int]] = []  # (when it was made, CLOCK_MONOTONIC ns; the status or 0)
        self._http = http
        self._clock = clock
        self._thread: threading.Thread | None = None

    def start(self, replica: ReplicaControl, value: str, stop: threading.Event) -> None:
        url = render(self.use.url, replica, {})
        headers = {k: v.replace("{secret}", value) for k, v in self.use.headers.items()}
        self._thread = threading.Thread(
            target=self._loop, args=(url, headers, stop), name=f"drdrill-leak-{self.use.shown}", daemon=True
        )
        self._thread.start()

    def _loop(self, url: str, headers: dict[str, str], stop: threading.Event) -> None:
        every = self.use.every.total_seconds()
        while not stop.is_set():
            started = self._clock()
            try:
                status = self._http.request(
                    self.use.method, url, headers=headers, json=self.use.json_body
                ).status_code
            except httpx.HTTPError:
                status = NO_ANSWER
            self.calls.append((started, status))
            stop.wait(max(0.0, every - (self._clock() - started) / 1e9))

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)


class LeakedSecret:
    """A secret declared compromised: its run value used at every place that took it while the fault holds."""

    def __init__(
        self,
        fault: f.LeakSecret,
        value_from: str,
        replica: ReplicaControl,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._fault = fault
        self._value_from = value_from
        self._replica = replica
        # Built now, not in apply(): building a client takes tens of ms, which would sit between the runner's
        # stamp of the fault's start and the first use of the leaked value.
        self._http = httpx.Client(timeout=2.0, transport=transport, verify=tls.context())
        self._uses = [_Use(use, self._http, clock) for use in fault.uses]
        self._stop = threading.Event()
        self._fingerprint = ""

    @property
    def label(self) -> str:
        places = ", ".join(use.shown for use in self._fault.uses)
        return f"leak_secret {self._fault.target} ({self._fault.secret}, from {self._value_from}; used at {places})"

    @property
    def target(self) -> str:
        return self._fault.target

    def apply(self) -> None:
        value = self._replica.secrets.get(self._value_from)
        if not value:
            raise FaultError(
                f"the run generated no {self._value_from}: list it under staging_topology.generated_secrets"
            )
        self._fingerprint = fingerprint(value)
        self._stop.clear()
        for use in self._uses:
            use.start(self._replica, value, self._stop)

    def revert(self) -> None:
        self._stop.set()
        for use in self._uses:
            use.join(3.0)  # a call in flight ends within the client's 2 s timeout

    def trace(self) -> Mapping[str, object]:
        """Each place's calls with the leaked value: ``[[made_ns, status], ...]`` (status 0: no answer), and
        which statuses it declared a refusal."""
        return {
            "secret": self._fault.secret,
            "fingerprint": self._fingerprint,
            "uses": {
                use.use.shown: {"refused": list(use.use.refused), "calls": [list(c) for c in use.calls]}
                for use in self._uses
            },
        }

    def close(self) -> None:
        """Release the client (after the last revert)."""
        self._stop.set()
        self._http.close()


class CredentialFamily:
    """Credential faults, on any plan's stack: a secret's run value used where the scenario says it is taken."""

    kinds = CREDENTIAL_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        assert isinstance(fault, f.LeakSecret)
        if fault.value_from is None:
            raise UnsupportedFaultError(
                f"{targets.where}: leak_secret of {fault.secret!r} gives no value_from: name the variable of "
                "staging_topology.generated_secrets that holds it in a drill"
            )
        if not fault.uses:
            raise UnsupportedFaultError(
                f"{targets.where}: leak_secret of {fault.secret!r} gives no uses: list the places that take it "
                "(a request with {secret} in a header), so a drill can use the leaked value there"
            )
        return LeakedSecret(fault, fault.value_from, targets.replica)
