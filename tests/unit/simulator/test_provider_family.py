"""The provider fault family: each plan fault kind becomes the simulator fault it names, set and cleared on a
running simulator, and what the provider counted while it was in place is reported for the journal."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from docker.models.containers import Container
from pydantic import TypeAdapter

from drdrill.faults import provider
from drdrill.faults.provider import ProviderFamily, ProviderFault, simulator_fault
from drdrill.plan.faults import Fault
from drdrill.simulator import provider_sim as sim
from tests.unit.simulator.conftest import LABELS, Serve

FAULT: TypeAdapter[Fault] = TypeAdapter(Fault)


class OneService:
    """A replica of one service: the served simulator."""

    def __init__(self, url: str) -> None:
        self._url = url

    def address(self, service: str, port: int) -> tuple[str, int]:
        host, port_text = self._url.removeprefix("http://").split(":")
        return host, int(port_text)

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        return self._url

    def container(self, service: str) -> Container:
        raise LookupError("no container in a unit test")


@pytest.mark.parametrize(
    ("declared", "body", "expected"),
    [
        (
            {"kind": "http_error", "status": 503, "period": "400ms", "down_for": "100ms"},
            {"status": 503, "error_rate": 1.0, "flap_period_ms": 400, "flap_on_ms": 100},
            sim.Fault(status=503, flap_period_ms=400, flap_on_ms=100),
        ),
        (
            {"kind": "http_error", "status": 500, "error_rate": 0.5, "period": "1s"},
            {"status": 500, "error_rate": 0.5, "flap_period_ms": 1000, "flap_on_ms": 500},
            sim.Fault(status=500, error_rate=0.5, flap_period_ms=1000, flap_on_ms=500),
        ),
        (
            {"kind": "rate_limit", "retry_after": "1500ms"},
            {"status": 429, "retry_after_ms": 1500, "error_rate": 1.0},
            sim.Fault(status=429, retry_after_ms=1500),
        ),
        ({"kind": "hang"}, {"kind": "hang", "error_rate": 1.0}, sim.Fault(kind="hang")),
        (
            {"kind": "slow_first_token", "delay": "2s", "error_rate": 0.25},
            {"kind": "slow", "first_token_ms": 2000, "error_rate": 0.25},
            sim.Fault(kind="slow", first_token_ms=2000, error_rate=0.25),
        ),
        (
            {"kind": "truncated_stream", "after_chunks": 3},
            {"kind": "cut", "after_chunks": 3, "error_rate": 1.0},
            sim.Fault(kind="cut", after_chunks=3),
        ),
        ({"kind": "malformed_body"}, {"malformed": True, "error_rate": 1.0}, sim.Fault(kind="malformed")),
        (
            {"kind": "malformed_chunk", "after_chunks": 1, "heal_after": "2s"},
            {"kind": "malformed", "after_chunks": 1, "error_rate": 1.0, "heal_after_ms": 2000},
            sim.Fault(kind="malformed", after_chunks=1, heal_after_ms=2000),
        ),
        ({"kind": "schema_change"}, {"kind": "schema", "error_rate": 1.0}, sim.Fault(kind="schema")),
    ],
)
def test_each_kind_is_the_simulator_fault_it_names(
    declared: dict[str, Any], body: dict[str, Any], expected: sim.Fault
) -> None:
    fault = FAULT.validate_python({"target": "llm", **declared})
    assert simulator_fault(fault, "s.yaml") == body
    assert sim.parse_fault(body) == expected


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"down_for": "1s"}, "down_for is part of flapping: give the period as well"),
        (
            {"period": "1s", "down_for": "1s"},
            r"down_for must be at least 1ms and shorter than the period \(1s\), got 1s",
        ),
    ],
)
def test_flapping_is_checked_in_the_plan(declared: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FAULT.validate_python({"kind": "http_error", "target": "llm", "status": 503, **declared})


def test_a_rate_limit_reports_the_calls_made_before_retry_after_allowed_them(serve: Serve) -> None:
    url = serve(sim.Simulator(name="p", model="sim-p", rules=LABELS))
    fault = ProviderFault(OneService(url), "p", "llm", "rate_limit", {"status": 429, "retry_after_ms": 5000})
    body = {"model": "m", "messages": [{"role": "user", "content": "car"}]}
    httpx.post(f"{url}/v1/chat/completions", json=body, timeout=5)  # before the fault: not counted
    fault.apply()
    for _ in range(3):
        assert httpx.post(f"{url}/v1/chat/completions", json=body, timeout=5).status_code == 429
    fault.revert()
    assert fault.report() == {
        "requests": 3,
        "errors": 3,
        "retry_after_sent": 3,
        "early_calls": 2,
        "cut": 0,
        "streams": 0,
        "refused_keys": 0,
    }
    assert httpx.post(f"{url}/v1/chat/completions", json=body, timeout=5).status_code == 200
    fault.revert()  # twice is safe, and the report stays the fault's
    assert fault.report()["early_calls"] == 2
    fault.close()


def call(url: str, body: dict[str, Any]) -> str:
    """POST; "cut" when the answer broke off."""
    try:
        return str(httpx.post(url, json=body, timeout=5).status_code)
    except httpx.HTTPError:
        return "cut"


BODY = {"model": "m", "messages": [{"role": "user", "content": "car"}]}


@contextmanager
def caught_then_reverted(serve: Serve, latency_ms: int) -> Iterator[tuple[str, ProviderFault, Future[str]]]:
    """A fault that holds each answer ``latency_ms`` and then cuts it; one call caught by it, and the fault
    reverted 0.2 s later while that call still waits. Yields the URL, the fault and the caught call."""
    url = serve(sim.Simulator(name="p", model="sim-p", rules=LABELS))
    fault = ProviderFault(OneService(url), "p", "llm", "cut", {"kind": "cut", "latency_ms": latency_ms})
    fault.apply()
    with ThreadPoolExecutor(1) as pool:
        caught = pool.submit(call, f"{url}/v1/chat/completions", BODY)
        time.sleep(0.2)  # the call is in, waiting for its answer
        fault.revert()
        yield url, fault, caught
    fault.close()


def test_a_call_the_fault_caught_is_counted_to_its_end_even_after_the_revert(serve: Serve) -> None:
    # Each answer is held 600 ms and then cut. The cut comes after the revert and is counted with the call;
    # calls that arrive after the revert are not counted.
    with caught_then_reverted(serve, 600) as (url, fault, caught):
        for _ in range(2):
            assert httpx.post(f"{url}/v1/chat/completions", json=BODY, timeout=5).status_code == 200
        assert not caught.done()
        started = time.monotonic()
        report = fault.report()  # waits for the caught call to end
        assert caught.result() == "cut" and time.monotonic() - started > 0.2
    assert report == {
        "requests": 1,
        "errors": 1,
        "retry_after_sent": 0,
        "early_calls": 0,
        "cut": 1,
        "streams": 0,
        "refused_keys": 0,
    }


def test_a_report_says_how_many_calls_had_not_ended_when_it_gave_up(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider, "SETTLE_S", 0.2)
    with caught_then_reverted(serve, 1500) as (_, fault, caught):
        report = fault.report()  # gives up 0.2 s later, long before the call is cut
        assert caught.result() == "cut"
    assert (report["requests"], report["cut"], report["running"]) == (1, 0, 1)


def test_a_call_still_running_when_the_count_gives_up_is_said(serve: Serve) -> None:
    simulator = sim.Simulator(name="p", model="sim-p", rules=LABELS)
    url = serve(simulator)
    index = simulator.set_fault(sim.Fault(kind="hang"))
    assert index == 0
    admitted, fault = simulator.enter(None, "a caller")  # a call in, and not out yet
    assert admitted and fault is not None and fault.kind == "hang"
    simulator.set_fault(None)
    found = httpx.get(f"{url}/_sim/outages/0?settle_ms=50", timeout=5).json()
    assert (found["counts"]["requests"], found["running"], found["cleared"]) == (1, 1, True)
    with ThreadPoolExecutor(1) as pool:  # a count that waits is woken by the call's end, not by its limit
        waiting = pool.submit(simulator.settle, 0, 60.0)
        time.sleep(0.1)
        simulator.leave()
        settled = waiting.result(timeout=10)
        assert settled is not None and settled["running"] == 0
    assert httpx.get(f"{url}/_sim/outages/0?settle_ms=50", timeout=5).json()["running"] == 0
    assert simulator.settle(1, 0.0) is None  # never set
    for bad in ("x?settle_ms=1", "0?settle_ms=-1", "0?settle_ms=60001"):
        answer = httpx.get(f"{url}/_sim/outages/{bad}", timeout=5)
        assert answer.status_code == 400 and "settle_ms=<0..60000>" in answer.json()["error"]
    assert httpx.get(f"{url}/_sim/outages/3", timeout=5).status_code == 404


def test_a_model_update_is_set_and_rolled_back(serve: Serve) -> None:
    simulator = sim.Simulator(name="p", model="sim-p", rules=LABELS)
    url = serve(simulator)
    declared = FAULT.validate_python({"kind": "degrade_accuracy", "target": "llm", "wrong_label_rate": 0.3})
    targets = type(
        "Targets", (), {"replica": OneService(url), "where": "s.yaml", "service_of": lambda self, f: "p"}
    )()
    fault = ProviderFamily().build(declared, targets, 0)
    assert isinstance(fault, ProviderFault)
    assert fault.label == "degrade_accuracy llm (wrong_rate=0.3)"
    fault.apply()
    assert simulator.versions[-1].name == "sim-p-v2" and simulator.versions[-1].wrong_rate == 0.3
    fault.revert()
    assert [v.name for v in simulator.versions] == ["sim-p-v1", "sim-p-v2", "sim-p-v1"]
    fault.close()


def test_a_model_update_the_provider_never_takes_back_outlives_the_revert(serve: Serve) -> None:
    simulator = sim.Simulator(name="p", model="sim-p", rules=LABELS)
    url = serve(simulator)
    declared = FAULT.validate_python(
        {"kind": "degrade_accuracy", "target": "llm", "wrong_label_rate": 0.3, "provider_rolls_back": False}
    )
    targets = type(
        "Targets", (), {"replica": OneService(url), "where": "s.yaml", "service_of": lambda self, f: "p"}
    )()
    fault = ProviderFamily().build(declared, targets, 0)
    fault.apply()
    body = {"model": "sim-p", "messages": [{"role": "user", "content": "car"}]}
    httpx.post(f"{url}/v1/chat/completions", json=body, timeout=5)
    fault.revert()
    # the name still serves the update: only a pin to sim-p-v1 (the system's rollback) is answered as before
    assert [v.name for v in simulator.versions] == ["sim-p-v1", "sim-p-v2"]
    assert simulator.versions[-1].until_ns is None
    assert isinstance(fault, ProviderFault) and fault.report()["requests"] == 1
    fault.close()
