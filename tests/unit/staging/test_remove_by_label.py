"""Removing a run's objects by label: every container at once, then its networks and volumes, round again until
nothing carries the label; objects gone meanwhile count as gone (unit: a fake engine, no Docker)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import docker.errors
import pytest

from drdrill.staging import stack
from drdrill.staging.stack import remove_by_label


@pytest.fixture(autouse=True)
def nothing_judged_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts in a process that has taken no network for the engine's miscount."""
    monkeypatch.setattr(stack, "KEPT_BY_ENGINE", set())
    monkeypatch.setattr(stack, "SAID_KEPT", set())


@dataclass
class Engine:
    containers: dict[str, str] = field(default_factory=dict)  # name -> label
    networks: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    gone_meanwhile: set[str] = field(default_factory=set)  # removed by someone else between list and remove
    asked: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # each call, with its keywords
    refusing: set[str] = field(default_factory=set)  # objects the engine will not remove, however often asked

    def client(self) -> Any:
        engine = self

        class Obj:
            def __init__(self, kind: str, name: str) -> None:
                self.kind, self.name, self.id = kind, name, f"{kind}-{name}"
                self.attrs: dict[str, Any] = {"Containers": {}}

            def remove(self, **how: object) -> None:
                with engine.lock:
                    engine.asked.append((f"remove {self.kind}", dict(how)))
                    engine.in_flight += 1
                    engine.most_in_flight = max(engine.most_in_flight, engine.in_flight)
                try:
                    threading.Event().wait(0.02)  # the engine takes a moment for each
                    store = getattr(engine, self.kind)
                    with engine.lock:
                        engine.calls.append(f"{self.kind} {self.name}")
                        if self.name in engine.refusing:
                            raise docker.errors.APIError(f"cannot remove {self.name}")
                        if self.name in engine.gone_meanwhile or self.name not in store:
                            store.pop(self.name, None)
                            raise docker.errors.NotFound(self.name)
                        attached = engine.networks.get(self.name) in engine.containers.values()
                        if self.kind == "networks" and attached:
                            raise docker.errors.APIError("network has active endpoints")
                        del store[self.name]
                finally:
                    with engine.lock:
                        engine.in_flight -= 1

            def reload(self) -> None:
                pass

        class Listing:
            def __init__(self, kind: str) -> None:
                self.kind = kind

            def list(self, filters: dict[str, str], **how: object) -> list[Obj]:
                engine.asked.append((f"list {self.kind}", dict(how)))
                store = getattr(engine, self.kind)
                return [Obj(self.kind, n) for n, label in list(store.items()) if label == filters["label"]]

        class Client:
            containers, networks, volumes = Listing("containers"), Listing("networks"), Listing("volumes")

        return Client()


def test_every_container_goes_at_once_then_the_network_and_volumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    engine = Engine(
        containers={f"c{n}": "run=1" for n in range(6)} | {"other": "run=2"},
        networks={"net": "run=1"},
        volumes={"data": "run=1"},
    )
    assert remove_by_label(engine.client(), "run=1") == 8
    assert engine.containers == {"other": "run=2"}  # another run's container is left alone
    assert not engine.networks and not engine.volumes
    assert engine.most_in_flight == 6  # side by side, not one after the other
    removed = [c.split()[0] for c in engine.calls]
    assert removed.index("networks") > max(i for i, kind in enumerate(removed) if kind == "containers")
    # stopped containers listed too, and gone with their anonymous volumes; volumes forced whatever holds them
    asked = {call: how for call, how in engine.asked}
    assert asked["list containers"] == {"all": True, "ignore_removed": True}
    assert asked["remove containers"] == {"force": True, "v": True}
    assert asked["remove volumes"] == {"force": True}


def test_an_object_removed_meanwhile_counts_as_gone_and_nothing_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    engine = Engine(containers={"a": "run=1", "b": "run=1"}, networks={"net": "run=1"}, gone_meanwhile={"b"})
    assert remove_by_label(engine.client(), "run=1") == 2  # a and the network; b was gone already
    assert slept == []  # everything went on the first round: no pause before looking again


def test_what_will_not_go_yet_is_tried_again_after_a_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    engine = Engine(networks={"net": "run=1"})
    engine.containers = {"late": "run=1"}
    real_list = engine.client().containers.list
    rounds = {"n": 0}

    client = engine.client()

    def containers_listed_late(filters: dict[str, str], **kw: object) -> list[Any]:
        # a compose that was still creating the container: the first listing does not see it yet
        rounds["n"] += 1
        return [] if rounds["n"] == 1 else real_list(filters=filters, **kw)

    client.containers.list = containers_listed_late
    assert remove_by_label(client, "run=1") == 2
    assert slept == [stack.REMOVE_RETRY_S]  # the network refused once (the container was still there)
    assert not engine.containers and not engine.networks


class Miscounted:
    """A network the engine refuses for active endpoints while it lists none (moby/moby#42119), or, with
    ``listed``, one where it still lists an endpoint that a forced disconnect does not clear."""

    def __init__(self, listed: bool = False) -> None:
        self.name, self.id = "drdrill-1_default", "net-1"
        self.listed = listed
        self.attrs: dict[str, Any] = {}
        self.removals = 0

    def reload(self) -> None:
        self.attrs["Containers"] = {"ep-1": {"Name": "drdrill-1-worker-1"}} if self.listed else {}

    def disconnect(self, name: str, force: bool) -> None:
        raise docker.errors.APIError(f"endpoint {name} not found")

    def remove(self) -> None:
        self.removals += 1
        raise docker.errors.APIError(
            "error while removing network: network drdrill-1_default has active endpoints"
        )


def client_with(network: Miscounted, engine: Engine) -> Any:
    client = engine.client()

    class Networks:
        def list(self, filters: dict[str, str], **_: object) -> list[Miscounted]:
            return [network] if filters["label"] == "run=1" else []

    client.networks = Networks()
    return client


def test_a_network_the_engine_miscounts_is_kept_and_named_and_everything_else_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    network, engine = Miscounted(), Engine(containers={"c": "run=1"}, volumes={"data": "run=1"})
    kept: list[str] = []
    assert remove_by_label(client_with(network, engine), "run=1", kept) == 2  # the container and the volume
    assert kept == ["drdrill-1_default"]
    assert not engine.containers and not engine.volumes
    # judged once the forced disconnect had been tried, then left alone: not retried until the last round
    assert network.removals == stack.STALE_AFTER + 1


def test_without_a_list_to_keep_it_in_the_miscounted_network_fails_the_removal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    network = Miscounted()
    with pytest.raises(docker.errors.APIError, match="active endpoints"):
        remove_by_label(client_with(network, Engine()), "run=1")
    assert network.removals == stack.REMOVE_ATTEMPTS


def test_a_network_that_still_lists_an_endpoint_is_not_taken_for_a_miscount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    kept: list[str] = []
    with pytest.raises(docker.errors.APIError, match="active endpoints"):
        remove_by_label(client_with(Miscounted(listed=True), Engine()), "run=1", kept)
    assert kept == []


def test_the_miscount_is_not_judged_while_a_container_of_the_run_is_still_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    network, engine = Miscounted(), Engine(containers={"stuck": "run=1"})
    client = client_with(network, engine)
    real_list = client.containers.list
    rounds = {"n": 0}

    def listed_until_late(filters: dict[str, str], **kw: object) -> list[Any]:
        # a container compose is still creating: listed for the first rounds, whatever its removal said
        rounds["n"] += 1
        if rounds["n"] <= stack.STALE_AFTER + 2:
            engine.containers["stuck"] = "run=1"
        found: list[Any] = real_list(filters=filters, **kw)
        return found

    client.containers.list = listed_until_late
    kept: list[str] = []
    assert remove_by_label(client, "run=1", kept) >= 1
    assert kept == ["drdrill-1_default"]
    assert network.removals == stack.STALE_AFTER + 3  # judged only in the first round with no container


def test_a_network_judged_kept_earlier_in_the_process_is_kept_at_once_without_being_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    network = Miscounted()
    first: list[str] = []
    remove_by_label(client_with(network, Engine()), "run=1", first)
    tried = network.removals
    again: list[str] = []
    assert remove_by_label(client_with(network, Engine(volumes={"data": "run=1"})), "run=1", again) == 1
    assert first == again == ["drdrill-1_default"]
    assert network.removals == tried  # not asked again: the engine would only refuse it again


def test_a_container_the_engine_still_refuses_on_the_last_round_fails_the_removal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "REMOVE_RETRY_S", 0.0)
    engine = Engine(containers={"stuck": "run=1"}, refusing={"stuck"})
    with pytest.raises(docker.errors.APIError, match="cannot remove stuck"):
        remove_by_label(engine.client(), "run=1", [])
    assert engine.calls.count("containers stuck") == stack.REMOVE_ATTEMPTS  # tried every round, then said
