"""The claims worker's provider routing, with the official SDKs it runs on as clients of two real simulators (a
primary asked through openai's Responses API, streamed, and a backup through anthropic's messages API): failover
after N failures, fail-back only after good answers in a row, Retry-After honoured, a cut stream never taken as a
label, the fleet's hold and model pin, a rotated key taken up from its file."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from drdrill.simulator import provider_sim as sim
from tests.unit.simulator.conftest import Serve, serve  # noqa: F401 - the fixture, shared
from tests.unit.staging.claims_apps import APPS, load_app

worker = load_app("worker")
RULES = sim.load_rules(str(APPS.parent / "sim" / "labels.json"))
CAR = "My car was rear-ended at a traffic light."
HOUSE = "A burst pipe flooded the kitchen of the house."


class Clock:
    """The router's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Stack:
    """A primary and a backup simulator, and a router over them."""

    def __init__(self, start: Serve, tmp_path: Path) -> None:
        self.primary = sim.Simulator(
            name="primary", model="sim-primary", rules=RULES, keys=frozenset({"sk-a", "sk-a2"})
        )
        self.backup = sim.Simulator(name="backup", model="sim-backup", rules=RULES)
        self.primary_url, self.backup_url = start(self.primary), start(self.backup)
        self.key_file = tmp_path / "primary-provider-key"
        self.clock = Clock()
        self.routers: list[Any] = []
        self.config = worker.Config(
            primary_url=f"{self.primary_url}/v1",
            backup_url=self.backup_url,
            failover_after=3,
            request_timeout=2.0,
            failback_interval=1.0,
            failback_after=3,
            model="sim-primary",
            backup_model="sim-backup",
            batch_size=10,
            idle_poll=0.1,
            lease="lock",
            primary_key="sk-a",
            primary_key_file=str(self.key_file),
            max_retries=0,
        )

    def router(self, **changes: Any) -> Any:
        made = worker.Router(replace(self.config, **changes), clock=self.clock)
        self.routers.append(made)
        return made

    def fault(self, **body: object) -> None:
        httpx.post(f"{self.primary_url}/_sim/fault", json=body, timeout=5).raise_for_status()

    def clear(self) -> None:
        httpx.delete(f"{self.primary_url}/_sim/fault", timeout=5).raise_for_status()


@pytest.fixture
def stack(serve: Serve, tmp_path: Path) -> Iterator[Stack]:  # noqa: F811 - the shared fixture, used
    made = Stack(serve, tmp_path)
    yield made
    for router in made.routers:
        router.close()


def fail_over(r: Any) -> None:
    for _ in range(3):
        assert r.classify(CAR) is None


def test_labels_on_the_primary_through_the_responses_api_streamed(stack: Stack) -> None:
    r = stack.router()
    assert r.classify(CAR) == ("auto", "primary")
    assert r.classify(HOUSE) == ("property", "primary")
    assert stack.primary.by_api == {"responses": 2} and stack.primary.stats.streams == 2
    status = r.status()
    assert status["model_version"] == "sim-primary-v1"  # the version that answered, from response.completed
    assert status["calls_by_key"] == {worker.fingerprint("sk-a"): 2}


def test_fails_over_after_three_primary_failures_and_labels_with_the_backups_sdk(stack: Stack) -> None:
    r = stack.router()
    stack.fault(status=503)
    assert [r.classify(CAR) for _ in range(2)] == [None, None]
    assert r.status()["consecutive_failures"] == 2
    assert r.classify(CAR) is None
    status = r.status()
    assert (status["active_provider"], status["failovers"], status["consecutive_failures"]) == (
        "backup",
        1,
        0,
    )
    assert r.classify(CAR) == ("auto", "backup")
    assert stack.backup.by_api == {"messages": 1}


def test_fails_back_only_after_three_good_primary_answers_in_a_row(stack: Stack) -> None:
    r = stack.router()
    stack.fault(status=503)
    fail_over(r)
    stack.clear()
    # The prober asks the primary a question of its own; the third good answer in a row brings labelling back.
    for streak in range(1, 3):
        assert r.probe() is True
        assert (r.status()["active_provider"], r.failback_streak) == ("backup", streak)
        assert r.classify(CAR) == ("auto", "backup")  # meanwhile the backup labels
    stack.fault(status=503)  # the primary fails again: the streak starts over
    assert r.probe() is False
    assert r.failback_streak == 0
    stack.clear()
    assert [r.probe() for _ in range(3)] == [True, True, True]
    assert (r.status()["active_provider"], r.status()["failbacks"]) == ("primary", 1)
    assert r.probe() is False  # on the primary: nothing to ask
    assert r.classify(CAR) == ("auto", "primary")


def test_a_careless_fail_back_takes_the_first_good_answer(stack: Stack) -> None:
    r = stack.router(failback_after=1)
    stack.fault(status=503)
    fail_over(r)
    stack.clear()
    assert r.probe() is True
    assert r.status()["active_provider"] == "primary"


def test_retry_after_is_honoured_no_call_before_it_runs_out(stack: Stack) -> None:
    r = worker.Router(stack.config)  # the real clock: the provider's is real too
    stack.routers.append(r)
    stack.fault(status=429, retry_after_ms=400)
    fail_over(r)
    # One call was made and told to wait; the next two were held back without calling.
    assert stack.primary.stats.requests == 1
    assert (r.status()["held_back"], stack.primary.stats.early_calls) == (2, 0)
    assert r.probe() is False  # the prober too waits until the Retry-After runs out: no call
    assert r.classify(CAR) == ("auto", "backup")
    assert stack.primary.stats.requests == 1
    time.sleep(0.45)
    assert r.probe() is False  # now it asks, and is told to wait again
    assert (stack.primary.stats.requests, stack.primary.stats.early_calls) == (2, 0)


def test_a_careless_worker_ignores_retry_after_and_the_provider_counts_its_early_calls(stack: Stack) -> None:
    r = stack.router(retry_after="ignore")
    stack.fault(status=429, retry_after_ms=5000)
    fail_over(r)
    assert (stack.primary.stats.requests, stack.primary.stats.early_calls) == (3, 2)


def test_a_stream_cut_mid_answer_is_a_failure_never_a_label(stack: Stack) -> None:
    r = stack.router()
    stack.fault(kind="cut", after_chunks=1)
    assert r.classify(HOUSE) is None
    assert stack.primary.stats.cut == 1


def test_a_careless_worker_keeps_half_an_answer_as_its_label(stack: Stack) -> None:
    r = stack.router(stream_check="lenient")
    stack.fault(kind="cut", after_chunks=1)
    # The stream broke after its first piece: "prop" of "property", taken as the label.
    assert r.classify(HOUSE) == ("prop", "primary")


def test_a_hold_moves_labelling_off_the_primary_and_no_probe_asks_it_until_lifted(stack: Stack) -> None:
    r = stack.router()
    r.apply(worker.Settings(primary_hold="key rotation"))
    assert r.status()["active_provider"] == "backup"
    assert r.probe() is False
    assert r.classify(CAR) == ("auto", "backup")
    assert stack.primary.stats.requests == 0
    r.apply(worker.Settings())
    assert [r.probe() for _ in range(3)] == [True, True, True]
    assert r.status()["active_provider"] == "primary"


def test_a_model_pin_asks_for_the_previous_version(stack: Stack) -> None:
    r = stack.router()
    stack.primary.update_model(1.0)  # the provider ships a version that gets every claim wrong
    assert r.classify(CAR) == ("property", "primary")  # well formed, wrong: the next label of the rules
    assert r.status()["model_version"] == "sim-primary-v2"
    r.apply(worker.Settings(primary_model_pin="sim-primary-v1"))
    assert r.classify(CAR) == ("auto", "primary")
    status = r.status()
    assert (status["model_pin"], status["model_version"]) == ("sim-primary-v1", "sim-primary-v1")


def test_a_rotated_key_is_taken_from_its_file_without_a_restart(stack: Stack) -> None:
    r = stack.router()
    assert r.classify(CAR) == ("auto", "primary")
    stack.key_file.write_text("sk-a2\n")
    os.utime(stack.key_file, (1, 1))  # a modification time of its own, whatever the file system's resolution
    assert r.classify(CAR) == ("auto", "primary")
    assert r.status()["calls_by_key"] == {worker.fingerprint("sk-a"): 1, worker.fingerprint("sk-a2"): 1}
    assert stack.primary.by_key[sim.fingerprint("sk-a2")] == {"accepted": 1, "refused": 0}


def test_both_down_keeps_claims_pending_and_reports_none(stack: Stack) -> None:
    r = stack.router(backup_url="http://127.0.0.1:9")  # nothing listens there
    stack.fault(status=503)
    assert [r.classify(CAR) for _ in range(6)] == [None] * 6
    assert r.status()["active_provider"] == "none"


def test_logs_failover_as_json_with_utc_timestamp(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    r = stack.router()
    stack.fault(status=503)
    fail_over(r)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "failover"
    assert line["ts"].endswith("Z")
    assert (line["from_provider"], line["to_provider"]) == ("primary", "backup")
    assert line["reason"].startswith("3 consecutive primary failures, last: HTTP 503")


def test_settings_that_cannot_work_are_named() -> None:
    config = worker.Config.from_env()
    assert config.problems() == []
    bad = replace(config, retry_after="sometimes", stream_check="loose", lease="nobody")
    assert bad.problems() == [
        "LEASE must be lock or hostname, not 'nobody'",
        "RETRY_AFTER must be honour or ignore, not 'sometimes'",
        "STREAM_CHECK must be strict or lenient, not 'loose'",
    ]


def test_the_sdks_own_retries_are_counted_by_the_key_they_carried(stack: Stack) -> None:
    r = stack.router(max_retries=1)
    stack.fault(status=503, retry_after_ms=10)
    assert r.classify(CAR) is None
    assert r.status()["calls_by_key"] == {worker.fingerprint("sk-a"): 2}
    assert stack.primary.stats.requests == 2


class _Cursor:
    """The one transaction of process_batch: the claims it takes, and every statement after."""

    def __init__(self, pending: list[tuple[str, str]]) -> None:
        self.pending = pending
        self.statements: list[str] = []

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.statements.append(sql.split(maxsplit=1)[0])

    def fetchall(self) -> list[tuple[str, str]]:
        return self.pending


class _Pool:
    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor
        self.commits = 0

    def connection(self) -> Any:
        pool = self

        class Connection:
            def __enter__(self) -> Connection:
                return self

            def __exit__(self, *exc: object) -> None:
                pass

            def cursor(self) -> _Cursor:
                return pool._cursor

            def commit(self) -> None:
                pool.commits += 1

        return Connection()


def test_the_worker_says_how_many_claims_it_holds_while_it_works_on_them(stack: Stack) -> None:
    # what a drill waits for before it replaces the worker: the claims it would take with it
    r = stack.router()
    seen: list[tuple[int, bool]] = []
    original = r.classify

    def classify(text: str) -> Any:
        status = r.status()
        seen.append((status["holding"], status["holds_claims"]))
        return original(text)

    r.classify = classify
    pool = _Pool(_Cursor([("c1", CAR), ("c2", CAR), ("c3", CAR)]))
    assert worker.process_batch(pool, r, 10) == 3
    assert seen == [(3, True), (2, True), (1, True)]
    assert (r.status()["holding"], r.status()["holds_claims"], pool.commits) == (0, False, 1)
