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
