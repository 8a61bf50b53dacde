"""Every answer of a system over HTTP, and every request drdrill sends it, asserted exactly.

The service is an httpx.MockTransport that answers from a script and records each request with the timeout
it carried; the clock is a fake one that the service moves when it wants to answer slowly. Each test pins a
sentence a reader sees (a probe's or a write's detail) or a request's shape (its URL, headers, body, timeout)
that mutation testing found unpinned.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from drdrill.clock import FakeClock
from drdrill.plan import Plan
from drdrill.plan.system import SystemContract
from drdrill.replica import NotRunning
from drdrill.system import FinalRead, HttpSystem, NotDeclared, ProbeResult, SystemContext, WriteResult
from tests.unit.ticket_plan import write_ticket_plan

BASE = "http://127.0.0.1:41234"
Answer = Callable[[httpx.Request], httpx.Response]


class Replica(NotRunning):
    def address(self, service: str, port: int) -> tuple[str, int]:
        assert (service, port) == ("api", 8080)
        return "127.0.0.1", 41234


class Service:
    """Answers each request from ``answers`` (by method and path, in turn: the last one repeats), records it."""

    def __init__(self, clock: FakeClock, answers: dict[tuple[str, str], list[Answer]]) -> None:
        self.clock = clock
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.answers[(request.method, request.url.path)]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(request)

    def timeouts(self) -> list[float | None]:
        """The read timeout each request carried."""
        return [request.extensions["timeout"]["read"] for request in self.requests]


def reply(status: int, body: Any = None, *, after_s: float = 0.0, clock: FakeClock | None = None) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        if clock is not None:
            clock.advance(after_s)
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return answer


def fail(error: type[httpx.TransportError]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("injected", request=request)

    return answer


WRITE: dict[str, Any] = {
    "request": {
        "method": "POST",
        "url": "http://{api:8080}/tickets/{id}",
        "json": {"text": "{payload}"},
        "headers": {"X-Desk-Token": "t0ken"},
        "timeout": "2.5s",
    },
    "ack": {"status": [201], "job_id": "job"},
    "refused": [409],
}
READ_BACK: dict[str, Any] = {
    "read_back": {
        "url": "http://{api:8080}/tickets/{id}?job={job_id}",
        "done": {"path": "status", "equals": "done"},
        "failed": {"path": "status", "equals": "gave_up"},
        "poll": "50ms",
    }
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("desk"))


def system(
    plan: Plan, contract: dict[str, Any], answers: dict[tuple[str, str], list[Answer]], clock: FakeClock
) -> tuple[HttpSystem, Service]:
    service = Service(clock, answers)
    found = HttpSystem(SystemContract.model_validate(contract), transport=httpx.MockTransport(service))
    found.open(SystemContext(Replica(), clock, plan, "r1"))
    return found, service


# life cycle


def test_a_system_not_yet_open_says_so() -> None:
    closed = HttpSystem(None)
    with pytest.raises(RuntimeError) as replica:
        _ = closed.replica
    with pytest.raises(RuntimeError) as client:
        _ = closed.http
    assert str(replica.value) == str(client.value) == "the system is not open: the replica is not running yet"


def test_the_system_of_a_plan_is_the_contract_it_declares(plan: Plan) -> None:
    found = HttpSystem.from_plan(plan)
    assert found.contract == plan.staging_topology.system
    assert found.payloads() == ("My printer prints only blank pages.", "The invoice total is wrong.")


# writes


def test_a_write_sends_its_url_headers_body_and_timeout_and_keeps_no_job_id_it_was_not_promised(
    plan: Plan,
) -> None:
    contract = {"write": {**WRITE, "ack": {"status": [201]}}}
    desk, service = system(
        plan, contract, {("POST", "/tickets/u-1"): [reply(201, {"job": "j1"})]}, FakeClock()
    )

    assert desk.write("u-1", "the printer") == WriteResult("ok", "HTTP 201", None)
    (request,) = service.requests
    assert (str(request.url), request.headers["x-desk-token"], json.loads(request.content)) == (
        f"{BASE}/tickets/u-1",
        "t0ken",
        {"text": "the printer"},
    )
    assert request.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


def test_a_write_that_never_connected_or_timed_out_says_how_in_its_detail(plan: Plan) -> None:
    clock = FakeClock()
    refused, _ = system(plan, {"write": WRITE}, {("POST", "/tickets/u-1"): [fail(httpx.ConnectError)]}, clock)
    lost, _ = system(plan, {"write": WRITE}, {("POST", "/tickets/u-1"): [fail(httpx.ReadTimeout)]}, clock)

    assert refused.write("u-1", "x") == WriteResult("fail", "connect: injected")
    assert lost.write("u-1", "x") == WriteResult("info", "ReadTimeout: injected")


def test_a_system_that_declares_no_write_or_probe_or_final_read_says_which(plan: Plan) -> None:
    empty, _ = system(plan, {}, {}, FakeClock())
    with pytest.raises(NotDeclared) as write:
        empty.write("u-1", "x")
    with pytest.raises(NotDeclared) as probe:
        empty.probe("p-1", "x", 1.0)
    with pytest.raises(NotDeclared) as final_read:
        empty.final_read()

    assert [str(e.value) for e in (write, probe, final_read)] == [
        "the plan declares no `write` (staging_topology.system.write)",
        "the plan declares no `probe` (staging_topology.system.probe)",
        "the plan declares no `final_read` (staging_topology.system.final_read)",
    ]


# read-back probes


def read_back(
    plan: Plan, *reads: Answer, clock: FakeClock | None = None, write: Answer | None = None
) -> tuple[HttpSystem, Service]:
    answers = {
        ("POST", "/tickets/p-1"): [write or reply(201, {"job": "j1"})],
        ("GET", "/tickets/p-1"): list(reads),
    }
    return system(plan, {"write": WRITE, "probe": READ_BACK}, answers, clock or FakeClock())


def test_a_read_back_probe_writes_its_payload_and_reads_its_own_unit_back(plan: Plan) -> None:
    desk, service = read_back(plan, reply(200, {"status": "done"}))

    assert desk.probe("p-1", "a probe payload", 2.5) == ProbeResult(True, "done")
    write, read = service.requests
    assert json.loads(write.content) == {"text": "a probe payload"}
    assert str(read.url) == f"{BASE}/tickets/p-1?job=j1"
    assert service.timeouts() == [2.5, 2.0]  # a read waits 2 s at most, however long the probe may take


def test_a_probe_whose_write_brought_no_job_id_reads_back_with_an_empty_one(plan: Plan) -> None:
    desk, service = read_back(plan, reply(200, {"status": "done"}), write=reply(201, {}))

    assert desk.probe("p-1", "x", 1.0) == ProbeResult(True, "done")
    assert str(service.requests[1].url) == f"{BASE}/tickets/p-1?job="


def test_a_probe_whose_write_was_refused_says_so(plan: Plan) -> None:
    desk, _ = read_back(plan, reply(200, {"status": "done"}), write=reply(409, {}))

    assert desk.probe("p-1", "x", 1.0) == ProbeResult(False, "write not acknowledged: HTTP 409")


def test_each_read_waits_only_what_is_left_of_the_probe_and_the_probe_ends_at_its_deadline(
    plan: Plan,
) -> None:
    clock = FakeClock()
    desk, service = read_back(plan, reply(404), clock=clock)
    started = clock.monotonic_ns()

    probed = desk.probe("p-1", "x", 0.12)

    assert probed == ProbeResult(False, "not done within 0.12 s; last read: HTTP 404")
    # reads at 0, 50 and 100 ms (each waits what is left, 50 ms at least), then the deadline at 120 ms
    assert service.timeouts()[1:] == [0.12, 0.07, 0.05]
    assert clock.monotonic_ns() - started == 120_000_000


def test_a_probe_with_no_time_left_has_read_nothing(plan: Plan) -> None:
    desk, service = read_back(plan, reply(200, {"status": "done"}))

    assert desk.probe("p-1", "x", 0) == ProbeResult(False, "not done within 0 s; last read: no answer yet")
    assert len(service.requests) == 1  # the write only


def test_a_read_back_says_what_the_plans_path_found(plan: Plan) -> None:
    long = "q" * 100
    desk, _ = read_back(plan, reply(200, {"status": long}))

    probed = desk.probe("p-1", "x", 0.05)

    assert probed == ProbeResult(
        False, f"not done within 0.05 s; last read: status = {json.dumps(long)[:80]}"
    )


def test_a_read_back_without_the_plans_path_says_the_path_is_missing(plan: Plan) -> None:
    document = {"state": "d" * 200}
    desk, _ = read_back(plan, reply(200, document))

    probed = desk.probe("p-1", "x", 0.05)

    assert probed == ProbeResult(
        False,
        "not done within 0.05 s; last read: the answer has no 'status' (read_back.done.path in plan.yaml): "
        + json.dumps(document)[:120],
    )


def test_a_read_back_the_system_gave_up_on_fails_at_once_with_the_answer(plan: Plan) -> None:
    document = {"status": "gave_up", "why": "w" * 300}
    desk, service = read_back(plan, reply(200, {"status": "queued"}), reply(200, document))

    probed = desk.probe("p-1", "x", 5.0)

    assert probed == ProbeResult(False, "the system gave up on it: " + json.dumps(document)[:200])
    assert len(service.requests) == 3


def test_a_read_back_that_cannot_reach_the_system_or_read_its_answer_says_which(plan: Plan) -> None:
    unreachable, _ = read_back(plan, fail(httpx.ReadTimeout))
    garbled, _ = read_back(plan, reply(200, "<html>"))

    assert unreachable.probe("p-1", "x", 1.0) == ProbeResult(
        False, "unreachable while reading back: ReadTimeout"
    )
    assert garbled.probe("p-1", "x", 1.0) == ProbeResult(
        False, "HTTP 200 with a body that is not JSON (Expecting value: line 1 column 1 (char 0))"
    )


# health probes


def health(
    plan: Plan, answer: Answer, clock: FakeClock, within: str | None = "250ms"
) -> tuple[HttpSystem, Service]:
    spec: dict[str, Any] = {"url": "http://{api:8080}/health", "status": [200, 204]}
    if within is not None:
        spec["within"] = within
    return system(plan, {"probe": {"health": spec}}, {("GET", "/health"): [answer]}, clock)


def test_a_health_probe_times_its_answer_and_waits_the_probes_timeout(plan: Plan) -> None:
    clock = FakeClock()
    desk, service = health(plan, reply(204, after_s=0.25, clock=clock), clock)

    assert desk.probe("p-1", "x", 1.5) == ProbeResult(True, "HTTP 204 in 0.250 s")
    assert service.timeouts() == [1.5]


def test_a_health_probe_slower_than_its_bound_fails_and_one_without_a_bound_does_not(plan: Plan) -> None:
    clock = FakeClock()
    slow = reply(200, after_s=0.3, clock=clock)
    bounded, _ = health(plan, slow, clock)
    unbounded, _ = health(plan, slow, clock, within=None)

    assert bounded.probe("p-1", "x", 1.0) == ProbeResult(
        False, "answered in 0.300 s, over the bound of 0.25 s"
    )
    assert unbounded.probe("p-1", "x", 1.0) == ProbeResult(True, "HTTP 200 in 0.300 s")


def test_a_health_probe_with_an_unlisted_status_fails_with_it(plan: Plan) -> None:
    clock = FakeClock()
    desk, _ = health(plan, reply(503), clock)

    assert desk.probe("p-1", "x", 1.0) == ProbeResult(False, "HTTP 503")


# the final read


FINAL_READ: dict[str, Any] = {
    "url": "http://{api:8080}/tickets",
    "items": "items",
    "id": "id",
    "times": "times",
    "timeout": "3s",
}


def test_the_final_read_counts_the_times_each_unit_says_it_was_done_and_skips_what_does_not_say(
    plan: Plan,
) -> None:
    items = [
        {"id": "a", "times": 2},
        {"id": "b"},  # says nothing
        {"id": "c", "times": None},
        {"id": "d", "times": "twice"},
        {"id": "e", "times": "1"},
    ]
    desk, service = system(
        plan, {"final_read": FINAL_READ}, {("GET", "/tickets"): [reply(200, {"items": items})]}, FakeClock()
    )

    read = desk.final_read()

    held = frozenset("abcde")
    assert read == FinalRead(held, held, f"5 listed by {BASE}/tickets", {"a": 2, "e": 1})
    assert service.timeouts() == [3.0]


def test_a_final_read_without_times_counts_none(plan: Plan) -> None:
    contract = {"final_read": {k: v for k, v in FINAL_READ.items() if k != "times"}}
    desk, _ = system(
        plan, contract, {("GET", "/tickets"): [reply(200, {"items": [{"id": "a"}]})]}, FakeClock()
    )

    assert desk.final_read() == FinalRead(frozenset("a"), frozenset("a"), f"1 listed by {BASE}/tickets", {})


def test_a_final_read_whose_items_are_no_list_names_the_path_and_the_url(plan: Plan) -> None:
    desk, _ = system(
        plan,
        {"final_read": FINAL_READ},
        {("GET", "/tickets"): [reply(200, {"items": {"a": 1}})]},
        FakeClock(),
    )

    with pytest.raises(ValueError) as raised:
        desk.final_read()
    assert str(raised.value) == f"'items' of the answer of {BASE}/tickets is not a list"


# signals


def test_signals_a_python_system_reads_itself_are_left_to_it_and_an_unreadable_one_says_why(
    plan: Plan,
) -> None:
    contract = {
        "signals": {
            "mode": {"normal": "full"},  # no url: a Python system reads it itself
            "failover": {"url": "http://{api:8080}/status", "path": "provider", "normal": "main"},
            "region": {"url": "http://{api:8080}/region", "path": "name"},
        }
    }
    answers = {
        ("GET", "/status"): [reply(200, {"provider": "main"})],
        ("GET", "/region"): [fail(httpx.ConnectError)],
    }
    desk, service = system(plan, contract, answers, FakeClock())

    assert desk.signals() == {"failover": "main", "region": "unreadable (ConnectError)"}
    assert service.timeouts() == [1.0, 1.0]
