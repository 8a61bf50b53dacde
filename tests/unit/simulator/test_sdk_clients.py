"""The provider simulator with the official SDKs as its clients: the OpenAI chat-completions and Responses APIs
and the Anthropic messages API, whole and streamed, and every runtime fault as an SDK sees it.

The SDKs' own retries, timeouts and backoff are what a drill measures, so these tests set them as a system
would and check what the SDK did (how many calls reached the simulator, when, and what it raised).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import anthropic
import httpx
import httpx2
import openai
import pytest

from drdrill.simulator import provider_sim as sim
from tests.unit.simulator.conftest import LABELS, Serve

Provider = tuple[sim.Simulator, str]
CAR = "The car crash bent the vehicle's door"


# Every SDK client a test makes, closed when the test ends: a client left to the garbage collector keeps its
# connection (a timed-out one to a hanging simulator, say) open, and another test then fails on the warning.
_made: list[openai.OpenAI | anthropic.Anthropic] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _made:
        _made.pop().close()


def oai(url: str, **kwargs: object) -> openai.OpenAI:
    options: dict[str, object] = {"max_retries": 0, "timeout": 5.0, **kwargs}
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=str(options.pop("api_key", "sk-test")), **options)  # type: ignore[arg-type]
    _made.append(client)
    return client


def ant(url: str, **kwargs: object) -> anthropic.Anthropic:
    options: dict[str, object] = {"max_retries": 0, "timeout": 5.0, **kwargs}
    client = anthropic.Anthropic(base_url=url, api_key=str(options.pop("api_key", "sk-ant-test")), **options)  # type: ignore[arg-type]
    _made.append(client)
    return client


def set_fault(url: str, **body: object) -> None:
    httpx.post(f"{url}/_sim/fault", json=body, timeout=5).raise_for_status()


def stats(url: str) -> dict[str, object]:
    found: dict[str, object] = httpx.get(f"{url}/_sim/stats", timeout=5).json()
    return found


# ------------------------------------------------------------------------------------ the three APIs


def test_openai_chat_completions_whole_and_streamed(provider: Provider) -> None:
    _, url = provider
    client = oai(url)
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "Label the claim."},
        {"role": "user", "content": CAR},
    ]
    whole = client.chat.completions.create(model="sim-primary", messages=messages)
    assert whole.choices[0].message.content == "car"
    assert whole.model == "sim-primary-v1"  # the version that answered, as a provider names its snapshot
    stream = client.chat.completions.create(
        model="sim-primary", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "car"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 1
    assert stats(url)["by_api"] == {"chat.completions": 2}
    assert stats(url)["streams"] == 1


def test_openai_responses_whole_and_streamed(provider: Provider) -> None:
    _, url = provider
    client = oai(url)
    whole = client.responses.create(model="sim-primary", input="Water from a burst pipe under the house")
    assert whole.output_text == "home"
    structured = client.responses.create(
        model="sim-primary",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "knee surgery at the hospital"}]}],
    )
    assert structured.output_text == "body"
    with client.responses.stream(
        model="sim-primary", input="A long text about nothing in particular"
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == "other"
    assert stats(url)["by_api"] == {"responses": 3}


def test_anthropic_messages_whole_and_streamed(provider: Provider) -> None:
    _, url = provider
    client = ant(url)
    whole = client.messages.create(
        model="sim-primary", max_tokens=16, messages=[{"role": "user", "content": "the roof of the house"}]
    )
    block = whole.content[0]
    assert block.type == "text" and block.text == "home"
    assert whole.stop_reason == "end_turn"
    with client.messages.stream(
        model="sim-primary",
        max_tokens=16,
        messages=[{"role": "user", "content": [{"type": "text", "text": CAR}]}],
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces) == "car"
    assert final.content[0].type == "text" and final.content[0].text == "car"
    assert stats(url)["by_api"] == {"messages": 2}


def test_a_longer_answer_streams_in_pieces(serve: Serve) -> None:
    url = serve(sim.Simulator(name="qa", model="sim-qa"))
    chunks = list(
        oai(url).chat.completions.create(
            model="sim-qa", messages=[{"role": "user", "content": "Which plans include SSO?"}], stream=True
        )
    )
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(contents) == sim.prompt_answer("Which plans include SSO?")
    assert len(contents) == len(sim.prompt_answer("Which plans include SSO?")) // 4 + 1


# ---------------------------------------------------------------------------------------- the faults


def test_rate_limit_storm_the_sdk_waits_as_told_and_no_call_is_early(provider: Provider) -> None:
    _, url = provider
    set_fault(url, status=429, retry_after_ms=300)
    client = oai(url, max_retries=2)
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="sim-primary", messages=[{"role": "user", "content": CAR}])
    took = time.monotonic() - started
    found = stats(url)
    assert (found["requests"], found["retry_after_sent"], found["early_calls"]) == (3, 3, 0)
    assert took >= 0.6  # two waits of the Retry-After, not the SDK's own 0.5 s backoff... nor less


def test_a_client_that_ignores_retry_after_is_counted_early(provider: Provider) -> None:
    _, url = provider
    set_fault(url, status=429, retry_after_ms=2000)
    body = {"model": "sim-primary", "messages": [{"role": "user", "content": CAR}]}
    headers = {"Authorization": "Bearer sk-impatient"}
    for _ in range(3):
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=5)
        assert (answer.status_code, answer.headers["retry-after-ms"], answer.headers["Retry-After"]) == (
            429,
            "2000",
            "2",
        )
    found = stats(url)
    assert found["early_calls"] == 2
    assert found["early_by_caller"] == {sim.fingerprint("sk-impatient"): 2}


def test_anthropic_sdk_retries_a_503_after_its_retry_after(provider: Provider) -> None:
    simulator, url = provider
    client = ant(url, max_retries=2)
    set_fault(url, status=503, retry_after_ms=200)

    def heal_after_the_first_error() -> None:
        deadline = time.monotonic() + 10
        while simulator.stats.errors < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        simulator.set_fault(None)

    healer = threading.Thread(target=heal_after_the_first_error)
    healer.start()
    started = time.monotonic()
    answer = client.messages.create(
        model="sim-primary", max_tokens=8, messages=[{"role": "user", "content": CAR}]
    )
    healer.join()
    assert answer.content[0].type == "text" and answer.content[0].text == "car"
    assert time.monotonic() - started >= 0.2
    assert (simulator.stats.requests, simulator.stats.errors, simulator.stats.early_calls) == (2, 1, 0)


def test_anthropic_errors_have_the_anthropic_shape(provider: Provider) -> None:
    _, url = provider
    set_fault(url, status=529)
    with pytest.raises(anthropic.APIStatusError) as raised:
        ant(url).messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": CAR}])
    assert raised.value.status_code == 529
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "simulated fault 529"},
    }


def test_a_hang_ends_in_the_sdks_timeout_and_is_let_go_when_cleared(provider: Provider) -> None:
    simulator, url = provider
    set_fault(url, kind="hang")
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        oai(url, timeout=0.3).chat.completions.create(model="m", messages=[{"role": "user", "content": CAR}])
    assert 0.3 <= time.monotonic() - started < 2.0
    httpx.delete(f"{url}/_sim/fault", timeout=5)
    answer = oai(url).chat.completions.create(model="m", messages=[{"role": "user", "content": CAR}])
    assert answer.choices[0].message.content == "car"
    assert simulator.stats.errors == 1


def test_slow_first_token_the_stream_opens_at_once_and_the_first_token_waits(provider: Provider) -> None:
    _, url = provider
    set_fault(url, kind="slow", first_token_ms=400)
    started = time.monotonic()
    stream = oai(url).chat.completions.create(
        model="m", messages=[{"role": "user", "content": CAR}], stream=True
    )
    opened = time.monotonic() - started
    first_text = next(c for c in stream if c.choices and c.choices[0].delta.content)
    first_token = time.monotonic() - started
    assert first_text.choices[0].delta.content == "car"
    assert opened < 0.3
    assert 0.4 <= first_token < 2.0


def test_a_stream_cut_mid_answer_raises_in_the_sdk_after_the_chunks_sent(serve: Serve) -> None:
    url = serve(sim.Simulator(name="qa", model="sim-qa"))
    set_fault(url, kind="cut", after_chunks=2)
    stream = oai(url).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "What is SSO?"}], stream=True
    )
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == sim.prompt_answer("What is SSO?")[:8]  # the role chunk, then two pieces
    # The anthropic SDK let its HTTP client's error through a stream as it was (openai wraps it); its 2.17 wraps
    # it too, as an APIConnectionError that names the cause.
    with (
        pytest.raises(
            (httpx2.RemoteProtocolError, anthropic.APIConnectionError), match="incomplete chunked read"
        ),
        ant(url).messages.stream(
            model="m", max_tokens=8, messages=[{"role": "user", "content": "What is SSO?"}]
        ) as astream,
    ):
        list(astream.text_stream)
    assert stats(url)["cut"] == 2


def test_a_whole_answer_cut_mid_body_is_a_connection_error(provider: Provider) -> None:
    _, url = provider
    set_fault(url, kind="cut")
    with pytest.raises(openai.APIConnectionError):
        oai(url).chat.completions.create(model="m", messages=[{"role": "user", "content": CAR}])


def test_a_malformed_chunk_breaks_the_sdks_stream(provider: Provider) -> None:
    _, url = provider
    set_fault(url, kind="malformed", after_chunks=0)
    stream = oai(url).chat.completions.create(
        model="m", messages=[{"role": "user", "content": CAR}], stream=True
    )
    with pytest.raises(ValueError, match=r"Unterminated string"):
        list(stream)


def test_a_changed_schema_hides_the_text_where_each_sdk_looks(provider: Provider) -> None:
    _, url = provider
    set_fault(url, kind="schema")
    chat = oai(url).chat.completions.create(model="m", messages=[{"role": "user", "content": CAR}])
    assert not isinstance(chat.choices[0].message.content, str)
    assert oai(url).responses.create(model="m", input=CAR).output_text == ""
    message = ant(url).messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": CAR}])
    assert message.content[0].type != "text"
    streamed = oai(url).chat.completions.create(
        model="m", messages=[{"role": "user", "content": CAR}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == ""


def test_a_flapping_503_fails_some_calls_and_passes_others(provider: Provider) -> None:
    _, url = provider
    set_fault(url, status=503, flap_period_ms=200, flap_on_ms=100)
    outcomes = []
    for _ in range(16):
        try:
            oai(url).chat.completions.create(model="m", messages=[{"role": "user", "content": CAR}])
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("503")
        time.sleep(0.025)
    assert {"ok", "503"} <= set(outcomes)


# ------------------------------------------------------------------------------------- model and keys


def test_a_model_update_lowers_quality_and_a_pinned_version_keeps_it(provider: Provider) -> None:
    simulator, url = provider
    client = oai(url)

    def label(model: str) -> tuple[str | None, str]:
        got = client.chat.completions.create(model=model, messages=[{"role": "user", "content": CAR}])
        return got.choices[0].message.content, got.model

    assert label("sim-primary") == ("car", "sim-primary-v1")
    httpx.post(f"{url}/_sim/model", json={"wrong_rate": 1.0}, timeout=5).raise_for_status()
    assert label("sim-primary") == ("home", "sim-primary-v2")  # the next label: wrong, well formed
    assert label("sim-primary-v1") == ("car", "sim-primary-v1")  # the pin a rollback goes back to
    httpx.delete(f"{url}/_sim/model", timeout=5).raise_for_status()
    assert label("sim-primary") == ("car", "sim-primary-v1")
    versions = [v["name"] for v in simulator.truth()["model_versions"]]
    assert versions == ["sim-primary-v1", "sim-primary-v2", "sim-primary-v1"]


def test_a_partial_model_update_is_wrong_on_about_its_share() -> None:
    prompts = [f"question number {i}" for i in range(2000)]
    wrong = sum(sim.is_spoiled("m-v2", p, 0.3) for p in prompts)
    assert 540 <= wrong <= 660
    assert [sim.is_spoiled("m-v2", p, 0.3) for p in prompts[:50]] == [
        sim.is_spoiled("m-v2", p, 0.3) for p in prompts[:50]
    ]


def test_keys_a_rotation_refuses_the_old_key_and_takes_the_new(serve: Serve) -> None:
    simulator = sim.Simulator(name="p", model="sim-p", rules=LABELS, keys=frozenset({"old-key"}))
    url = serve(simulator)
    ask: list[openai.types.chat.ChatCompletionUserMessageParam] = [{"role": "user", "content": CAR}]
    said: list[anthropic.types.MessageParam] = [{"role": "user", "content": CAR}]
    first = oai(url, api_key="old-key").chat.completions.create(model="m", messages=ask)
    assert first.choices[0].message.content == "car"
    with pytest.raises(openai.AuthenticationError):
        oai(url, api_key="someone-else").chat.completions.create(model="m", messages=ask)
    httpx.post(f"{url}/_sim/keys", json={"keys": ["new-key"]}, timeout=5).raise_for_status()
    with pytest.raises(anthropic.AuthenticationError):
        ant(url, api_key="old-key").messages.create(model="m", max_tokens=8, messages=said)
    after = ant(url, api_key="new-key").messages.create(model="m", max_tokens=8, messages=said)
    assert after.content[0].type == "text"
    by_key = stats(url)["by_key"]
    assert by_key == {
        sim.fingerprint("old-key"): {"accepted": 1, "refused": 1},
        sim.fingerprint("someone-else"): {"accepted": 0, "refused": 1},
        sim.fingerprint("new-key"): {"accepted": 1, "refused": 0},
    }
    assert "old-key" not in str(simulator.truth()) + str(stats(url))
