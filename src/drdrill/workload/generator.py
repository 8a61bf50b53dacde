"""A steady stream of insurance claims into the intake API, every one recorded in the journal.

Each submission is an operation in Jepsen's sense: ``invoke``, then ``ok`` (the API acknowledged the commit),
``fail`` (the API said it did not commit, or nothing reached it) or ``info`` (no answer: it may or may not have
been stored). The loop is bounded in count and in time and stops by itself.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from drdrill.clock import NS_PER_S, Clock
from drdrill.journal import Journal, Kind, Type
from drdrill.measure.ledger import SUBMIT

CLAIM_TEXTS = (
    "Rear-ended at a traffic light, bumper and tail lights damaged on my car.",
    "Burst pipe flooded the kitchen of the house overnight; floor and cabinets ruined.",
    "Emergency room visit after a fall, x-ray and two nights in hospital.",
    "A customer slipped in our shop and is suing us for the injury.",
    "Hail cracked the windscreen and dented the roof of the vehicle.",
    "Kitchen fire damaged the ceiling and walls of the apartment.",
    "Physiotherapy sessions after knee surgery at the clinic.",
    "Our delivery van hit a parked car; the other owner claims liability damages.",
    "Lost luggage on a trip, unclear what policy covers it.",
)


def classify_response(response: httpx.Response) -> Type:
    """Map an intake answer to a Jepsen outcome: only a 200/201 is an acknowledgement."""
    if response.status_code in (200, 201):
        return Type.OK
    if response.status_code in (400, 404, 409, 422, 503):
        return Type.FAIL  # the API says the claim was not committed
    return Type.INFO  # any other error: unknown whether it was stored


class ClaimWorkload:
    """Submit claims at ``rate_per_s`` until stopped, ``max_ops`` are sent, or ``max_seconds`` pass."""

    def __init__(
        self,
        intake_url: str,
        journal: Journal,
        clock: Clock,
        run_id: str,
        rate_per_s: float,
        max_seconds: float,
        timeout_s: float = 2.0,
        concurrency: int = 8,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"workload rate must be positive, got {rate_per_s}")
        self._journal = journal
        self._clock = clock
        self._run_id = run_id
        self._interval_ns = round(NS_PER_S / rate_per_s)
        self._max_ns = round(max_seconds * NS_PER_S)
        self._max_ops = max(1, round(rate_per_s * max_seconds))
        self._http = httpx.Client(base_url=intake_url, timeout=timeout_s)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="drdrill-workload")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._schedule, name="drdrill-workload-scheduler", daemon=True)
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop submitting and wait for every in-flight claim to get its answer."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._pool.shutdown(wait=True)
        self._http.close()

    def _schedule(self) -> None:
        start = self._clock.monotonic_ns()
        while not self._stop.is_set() and self.sent < self._max_ops:
            due = start + self.sent * self._interval_ns
            now = self._clock.monotonic_ns()
            if now - start >= self._max_ns:
                break
            if due > now and self._stop.wait((due - now) / NS_PER_S):
                break
            claim_id = f"{self._run_id}-{self.sent:06d}"
            text = CLAIM_TEXTS[self.sent % len(CLAIM_TEXTS)]
            self.sent += 1
            self._pool.submit(self._submit, claim_id, text)

    def _submit(self, claim_id: str, text: str) -> None:
        self._journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=claim_id, process="workload")
        try:
            response = self._http.post("/claims", json={"id": claim_id, "text": text, "canary": False})
        except httpx.ConnectError as exc:
            outcome, detail = Type.FAIL, f"connect: {exc}"
        except httpx.HTTPError as exc:
            outcome, detail = Type.INFO, f"{type(exc).__name__}: {exc}"
        else:
            outcome, detail = classify_response(response), f"HTTP {response.status_code}"
        self._journal.record(
            Kind.OP, outcome, SUBMIT, value=claim_id, process="workload", data={"detail": detail}
        )
