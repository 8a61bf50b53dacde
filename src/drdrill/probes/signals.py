"""System signals: the worker's own view of which AI provider it uses, journalled when it changes."""

from __future__ import annotations

import httpx

from drdrill.clock import Clock
from drdrill.journal import Journal, Kind, Type
from drdrill.pacing import PacedLoop

ACTIVE_PROVIDER = "active_provider"


class WorkerSignals:
    """Poll the worker's ``/status`` every ``interval_s`` and record each change of active provider."""

    def __init__(
        self, worker_url: str, journal: Journal, clock: Clock, interval_s: float, max_seconds: float
    ) -> None:
        self._journal = journal
        self._http = httpx.Client(base_url=worker_url, timeout=1.0)
        self._loop = PacedLoop(clock, "drdrill-signals", self._poll, interval_s, max_seconds)
        self._current: str | None = None
        self.last: dict[str, object] = {}

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
        self._http.close()

    def _poll(self, _n: int) -> None:
        try:
            status = self._http.get("/status").json()
        except (httpx.HTTPError, ValueError):
            status = {"active_provider": "unreachable"}
        self.last = dict(status)
        provider = str(status.get("active_provider"))
        if provider != self._current:
            data = {k: v for k, v in status.items() if isinstance(v, int | str)}
            self._journal.record(Kind.SIGNAL, Type.INFO, ACTIVE_PROVIDER, value=provider, data=data)
            self._current = provider
