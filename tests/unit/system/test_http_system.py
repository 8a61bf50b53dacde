"""The declarative HTTP system on an in-memory service (httpx.MockTransport): what each answer means."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from drdrill.clock import FakeClock
from drdrill.plan import Plan
from drdrill.plan.system import SystemContract
from drdrill.replica import NotRunning
from drdrill.system import (
    FinalRead,
    HttpSystem,
    NotDeclared,
    Outcome,
    ProbeResult,
    SignalMeaning,
    SystemContext,
    WriteResult,
)
from drdrill.system.conformance import assert_conforms, check_conformance
from tests.unit.ticket_plan import write_ticket_plan

CONTRACT: dict[str, Any] = {
    "payloads": ["printer broken"],
    "write": {
        "request": {
            "method": "POST",
            "url": "http://{api:8080}/tickets",
            "json": {"id": "{id}", "text": "{payload}"},
        },
        "ack": {"status": [201, 202], "job_id": "job"},
        "refused": [409, 503],
    },
    "probe": {
        "read_back": {
            "url": "http://{api:8080}/jobs/{job_id}",
            "done": {"path": "status", "equals": "done"},
            "failed": {"path": "status", "equals": "gave_up"},
            "poll": "50ms",
        }
    },
    "final_read": {
        "url": "http://{api:8080}/tickets",
        "items": "items",
        "id": "id",
        "done": {"path": "done", "equals": True},
    },
    "signals": {
        "failover": {
            "url": "http://{api:8080}/status",
            "path": "provider",
            "normal": "main",
            "failed_over": ["standby"],
        }
    },
}


class Replica(NotRunning):
    def address(self, service: str, port: int) -> tuple[str, int]:
        assert (service, port) == ("api", 8080)
        return "127.0.0.1", 41234


class Desk:
    """An in-memory help desk: tickets by id, each done once read back ``done_after`` times."""

    def __init__(self) -> None:
        self.tickets: dict[str, dict[str, Any]] = {}
        self.answer: int | None = None  # force every write's status
        self.error: type[httpx.TransportError] | None = None
        self.reads: dict[str, int] = {}
        self.done_after = 2
        self.provider = "main"
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.host == "127.0.0.1" and request.url.port == 41234
        if self.error is not None:
            raise self.error("injected", request=request)
        path = request.url.path
        if request.method == "POST" and path == "/tickets":
            if self.answer is not None:
                return httpx.Response(self.answer, json={})
            body = json.loads(request.content)
            job = f"job-{body['id']}"
            self.tickets[job] = {"id": body["id"], "text": body["text"], "done": False}
            return httpx.Response(202, json={"job": job})
        if path.startswith("/jobs/"):
            job = path.removeprefix("/jobs/")
            self.reads[job] = self.reads.get(job, 0) + 1
            done = self.reads[job] >= self.done_after
            if done:
                self.tickets[job]["done"] = True
            return httpx.Response(200, json={"status": "done" if done else "queued"})
        if path == "/tickets":
            return httpx.Response(200, json={"items": list(self.tickets.values())})
        if path == "/status":
            return httpx.Response(200, json={"provider": self.provider})
        return httpx.Response(404)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("desk"))


def open_system(plan: Plan, desk: Desk, contract: dict[str, Any] = CONTRACT) -> HttpSystem:
    system = HttpSystem(SystemContract.model_validate(contract), transport=httpx.MockTransport(desk))
    system.open(SystemContext(Replica(), FakeClock(), plan, "r1"))
    return system


def test_an_acknowledged_write_carries_its_job_id_and_the_rendered_body(plan: Plan) -> None:
    desk = Desk()
    assert open_system(plan, desk).write("r1-000001", "printer broken") == WriteResult(
        "ok", "HTTP 202", "job-r1-000001"
    )
    assert json.loads(desk.requests[0].content) == {"id": "r1-000001", "text": "printer broken"}


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(409, "fail"), (503, "fail"), (500, "info"), (400, "info"), (200, "info")],
)
def test_what_each_answer_to_a_write_means(plan: Plan, status: int, outcome: Outcome) -> None:
    # refused (the plan's `refused`) certainly did not take effect; any other answer but an ack is unknown
    desk = Desk()
    desk.answer = status
    assert open_system(plan, desk).write("u1", "x") == WriteResult(outcome, f"HTTP {status}")


def test_an_acknowledgement_without_its_promised_job_id_stands_without_one(plan: Plan) -> None:
    desk = Desk()
    desk.answer = 201  # acknowledged with {}: no "job" in it
    written = open_system(plan, desk).write("u1", "x")
    assert written.outcome == "ok" and written.job_id is None
    assert written.detail.startswith("HTTP 201, no job id: no 'job' under the top level")


@pytest.mark.parametrize(("error", "outcome"), [(httpx.ConnectError, "fail"), (httpx.ReadTimeout, "info")])
def test_a_write_that_never_connected_failed_and_one_that_timed_out_is_unknown(
    plan: Plan, error: type[httpx.TransportError], outcome: str
) -> None:
    desk = Desk()
    desk.error = error
    assert open_system(plan, desk).write("u1", "x").outcome == outcome


def test_a_read_back_probe_polls_until_done(plan: Plan) -> None:
    desk = Desk()
    desk.done_after = 3
    probed = open_system(plan, desk).probe("p1", "x", 2.0)
    assert probed == ProbeResult(True, "done")
    assert desk.reads == {"job-p1": 3}


def test_a_read_back_probe_that_never_finishes_fails_at_its_timeout_saying_what_it_read(plan: Plan) -> None:
    desk = Desk()
    desk.done_after = 10_000
    probed = open_system(plan, desk).probe("p1", "x", 0.5)
    assert not probed.ok
    assert probed.detail == 'not done within 0.5 s; last read: status = "queued"'


def test_a_health_probe_is_bound_by_its_latency(plan: Plan) -> None:
    contract = {**CONTRACT, "probe": {"health": {"url": "http://{api:8080}/status", "within": "1s"}}}
    assert open_system(plan, Desk(), contract).probe("p1", "x", 1.0) == ProbeResult(
        True, "HTTP 200 in 0.000 s"
    )
    desk = Desk()
    desk.error = httpx.ConnectError
    assert open_system(plan, desk, contract).probe("p1", "x", 1.0) == ProbeResult(
        False, "unreachable: ConnectError"
    )


def test_the_final_read_lists_held_and_done_units(plan: Plan) -> None:
    desk = Desk()
    system = open_system(plan, desk)
    system.write("a", "x")
    system.write("b", "x")
    system.probe("a", "x", 1.0)  # reads a back until done
    read = system.final_read()
    assert (read.held, read.done) == (frozenset({"a", "b"}), frozenset({"a"}))


def test_signals_and_what_they_mean(plan: Plan) -> None:
    desk = Desk()
    system = open_system(plan, desk)
    assert system.signals() == {"failover": "main"}
    desk.provider = "standby"
    assert system.signals() == {"failover": "standby"}
    meaning = system.signal_meanings()["failover"]
    assert meaning == SignalMeaning("main", frozenset({"standby"}))
    assert (meaning.state("standby"), meaning.state("main"), meaning.state("?")) == (
        "failed_over",
        "normal",
        "other",
    )
    assert system.payloads() == ("printer broken",)


def test_a_system_without_a_final_read_says_it_is_not_declared(plan: Plan) -> None:
    contract = {k: v for k, v in CONTRACT.items() if k != "final_read"}
    with pytest.raises(NotDeclared, match="the plan declares no `final_read`"):
        open_system(plan, Desk(), contract).final_read()


def test_the_http_system_conforms_to_the_contract(plan: Plan) -> None:
    desk = Desk()
    system = HttpSystem(SystemContract.model_validate(CONTRACT), transport=httpx.MockTransport(desk))
    assert_conforms(system, SystemContext(Replica(), FakeClock(), plan, "r1"))


def test_the_conformance_check_names_a_system_that_acknowledges_what_it_does_not_keep(plan: Plan) -> None:
    class Forgetful(HttpSystem):
        def final_read(self) -> FinalRead:
            return FinalRead(frozenset(), frozenset())

    system = Forgetful(SystemContract.model_validate(CONTRACT), transport=httpx.MockTransport(Desk()))
    found = check_conformance(system, SystemContext(Replica(), FakeClock(), plan, "r1"))
    assert found.problems == [
        "final read: the acknowledged unit 'r1-conformance-000001' is not held 5 s later"
    ]
    assert "close is safe twice" in found.checked


def test_the_conformance_check_names_a_write_that_raises_and_a_wrong_outcome(plan: Plan) -> None:
    class Raising(HttpSystem):
        def write(self, unit_id: str, payload: str) -> WriteResult:
            raise ValueError("no")

    class Wrong(HttpSystem):
        def write(self, unit_id: str, payload: str) -> WriteResult:
            return WriteResult("done", "HTTP 201")  # type: ignore[arg-type]  # the broken system under check

    context = SystemContext(Replica(), FakeClock(), plan, "r1")
    raising = check_conformance(
        Raising(SystemContract.model_validate(CONTRACT), httpx.MockTransport(Desk())), context
    )
    assert raising.problems[0] == (
        "write answers ok, fail or info and never raises: raised ValueError: no (an answer of the system is a "
        "WriteResult; only drdrill's own bugs raise)"
    )
    assert raising.problems[1].startswith("writes from several threads at once: write from thread ")
    wrong = check_conformance(
        Wrong(SystemContract.model_validate(CONTRACT), httpx.MockTransport(Desk())), context
    )
    assert wrong.problems == [
        "write answers ok, fail or info and never raises: outcome 'done' is not one of ok, fail, info"
    ]


def test_the_test_fake_system_conforms_too(plan: Plan, tmp_path: Path) -> None:
    from tests.unit.fake_drill import FakeHelpdesk, FakeStaging  # noqa: PLC0415

    clock = FakeClock()
    assert_conforms(FakeHelpdesk(clock), SystemContext(FakeStaging({}), clock, plan, "r1"))


class FakeStores:
    """The plan's data stores as the system reaches them: a Redis keyspace and SQL rows, in memory."""

    def __init__(self, keys: dict[str, dict[str, str]], rows: list[tuple[object, ...]]) -> None:
        self.keys = keys
        self.rows = rows
        self.asked: list[str] = []

    @contextmanager
    def key_value(self, name: str) -> Iterator[Any]:
        stores = self

        class Session:
            def command(self, *args: str) -> object:
                stores.asked.append(f"{name}: {' '.join(args)}")
                verb, key = args
                assert verb in ("HKEYS", "HGETALL")
                found = stores.keys.get(key, {})
                return list(found) if verb == "HKEYS" else dict(found)

        yield Session()

    @contextmanager
    def sql(self, name: str) -> Iterator[Any]:
        stores = self

        class Session:
            def query(self, sql: str, params: Any = ()) -> list[tuple[object, ...]]:
                stores.asked.append(f"{name}: {sql}")
                return stores.rows

            def execute(self, sql: str, params: Any = ()) -> int:
                raise AssertionError("a final read writes nothing")

        yield Session()


def _store_system(plan: Plan, final_read: dict[str, Any], stores: FakeStores) -> HttpSystem:
    contract = {**CONTRACT, "final_read": final_read}
    system = HttpSystem(SystemContract.model_validate(contract), transport=httpx.MockTransport(Desk()))
    system.open(SystemContext(Replica(), FakeClock(), plan, "r1", stores=stores))
    return system


def test_a_final_read_from_redis_needs_no_python(plan: Plan) -> None:
    stores = FakeStores(
        {"job_of": {"a": "j1", "b": "j2", "c": "j3"}, "answers": {"a": "42", "c": "7"}, "labels": {"a": "x"}},
        [],
    )
    commands: dict[str, list[str]] = {"held": ["HKEYS", "job_of"], "done": ["HKEYS", "answers"]}
    spec: dict[str, Any] = {"store": "queue", "redis": commands}
    read = _store_system(plan, spec, stores).final_read()
    assert (read.held, read.done) == (frozenset({"a", "b", "c"}), frozenset({"a", "c"}))
    assert read.detail == "3 held, 2 done in data store queue"
    assert stores.asked == ["queue: HKEYS job_of", "queue: HKEYS answers"]
    with_outputs = {**spec, "redis": {**commands, "outputs": ["HGETALL", "labels"]}}
    assert _store_system(plan, with_outputs, stores).final_read().outputs == {"a": "x"}


def test_a_final_read_from_sql_takes_id_done_times_and_output_by_column(plan: Plan) -> None:
    rows: list[tuple[object, ...]] = [("a", True, 1, "auto"), ("b", False, 0, None), ("c", True, 2, "health")]
    spec = {"store": "claims", "sql": "SELECT id, status = 'processed', done_count, label FROM claims"}
    read = _store_system(plan, spec, FakeStores({}, rows)).final_read()
    assert (read.held, read.done) == (frozenset({"a", "b", "c"}), frozenset({"a", "c"}))
    assert read.times_done == {"a": 1, "b": 0, "c": 2}
    assert read.outputs == {"a": "auto", "c": "health"}


def test_a_final_read_is_over_http_or_from_a_store_not_both() -> None:
    with pytest.raises(ValueError, match="read over HTTP"):
        SystemContract.model_validate(
            {**CONTRACT, "final_read": {"url": "http://{api:8080}/tickets", "items": "items", "store": "q"}}
        )
    with pytest.raises(ValueError, match="gives `redis` commands or a `sql` query, not both"):
        SystemContract.model_validate({**CONTRACT, "final_read": {"store": "q"}})


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(202, "ok"), (409, "fail"), (500, "info")],
)
def test_an_async_write_means_what_a_write_means(plan: Plan, status: int, outcome: Outcome) -> None:
    desk = Desk()
    system = open_system(plan, desk)
    if status != 202:
        desk.answer = status

    async def both() -> tuple[WriteResult, WriteResult]:
        written = await system.write_async("r1-000002", "printer broken")
        await system.close_async()
        await system.close_async()  # safe twice
        return written, system.write("r1-000003", "printer broken")

    written, synchronous = asyncio.run(both())
    assert written.outcome == synchronous.outcome == outcome
    assert written.detail == synchronous.detail == f"HTTP {status}"
    if status == 202:
        assert written.job_id == "job-r1-000002"
    assert [json.loads(r.content)["id"] for r in desk.requests] == ["r1-000002", "r1-000003"]


@pytest.mark.parametrize(("error", "outcome"), [(httpx.ConnectError, "fail"), (httpx.ReadTimeout, "info")])
def test_an_async_write_that_never_connected_failed_and_one_that_timed_out_is_unknown(
    plan: Plan, error: type[httpx.TransportError], outcome: str
) -> None:
    desk = Desk()
    desk.error = error
    system = open_system(plan, desk)
    assert asyncio.run(system.write_async("u1", "x")).outcome == outcome


def test_the_conformance_check_names_an_async_write_that_raises(plan: Plan) -> None:
    class Raising(HttpSystem):
        async def write_async(self, unit_id: str, payload: str) -> WriteResult:
            raise ValueError("no")

    system = Raising(SystemContract.model_validate(CONTRACT), transport=httpx.MockTransport(Desk()))
    found = check_conformance(system, SystemContext(Replica(), FakeClock(), plan, "r1"))
    assert found.problems == [
        "write_async answers as write does, and close_async is safe twice: raised ValueError: no (an answer "
        "of the system is a WriteResult; only drdrill's own bugs raise)"
    ]
