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


def test_a_criterion_on_a_signal_names_a_declared_signal_with_a_normal_value(tmp_path: Path) -> None:
    plan = PLAN.replace(
        "    payloads: [My printer prints only blank pages.]\n",
        "    payloads: [My printer prints only blank pages.]\n"
        "    signals:\n"
        '      integrity: {url: "http://{api:8080}/integrity", path: corrupt, normal: "0"}\n'
        '      mode: {url: "http://{api:8080}/status", path: mode}\n',
    )
    criterion = "    - {metric: error_rate, above: 0.5, sustained: 5m, staging_sustained: 1s}\n"
    assert criterion in SCENARIO

    def with_criterion(text: str) -> str:
        return SCENARIO.replace(criterion, criterion + text)

    good = with_criterion("    - {metric: integrity_check, sustained: 1m, signal: integrity}\n")
    (tmp_path / "plan.yaml").write_text(plan)
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "s.yaml").write_text(good)
    assert load_plan(tmp_path).scenarios["s"].detection.criteria[1].signal == "integrity"
    assert problems(
        tmp_path, with_criterion("    - {metric: integrity_check, sustained: 1m, signal: integrty}\n"), plan
    ) == [
        "s.yaml:9:56: detection.criteria[1].signal: unknown signal 'integrty'; did you mean 'integrity'? "
        "(known: integrity, mode)"
    ]
    assert problems(
        tmp_path, with_criterion("    - {metric: integrity_check, sustained: 1m, signal: mode}\n"), plan
    ) == [
        "s.yaml:9:56: detection.criteria[1].signal: signal 'mode' declares no `normal` value, so a drill "
        "cannot tell when the check fails; give staging_topology.system.signals.mode.normal"
    ]
    assert problems(
        tmp_path,
        with_criterion("    - {metric: error_rate, above: 0.5, sustained: 1m, signal: integrity}\n"),
        plan,
    ) == [
        "s.yaml:9:7: detection.criteria[1]: a signal is a pass/fail check: give `signal` to a metric among "
        "contract_check, health_check, integrity_check, quality_check, security_alert, not 'error_rate'"
    ]


def test_a_wait_can_be_for_any_value_but_one() -> None:
    from drdrill.plan.actions import RecoveryAction, WaitUntilAction  # noqa: PLC0415

    wait = WaitUntilAction.model_validate({"signal": "integrity", "not_equals": "0"})
    # what the integrity check says once it flags something; not while it says 0 or cannot be read
    assert [wait.holds(v) for v in ("50", "0", None, "unreadable (ConnectError)")] == [
        True,
        False,
        False,
        False,
    ]
    action = RecoveryAction.model_validate({"wait_until": {"signal": "integrity", "not_equals": "0"}})
    assert action.describe() == "wait until signal integrity is not 0"
    with pytest.raises(ValueError, match="give exactly one of `equals`, `one_of` or `not_equals`"):
        WaitUntilAction.model_validate({"signal": "integrity", "equals": "1", "not_equals": "0"})


def test_a_leaked_secret_names_a_generated_secret_and_uses_it_at_services_of_the_compose_file(
    tmp_path: Path,
) -> None:
    plan = PLAN.replace(
        "communication:\n",
        "secrets:\n  api-key: {used_by: [responder], rotated_by: [support]}\ncommunication:\n",
    )
    scenario = SCENARIO.replace(
        "  - {kind: zone_loss, zone: zone-a, mode: power, comes_back: false}",
        "  - kind: leak_secret\n"
        "    target: responder\n"
        "    secret: api-key\n"
        "    value_from: API_KEY\n"
        "    uses: [{url: 'http://{vendor:443}/v1/me', headers: {Authorization: 'Bearer {secret}'}}]",
    )
    assert problems(tmp_path, scenario, plan) == [
        "s.yaml:13:17: faults[0].value_from: 'API_KEY' is not one of generated_secrets (none declared); add it "
        "there",
        "s.yaml:14:18: faults[0].uses[0].url: {vendor:443}: unknown compose service 'vendor' (known in "
        "compose.yaml: api, responder, responder-b)",
    ]
