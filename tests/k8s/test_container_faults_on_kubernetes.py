"""The container faults and a drained zone on the local Kubernetes cluster, drilled through pytest as a user runs
them, on a copy of the Q&A example with scenarios of this file's own: a kill of the API (its pods deleted with no
grace, or with theirs for a SIGTERM; the Deployment makes new ones), a stop of the worker (scaled to zero; the recovery scales it up), and zone
A drained (cordoned, the drill's pods evicted; Redis promoted in zone B). The broken twin, whose one API replica
is pinned to zone A, FAILS the drain: the evicted API can be placed nowhere."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import drill_env, run_drill
from tests.k8s.test_drills_on_kubernetes import EXAMPLE, no_namespace_left, qa_image

__all__ = ["drill_env", "no_namespace_left", "qa_image"]  # fixtures of the other lanes, used here too

ON_KUBERNETES = "--drill-staging=kubernetes"

HEAD = """title: {title}
tier: 1
disruption: infrastructure
narrative: {title}, on Kubernetes.
impact: Questions are refused or wait until the system has recovered; none acknowledged may be lost.
detection:
  criteria:
    - {{metric: health_check, component: api, sustained: 1m, staging_sustained: 1s}}
    - {{metric: error_rate, above: 0.5, sustained: 5m, staging_sustained: 2s}}
"""
TAIL = """verification:
  data_checks:
    - name: every-question-answered
      description: Every question acknowledged before the fault is answered.
staging:
  recovery_bound: 30s
  drain_timeout: 30s
"""
SCENARIOS = {
    "api-killed": HEAD.format(title="Every API pod is killed")
    + """faults:
  - {kind: kill, target: api}
recovery:
  - title: Watch the Deployment make new API pods
    owner: platform-engineer
    estimate: 5m
"""
    + TAIL,
    "api-terminated": HEAD.format(title="Every API pod is told to stop")
    + """faults:
  - {kind: kill, target: api, signal: SIGTERM}
recovery:
  - title: Watch the Deployment make new API pods
    owner: platform-engineer
    estimate: 5m
"""
    + TAIL,
    "worker-stopped": HEAD.format(title="The worker is stopped")
    + """faults:
  - {kind: stop, target: worker}
recovery:
  - title: Start the worker again
    action: {start: {services: [worker]}}
    components: [worker]
"""
    + TAIL,
    "zone-drained": HEAD.format(title="Zone A is drained")
    + """faults:
  - {kind: zone_loss, zone: zone-a, mode: drain}
recovery:
  - title: Promote the queue's replica in zone B
    action: {exec: {service: redis-b, command: [redis-cli, REPLICAOF, "NO", "ONE"]}}
    components: [queue-replica]
  - title: Point the API and the worker at the promoted replica
    action: {repoint: {link: queue, to: "redis-b:6379"}}
    components: [queue-replica, api, worker]
"""
    + TAIL,
}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the Q&A example (and its broken twin) with this file's scenarios in both plans."""
    copy = tmp_path / "qa-service"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("wheels", "__pycache__"))
    for plan in (copy / "plan", copy / "broken" / "plan"):
        for name, text in SCENARIOS.items():
            (plan / f"{name}.yaml").write_text(text, encoding="utf-8")
    return copy


def _outcomes(card: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["outcome"] for v in card["verdicts"]}


def _faults(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["type"], e["name"]) for e in card["timeline"] if e["kind"] == "fault"]


def _after_fault(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The timeline from the fault's start to its revert."""
    events = card["timeline"]
    start = next(i for i, e in enumerate(events) if e["kind"] == "fault" and e["type"] == "start")
    end = next(i for i, e in enumerate(events) if e["kind"] == "fault" and e["type"] == "end")
    return list(events[start:end])


def _report(card: dict[str, Any], title: str) -> None:
    m = card["measurements"]
    print(
        f"{title}: {card['status']}; verdicts {_outcomes(card)}; time to recover {m['time_to_recover_s']} s; "
        f"ledger {m['ledger']}"
    )


def _passed(pytester: pytest.Pytester, example: Path, scenario: str, label: str) -> dict[str, Any]:
    """Drill ``scenario`` on the cluster; it passed every verdict, its fault journalled as ``label``."""
    run = run_drill(pytester, example / "plan", scenario, ON_KUBERNETES)
    card = run.card
    _report(card, scenario)
    run.result.assert_outcomes(passed=1)
    assert _faults(card) == [("start", label), ("end", label)]
    assert _outcomes(card) == dict.fromkeys(_outcomes(card), "pass")
    return card


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_a_kill_of_the_api_deletes_its_pods_and_the_deployment_recovers(
    pytester: pytest.Pytester, example: Path
) -> None:
    label = "kill api (SIGKILL: pods deleted with no grace, their controller makes new ones)"
    card = _passed(pytester, example, "api-killed", label)
    m = card["measurements"]
    assert m["interruption_seen"] is True  # both API pods went: the API was really down
    assert m["ledger"]["lost"] == 0 and m["ledger"]["not_done"] == 0 and m["ledger"]["acknowledged"] >= 40
    assert m["time_to_recover_s"] is not None and m["time_to_recover_s"] < 30
    # Deleted with no grace: the pod watch sees each pod go (kill) and a new one start, no container exit.
    actions = [e["data"]["action"] for e in _after_fault(card) if e["kind"] == "replica"]
    assert sorted(actions) == ["kill", "kill", "start", "start"]


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_a_kill_by_sigterm_deletes_the_api_pods_with_their_grace_period(
    pytester: pytest.Pytester, example: Path
) -> None:
    label = "kill api (SIGTERM: pods deleted with their grace period, their controller makes new ones)"
    card = _passed(pytester, example, "api-terminated", label)
    assert card["measurements"]["ledger"]["lost"] == 0
    # With their grace period each API container gets its SIGTERM and ends (die) before its pod goes.
    ended = [e for e in _after_fault(card) if e["kind"] == "replica" and e["data"]["action"] == "die"]
    assert [e["value"] for e in ended] == ["api", "api"]


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_a_stop_of_the_worker_scales_it_to_zero_and_the_start_action_brings_it_back(
    pytester: pytest.Pytester, example: Path
) -> None:
    card = _passed(
        pytester, example, "worker-stopped", "stop worker (workloads scaled to 0, scaled back at the revert)"
    )
    assert [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]] == [("start", "ok")]
    ledger = card["measurements"]["ledger"]
    assert ledger["lost"] == 0 and ledger["not_done"] == 0 and ledger["acknowledged"] >= 40
    # The start scaled the worker up again before a question waited past the probe's timeout, so no probe saw
    # an outage; the pod watch and the worker's own signal did: both workers ended gracefully (exit 0 on the
    # SIGTERM of a scale-down), its status went unreadable, and new ones started.
    after = _after_fault(card)
    assert [e["data"] for e in after if e["kind"] == "replica" and e["data"]["action"] == "die"] == [
        {"action": "die", "exit_code": 0}
    ] * 2
    assert any(e["data"]["raw"].startswith("unreadable") for e in after if e["kind"] == "signal")
    assert [e for e in after if e["kind"] == "replica" and e["data"]["action"] == "start"]


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_a_drained_zone_a_moves_the_api_and_worker_to_zone_b_and_redis_is_promoted(
    pytester: pytest.Pytester, example: Path
) -> None:
    run = run_drill(pytester, example / "plan", "zone-drained", ON_KUBERNETES)
    card = run.card
    _report(card, "zone-drained")
    run.result.assert_outcomes(passed=1)
    steps = [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]]
    assert steps == [("exec", "ok"), ("repoint", "ok")]
    assert _outcomes(card) == dict.fromkeys(_outcomes(card), "pass")
    ledger = card["measurements"]["ledger"]
    assert ledger["lost"] == 0 and ledger["not_done"] == 0 and ledger["acknowledged"] >= 40
    assert card["measurements"]["interruption_seen"] is True
    # What the scheduler had put in zone A is what the fault stopped; each evicted pod ended on its SIGTERM, and
    # Redis, pinned to the cordoned zone, was not started again while the zone was drained.
    during = _after_fault(card)
    (placed,) = [e["data"]["stops"] for e in during if e["kind"] == "fault" and e["type"] == "info"]
    assert "redis" in placed
    ended = [e for e in during if e["kind"] == "replica" and e["data"]["action"] == "die"]
    assert {e["value"] for e in ended} == set(placed)
    assert all(e["data"]["exit_code"] == 0 for e in ended)
    started = {e["value"] for e in during if e["kind"] == "replica" and e["data"]["action"] == "start"}
    assert "redis" not in started and started  # the others were made again in zone B


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_a_drained_zone_a_fails_the_twin_whose_only_api_is_pinned_there(
    pytester: pytest.Pytester, example: Path
) -> None:
    run = run_drill(pytester, example / "broken" / "plan", "zone-drained", ON_KUBERNETES)
    card = run.card
    _report(card, "zone-drained (broken twin)")
    run.result.assert_outcomes(failed=1)
    # The queue is promoted and repointed, but the evicted API stays Pending: zone A is cordoned, and the
    # twin's nodeSelector allows no other.
    steps = [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]]
    assert steps == [("exec", "ok"), ("repoint", "ok")]
    assert _outcomes(card)["recovery_bound"] == "fail"
    assert card["measurements"]["time_to_recover_s"] is None  # no API came back while the zone was drained
