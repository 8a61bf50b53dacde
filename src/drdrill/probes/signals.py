"""System signals: the worker's own view of which AI provider it uses, journalled when it changes."""

from __future__ import annotations

import threading

import httpx

from drdrill.clock import Clock
from drdrill.journal import Journal, Kind, Type

ACTIVE_PROVIDER = "active_provider"


class WorkerSignals:
    """Poll the worker's ``/status`` every ``interval_s`` and record each change of active provider."""

    def __init__(
        self, worker_url: str, journal: Journal, clock: Clock, interval_s: float, max_seconds: float
    ) -> None:
        self._journal = journal
        self._clock = clock
        self._interval_s = interval_s
        self._max_seconds = max_seconds
        self._http = httpx.Client(base_url=worker_url, timeout=1.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="drdrill-signals", daemon=True)
        self.last: dict[str, object] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._http.close()

    def _poll(self) -> None:
        current: str | None = None
        polls = int(self._max_seconds / self._interval_s) + 1
        for _ in range(polls):
            try:
                status = self._http.get("/status").json()
            except (httpx.HTTPError, ValueError):
                status = {"active_provider": "unreachable"}
            self.last = dict(status)
            provider = str(status.get("active_provider"))
            if provider != current:
                data = {k: v for k, v in status.items() if isinstance(v, int | str)}
                self._journal.record(Kind.SIGNAL, Type.INFO, ACTIVE_PROVIDER, value=provider, data=data)
                current = provider
            if self._stop.wait(self._interval_s):
                break
