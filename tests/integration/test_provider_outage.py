"""The provider-outage drill on the real replica: real containers, a real Toxiproxy, real Postgres."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from drdrill.run.connect import SIGNAL_POLL_S
from tests.integration.conftest import run_drill

pytestmark = pytest.mark.integration

BOTH_DOWN = "both-providers-down"


def test_provider_outage_drill_passes(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    html = pytester.path / "report.html"
    pytester.makeconftest(
        """
        import pathlib

        def pytest_drdrill_scorecard(config, scorecard, path):
            pathlib.Path("published.txt").write_text(scorecard.status + " " + str(path))
        """
    )
    run = run_drill(
        pytester, plan_copy, "provider-outage", "--drill-tabletop", f"--html={html}", "--self-contained-html"
    )
    result, card = run.result, run.card
    result.stdout.fnmatch_lines(
        [
            "drdrill: drill provider-outage: tier 1 (software), RTO 4.00 h, RPO 0, staging recovery bound 30.0 s",
            "*drill provider-outage (tier 1, software): PASSED",
            # "recovered in 0.61 s (+0/-0.50 s), ..." or "no interruption seen by the probes and writes (...), ...",
            # and when the samples came back before the failover signal switched: "...; dated from the failover, ..."
            "*[[]PASS[]] recovery_bound: *, within the staging bound of 30.0 s*",
            "*[[]PASS[]] rpo: no acknowledged claim lost*",
            "*scorecard: *scorecard.json",
            "tabletop script: *provider-outage.md",
            "tabletop script: *provider-outage.html",
        ]
    )
    result.assert_outcomes(passed=1)
    assert "Passed: every objective was met" in (run.run_dir / "scorecard.html").read_text()
    status, published = (pytester.path / "published.txt").read_text().split(" ", 1)
    assert status == "passed" and published.endswith(
        "scorecard.json"
    )  # the pytest_drdrill_scorecard hook ran
    measured = card["measurements"]
    assert isinstance(measured, dict)
    ledger = measured["ledger"]
    # 5 s of baseline at 10 claims/s alone gives ~50 acknowledged claims; all of them must be read back.
    assert ledger["acknowledged"] >= 40
    assert ledger["lost"] == 0 and ledger["not_done"] == 0
    assert measured["time_to_failover_s"] is not None
    assert measured["time_to_recover_s"] is not None and measured["time_to_recover_s"] <= 30
    # Both automated steps ran and completed: the recovery and the fail-back were the plan's own.
    assert {s["hook"]: s["outcome"] for s in card["steps"] if s["automated"]} == {
        "provider-failover": "ok",
        "provider-failback": "ok",
    }
    assert [v["outcome"] for v in card["verdicts"] if v["name"] == "failback"] == ["pass"]
    timeline = card["timeline"]
    assert isinstance(timeline, list)
    kinds = {(e["kind"], e["type"]) for e in timeline}
    assert ("fault", "start") in kinds and ("fault", "end") in kinds
    # The run's configuration is frozen in the scorecard, so a later run can be compared like for like.
    environment, config = card["environment"], card["config"]
    assert isinstance(environment, dict) and isinstance(config, dict)
    assert environment["toxiproxy"] == "2.12.0"
    assert set(environment["images"]) == {  # every service the replica starts with (zone B's too)
        "postgres",
        "postgres-standby",
        "intake",
        "intake-b",
        "worker",
        "worker-b",
        "edge",
        "provider-primary",
        "provider-backup",
        "search",
        "monitor",
        "drdrill-toxiproxy",
        "drdrill-notify",
    }
    assert all(str(image).startswith("sha256:") for image in environment["images"].values())
    assert list(environment["images"]) == sorted(environment["images"])
    assert config["staging"]["recovery_bound"] == "30s"
    assert config["faults"] == [
        {"kind": "down", "target": "primary-provider", "note": config["faults"][0]["note"], "wait_for": None}
    ]
    # pytest-html carries the drill summary; the tabletop's after-action report carries the measured figures.
    assert "drill summary" in html.read_text()
    assert "PASSED" in (run.run_dir / "provider-outage.md").read_text()


def test_drill_fails_with_the_rto_reason_when_the_backup_is_down_too(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    # The same scenario with the backup provider taken down as well: no failover can help.
    text = (plan_copy / "provider-outage.yaml").read_text()
    text = text.replace(
        "faults:\n  - kind: down\n    target: primary-provider\n",
        "faults:\n  - kind: down\n    target: primary-provider\n  - kind: down\n    target: backup-provider\n",
    )
    text = text.replace("recovery_bound: 30s", "recovery_bound: 8s")
    assert "target: backup-provider" in text
    (plan_copy / f"{BOTH_DOWN}.yaml").write_text(text)
    run = run_drill(pytester, plan_copy, BOTH_DOWN)
    result, card = run.result, run.card
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"drill {BOTH_DOWN} FAILED: the system missed * objective(s)",
            # the worker may still switch to the (down) backup: "the system failed over after ..., but ..."
            # and its failover step may fail first ("the automated step '...' failed: ...; the service: ...")
            "  recovery_bound: *staging bound missed: *steady state did not return during the * the fault was held (staging bound 8.00 s)",
        ]
    )
    assert card["status"] == "failed"
    raw_verdicts = card["verdicts"]
    assert isinstance(raw_verdicts, list)
    verdicts = {v["name"]: v for v in raw_verdicts}
    assert verdicts["recovery_bound"]["passed"] is False
    # Claims were acknowledged while no provider answered: they must survive and be classified afterwards.
    assert verdicts["rpo"]["passed"] is True
    assert verdicts["drained"]["passed"] is True
    measured = card["measurements"]
    assert isinstance(measured, dict)
    assert measured["time_to_detect_s"] is not None
    assert measured["failed_probes"] > 0
    # The plan's own criterion (error rate above 50 % over the 2 s staging window) fires too.
    assert measured["time_to_detect_by_plan_s"] is not None


def test_a_hanging_provider_is_detected_by_slow_probes_and_recovered_after_failover(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    # Requests to the primary hang (Toxiproxy timeout toxic, upstream): nothing fails fast, so the worker
    # waits out three 1 s timeouts before failing over, and the plan's latency criterion (10x baseline)
    # is what detects it.
    run = run_drill(pytester, plan_copy, "provider-hang")
    run.result.assert_outcomes(passed=1)
    measured = run.card["measurements"]
    assert isinstance(measured, dict)
    detect, failover, recover = (
        measured["time_to_detect_s"],
        measured["time_to_failover_s"],
        measured["time_to_recover_s"],
    )
    assert detect is not None and failover is not None and recover is not None
    assert failover >= 2.5  # three request timeouts of 1 s each, give or take a poll
    assert detect < failover  # slow probes are seen before the worker gives up on the primary
    # Service is not back before the worker serves from the backup. The failover is seen by polling the worker
    # every SIGNAL_POLL_S, so it may be noticed up to one poll late; recovery is seen by the probes sooner.
    assert recover >= failover - SIGNAL_POLL_S
    assert measured["ledger"]["lost"] == 0
    # The plan's latency criterion (10x baseline over a 2 s staging window) needs a whole window of the fault.
    assert measured["time_to_detect_by_plan_s"] is not None and measured["time_to_detect_by_plan_s"] >= 2.0
