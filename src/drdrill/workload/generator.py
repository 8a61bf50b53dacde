"""A steady stream of insurance claims into the intake API, every one recorded in the journal.

Each submission is an operation in Jepsen's sense: ``invoke``, then ``ok`` (the API acknowledged the commit),
``fail`` (the API said it did not commit, or nothing reached it) or ``info`` (no answer: it may or may not have
been stored). The loop is bounded in count and in time and stops by itself.
"""

from __future__ import annotations

import httpx

from drdrill.clock import Clock
from drdrill.journal import Journal, Kind, Type
from drdrill.measure.ledger import SUBMIT
from drdrill.pacing import PacedLoop

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
        self._run_id = run_id
        self._http = httpx.Client(base_url=intake_url, timeout=timeout_s)
        self._loop = PacedLoop(
            clock,
            "drdrill-workload",
            self._submit,
            1 / rate_per_s,
            max_seconds,
            max_ticks=max(1, round(rate_per_s * max_seconds)),
            workers=concurrency,
        )

    @property
    def sent(self) -> int:
        """Claims submitted so far."""
        return self._loop.ticks

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        """Stop submitting and wait for every in-flight claim to get its answer."""
        self._loop.stop()
        self._http.close()

    def _submit(self, n: int) -> None:
        claim_id = f"{self._run_id}-{n - 1:06d}"
        text = CLAIM_TEXTS[(n - 1) % len(CLAIM_TEXTS)]
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
