"""A drill killed during ``docker compose up`` leaves that command running; the next run's sweep stops it, and
only it: real processes, told apart by the owner in their environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from drdrill.staging import stack
from drdrill.staging.stack import OWNER_ENV, stop_orphaned_compose

HOST = socket.gethostname()
DEAD = f"{HOST}:999999999"  # no process has this id
SLEEP = "import time; time.sleep(60)"


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def _start(
    procs: list[subprocess.Popen[bytes]], argv: list[str], owner: str | None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != OWNER_ENV}
    if owner is not None:
        env[OWNER_ENV] = owner
    proc = subprocess.Popen([sys.executable, "-c", SLEEP, *argv], env=env)
    procs.append(proc)
    return proc


def test_only_the_compose_of_a_dead_owner_is_stopped(
    spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack, "ORPHAN_SETTLE_S", 0.0)
    up = ["compose", "-p", "drdrill-0rphan00", "up", "--detach"]
    orphan = _start(spawned, up, DEAD)
    live_owner = _start(spawned, up, f"{HOST}:{os.getppid()}")  # its drill still runs
    other_host = _start(spawned, up, "elsewhere:999999999")  # not this machine's to judge
    not_drdrills = _start(spawned, up, None)
    not_compose = _start(spawned, ["build"], DEAD)
    said: list[str] = []
    assert stop_orphaned_compose(said.append) == 1
    assert orphan.wait(timeout=10) == -9
    for proc in (live_owner, other_host, not_drdrills, not_compose):
        assert proc.poll() is None
    assert said == [f"stopped 1 docker compose process(es) that killed drill {DEAD} left running"]


def test_with_no_orphan_the_sweep_says_nothing(spawned: list[subprocess.Popen[bytes]]) -> None:
    _start(spawned, ["compose", "up"], f"{HOST}:{os.getppid()}")
    said: list[str] = []
    assert stop_orphaned_compose(said.append) == 0
    assert said == []
