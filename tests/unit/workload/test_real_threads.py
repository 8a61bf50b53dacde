"""The workload on the real clock, real threads and a real HTTP server on 127.0.0.1: a system slower than the
write interval does not slow the schedule, on the event loop (the HTTP system's async writes) and on the pool
of threads (a system that writes only synchronously); and never more than the cap waits on the system.

Bounds here are loose on purpose (the machine may be busy): each is far below what a closed loop would show.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from drdrill.clock import SystemClock
from drdrill.journal import Journal, Kind, Type
from drdrill.measure.verdicts import measure
from drdrill.measure.workload import WorkloadFigures
from drdrill.plan import Plan
from drdrill.plan.system import SystemContract
from drdrill.replica import NotRunning
from drdrill.system import HttpSystem, SystemContext, WriteResult
from drdrill.workload import Workload
from tests.unit.ticket_plan import write_ticket_plan

S = 1_000_000_000


class Desk(ThreadingHTTPServer):
    """A help desk that answers every write ``delay_s`` after it arrives, counting how many wait at once."""

    daemon_threads = True

    def __init__(self, delay_s: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0
        self.stored: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Desk

    def log_message(self, format: str, *args: Any) -> None: ...

    def do_POST(self) -> None:
        desk = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with desk.lock:
            desk.waiting += 1
            desk.most_waiting = max(desk.most_waiting, desk.waiting)
        time.sleep(desk.delay_s)
        with desk.lock:
            desk.waiting -= 1
            desk.stored.append(body["id"])
        data = json.dumps({"id": body["id"]}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def desk(delay_s: float) -> Iterator[Desk]:
    server = Desk(delay_s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class Replica(NotRunning):
    def __init__(self, port: int) -> None:
        self.port = port

    def address(self, service: str, port: int) -> tuple[str, int]:
        return "127.0.0.1", self.port


CONTRACT = {
    "payloads": ["a claim"],
    "write": {
        "request": {
            "method": "POST",
            "url": "http://{api:8080}/claims",
            "json": {"id": "{id}"},
            "timeout": "3s",
        },
        "ack": {"status": [201]},
    },
}


class SyncOnly:
    """A Python system that writes only synchronously (no write_async): the workload runs it on threads."""

    def __init__(self, system: HttpSystem) -> None:
        self._system = system

    def __getattr__(self, name: str) -> Any:
        if name in ("write_async", "close_async"):
            raise AttributeError(name)
        return getattr(self._system, name)

    def write(self, unit_id: str, payload: str) -> WriteResult:
        return self._system.write(unit_id, payload)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("desk"))


def run(
    plan: Plan, server: Desk, rate: float, seconds: float, *, sync: bool = False, cap: int | None = None
) -> tuple[Workload, WorkloadFigures, Journal]:
    clock = SystemClock()
    system = HttpSystem(SystemContract.model_validate(CONTRACT))
    system.open(SystemContext(Replica(server.server_address[1]), clock, plan, "r1"))
    journal = Journal(clock)
    writer: Any = SyncOnly(system) if sync else system
    workload = Workload(writer, journal, clock, "r1", ("a claim",), rate, seconds, cap)
    try:
        workload.start()
        time.sleep(seconds + 0.05)
        workload.stop()
    finally:
        system.close()
    figures = measure(journal.events(), S).workload
    assert figures is not None
    return workload, figures, journal


@pytest.mark.parametrize("sync", [False, True], ids=["event loop", "threads"])
def test_a_system_slower_than_the_write_interval_does_not_slow_the_schedule(plan: Plan, sync: bool) -> None:
    # 100 writes a second, each answered 300 ms later: about 30 wait at once. Eight writers waiting for their
    # answers (the closed loop this replaced) would start them up to ~2.5 s late; here none waits on another.
    with desk(delay_s=0.3) as server:
        _, found, journal = run(plan, server, rate=100, seconds=1.0, sync=sync)
    assert found.mode == ("threads" if sync else "async")
    assert (found.scheduled, found.started, found.refused) == (100, 100, 0)
    # A closed loop would start the last writes ~2.5 s late; this one within a second even on a machine whose
    # other work makes its threads wait for a core (these tests share it).
    assert found.lag_max_ns is not None and found.lag_max_ns < 1.0 * S
    assert server.most_waiting >= 10  # the writes really overlapped on the server
    acknowledged = [str(e.value) for e in journal.events() if e.kind is Kind.OP and e.type is Type.OK]
    assert sorted(server.stored) == sorted(acknowledged) and len(acknowledged) == 100


def test_never_more_than_the_cap_waits_on_the_system(plan: Plan) -> None:
    with desk(delay_s=0.5) as server:
        workload, found, _ = run(plan, server, rate=50, seconds=1.0, cap=5)
    assert server.most_waiting <= 5
    assert found.refused is not None and found.refused >= 20  # 5 in flight for 0.5 s each, 25 due per 0.5 s
    assert found.started + found.refused == found.scheduled == 50
    assert workload.first_refused_ns is not None and workload.last_refused_ns is not None
