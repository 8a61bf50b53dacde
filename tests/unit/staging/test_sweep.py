"""The sweep of dead runs' leftovers, on a fake engine: what it removes, what it keeps, and a leftover the engine
refuses to remove said as a warning instead of ending the drill that swept."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any

import docker
import pytest

from drdrill.staging import stack
from drdrill.staging.override import LABEL_OWNER, LABEL_RUN

DEAD = f"{socket.gethostname()}:999999999"  # no such process
LIVE = f"{socket.gethostname()}:{os.getppid()}"


@dataclass
class Thing:
    """A container, network or volume of the fake engine."""

    engine: Engine
    kind: str
    run: str
    owner: str
    refuse: bool = False

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL_RUN: self.run, LABEL_OWNER: self.owner}

    @property
    def attrs(self) -> dict[str, Any]:
        return {"Labels": self.labels}

    def remove(self, **_: object) -> None:
        if self.refuse:
            raise docker.errors.APIError("error while removing network: network has active endpoints")
        self.engine.things.remove(self)


@dataclass
class Listing:
    engine: Engine
    kind: str

    def list(self, filters: dict[str, str], **options: object) -> list[Thing]:
        key, _, value = str(filters["label"]).partition("=")
        return [
            t
            for t in self.engine.things
            if t.kind == self.kind and (t.labels.get(key) == value or key not in (LABEL_RUN,))
        ]


@dataclass
class Engine:
    things: list[Thing] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.containers, self.networks, self.volumes = (
            Listing(self, k) for k in ("container", "network", "volume")
        )

    def add(self, kind: str, run: str, owner: str, refuse: bool = False) -> None:
        self.things.append(Thing(self, kind, run, owner, refuse))


def test_a_dead_runs_leftovers_go_a_live_runs_stay_and_a_refused_removal_is_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0)
    engine = Engine()
    engine.add("container", "dead1", DEAD)
    engine.add("network", "dead1", DEAD)
    engine.add("volume", "dead1", DEAD)
    engine.add("network", "stuck", DEAD, refuse=True)  # the engine still counts endpoints on it
    engine.add("container", "live", LIVE)
    said: list[str] = []
    removed = stack.sweep_leftovers(engine, said.append)  # type: ignore[arg-type]
    assert removed == 3
    assert [(t.kind, t.run) for t in engine.things] == [("network", "stuck"), ("container", "live")]
    assert said[0] == "removed 3 leftover container(s), network(s) and volume(s) of killed run dead1"
    assert said[1].startswith("warning: could not remove what killed run stuck left behind: ")
    assert "it does not touch this drill" in said[1] and f"label={LABEL_RUN}=stuck" in said[1]
    assert len(said) == 2
