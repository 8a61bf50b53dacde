"""The sweep of what killed runs left, against a scripted engine: a leftover the engine refuses to remove for good
(a network it still counts an endpoint on) is said and left, one kept by a stale endpoint is freed by forcing that
endpoint off by name, and the other killed runs are still cleared."""

from __future__ import annotations

import socket
from typing import Any

import docker
import pytest

from drdrill.staging import stack
from drdrill.staging.stack import LABEL_MANAGED, LABEL_OWNER, LABEL_RUN, sweep_leftovers

DEAD = f"{socket.gethostname()}:999999999"  # no process has this id


@pytest.fixture(autouse=True)
def nothing_judged_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts in a process that has taken no network for the engine's miscount."""
    monkeypatch.setattr(stack, "KEPT_BY_ENGINE", set())
    monkeypatch.setattr(stack, "SAID_KEPT", set())


class Network:
    """A killed run's network: free, stuck for good, kept by a stale endpoint that a forced disconnect clears, or
    miscounted (refused for active endpoints while the engine lists none)."""

    def __init__(self, engine: Networks, run: str, state: str) -> None:
        self.attrs: dict[str, Any] = {"Labels": {LABEL_MANAGED: "true", LABEL_OWNER: DEAD, LABEL_RUN: run}}
        self._engine, self.state, self.run = engine, state, run
        self.disconnected: list[tuple[str, bool]] = []

    def reload(self) -> None:
        endpoint = {"Name": f"drdrill-{self.run}-worker-1", "EndpointID": "e" * 64}
        listed = self.state in ("stuck", "stale")  # a miscounted network lists none (moby/moby#42119)
        self.attrs["Containers"] = {"ep-" + "e" * 64: endpoint} if listed else {}

    def disconnect(self, name: str, force: bool) -> None:
        self.disconnected.append((name, force))
        if self.state == "stale" and force and name == f"drdrill-{self.run}-worker-1":
            self.state = "free"
        elif self.state == "stuck":
            raise docker.errors.APIError(f"endpoint {name} not found")

    @property
    def name(self) -> str:
        return f"drdrill-{self.run}_default"

    @property
    def id(self) -> str:
        return f"id-{self.run}"

    def remove(self) -> None:
        if self.state != "free":
            raise docker.errors.APIError("error while removing network: network has active endpoints")
        self._engine.left.remove(self)


class Networks:
    """The engine's networks as the sweep asks for them: one per killed run, some that will not go."""

    def __init__(self, runs: dict[str, str]) -> None:
        self.left = [Network(self, run, state) for run, state in runs.items()]
        self.all = list(self.left)

    def list(self, filters: dict[str, str]) -> list[Network]:
        label = filters["label"]
        return [n for n in self.left if label in (f"{LABEL_MANAGED}=true", f"{LABEL_RUN}={n.run}")]


class Nothing:
    """No container and no volume."""

    def list(self, **_: Any) -> list[Any]:
        return []


def test_a_leftover_the_engine_will_not_remove_is_said_and_left_and_the_others_are_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    engine = Networks({"aaaa1111": "stuck", "bbbb2222": "free", "cccc3333": "stale"})
    client: Any = type("Client", (), {"containers": Nothing(), "volumes": Nothing(), "networks": engine})()
    said: list[str] = []
    assert sweep_leftovers(client, said.append) == 2
    assert said[0].startswith("could not remove what killed run aaaa1111 left, left in place: ")
    assert "active endpoints" in said[0]
    assert said[0].endswith(
        "remove it with `docker rm -f $(docker ps -aq --filter label=io.drdrill.run=aaaa1111)` and `docker network "
        "rm $(docker network ls -q --filter label=io.drdrill.run=aaaa1111)` (a network the engine still counts an "
        "endpoint on goes once the engine restarts)"
    )
    assert said[1] == "removed 1 leftover container(s), network(s) and volume(s) of killed run bbbb2222"
    assert said[2] == "removed 1 leftover container(s), network(s) and volume(s) of killed run cccc3333"
    assert [n.run for n in engine.left] == ["aaaa1111"]
    stuck, free, stale = engine.all
    assert free.disconnected == []  # removed at once: nothing forced
    assert stale.disconnected == [("drdrill-cccc3333-worker-1", True)]  # forced off by name, once
    assert stuck.disconnected == [("drdrill-aaaa1111-worker-1", True)] * (
        stack.REMOVE_ATTEMPTS - stack.STALE_AFTER
    )


def test_a_network_the_engine_miscounts_is_named_with_its_cause_once_a_process_and_the_run_counts_as_swept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    engine = Networks({"dddd4444": "miscounted", "eeee5555": "free"})
    client: Any = type("Client", (), {"containers": Nothing(), "volumes": Nothing(), "networks": engine})()
    said: list[str] = []
    assert sweep_leftovers(client, said.append) == 1
    assert said == [
        "killed run dddd4444: network drdrill-dddd4444_default left: the Docker engine refuses to remove it for "
        "active endpoints although it lists none (its endpoint count outlived the containers, moby/moby#42119); "
        "it holds one address range until the engine restarts, after which `docker network rm "
        "drdrill-dddd4444_default` removes it",
        "removed 1 leftover container(s), network(s) and volume(s) of killed run eeee5555",
    ]
    assert [n.run for n in engine.left] == ["dddd4444"]
    said.clear()
    assert sweep_leftovers(client, said.append) == 0  # the next drill's sweep, in the same process
    assert said == []  # named once a process, not before every drill


def test_the_note_on_two_kept_networks_gives_a_command_that_removes_both() -> None:
    note = stack.kept_by_engine_note(["drdrill-a_default", "drdrill-b_default"])
    assert note.startswith("network drdrill-a_default, drdrill-b_default left: ")
    assert note.endswith("`docker network rm drdrill-a_default drdrill-b_default` removes it")
