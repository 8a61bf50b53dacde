"""A declarative action never outlasts the time the drill gives its steps: its own timeout is cut to what is
left, and an action whose time has run out is not run."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest

from drdrill.clock import FakeClock
from drdrill.plan.actions import RecoveryAction
from drdrill.recovery import RecoveryContext, RecoveryStepFailed
from drdrill.run.actions import ActionRunner
from drdrill.units import NS_PER_S


class Silent:
    """A replica whose one service takes connections on a loopback port and never answers (its listen
    backlog accepts them)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def address(self, service: str, port: int) -> tuple[str, int]:
        return "127.0.0.1", self.port


class Starts:
    """A replica that starts services at once and keeps how long it was let wait for them to be ready."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def start_services(self, services: list[str], profile: str | None) -> list[str]:
        return [*services, *([f"{profile}-1"] if profile else [])]

    def await_ready(self, services: list[str], timeout_s: float) -> None:
        self.waits.append(timeout_s)


@pytest.fixture
def silent() -> Iterator[Silent]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield Silent(server.getsockname()[1])


URL = "http://{restorer:8080}/restore"


def context(left_s: float) -> RecoveryContext:
    clock = FakeClock()
    deadline = clock.monotonic_ns() + round(left_s * NS_PER_S)
    return RecoveryContext(
        replica=cast(Any, None),
        system=cast(Any, None),
        journal=cast(Any, None),
        clock=clock,
        deadline_ns=deadline,
    )


def runner(action: dict[str, Any], replica: object) -> ActionRunner:
    return ActionRunner(RecoveryAction.model_validate(action), cast(Any, replica), cast(Any, None), "r1")


def test_a_request_waits_only_for_the_time_left(silent: Silent) -> None:
    started = time.monotonic()
    with pytest.raises(RecoveryStepFailed) as failed:
        runner({"http": {"url": URL, "timeout": "30s"}}, silent)(context(0.3))
    assert time.monotonic() - started < 5.0  # 0.3 s, not the action's 30 s
    assert str(failed.value) == (
        f"POST {URL}: no answer within 0.3 s (what was left of the time the drill gives its steps)"
    )


def test_a_request_keeps_its_own_timeout_when_it_is_the_shorter(silent: Silent) -> None:
    with pytest.raises(RecoveryStepFailed, match=r"no answer within 0.2 s$"):
        runner({"http": {"url": URL, "timeout": "200ms"}}, silent)(context(60.0))


@pytest.mark.parametrize("left_s", [0.0, -1.0])
def test_an_action_whose_time_has_run_out_is_not_run(silent: Silent, left_s: float) -> None:
    with pytest.raises(RecoveryStepFailed) as failed:
        runner({"http": {"url": URL}}, silent)(context(left_s))
    assert str(failed.value).endswith(": not run: the time the drill gives its steps had run out")


def test_a_start_waits_for_readiness_only_for_the_time_left() -> None:
    replica = Starts()
    runner({"start": {"services": ["standby"], "timeout": "60s"}}, replica)(context(2.5))
    runner({"start": {"services": ["standby"], "timeout": "1s"}}, replica)(context(2.5))
    assert replica.waits == [2.5, 1.0]
