"""The provider simulator: deterministic classifier, fault admin, OpenAI response shape."""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.staging.claims_apps import APPS, load_app

sim = load_app("provider_sim")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("My car collided with a truck on the highway", "auto"),
        ("Windshield cracked in the PARKING lot", "auto"),
        ("A storm tore the roof off my house", "property"),
        ("Burst pipe flooded the basement", "property"),
        ("Emergency surgery at the hospital, ambulance included", "health"),
        ("Dental treatment at the clinic", "health"),
        ("A visitor slipped on our stairs and we are being sued", "liability"),
        ("The neighbour's dog bite needs a lawsuit", "liability"),
        ("I lost my umbrella", "other"),
        ("", "other"),
    ],
)
def test_classify(text: str, label: str) -> None:
    assert sim.classify(text) == label


def test_classify_is_deterministic_and_counts_hits() -> None:
    text = "The car crash damaged the house fence, the car is a total loss"
    assert sim.classify(text) == "auto"  # two auto hits (car, crash, car) against one property hit
    assert {sim.classify(text) for _ in range(20)} == {"auto"}


def test_classify_ties_follow_label_order() -> None:
    assert sim.classify("car house") == "auto"
    assert sim.classify("house hospital") == "property"


def test_labels_cover_keywords() -> None:
    assert set(sim.KEYWORDS) | {"other"} == set(sim.LABELS)


def test_parse_fault_defaults_and_validation() -> None:
    assert sim.parse_fault({}) == sim.Fault(status=503, error_rate=1.0, latency_ms=0)
    assert sim.parse_fault({"status": 429, "error_rate": 0.5, "latency_ms": 200}) == sim.Fault(429, 0.5, 200)
    for body, message in [
        ({"status": 42}, "status must be an HTTP status code"),
        ({"error_rate": 1.5}, "error_rate must be a number in 0..1"),
        ({"latency_ms": -1}, "latency_ms must be a non-negative integer"),
    ]:
        with pytest.raises(ValueError, match=message):
            sim.parse_fault(body)


def test_completion_has_openai_shape() -> None:
    body = sim.completion("sim-primary", "my car", "auto")
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "sim-primary"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "auto"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


@pytest.fixture
def base_url() -> Iterator[str]:
    """The simulator served in-process on an ephemeral loopback port."""
    sim.Handler.sim = sim.Simulator(name="primary", model="sim-primary", seed=1)
    server = sim.serving.Server(("127.0.0.1", 0), sim.Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def call(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def chat(base_url: str, text: str) -> tuple[int, Any]:
    return call(
        f"{base_url}/v1/chat/completions",
        "POST",
        {"model": "m", "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": text}]},
    )


def test_http_chat_fault_and_stats(base_url: str) -> None:
    status, body = chat(base_url, "my car crashed")
    assert status == 200
    assert body["choices"][0]["message"]["content"] == "auto"

    assert call(f"{base_url}/_sim/fault", "POST", {"status": 503})[0] == 200
    status, body = chat(base_url, "my car crashed")
    assert status == 503
    assert body["error"]["type"] == "server_error"

    assert call(f"{base_url}/_sim/fault", "DELETE")[0] == 200
    assert chat(base_url, "my roof leaks")[0] == 200

    status, stats = call(f"{base_url}/_sim/stats")
    assert status == 200
    assert (stats["requests"], stats["completions"], stats["errors"]) == (3, 2, 1)
    assert stats["by_label"]["property"] == 1
    assert stats["fault"] is None


def test_http_models_and_bad_requests(base_url: str) -> None:
    status, body = call(f"{base_url}/v1/models")
    assert status == 200
    assert body["data"][0]["id"] == "sim-primary"
    assert call(f"{base_url}/v1/chat/completions", "POST", {"messages": []})[0] == 400
    assert call(f"{base_url}/_sim/fault", "POST", {"error_rate": 2})[0] == 400
    assert call(f"{base_url}/nope")[0] == 404


def test_healthcheck_probe_against_a_live_server(base_url: str) -> None:
    """bin/http-health (the compose healthcheck) passes on a 2xx answer and fails otherwise."""
    probe = APPS.parent / "bin" / "http-health"
    port = base_url.rsplit(":", 1)[1]

    def run(*args: str) -> int:
        return subprocess.run(
            ["bash", str(probe), *args], capture_output=True, timeout=10, check=False
        ).returncode

    assert run(port, "/health") == 0
    assert run(port, "/v1/models") == 0
    assert run(port, "/nope") != 0
    assert sim.Handler.sim.stats.requests == 0  # the probe never reached the completions endpoint


def test_malformed_answers_and_retry_after(base_url: str) -> None:
    assert call(f"{base_url}/_sim/fault", "POST", {"malformed": True})[0] == 200
    request = urllib.request.Request(
        f"{base_url}/v1/chat/completions",
        data=json.dumps({"model": "m", "messages": [{"role": "user", "content": "car"}]}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        raw = response.read()
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)

    assert call(f"{base_url}/_sim/fault", "POST", {"status": 429, "retry_after_s": 7})[0] == 200
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as exc:
        with exc:
            assert (exc.code, exc.headers["Retry-After"]) == (429, "7")
    else:
        pytest.fail("a 429 was expected")
    assert call(f"{base_url}/_sim/fault", "POST", {"malformed": "yes"}) == (
        400,
        {"error": "malformed must be true or false, got 'yes'"},
    )
