"""Several scenarios in one pytest run, in parallel under pytest-xdist: each drill on its own labelled replica,
every scorecard in the summary of the process that drove the workers, and the host's load in each scorecard."""

from __future__ import annotations

import json

import docker
import pytest

from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration


def test_two_drills_at_once_each_on_its_own_replica(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None
) -> None:
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "--drill=provider-outage,server-failure",
        f"--drill-plan={ROOT / 'scenarios'}",
        f"--drill-report-dir={reports}",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
    )
    cards = {path.parent.name: json.loads(path.read_text()) for path in reports.glob("*/scorecard.json")}
    assert sorted(card["scenario"]["name"] for card in cards.values()) == [
        "provider-outage",
        "server-failure",
    ]
    projects = {card["config"]["compose_override"].count(card["run_id"]) > 0 for card in cards.values()}
    assert projects == {True}  # each replica labelled with its own run
    run_ids = {card["run_id"] for card in cards.values()}
    assert len(run_ids) == 2
    # they did run at once: each one's drill overlapped the other's
    spans = [(card["timeline"][0]["t_ns"], card["timeline"][-1]["t_ns"]) for card in cards.values()]
    assert max(start for start, _ in spans) < min(end for _, end in spans)
    for card in cards.values():
        host = card["environment"]["host"]
        assert host["cpus"] >= 1 and isinstance(host["saturated"], bool)
        schedule = next(v for v in card["verdicts"] if v["name"] == "schedule")
        assert ("the host was saturated" in schedule["message"]) is host["saturated"]
    output = result.stdout.str()
    assert "drill provider-outage (tier 1, software)" in output  # the driving process's summary, from the
    assert "drill server-failure (tier 1, " in output  # scorecards its workers wrote
    # Two replicas on two cores: every objective of the system is met in each, and when a drill's workload could
    # not keep its schedule on the shared cores, the schedule verdict says so (it is the only one allowed to fail).
    for card in cards.values():
        missed = [v["name"] for v in card["verdicts"] if v["outcome"] != "pass"]
        assert missed in ([], ["schedule"]), (card["scenario"]["name"], missed)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
