"""A plan with mistakes gets one precise error per mistake: file:line:col, the bad value, the choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.plan import PlanError, load_plan
from tests.unit.plan.conftest import WritePlan
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

ACCEPTED = "use a number with a unit (250ms, 90s, 15m, 4h, 2d, 1h30m) or ISO 8601 (PT15M, PT1H30M, P2D)"
KINDS = (
    "bandwidth, corrupt_file, corrupt_rows, degrade_accuracy, down, drop_table, hang, http_error, kill, "
    "latency, leak_secret, limit_data, lose_volume, malformed_body, malformed_chunk, pause, rate_limit, "
    "region_loss, replace, reset_peer, revoke_secret, schema_change, slicer, slow_close, slow_first_token, "
    "stop, timeout, truncated_stream, zone_loss"
)
SCENARIO_KEYS = (
    "title, tier, disruption, narrative, impact, detection, faults, recovery, degraded_modes, "
    "expected_degraded_behaviour, verification, communication, staging, drills, tabletop"
)


def errors_for(write_plan: WritePlan, scenario: str | bytes, plan: str = MINIMAL_PLAN) -> list[str]:
    directory = write_plan(plan, s=scenario)
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    return str(info.value).splitlines()


def edit(old: str, new: str) -> str:
    assert old in MINIMAL_SCENARIO
    return MINIMAL_SCENARIO.replace(old, new)


def test_minimal_plan_is_valid(write_plan: WritePlan) -> None:
    plan = load_plan(write_plan(s=MINIMAL_SCENARIO))
    assert list(plan.scenarios) == ["s"]


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        pytest.param(
            edit("kind: latency", "kind: toxic_latency"),
            [f"plan/s.yaml:10:11: faults[0].kind: unknown fault kind 'toxic_latency'; known: {KINDS}"],
            id="unknown-fault-kind",
        ),
        pytest.param(
            edit("kind: latency\n    ", ""),
            [f"plan/s.yaml:10:5: faults[0]: a fault needs a 'kind'; known: {KINDS}"],
            id="fault-without-kind",
        ),
        pytest.param(
            edit("recovery:", "recovry:"),
            [
                "plan/s.yaml:1:1: missing required key 'recovery'",
                f"plan/s.yaml:13:1: recovry: unknown key 'recovry'; did you mean 'recovery'? (allowed: {SCENARIO_KEYS})",
            ],
            id="misspelt-key",
        ),
        pytest.param(
            edit("recovery_bound: 30s", "recovery_bound: 30 secs"),
            [f"plan/s.yaml:16:27: staging.recovery_bound: invalid duration '30 secs'; {ACCEPTED}"],
            id="bad-duration",
        ),
        pytest.param(
            edit("recovery_bound: 30s", "recovery_bound: 30"),
            [f"plan/s.yaml:16:27: staging.recovery_bound: duration 30 has no unit; {ACCEPTED}"],
            id="duration-without-unit",
        ),
        pytest.param(
            edit("disruption: software", "disruption: regional"),
            [
                "plan/s.yaml:3:13: disruption: bad value 'regional'; expected 'software', 'infrastructure', 'region' or 'data'"
            ],
            id="bad-disruption",
        ),
        pytest.param(
            edit("tier: 1", "tier: 4"),
            ["plan/s.yaml:2:7: tier: bad value 4; expected 1, 2 or 3"],
            id="bad-tier",
        ),
        pytest.param(
            edit("target: model", "target: modle"),
            [
                "plan/s.yaml:11:13: faults[0].target: unknown component 'modle'; did you mean 'model'? (known: api, db, model)"
            ],
            id="unknown-component",
        ),
        pytest.param(
            edit("target: model", "target: api"),
            [
                "plan/s.yaml:11:13: faults[0].target: network fault 'latency' needs a component with a staging proxy; "
                "'api' has none (components with one: model)"
            ],
            id="network-fault-without-proxy",
        ),
        pytest.param(
            edit("owner: lead", "owner: boss"),
            ["plan/s.yaml:15:37: recovery[1].owner: unknown role 'boss' (known: lead)"],
            id="unknown-role",
        ),
        pytest.param(
            edit(", estimate: 10m", ""),
            [
                "plan/s.yaml:15:5: recovery[1]: a manual step needs 'owner' and 'estimate' (missing estimate), or a 'hook' or an 'action'"
            ],
            id="manual-step-without-estimate",
        ),
        pytest.param(
            edit("latency_ms: 100", "latency_ms: -5"),
            ["plan/s.yaml:12:17: faults[0].latency_ms: should be greater than or equal to 0, got -5"],
            id="negative-latency",
        ),
        pytest.param(
            edit("latency_ms: 100", "latency_ms: 100\n    toxicity: 1.5"),
            ["plan/s.yaml:13:15: faults[0].toxicity: should be less than or equal to 1, got 1.5"],
            id="toxicity-above-one",
        ),
        pytest.param(
            edit("above: 0.5, ", ""),
            [
                "plan/s.yaml:8:7: detection.criteria[0]: metric 'error_rate' needs exactly one of above, below, "
                "baseline_factor (got 0)"
            ],
            id="criterion-without-threshold",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "degraded_modes: [hold]\n",
            [
                "plan/s.yaml:17:18: degraded_modes[0]: unknown degraded mode 'hold' (the plan declares no degraded modes)"
            ],
            id="unknown-degraded-mode",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "name: other\n",
            ["plan/s.yaml:17:1: unknown key 'name': the loader sets it, a file may not"],
            id="name-is-the-file-stem",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "tier: 2\n",
            [
                'plan/s.yaml:17:1: duplicate key: found duplicate key "tier" with value "2" '
                '(original value: "1"); mapping starts at line 1'
            ],
            id="duplicate-key",
        ),
        pytest.param(
            "title: [x\n",
            [
                "plan/s.yaml:2:1: invalid YAML: while parsing a flow sequence expected ',' or ']', but got '<stream end>'"
            ],
            id="yaml-syntax",
        ),
        pytest.param(
            "", ["plan/s.yaml:1:1: file is empty; expected a mapping of keys to values"], id="empty-file"
        ),
        pytest.param(
            "- a\n- b\n",
            ["plan/s.yaml:1:1: top level should be a mapping of keys to values, got a list"],
            id="list",
        ),
        pytest.param(
            b"title: caf\xe9\n", ["plan/s.yaml:1:11: file is not valid UTF-8 (byte 0xe9)"], id="not-utf8"
        ),
    ],
)
def test_scenario_mistakes(write_plan: WritePlan, scenario: str | bytes, expected: list[str]) -> None:
    assert errors_for(write_plan, scenario) == expected


def test_plan_level_cross_references(write_plan: WritePlan) -> None:
    plan = MINIMAL_PLAN.replace(
        "zone: zone-a\n    staging: {service: api}", "zone: zone-q\n    staging: {service: api}"
    )
    plan = plan.replace(
        "kind: data_store\n    zone: zone-a\n", "kind: data_store\n    zone: zone-a\n    depends_on: [dbb]\n"
    )
    assert errors_for(write_plan, MINIMAL_SCENARIO, plan) == [
        "plan/plan.yaml:8:11: components.api.zone: unknown zone 'zone-q'; did you mean 'zone-b'? (known: zone-a, zone-b)",
        "plan/plan.yaml:16:18: components.db.depends_on[0]: unknown component 'dbb'; did you mean 'db'? "
        "(known: api, db, model)",
    ]


def test_every_file_is_checked_before_raising(write_plan: WritePlan) -> None:
    directory = write_plan(a=edit("tier: 1", "tier: 9"), b=edit("disruption: software", "disruption: x"))
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert [(i.path.name, i.line) for i in info.value.issues] == [("a.yaml", 2), ("b.yaml", 3)]


def test_missing_plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").mkdir()
    with pytest.raises(PlanError) as info:
        load_plan(Path("p"))
    assert (
        str(info.value)
        == "p/plan.yaml: missing plan.yaml: a plan directory needs one (is this the directory that holds your scenarios?)"
    )


def test_missing_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PlanError) as info:
        load_plan(Path("nowhere"))
    assert str(info.value) == "nowhere: no such plan directory; give the directory that holds plan.yaml"


def test_bad_scenario_file_name(write_plan: WritePlan) -> None:
    directory = write_plan()
    (directory / "Bad Name.yaml").write_text(MINIMAL_SCENARIO, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert str(info.value) == (
        "plan/Bad Name.yaml:1:1: scenario file name 'Bad Name' should be lowercase words joined by '-'"
    )


def test_unreadable_scenario_file(write_plan: WritePlan) -> None:
    directory = write_plan()
    (directory / "odd.yaml").mkdir()
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert str(info.value) == (
        "plan/odd.yaml: is a directory, not a regular file: drdrill reads only regular files "
        "(move it out of the plan directory, or put the YAML file itself in its place)"
    )


def test_plan_file_errors_are_reported_with_scenario_errors(write_plan: WritePlan) -> None:
    directory = write_plan(MINIMAL_PLAN.replace("client: Test Client\n", ""), s=edit("tier: 1", "tier: 0"))
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert str(info.value).splitlines() == [
        "plan/plan.yaml:1:1: missing required key 'client'",
        "plan/s.yaml:2:7: tier: bad value 0; expected 1, 2 or 3",
    ]
