"""Declarative actions, data stores and the new faults, checked at load time with file:line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.plan import PlanError, load_plan
from tests.unit.test_zone_drill import COMPOSE, PLAN, SCENARIO

STORES = """\
  data_stores:
    tickets-db: {kind: postgres, component: responder, at: "responder:9000", password_from: DB_PASSWORD}
"""


def problems(tmp_path: Path, scenario: str, plan: str = PLAN) -> list[str]:
    (tmp_path / "plan.yaml").write_text(plan)
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "s.yaml").write_text(scenario)
    with pytest.raises(PlanError) as caught:
        load_plan(tmp_path)
    return str(caught.value).replace(str(tmp_path) + "/", "").splitlines()


def test_actions_name_services_links_and_profiles_of_the_compose_file(tmp_path: Path) -> None:
    scenario = (
        SCENARIO.replace("{start: {profile: standby}}", "{start: {profile: standy}}")
        .replace("{exec: {service: responder-b,", "{exec: {service: responder-c,")
        .replace("{repoint: {link: tickets,", "{repoint: {link: ticket,")
    )
    assert problems(tmp_path, scenario) == [
        "s.yaml:13:31: recovery[0].action.start.profile: unknown compose profile 'standy'; did you mean "
        "'standby'? (known in compose.yaml: standby)",
        "s.yaml:15:30: recovery[1].action.exec.service: unknown compose service 'responder-c'; did you mean "
        "'responder-b'? (known in compose.yaml: api, responder, responder-b)",
        "s.yaml:17:30: recovery[2].action.repoint.link: unknown link 'ticket'; did you mean 'tickets'? "
        "(known: tickets)",
    ]


def test_an_action_is_exactly_one_kind(tmp_path: Path) -> None:
    scenario = SCENARIO.replace(
        "action: {start: {profile: standby}}",
        "action: {start: {profile: standby}, repoint: {link: tickets, to: 'responder-b:9000'}}",
    )
    assert problems(tmp_path, scenario) == [
        "s.yaml:13:13: recovery[0].action: an action is exactly one of exec, http, repoint, start, wait_until; "
        "got repoint, start"
    ]


def test_a_data_store_is_checked_against_the_plan_and_the_compose_file(tmp_path: Path) -> None:
    plan = PLAN.replace("  system:\n", STORES.replace("responder:9000", "responder:9001") + "  system:\n")
    assert problems(tmp_path, SCENARIO, plan) == [
        "plan.yaml:28:60: staging_topology.data_stores.tickets-db.at: port 9001 is not one service 'responder' "
        "declares; did you mean 9000? (its ports and expose in compose.yaml: 9000)",
        "plan.yaml:28:93: staging_topology.data_stores.tickets-db.password_from: 'DB_PASSWORD' is not one of "
        "generated_secrets (none declared); add it there",
    ]


def test_a_store_fault_needs_a_store_and_a_lost_volume_one_the_service_mounts(tmp_path: Path) -> None:
    scenario = SCENARIO.replace(
        "  - {kind: zone_loss, zone: zone-a, mode: power, comes_back: false}",
        "  - {kind: drop_table, target: responder, table: tickets}\n"
        "  - {kind: lose_volume, target: responder, volume: answers}",
    )
    assert problems(tmp_path, scenario) == [
        "s.yaml:10:32: faults[0].target: fault 'drop_table' goes through a data store, and no store under "
        "staging_topology.data_stores is component 'responder'; declare one (kind: postgres, component: ..., "
        "at: service:port) or name it with `store:`",
        "s.yaml:10:32: faults[0].target: fault 'drop_table' targets a data store; 'responder' is a worker",
        "s.yaml:11:52: faults[1].volume: service 'responder' mounts no named volume 'answers' in compose.yaml "
        "(it mounts: none)",
    ]
