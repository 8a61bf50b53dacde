"""The worker's provider routing: failover after N primary failures, fail-back, both providers down."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.staging.claims_apps import load_app

worker = load_app("worker")


class Providers:
    """Stands in for call_provider: each provider is up or down, calls are recorded."""

    def __init__(self) -> None:
        self.up = {"primary": True, "backup": True}
        self.calls: list[str] = []

    def __call__(self, base_url: str, model: str, text: str, timeout: float) -> str:
        provider = "primary" if "18001" in base_url else "backup"
        self.calls.append(provider)
        if not self.up[provider]:
            raise worker.ProviderError(f"{provider} down")
        return "auto"


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch) -> Providers:
    fake = Providers()
    monkeypatch.setattr(worker, "call_provider", fake)
    return fake


def router(failback_interval: float = 0.0) -> Any:
    config = worker.Config(
        primary_url="http://toxiproxy:18001/v1",
        backup_url="http://toxiproxy:18002/v1",
        failover_after=3,
        request_timeout=1.0,
        failback_interval=failback_interval,
        model="m",
        batch_size=10,
        idle_poll=0.1,
        lease="lock",
    )
    return worker.Router(config)


def test_fails_over_after_three_primary_failures(providers: Providers) -> None:
    r = router(failback_interval=3600)
    providers.up["primary"] = False
    assert [r.classify("x") for _ in range(2)] == [None, None]
    assert r.status()["consecutive_failures"] == 2
    assert r.classify("x") is None
    assert r.status() == {
        "active_provider": "backup",
        "failovers": 1,
        "failbacks": 0,
        "processed": 0,
        "consecutive_failures": 0,
        "holding": 0,
        "holds_claims": False,
    }
    assert r.classify("x") == ("auto", "backup")
    assert providers.calls == ["primary", "primary", "primary", "backup"]


def test_fails_back_when_the_primary_answers(providers: Providers) -> None:
    r = router(failback_interval=0.0)
    providers.up["primary"] = False
    for _ in range(3):
        r.classify("x")
    assert r.classify("x") == ("auto", "backup")
    providers.up["primary"] = True
    assert r.classify("x") == ("auto", "primary")
    status = r.status()
    assert (status["active_provider"], status["failovers"], status["failbacks"]) == ("primary", 1, 1)


def test_both_down_keeps_claims_pending_and_reports_none(providers: Providers) -> None:
    r = router(failback_interval=3600)
    providers.up["primary"] = False
    providers.up["backup"] = False
    results = [r.classify("x") for _ in range(6)]
    assert results == [None] * 6
    assert r.status()["active_provider"] == "none"
    providers.up["backup"] = True
    assert r.classify("x") == ("auto", "backup")
    assert r.status()["active_provider"] == "backup"


def test_logs_failover_as_json_with_utc_timestamp(
    providers: Providers, capsys: pytest.CaptureFixture[str]
) -> None:
    r = router(failback_interval=3600)
    providers.up["primary"] = False
    for _ in range(3):
        r.classify("x")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "failover"
    assert line["ts"].endswith("Z")
    assert (line["from_provider"], line["to_provider"]) == ("primary", "backup")


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


def test_the_worker_says_how_many_claims_it_holds_while_it_works_on_them(providers: Providers) -> None:
    # what a drill waits for before it replaces the worker: the claims it would take with it
    r = router()
    seen: list[tuple[int, bool]] = []
    original = r.classify

    def classify(text: str) -> Any:
        status = r.status()
        seen.append((status["holding"], status["holds_claims"]))
        return original(text)

    r.classify = classify
    pool = _Pool(_Cursor([("c1", "car"), ("c2", "car"), ("c3", "car")]))
    assert worker.process_batch(pool, r, 10) == 3
    assert seen == [(3, True), (2, True), (1, True)]
    assert (r.status()["holding"], r.status()["holds_claims"], pool.commits) == (0, False, 1)
