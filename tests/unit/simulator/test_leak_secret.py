"""leak_secret against a real provider simulator on 127.0.0.1: the run's value of a generated secret used where
the scenario says it is taken, each call kept with its answer; the key revoked mid-way is seen refused."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import TypeAdapter

from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults.credentials import CredentialFamily, LeakedSecret, fingerprint
from drdrill.faults.injector import supported_kinds
from drdrill.plan.faults import Fault
from drdrill.simulator import provider_sim as sim
from tests.unit.simulator.conftest import LABELS, Serve

FAULT: TypeAdapter[Fault] = TypeAdapter(Fault)
LEAKED = "sk-run-7f3a-leaked"
OTHER = "sk-run-other"


class Replica:
    """A replica of one service (the served simulator) and the run's generated secrets."""

    def __init__(self, url: str, secrets: Mapping[str, str]) -> None:
        self._url = url
        self.secrets = secrets

    def address(self, service: str, port: int) -> tuple[str, int]:
        host, port_text = self._url.removeprefix("http://").split(":")
        return host, int(port_text)


def declared(**changes: Any) -> Fault:
    fault: dict[str, Any] = {
        "kind": "leak_secret",
        "target": "worker",
        "secret": "provider-key",
        "value_from": "PROVIDER_KEY",
        "uses": [
            {
                "name": "provider",
                "url": "http://{llm:8000}/v1/chat/completions",
                "headers": {"Authorization": "Bearer {secret}"},
                "json": {"model": "sim-p", "messages": [{"role": "user", "content": "car"}]},
                "every": "50ms",
            }
        ],
    }
    return FAULT.validate_python({**fault, **changes})


def targets(replica: Replica) -> Any:
    return type("Targets", (), {"replica": replica, "where": "s.yaml"})()


def test_the_leaked_value_is_used_until_revoked_and_every_call_is_kept_with_its_answer(serve: Serve) -> None:
    simulator = sim.Simulator(name="p", model="sim-p", rules=LABELS, keys=frozenset({LEAKED, OTHER}))
    url = serve(simulator)
    fault = CredentialFamily().build(declared(), targets(Replica(url, {"PROVIDER_KEY": LEAKED})), 0)
    assert isinstance(fault, LeakedSecret)
    assert fault.label == "leak_secret worker (provider-key, from PROVIDER_KEY; used at provider)"
    fault.apply()
    time.sleep(0.4)
    simulator.set_keys(frozenset({OTHER}))  # the rotation revokes the leaked key at the provider
    time.sleep(0.4)
    fault.revert()
    trace = fault.trace()
    calls = trace["uses"]["provider"]["calls"]  # type: ignore[index]
    statuses = [status for _, status in calls]
    assert trace["fingerprint"] == fingerprint(LEAKED) and LEAKED not in repr(trace)
    assert statuses[0] == 200 and statuses[-1] == 401
    assert statuses == sorted(statuses)  # accepted, then refused for good: never accepted again
    assert simulator.by_key[fingerprint(LEAKED)]["accepted"] == statuses.count(200)
    made = [t for t, _ in calls]
    assert made == sorted(made) and len(calls) >= 8  # about one call every 50 ms
    fault.revert()  # twice is safe
    fault.close()


def test_a_value_the_run_did_not_generate_stops_the_fault_with_the_variable_named(serve: Serve) -> None:
    fault = CredentialFamily().build(declared(), targets(Replica(serve(sim.Simulator("p", "m")), {})), 0)
    with pytest.raises(FaultError, match="the run generated no PROVIDER_KEY: list it under"):
        fault.apply()
    fault.revert()
    assert isinstance(fault, LeakedSecret)
    fault.close()


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        (
            {"value_from": None},
            "s.yaml: leak_secret of 'provider-key' gives no value_from: name the variable",
        ),
        ({"uses": []}, "s.yaml: leak_secret of 'provider-key' gives no uses: list the places that take it"),
    ],
)
def test_a_leak_a_drill_cannot_play_is_refused_before_anything_starts(
    changes: dict[str, Any], said: str
) -> None:
    with pytest.raises(UnsupportedFaultError, match="^" + said.replace("(", r"\(")):
        CredentialFamily().build(declared(**changes), targets(Replica("http://127.0.0.1:1", {})), 0)
    assert "leak_secret" in supported_kinds()


def test_a_use_must_place_the_secret_in_a_header() -> None:
    use = {"url": "http://{llm:8000}/v1", "headers": {"Authorization": "Bearer x"}}
    with pytest.raises(ValueError, match=r"put \{secret\} in a header"):
        declared(uses=[use])
