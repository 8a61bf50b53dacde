"""Lints find every mistake planted in tests/unit/plan/data/mistakes, and the bundled plan lints clean."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from drdrill.plan import load_plan
from drdrill.plan.lints import assess_maturity, lint_plan

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[3]
TODAY = date(2026, 11, 22)


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(DATA)
    report = lint_plan(load_plan(Path("mistakes")), today=TODAY)
    return [str(finding) for finding in report.findings]


def test_every_planted_mistake_is_found(planted: list[str]) -> None:
    assert planted == [
        "mistakes/api-crash.yaml:1:1: warning [never-drilled] scenario 'api-crash' was never drilled",
        "mistakes/api-crash.yaml:1:1: error [no-degraded-mode] scenario 'api-crash' names no degraded mode "
        "to run in while it recovers",
        "mistakes/model-down.yaml:12:42: error [single-owner] step 'Restore the database' depends on one person: "
        "role 'dba' has only 'Carol'",
        "mistakes/model-down.yaml:18:5: warning [drill-overdue] scenario 'model-down' was last drilled on "
        "2025-01-10; its cadence of 90 days made the next drill due on 2025-04-10",
        "mistakes/plan.yaml:2:1: error [no-client-signoff] the recovery objectives have no client sign-off "
        "(objectives.client_signoff)",
        "mistakes/plan.yaml:11:3: warning [no-staging] component 'db' has no staging counterpart, "
        "so no drill can exercise it",
        "mistakes/plan.yaml:11:3: warning [uncovered-component] no scenario covers component 'db': no fault hits it "
        "and no recovery step names it",
        "mistakes/plan.yaml:20:3: warning [no-staging] component 'search-index' has no staging counterpart, "
        "so no drill can exercise it",
        "mistakes/plan.yaml:20:3: warning [uncovered-component] no scenario covers component 'search-index': "
        "no fault hits it and no recovery step names it",
        "mistakes/plan.yaml:29:3: error [single-secret-holder] secret 'db-password' can be rotated by Carol only; "
        "name roles with at least two people",
        "mistakes/plan.yaml:43:15: error [notice-root-cause] first notice asserts a cause ('due to') before it "
        "can be confirmed; say it is being investigated",
        "mistakes/plan.yaml:46:15: error [notice-blames-vendor] initial assessment names 'OpenAI'; speak of a "
        "provider outage and the failover in place",
        "mistakes/plan.yaml:49:15: error [notice-promise] status update promises a fix within 30 minutes, shorter "
        "than the recovery objective of api-crash, model-down (RTO 4 hours)",
        "mistakes/plan.yaml:53:15: error [notice-blames-vendor] resolution notice names 'Acme AI'; speak of a "
        "provider outage and the failover in place",
        "mistakes/plan.yaml:58:3: warning [restore-unverified] backup 'db-nightly' was never restore-tested; "
        "the plan asks for a restore test every 30 days",
        "mistakes/plan.yaml:61:16: error [backup-same-zone] backup 'db-nightly' is stored in zone 'zone-a', the "
        "zone of component 'db': one failure loses both",
        "mistakes/plan.yaml:63:17: warning [topology-not-in-plan] staging service 'cache' matches no plan "
        "component: the plan may be out of date",
    ]


def test_planted_plan_has_maturity_zero() -> None:
    maturity = assess_maturity(load_plan(DATA / "mistakes"))
    assert maturity.level == 0
    assert maturity.missing == [
        "level 1: a manual fallback mode is documented",
        "level 1: every scenario names a degraded mode",
    ]


def test_post_incident_report_may_state_the_root_cause(planted: list[str]) -> None:
    assert not any("post-incident report" in line for line in planted)


def test_bundled_plan_has_only_honest_warnings() -> None:
    report = lint_plan(load_plan(REPO / "scenarios"), today=TODAY)
    assert report.errors == []
    assert {f.code for f in report.findings} <= {"never-drilled", "drill-overdue", "restore-unverified"}
    assert report.maturity.level == 3


def test_drill_within_cadence_is_quiet() -> None:
    plan = load_plan(DATA / "mistakes")
    report = lint_plan(plan, today=date(2025, 2, 1))
    assert "drill-overdue" not in {f.code for f in report.findings}


def test_restore_verification_ages_with_the_clock() -> None:
    plan = load_plan(REPO / "scenarios")
    later = lint_plan(plan, today=date(2027, 6, 1))
    assert {f.code for f in later.findings} >= {"restore-unverified"}
