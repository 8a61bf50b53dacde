"""The steady-state probe: a canary claim must be classified end to end within a deadline.

A probe passes only when the whole path works: the intake commits the claim, the worker picks it up, an AI
provider classifies it. Probes start every ``interval`` on a small pool, so one slow probe does not delay
the next and detection resolution stays at about one interval.
"""

from __future__ import annotations

import httpx

from drdrill.clock import NS_PER_S, Clock
from drdrill.journal import Journal, Kind, Type
from drdrill.pacing import PacedLoop

PROBE = "canary"
POLL_S = 0.05


class CanaryProbe:
    """Send canary claims every ``interval_s`` and record each as a probe that passed or failed."""

    def __init__(
        self,
        intake_url: str,
        journal: Journal,
        clock: Clock,
        run_id: str,
        interval_s: float,
        timeout_s: float,
        max_seconds: float,
    ) -> None:
        self._journal = journal
        self._clock = clock
        self._run_id = run_id
        self._timeout_ns = round(timeout_s * NS_PER_S)
        self._http = httpx.Client(base_url=intake_url, timeout=min(timeout_s, 2.0))
        # enough threads for every probe that can be in flight at once, so none waits for a thread
        workers = max(2, int(timeout_s / interval_s) + 2)
        self._loop = PacedLoop(clock, "drdrill-probe", self._probe, interval_s, max_seconds, workers=workers)

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        """Stop starting probes and wait for those in flight to finish."""
        self._loop.stop()
        self._http.close()

    def _probe(self, n: int) -> None:
        claim_id = f"{self._run_id}-canary-{n:05d}"
        invoked = self._journal.record(Kind.PROBE, Type.INVOKE, PROBE, process=claim_id)
        ok, detail = self._check(claim_id, invoked.t_ns + self._timeout_ns)
        self._journal.record(
            Kind.PROBE, Type.OK if ok else Type.FAIL, PROBE, process=claim_id, data={"detail": detail}
        )

    def _check(self, claim_id: str, deadline_ns: int) -> tuple[bool, str]:
        try:
            created = self._http.post(
                "/claims",
                json={"id": claim_id, "text": "Canary: windscreen chip on the car.", "canary": True},
            )
        except httpx.HTTPError as exc:
            return False, f"intake unreachable: {type(exc).__name__}"
        if created.status_code not in (200, 201):
            return False, f"intake answered HTTP {created.status_code}"
        while self._clock.monotonic_ns() < deadline_ns:
            try:
                got = self._http.get(f"/claims/{claim_id}")
            except httpx.HTTPError as exc:
                return False, f"intake unreachable while waiting: {type(exc).__name__}"
            if got.status_code == 200 and got.json().get("status") == "processed":
                return True, f"classified by {got.json().get('provider')}"
            self._clock.sleep(POLL_S)
        return False, f"not classified within {self._timeout_ns / NS_PER_S:g} s"
