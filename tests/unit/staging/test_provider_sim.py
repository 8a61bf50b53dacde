"""The provider simulator: rules-file and prompt-derived answers, fault admin, OpenAI response shape."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from drdrill.faults.provider import simulator_fault
from drdrill.plan.faults import HttpError
from drdrill.simulator import provider_sim as sim

REPO = Path(__file__).resolve().parents[3]
CLAIMS_RULES = REPO / "compose" / "claims" / "sim" / "labels.json"
SCRIPT = REPO / "src" / "drdrill" / "simulator" / "provider_sim.py"


@pytest.fixture(scope="module")
def claims_rules() -> sim.Rules:
    """The example claims system's rules: its five labels, "other" when nothing matches."""
    return sim.load_rules(str(CLAIMS_RULES))


# -------------------------------------------------------------------------------- the claims rules file


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
        ("A third-party complaint", "liability"),
        ("I lost my umbrella", "other"),
        ("", "other"),
    ],
)
def test_claims_rules_classify(claims_rules: sim.Rules, text: str, label: str) -> None:
    assert sim.answer(claims_rules, text) == label


def test_claims_rules_list_the_five_labels_in_order(claims_rules: sim.Rules) -> None:
    assert claims_rules.answers == ("auto", "property", "health", "liability", "other")
    assert claims_rules.default == "other"


def test_most_hits_win_and_the_answer_is_stable(claims_rules: sim.Rules) -> None:
    text = "The car crash damaged the house fence, the car is a total loss"
    # three auto hits (car, crash, car) against one property hit (house)
    assert sim.answer(claims_rules, text) == "auto"
    assert {sim.answer(claims_rules, text) for _ in range(20)} == {"auto"}


def test_ties_go_to_the_answer_listed_first(claims_rules: sim.Rules) -> None:
    assert sim.answer(claims_rules, "car house") == "auto"
    assert sim.answer(claims_rules, "house hospital") == "property"
    reordered = sim.parse_rules('{"b": ["house"], "a": ["car"]}', "rules.json")
    assert sim.answer(reordered, "car house") == "b"


# ---------------------------------------------------------------------------------- any rules file


def test_rules_match_word_prefixes_case_insensitively() -> None:
    rules = sim.parse_rules(
        '{"refund": ["REFUND", "money-back"], "shipping": ["deliver", "parcel"]}', "r.json"
    )
    assert rules.stems == (("refund", ("refund", "money-back")), ("shipping", ("deliver", "parcel")))
    assert sim.answer(rules, "Where is my PARCEL? It was never delivered.") == "shipping"
    assert sim.answer(rules, "I want a refund, a money-back guarantee") == "refund"
    assert sim.answer(rules, "A parcelled refund") == "refund"  # tie: the answer listed first


def test_no_hit_without_default_falls_back_to_the_prompt_answer() -> None:
    rules = sim.parse_rules('{"yes": ["agree"]}', "r.json")
    assert rules.answers == ("yes",)
    assert sim.answer(rules, "nothing relevant") == sim.prompt_answer("nothing relevant")
    only_default = sim.parse_rules('{"_default": "constant"}', "r.json")
    assert only_default.answers == ("constant",)
    assert sim.answer(only_default, "anything at all") == "constant"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": ["x"],', "r.json:1:13: not valid JSON: Expecting property name enclosed in double quotes"),
        ('["car"]', "r.json: the rules must be a JSON object of answer -> list of keyword stems, got list"),
        ('{"a": "car"}', "r.json: answer 'a' must map to a non-empty list of keyword stems, got 'car'"),
        ('{"a": []}', "r.json: answer 'a' must map to a non-empty list of keyword stems, got []"),
        (
            '{"a": ["car", 3]}',
            "r.json: answer 'a' must map to a non-empty list of keyword stems, got ['car', 3]",
        ),
        (
            '{"a": ["car", "4x4"]}',
            "r.json: answer 'a': keyword stem '4x4' can never match (a stem is letters and hyphens, "
            "starting with a letter)",
        ),
        ('{"a": ["car"], "a": ["van"]}', "r.json: answer 'a' is listed twice"),
        ('{" ": ["car"]}', "r.json: an answer must be a non-empty string, got ' '"),
        ('{"_defualt": "x"}', "r.json: unknown option '_defualt'; the only option is '_default'"),
        ('{"_default": 3}', "r.json: _default must be a non-empty answer string, got 3"),
    ],
)
def test_bad_rules_name_the_file_and_the_entry(text: str, message: str) -> None:
    with pytest.raises(sim.RulesError) as raised:
        sim.parse_rules(text, "r.json")
    assert str(raised.value) == message


def test_load_rules_reads_the_file_or_says_why_not(tmp_path: Path) -> None:
    assert sim.load_rules(None) == sim.Rules()
    assert sim.load_rules("") == sim.Rules()
    rules_file = tmp_path / "rules.json"
    rules_file.write_text('{"yes": ["agree"], "_default": "no"}', encoding="utf-8")
    assert sim.load_rules(str(rules_file)) == sim.Rules(stems=(("yes", ("agree",)),), default="no")
    absent = tmp_path / "absent.json"
    with pytest.raises(sim.RulesError) as raised:
        sim.load_rules(str(absent))
    assert (
        str(raised.value)
        == f"{absent}: cannot read the rules file (SIM_RULES_FILE): No such file or directory"
    )


# ---------------------------------------------------------------------------- without a rules file


def test_prompt_answer_is_a_hash_of_the_prompt() -> None:
    prompt = "What is the capital of France?"
    expected = f"sim answer {hashlib.sha256(prompt.encode()).hexdigest()[:8]}"
    assert sim.prompt_answer(prompt) == expected
    assert sim.answer(sim.Rules(), prompt) == expected
    assert sim.prompt_answer("What is the capital of Spain?") != expected
    assert sim.prompt_answer("") == "sim answer e3b0c442"  # sha256 of nothing


# ------------------------------------------------------------------------------ faults and responses


def test_parse_fault_defaults_and_validation() -> None:
    assert sim.parse_fault({}) == sim.Fault(status=503, error_rate=1.0, latency_ms=0)
    assert sim.parse_fault({"status": 429, "error_rate": 0.5, "latency_ms": 200}) == sim.Fault(429, 0.5, 200)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": 42}, "status must be an HTTP status code"),
        ({"error_rate": 1.5}, "error_rate must be a number in 0..1"),
        ({"latency_ms": -1}, "latency_ms must be a non-negative integer"),
    ]
    for body, message in cases:
        with pytest.raises(ValueError, match=message):
            sim.parse_fault(body)


def test_completion_has_openai_shape() -> None:
    body = sim.completion("sim-primary", "my car", "sim answer 0a1b2c3d")
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "sim-primary"
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": "sim answer 0a1b2c3d",
        "refusal": None,
    }
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}


def test_simulator_from_env() -> None:
    simulator = sim.simulator_from_env({"PROVIDER_NAME": "backup", "SIM_RULES_FILE": str(CLAIMS_RULES)})
    assert (simulator.name, simulator.model, simulator.seed) == ("backup", "sim-backup", 1)
    assert simulator.rules.default == "other"
    assert sim.simulator_from_env({}).rules == sim.Rules()
    with pytest.raises(ValueError, match="SIM_SEED must be an integer, got 'x'"):
        sim.simulator_from_env({"SIM_SEED": "x"})


def test_script_runs_on_the_standard_library_alone_and_refuses_bad_rules(tmp_path: Path) -> None:
    """The image runs the file as a script: no drdrill, no site-packages; a bad rules file stops it at once."""
    rules_file = tmp_path / "rules.json"
    rules_file.write_text('{"a": "car"}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT)],
        env={"SIM_RULES_FILE": str(rules_file), "PORT": "8000"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"provider-sim: error: {rules_file}: answer 'a' must map to a non-empty list of keyword stems, got 'car'\n"
    )


# ------------------------------------------------------------------------------------------------ HTTP

Serve = Callable[[sim.Simulator], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serve a simulator in-process on an ephemeral loopback port; returns its base URL."""
    servers: list[tuple[sim.Server, threading.Thread]] = []

    def start(simulator: sim.Simulator) -> str:
        sim.Handler.sim = simulator
        server = sim.Server(("127.0.0.1", 0), sim.Handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def base_url(serve: Serve, claims_rules: sim.Rules) -> str:
    return serve(sim.Simulator(name="primary", model="sim-primary", seed=1, rules=claims_rules))


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
    assert stats["by_answer"] == {"auto": 1, "property": 1, "health": 0, "liability": 0, "other": 0}
    assert stats["fault"] is None


def test_http_without_rules_answers_each_question_the_same_way(serve: Serve) -> None:
    base_url = serve(sim.Simulator(name="qa", model="sim-qa"))
    first = chat(base_url, "How do I reset my password?")
    again = chat(base_url, "How do I reset my password?")
    other = chat(base_url, "Which plans include SSO?")
    answers = [body["choices"][0]["message"]["content"] for _, body in (first, again, other)]
    assert answers == [
        sim.prompt_answer("How do I reset my password?"),
        sim.prompt_answer("How do I reset my password?"),
        sim.prompt_answer("Which plans include SSO?"),
    ]
    assert answers[0] != answers[2]
    status, stats = call(f"{base_url}/_sim/stats")
    assert status == 200
    assert (stats["provider"], stats["model"], stats["completions"]) == ("qa", "sim-qa", 3)
    assert stats["by_answer"] == {answers[0]: 2, answers[2]: 1}


def test_http_models_and_bad_requests(base_url: str) -> None:
    status, body = call(f"{base_url}/v1/models")
    assert status == 200
    assert body["data"][0]["id"] == "sim-primary"
    assert call(f"{base_url}/health") == (200, {"status": "ok", "provider": "primary"})
    assert call(f"{base_url}/v1/chat/completions", "POST", {"messages": []})[0] == 400
    assert call(f"{base_url}/_sim/fault", "POST", {"error_rate": 2})[0] == 400
    assert call(f"{base_url}/nope")[0] == 404


def test_claims_healthcheck_probe_against_a_live_server(base_url: str) -> None:
    """The claims example's bin/http-health passes on a 2xx answer and fails otherwise."""
    probe = REPO / "compose" / "claims" / "bin" / "http-health"
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


def test_the_simulator_and_its_images_name_no_example_system() -> None:
    """drdrill ships the simulator for any replica: the claims example's words live in its rules file."""
    shipped = [*sorted((REPO / "src" / "drdrill" / "simulator").glob("*.py"))]
    shipped += sorted((REPO / "src" / "drdrill" / "staging" / "dockerfiles").rglob("Dockerfile"))
    assert len(shipped) >= 4
    for path in shipped:
        text = path.read_text(encoding="utf-8").lower()
        for word in ("claim", "intake", "insurance", "liabilit", '"auto"', '"property"', '"health"'):
            assert word not in text, f"{path.relative_to(REPO)} names {word!r}"


# ------------------------------------------------------------------------------ ground truth of outages


def draw(simulator: sim.Simulator) -> sim.Fault | None:
    """One call, start to end: the fault it drew (None: answered soundly)."""
    admitted, fault = simulator.enter(None, "a caller")
    simulator.leave()
    assert admitted
    return fault


class Ticks:
    """A monotonic clock in nanoseconds that moves only when told to."""

    def __init__(self, start_ns: int = 1_000_000_000) -> None:
        self.now_ns = start_ns

    def __call__(self) -> int:
        return self.now_ns

    def advance_ms(self, ms: int) -> None:
        self.now_ns += ms * 1_000_000


def test_parse_fault_heal_after_ms() -> None:
    assert sim.parse_fault({"heal_after_ms": 250}).heal_after_ms == 250
    assert sim.parse_fault({}).heal_after_ms is None
    for bad in (0, -5, 1.5, True, "250"):
        with pytest.raises(ValueError, match=f"heal_after_ms must be a positive integer, got {bad!r}"):
            sim.parse_fault({"heal_after_ms": bad})


def test_a_self_healing_outage_is_dated_on_the_simulators_clock() -> None:
    ticks = Ticks()
    simulator = sim.Simulator(name="p", model="m", clock=ticks)
    assert draw(simulator) is None  # no fault yet: nothing to date
    set_at = ticks.now_ns
    simulator.set_fault(sim.Fault(status=503, heal_after_ms=300))
    ticks.advance_ms(40)
    assert simulator.truth()["outages"][0]["end_ns"] is None  # the heal is still to come
    assert draw(simulator) == sim.Fault(status=503, heal_after_ms=300)
    ticks.advance_ms(100)
    assert draw(simulator) is not None  # still out: the first faulty answer stays the first
    ticks.advance_ms(160)  # exactly 300 ms after the fault was set: healed
    assert draw(simulator) is None
    ticks.advance_ms(20)
    assert draw(simulator) is None
    ticks.advance_ms(500)
    simulator.set_fault(None)  # the drill reverts the fault later; the outage had ended already
    truth = simulator.truth()
    assert truth["clock"] == "CLOCK_MONOTONIC"
    assert truth["now_ns"] == ticks.now_ns
    ms = 1_000_000
    assert truth["outages"] == [
        {
            "fault": {**asdict(sim.Fault(status=503, heal_after_ms=300))},
            "set_ns": set_at,
            "end_ns": set_at + 300 * ms,
            "heal_ns": set_at + 300 * ms,
            "cleared_ns": set_at + 820 * ms,
            "first_faulty_ns": set_at + 40 * ms,
            "first_sound_ns": set_at + 300 * ms,
            # The four calls after it was set, healed or not: they arrived before the clear.
            "counts": asdict(sim.Stats(requests=4)),
            "running": 0,
        }
    ]
    assert simulator.snapshot()["fault"] is None


def test_a_cleared_outage_ends_when_cleared_and_a_new_fault_is_a_new_outage() -> None:
    ticks = Ticks()
    simulator = sim.Simulator(name="p", model="m", clock=ticks)
    simulator.set_fault(sim.Fault(status=429))
    first_set = ticks.now_ns
    ticks.advance_ms(10)
    simulator.set_fault(sim.Fault(status=500))  # a second fault replaces the first: that one ends now
    ticks.advance_ms(10)
    simulator.set_fault(None)
    simulator.set_fault(None)  # clearing twice moves nothing
    ticks.advance_ms(5)
    assert draw(simulator) is None
    outages = simulator.truth()["outages"]
    ms = 1_000_000
    assert [(o["fault"]["status"], o["set_ns"], o["end_ns"], o["heal_ns"]) for o in outages] == [
        (429, first_set, first_set + 10 * ms, None),
        (500, first_set + 10 * ms, first_set + 20 * ms, None),
    ]
    assert [(o["first_faulty_ns"], o["first_sound_ns"]) for o in outages] == [
        (None, None),
        (None, first_set + 25 * ms),
    ]


def test_http_truth_is_on_the_monotonic_clock_of_the_caller(serve: Serve) -> None:
    """In one process (and in a container, which shares the host kernel's clock) the instants compare."""
    base_url = serve(sim.Simulator(name="p", model="m"))
    before = time.monotonic_ns()
    assert call(f"{base_url}/_sim/fault", "POST", {"status": 503, "heal_after_ms": 200})[0] == 200
    assert chat(base_url, "anything")[0] == 503
    time.sleep(0.25)
    assert chat(base_url, "anything")[0] == 200
    status, truth = call(f"{base_url}/_sim/truth")
    after = time.monotonic_ns()
    assert status == 200
    assert before <= truth["now_ns"] <= after
    (outage,) = truth["outages"]
    assert before <= outage["set_ns"] < outage["first_faulty_ns"] < outage["end_ns"]
    assert outage["end_ns"] == outage["heal_ns"] == outage["set_ns"] + 200_000_000
    assert outage["end_ns"] <= outage["first_sound_ns"] <= truth["now_ns"]
    assert outage["cleared_ns"] is None  # healed, but still set: /_sim/stats shows the fault
    assert call(f"{base_url}/_sim/stats")[1]["fault"]["heal_after_ms"] == 200


def test_http_stored_completions_read_back_and_listed(serve: Serve) -> None:
    base_url = serve(sim.Simulator(name="p", model="m"))
    ids = []
    for n in range(3):
        status, body = call(
            f"{base_url}/v1/chat/completions",
            "POST",
            {
                "model": "m",
                "store": True,
                "metadata": {"unit": f"u{n}"},
                "messages": [{"role": "user", "content": f"question {n}"}],
            },
        )
        assert status == 200
        assert body["metadata"] == {"unit": f"u{n}"}
        ids.append(body["id"])
    assert chat(base_url, "not stored")[0] == 200  # without "store": true nothing is kept
    status, found = call(f"{base_url}/v1/chat/completions/{ids[1]}")
    assert (status, found["id"], found["metadata"]) == (200, ids[1], {"unit": "u1"})
    assert call(f"{base_url}/v1/chat/completions/chatcmpl-nope")[0] == 404
    status, listed = call(f"{base_url}/v1/chat/completions?limit=2")
    assert status == 200
    assert [item["metadata"]["unit"] for item in listed["data"]] == ["u0", "u1"]
    assert (listed["first_id"], listed["last_id"], listed["has_more"]) == (ids[0], ids[1], True)
    assert [i["id"] for i in call(f"{base_url}/v1/chat/completions?limit=100")[1]["data"]] == ids
    assert call(f"{base_url}/v1/chat/completions")[1]["has_more"] is False  # 20 by default, as OpenAI
    assert call(f"{base_url}/v1/chat/completions?limit=0")[0] == 400
    bad = {"model": "m", "metadata": {"unit": 1}, "messages": [{"role": "user", "content": "x"}]}
    assert call(f"{base_url}/v1/chat/completions", "POST", bad) == (
        400,
        sim.error_body("metadata must be an object of string values", "invalid_request_error"),
    )


def test_a_plans_self_healing_http_error_is_a_body_the_simulator_takes() -> None:
    fault = HttpError(kind="http_error", target="llm", status=503, heal_after="1.5s", retry_after="2s")
    body = simulator_fault(fault, "s.yaml")
    assert body == {"status": 503, "error_rate": 1.0, "retry_after_ms": 2000, "heal_after_ms": 1500}
    assert sim.parse_fault(body) == sim.Fault(status=503, retry_after_ms=2000, heal_after_ms=1500)
    assert "heal_after_ms" not in simulator_fault(HttpError(kind="http_error", target="llm", status=503), "s")
    with pytest.raises(ValidationError, match="heal_after must be at least 1ms, got 0s"):
        HttpError(kind="http_error", target="llm", status=503, heal_after="0s")


def test_a_flapping_fault_is_in_place_only_in_the_on_part_of_each_period() -> None:
    clock = Ticks()
    simulator = sim.Simulator(name="p", model="m", clock=clock)
    simulator.set_fault(sim.Fault(status=503, flap_period_ms=400, flap_on_ms=100))
    seen = []
    for _ in range(8):  # every 100 ms over two periods: on, off, off, off, on, off, off, off
        fault = draw(simulator)
        seen.append(None if fault is None else fault.status)
        clock.advance_ms(100)
    assert seen == [503, None, None, None, 503, None, None, None]
    [outage] = simulator.truth()["outages"]
    assert outage["first_sound_ns"] is None  # an off phase is no end of the outage
