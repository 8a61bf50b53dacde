"""compose's reading of the plan's file, started before the drill's set-up.

``docker compose config --format json`` takes 0.15 to 0.2 s of a compose process, and preflight waits for it
before anything else of the replica can be decided. The plugin's ``pytest_configure`` starts it (with ``config
--variables``) for the first drill's run id as soon as the plan is loaded, so it runs on the other core while
pytest imports the rest of drdrill and collects; that run's :class:`~drdrill.staging.stack.StagingStack` takes
the answers and the secrets they were read with up in ``prepare()``.

This module imports nothing heavy (no Docker client, no testcontainers), so the reading starts before they load.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from drdrill.plan import Plan

ALL_PROFILES = ("--profile", "*")  # every profile's services: a recovery step may start one
EARLY_WAIT_S = 5.0  # how long an early reading nobody takes up may still run before it is stopped

# Every compose command a drill runs carries its owner in this variable, so that a later run can tell a compose
# that outlived its killed drill (a SIGKILL ends the drill, not the ``docker compose up`` it started).
OWNER_ENV = "DRDRILL_OWNER"


def owner_tag() -> str:
    """``host:pid`` of this process, written on every container it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


# pytest sets this to the test and phase it is in ("... (setup)", "... (call)"), and changes it between them: it
# was never compose's business, and left in compose's environment it told an early reading (made in
# pytest_configure, before any phase) from the set-up's, so that no early reading was ever taken up.
PYTEST_PHASE_ENV = "PYTEST_CURRENT_TEST"


def compose_environment(secrets: Mapping[str, str]) -> dict[str, str]:
    """The environment of every compose command of a run: this process's (less pytest's phase variable), the
    run's secrets, and its owner."""
    env = {k: v for k, v in os.environ.items() if k != PYTEST_PHASE_ENV}
    return {**env, **secrets, OWNER_ENV: owner_tag()}


def new_secrets(plan: Plan) -> dict[str, str]:
    """The run's generated secrets: new for every run (a replica's database password is good for one drill)."""
    return {name: secrets.token_urlsafe(24) for name in plan.staging_topology.generated_secrets}


class Spawned:
    """A command started at once and read when its answer is needed: as ``subprocess.run(check=True)`` would
    have answered it."""

    def __init__(self, cmd: list[str], cwd: str, env: Mapping[str, str]) -> None:
        self.cmd = cmd
        self._process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=dict(env)
        )
        self._done: subprocess.CompletedProcess[bytes] | None = None

    def result(self) -> subprocess.CompletedProcess[bytes]:
        if self._done is None:
            out, err = self._process.communicate()
            self._done = subprocess.CompletedProcess(self.cmd, self._process.returncode, out, err)
        self._done.check_returncode()
        return self._done

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def discard(self) -> None:
        """Nobody will read it: let it end (compose's config only reads files), or stop it."""
        if self._done is not None:
            return
        try:
            self._process.communicate(timeout=EARLY_WAIT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()


@dataclass(frozen=True)
class EarlyRead:
    """compose's two readings of the plan's file that ``prepare()`` needs, and the secrets they were read with."""

    compose_file: Path
    secrets: Mapping[str, str]
    environment: Mapping[str, str]  # compose's environment: what its ${...} were filled from
    config: Spawned
    variables: Spawned

    def reads(self, compose: Sequence[str], profiles: Sequence[str], environment: Mapping[str, str]) -> bool:
        """Whether this is the reading the stack would make now: its own ``compose`` command line, in the same
        environment (a variable set since, by a conftest say, may change what compose makes of the file)."""
        return (
            self.config.cmd == [*compose, *profiles, "config", "--format", "json"]
            and self.variables.cmd == [*compose, "config", "--variables"]
            and dict(self.environment) == dict(environment)
        )

    def discard(self) -> None:
        self.config.discard()
        self.variables.discard()


_EARLY: dict[str, EarlyRead] = {}


def read_model_early(plan: Plan, run_id: str) -> bool:
    """Start compose reading the plan's compose file for run ``run_id`` now. False when there is no compose file
    or compose could not even be started (``prepare()`` then says why)."""
    if plan.staging_topology.compose_file is None:
        return False
    compose_file = (plan.source_dir / plan.staging_topology.compose_file).resolve()
    found = new_secrets(plan)
    command = ["docker", "compose", "-p", f"drdrill-{run_id}", "-f", compose_file.name]
    env = compose_environment(found)
    cwd = str(compose_file.parent)
    try:
        config = Spawned([*command, *ALL_PROFILES, "config", "--format", "json"], cwd, env)
    except OSError:
        return False
    try:
        variables = Spawned([*command, "config", "--variables"], cwd, env)
    except OSError:
        config.discard()
        return False
    _EARLY[run_id] = EarlyRead(compose_file, found, env, config, variables)
    return True


def take_early_read(run_id: str, compose_file: Path) -> EarlyRead | None:
    """The early reading for ``run_id``, if one was started for this compose file (another is discarded)."""
    early = _EARLY.pop(run_id, None)
    if early is not None and early.compose_file != compose_file:
        early.discard()
        return None
    return early


def discard_early_reads() -> None:
    """Wait for (or stop) the early readings no drill took up: a run that ended before its set-up."""
    while _EARLY:
        _, early = _EARLY.popitem()
        early.discard()
