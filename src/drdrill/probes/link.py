"""A component's own traffic: drdrill's requests through the component's link, the path its consumer takes.

A detection criterion that names a component ("error rate of llm-main above 0.5") is about that component, not
the whole system: a worker that fails over hides llm-main's outage from the system's probes. So while a drill
runs, drdrill sends a small request every probe interval through the Toxiproxy listener of the component's link
(published on 127.0.0.1 only) and journals each as a ``link`` probe: an answer (any first byte, or the upstream
closing) in time is good; a refused or reset connection, or no answer before the timeout, is a failure.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from drdrill.clock import Clock
from drdrill.journal import LINK, Journal, Kind, Type
from drdrill.probes.canary import CappedProbe
from drdrill.system import DrillSystem

# Any HTTP server answers this at once (with a 404 as well as a 200); other servers answer or close.
REQUEST = b"GET / HTTP/1.1\r\nHost: drdrill-link-probe\r\nConnection: close\r\n\r\n"


def sample_link(address: tuple[str, int], timeout_s: float, mode: str) -> tuple[bool, str]:
    """One request through a link: (answered in time, what happened)."""
    try:
        with socket.create_connection(address, timeout=timeout_s) as sock:
            if mode == "connect":
                return True, "connected"
            sock.settimeout(timeout_s)
            sock.sendall(REQUEST)
            first = sock.recv(1)
            return True, "answered" if first else "closed by the upstream"
    except TimeoutError:
        return False, f"no answer within {timeout_s:g} s"
    except OSError as exc:
        return False, f"{type(exc).__name__}: {exc.strerror or exc}"


class LinkProbe(CappedProbe):
    """Sample one component's link every ``interval_s``."""

    thread_name = "drdrill-link"
    note_name = "link"

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        component: str,
        address: Callable[[], tuple[str, int]],
        mode: str,
        interval_s: float,
        timeout_s: float,
        max_seconds: float,
    ) -> None:
        super().__init__(system, journal, clock, interval_s, timeout_s, max_seconds)
        self.thread_name = f"drdrill-link-{component}"
        self._component = component
        self._address = address
        self._mode = mode

    def _probe(self, n: int) -> None:
        probe_id = f"link-{self._component}-{n:05d}"
        self.journal.record(Kind.PROBE, Type.INVOKE, LINK, process=probe_id, value=self._component)
        ok, detail = sample_link(self._address(), self._timeout_s, self._mode)
        self.journal.record(
            Kind.PROBE,
            Type.OK if ok else Type.FAIL,
            LINK,
            process=probe_id,
            value=self._component,
            data={"detail": detail[:300]},
        )
