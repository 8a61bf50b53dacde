"""The Q&A example's drills on the local Kubernetes cluster (``--drill-staging=kubernetes``), through pytest as a
user runs them: the same plan, scenarios and verdicts as on compose, and its broken twin FAILS each for the right
reason (the API pinned to one zone; a worker that drops the jobs it fails)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from drdrill.plan import load_plan
from drdrill.staging.kube import namespace
from drdrill.staging.stack import StagingStack
from tests.integration.conftest import drill_env, run_drill

__all__ = ["drill_env"]  # a fixture of the compose drills', used here too

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "qa-service"
PLAN, BROKEN_PLAN = EXAMPLE / "plan", EXAMPLE / "broken" / "plan"
ON_KUBERNETES = "--drill-staging=kubernetes"


def _build_images(plan: Path) -> None:
    """The plan's images, built as its compose staging builds them (a drill never builds on Kubernetes)."""
    stack = StagingStack(load_plan(plan), "k8s-lane-build", lambda line: None)
    try:
        stack.prepare()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def qa_image(kube: client.ApiClient) -> None:
    """The example's image."""
    _build_images(PLAN)


@pytest.fixture
def no_namespace_left(kube: client.ApiClient) -> Iterator[None]:
    """No drdrill namespace outlives the drill (deletion finished, not only started), and every node the drill
    lost is Ready again when it ends."""
    yield
    core = client.CoreV1Api(kube)
    left = core.list_namespace(label_selector=f"{namespace.LABEL_MANAGED}=true").items
    assert [item.metadata.name for item in left if item.metadata] == []
    ready = {
        str(node.metadata.name): any(
            c.type == "Ready" and c.status == "True" for c in node.status.conditions or []
        )
        for node in core.list_node().items
        if node.metadata is not None and node.status is not None
    }
    assert ready == dict.fromkeys(ready, True), ready


def _verdicts(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in card["verdicts"]}


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_provider_outage_on_kubernetes_passes_as_on_compose(pytester: pytest.Pytester) -> None:
    run = run_drill(pytester, PLAN, "provider-outage", ON_KUBERNETES)
    run.result.assert_outcomes(passed=1)
    run.result.stdout.fnmatch_lines(
        [
            "drdrill: plan 'qa-service' for Harbour Street Library *, on a kubernetes staging",
            "*drill provider-outage (tier 1, software): PASSED",
        ]
    )
    card = run.card
    assert card["environment"]["kubernetes"].startswith("v1.37")
    measured = card["measurements"]
    assert measured["ledger"]["acknowledged"] >= 40
    assert measured["ledger"]["lost"] == 0 and measured["ledger"]["not_done"] == 0
    assert measured["time_to_failover_s"] is not None
    assert _verdicts(card)["rpo"]["passed"] is True


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_provider_outage_on_kubernetes_fails_the_broken_twins_rpo(pytester: pytest.Pytester) -> None:
    run = run_drill(pytester, BROKEN_PLAN, "provider-outage", ON_KUBERNETES)
    run.result.assert_outcomes(failed=1)
    run.result.stdout.fnmatch_lines(["  rpo: RPO missed: * question* acknowledged and lost, spanning *"])
    verdicts = _verdicts(run.card)
    assert verdicts["rpo"]["passed"] is False
    assert verdicts["recovery_bound"]["passed"] is True  # the failover works: losing jobs is what is wrong


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_zone_failure_on_kubernetes_loses_zone_a_s_node_and_recovers_in_zone_b(
    pytester: pytest.Pytester,
) -> None:
    run = run_drill(pytester, PLAN, "zone-failure", ON_KUBERNETES)
    run.result.assert_outcomes(passed=1)
    card = run.card
    steps = [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]]
    assert steps == [("exec", "ok"), ("repoint", "ok")]
    ledger = card["measurements"]["ledger"]
    assert ledger["lost"] == 0 and ledger["not_done"] == 0 and ledger["acknowledged"] >= 40
    assert card["measurements"]["interruption_seen"] is True


@pytest.mark.usefixtures("qa_image", "no_namespace_left", "drill_env")
def test_zone_failure_on_kubernetes_fails_the_twin_whose_api_is_pinned_to_the_lost_zone(
    pytester: pytest.Pytester,
) -> None:
    run = run_drill(pytester, BROKEN_PLAN, "zone-failure", ON_KUBERNETES)
    run.result.assert_outcomes(failed=1)
    verdicts = _verdicts(run.card)
    # The queue is promoted and repointed as in the example, but no API is left to take a question.
    steps = [(s["action"], s["outcome"]) for s in run.card["steps"] if s["automated"]]
    assert steps == [("exec", "ok"), ("repoint", "ok")]
    assert verdicts["recovery_bound"]["passed"] is False
    assert run.card["measurements"]["time_to_recover_s"] is None


CLAIMS_PLAN = ROOT / "scenarios"


@pytest.fixture(scope="module")
def claims_image(kube: client.ApiClient) -> None:
    """The claims system's image."""
    _build_images(CLAIMS_PLAN)


@pytest.mark.usefixtures("claims_image", "no_namespace_left", "drill_env")
def test_the_claims_provider_outage_on_kubernetes_passes_as_on_compose_with_its_alerts_in_the_sink(
    pytester: pytest.Pytester,
) -> None:
    run = run_drill(pytester, CLAIMS_PLAN, "provider-outage", ON_KUBERNETES)
    run.result.assert_outcomes(passed=1)
    run.result.stdout.fnmatch_lines(["*drill provider-outage (tier 1, software): PASSED"])
    card = run.card
    assert {v["name"]: v["outcome"] for v in card["verdicts"]} == dict.fromkeys(_verdicts(card), "pass")
    assert {s["hook"]: s["outcome"] for s in card["steps"] if s["automated"]} == {
        "provider-failover": "ok",
        "provider-failback": "ok",
    }
    ledger = card["measurements"]["ledger"]
    assert ledger["acknowledged"] >= 40 and ledger["lost"] == 0 and ledger["not_done"] == 0
    assert card["measurements"]["time_to_failover_s"] is not None
    # The monitor's page and client notice reached the sink in the namespace, dated by the sink's own clock.
    communication = card["communication"]
    assert communication["time_to_detect_by_system_s"] is not None
    assert {m["channel"] for m in communication["messages"]} >= {"on-call", "client"}
    assert "drdrill-notify" in card["environment"]["images"]


@pytest.mark.usefixtures("claims_image", "no_namespace_left", "drill_env")
def test_the_claims_zone_failure_on_kubernetes_promotes_the_standby_in_zone_b_as_on_compose(
    pytester: pytest.Pytester,
) -> None:
    run = run_drill(pytester, CLAIMS_PLAN, "zone-failure", ON_KUBERNETES)
    card = run.card
    # Every verdict, the resolution notice's too: it goes once the monitor sees zone-a's worker again, after the
    # node container is started at the fault's revert (docs/kubernetes.md says where those seconds go).
    outcomes = {v["name"]: v["outcome"] for v in card["verdicts"]}
    assert "resolution" in outcomes
    assert outcomes == dict.fromkeys(outcomes, "pass")
    run.result.assert_outcomes(passed=1)
    steps = [s for s in card["steps"] if s["automated"]]
    assert [(s["action"], s["outcome"]) for s in steps] == [
        ("exec", "ok"),
        ("repoint", "ok"),
        ("repoint", "ok"),
    ]
    assert (
        steps[0]["detail"] == "exit 0 in postgres-standby: server promoted"
    )  # as user postgres, via setpriv
    ledger = card["measurements"]["ledger"]
    assert ledger["lost"] == 0 and ledger["not_done"] == 0 and ledger["acknowledged"] >= 40
    assert card["measurements"]["done_twice"] == {}
    assert card["measurements"]["interruption_seen"] is True
