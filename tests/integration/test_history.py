"""A history of real drills (passed, failed, aborted) in one reports directory, and every view built from it:
the readiness report, lint --fail-on overdue, JUnit properties, pytest-html extras and the Chaos Toolkit journal.
"""

from __future__ import annotations

import json
import shutil
import signal
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import docker
import pytest
from chaoslib.experiment import ensure_experiment_is_valid

from drdrill.cli import main
from drdrill.report.chaostoolkit import chaostoolkit_journal
from drdrill.report.schema import parse_scorecard
from tests.integration.conftest import run_drill
from tests.integration.test_cleanup import _start_drill, _wait_for_event

pytestmark = pytest.mark.integration

BOTH_DOWN = "history-both-providers-down"


def _add_failing_scenario(plan_dir: Path) -> None:
    """provider-outage with the backup down too and a tight bound: no failover helps, the drill fails."""
    text = (plan_dir / "provider-outage.yaml").read_text()
    text = text.replace(
        "faults:\n  - kind: down\n    target: primary-provider\n",
        "faults:\n  - kind: down\n    target: primary-provider\n  - kind: down\n    target: backup-provider\n",
    ).replace("recovery_bound: 30s", "recovery_bound: 8s")
    assert "target: backup-provider" in text
    (plan_dir / f"{BOTH_DOWN}.yaml").write_text(text)


def test_history_of_passed_failed_and_aborted_drills(
    pytester: pytest.Pytester,
    no_leftovers: docker.DockerClient,
    plan_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reports = pytester.path / "reports"
    junit, html = pytester.path / "junit.xml", pytester.path / "report.html"

    passed = run_drill(
        pytester,
        plan_copy,
        "provider-outage",
        f"--junitxml={junit}",
        f"--html={html}",
        "--self-contained-html",
    )
    passed.result.assert_outcomes(passed=1)
    _add_failing_scenario(plan_copy)
    failed = run_drill(pytester, plan_copy, BOTH_DOWN)
    failed.result.assert_outcomes(failed=1)
    # Interrupted in a folder of its own (the wait looks for a fault in any journal there), then kept with the rest.
    interrupted = pytester.path / "interrupted" / "reports"
    interrupted.mkdir(parents=True)
    proc = _start_drill(plan_copy, interrupted)
    _wait_for_event(interrupted, '"kind": "fault"', proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=90)
    for run_dir in interrupted.iterdir():
        shutil.move(run_dir, reports / run_dir.name)
    cards = {p.parent.name: json.loads(p.read_text()) for p in reports.glob("*/scorecard.json")}
    assert sorted(c["status"] for c in cards.values()) == ["aborted", "failed", "passed"]

    # JUnit: the passed drill's figures and verdict outcomes as properties.
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert props["drdrill_status"] == "passed"
    assert float(str(props["drdrill_time_to_recover_s"])) == passed.card["measurements"]["time_to_recover_s"]
    assert props["drdrill_verdict_recovery_bound"] == "pass"
    # pytest-html: the row links the client scorecard and shows the verdict table.
    page = html.read_text()
    assert "drdrill-verdicts" in page and "scorecard.html" in page

    # The readiness report: one drill of provider-outage (the aborted run shown, not counted), one failed drill.
    out = pytester.path / "readiness.html"
    today = datetime.now(UTC).date().isoformat()  # scorecards are dated in UTC
    capsys.readouterr()  # drop what the drills above printed (pytester echoes its commands)
    assert main(["history", str(reports), "--plan", str(plan_copy), "-o", str(out), "--today", today]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"2 drill(s) found in {reports} (1 errored or aborted run(s) not counted)"
    assert f"  provider-outage (tier 1): last drilled {today}, due by " in "\n".join(lines)
    report = out.read_text()
    assert report.count("not counted as a drill") == 1
    assert report.count(">failed</span>") >= 1 and report.count(">aborted</span>") >= 1
    for run_dir in (passed.run_dir, failed.run_dir):
        assert f"{run_dir.name}/scorecard.html" in report

    # Lint shares the history: provider-outage is drilled today, zone-failure (tier 1) never: the gate fails.
    args = ["lint", str(plan_copy), "--reports", str(reports), "--fail-on", "overdue"]
    assert main(args) == 1
    lapsed = capsys.readouterr().out.splitlines()[-1].rsplit(": ", 1)[-1].split(", ")
    assert "zone-failure" in lapsed
    assert "provider-outage" not in lapsed and BOTH_DOWN not in lapsed  # a failed drill is still a drill

    # Chaos Toolkit: the failed drill deviates, and chaoslib accepts its experiment.
    journal = chaostoolkit_journal(parse_scorecard(failed.card, "the failed drill"))
    assert (journal["status"], journal["deviated"]) == ("completed", True)
    ensure_experiment_is_valid(journal["experiment"])
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == [
        "revert down backup-provider",
        "revert down primary-provider",
    ]
