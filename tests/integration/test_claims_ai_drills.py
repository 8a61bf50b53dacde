"""The AI disasters on the reference replica (compose/claims, scenarios/), each with a broken twin that must FAIL
for its own reason: the official SDKs against drdrill's provider simulator, the system's own incident machinery
(compose/claims/apps/monitor.py) paging drdrill's notification sink, recovery by declarative actions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.conftest import run_drill

pytestmark = pytest.mark.integration


def verdicts(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in card["verdicts"]}


def signal_values(card: dict[str, Any], name: str) -> list[str]:
    return [e["data"]["raw"] for e in card["timeline"] if e["kind"] == "signal" and e["name"] == name]


def test_model_degradation_is_noticed_by_the_quality_watch_and_rolled_back_to_the_pinned_version(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    run = run_drill(pytester, plan_copy, "model-degradation")
    run.result.assert_outcomes(passed=1)
    card = run.card
    judged = verdicts(card)
    assert {n: v["message"] for n, v in judged.items() if v["outcome"] != "pass"} == {}
    m = card["measurements"]
    # Detected by the system's own quality watch (its canary round every 2 s), both as drdrill reads its
    # signal (the plan's quality_check criterion) and as its page reached the sink: within the 5 s bound.
    assert m["time_to_detect_by_plan_s"] is not None and 0.0 < m["time_to_detect_by_plan_s"] <= 5.0
    assert m["time_to_detect_by_system_s"] is not None and 0.0 < m["time_to_detect_by_system_s"] <= 5.0
    assert judged["system_alert"]["outcome"] == "pass"
    assert signal_values(card, "quality") == [
        "off",
        "on",
        "off",
    ]  # flagged, then passing on the pinned version
    steps = [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]]
    assert steps == [("wait_until", "ok"), ("http", "ok"), ("wait_until", "ok"), ("wait_until", "ok")]
    pin = [s for s in card["steps"] if s["automated"]][1]
    assert (
        pin["detail"] == 'HTTP 200: {"model_pin": "sim-primary-v1"}'
    )  # the version served before the update
    # The provider kept its update to the end (provider_rolls_back: false), so the golden set after recovery
    # was answered by the pinned version: as well as on a healthy system (37 of 40).
    golden = m["golden_set"]
    assert (golden["outcome"], golden["right"], golden["total"]) == ("pass", 37, 40)
    assert m["ledger"]["lost"] == 0 and m["done_twice"] == {}
    [span] = card["degraded_modes"]["spans"]
    assert (span["mode"], span["allowed"]) == ("reduced-accuracy", True) and span["left_s"] is not None


def test_twin_without_a_quality_monitor_misses_the_detection_deadline(
    pytester: pytest.Pytester,
    no_leftovers: docker.DockerClient,
    plan_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "QUALITY_MONITOR", "off"
    )  # compose substitutes it into the monitor (the only difference)
    run = run_drill(pytester, plan_copy, "model-degradation")
    run.result.assert_outcomes(failed=1)
    card = run.card
    judged = verdicts(card)
    alert = judged["system_alert"]
    assert alert["outcome"] == "fail"
    assert alert["message"].startswith("the system's own alerting never alerted during the ")
    assert alert["objective"] == (
        "the system's own alerting fires within 5.00 s of the fault (staging.alert_within)"
    )
    assert card["measurements"]["time_to_detect_by_system_s"] is None
    assert card["measurements"]["time_to_detect_by_plan_s"] is None
    assert signal_values(card, "quality") == ["off"]  # the alarm never went on: nothing watches the quality
    # the rollback waits for the detection that never comes
    recovery = judged["recovery_bound"]
    assert recovery["outcome"] == "fail"
    assert recovery["message"].startswith(
        "the automated step 'Confirm the quality watch flags the primary model below the floor' failed: "
        "wait until signal quality is on: not so within 10 s"
    )
    assert judged["degraded_mode"]["outcome"] == "fail"
    run.result.stdout.fnmatch_lines(["*system_alert: the system's own alerting never alerted during the *"])


def _drop_step(scenario: Path, title: str) -> None:
    """The scenario without the recovery step of that title (and its action), which must be there."""
    lines = scenario.read_text().splitlines(keepends=True)
    start = lines.index(f"  - title: {title}\n")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  - title: "))
    scenario.write_text("".join(lines[:start] + lines[end:]))


def test_security_breach_the_leaked_key_is_refused_everywhere_after_rotation_and_nothing_is_lost(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    run = run_drill(pytester, plan_copy, "security-breach")
    run.result.assert_outcomes(passed=1)
    card = run.card
    judged = verdicts(card)
    assert {n: v["message"] for n, v in judged.items() if v["outcome"] != "pass"} == {}
    m = card["measurements"]
    # drdrill used the leaked key at the provider; the system's own key-use watch saw calls it did not make
    assert card["scenario"]["faults"] == [
        "leak_secret classifier-worker (primary-provider-key, from PRIMARY_PROVIDER_KEY; used at primary-provider)"
    ]
    assert m["time_to_detect_by_system_s"] is not None and m["time_to_detect_by_system_s"] <= 4.0
    # Off before the fault, on once the leaked key is used, off at the end. (The monitor sets the provider's counts
    # against its workers' own, read a moment apart: a burst of their own calls can read as a blip of the alarm;
    # one CI run saw one during the warm-up, so the blips are not counted here.)
    fault_ns = next(e["t_ns"] for e in card["timeline"] if e["kind"] == "fault" and e["type"] == "start")
    key_use = [
        (e["t_ns"], e["data"]["raw"])
        for e in card["timeline"]
        if e["kind"] == "signal" and e["name"] == "key-use"
    ]
    before, during = [v for t, v in key_use if t < fault_ns], [v for t, v in key_use if t >= fault_ns]
    assert (before[-1], during[0], during[-1]) == ("off", "on", "off"), key_use
    refused = judged["secret_refused"]
    assert refused["message"].startswith(
        "the leaked primary-provider-key was refused by every place that took it (primary-provider) "
    )
    steps = [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]]
    assert (
        steps
        == [
            ("wait_until", "ok"),
            ("http", "ok"),
            ("wait_until", "ok"),
            ("http", "ok"),
            ("http", "ok"),
            ("http", "ok"),
        ]
        + [("wait_until", "ok")] * 2
    )
    # the plan waits until the hold took effect, so the mode it expects is seen whatever the host's speed
    assert "reduced-accuracy" in signal_values(card, "mode")
    # the new key works: the worker labels on the primary again (its failover signal back to primary)
    assert signal_values(card, "failover")[-1] == "primary"
    assert m["ledger"]["lost"] == 0 and m["ledger"]["acknowledged"] > 0  # no acknowledged claim lost
    # the journal names the secret by fingerprint only, never by value
    journal = (run.run_dir / "journal.jsonl").read_text()
    assert '"fingerprint": "sha256:' in journal and "sk-claims-" not in journal


def test_twin_a_rotation_that_never_revokes_the_leaked_key_fails_naming_the_place_that_accepts_it(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    _drop_step(plan_copy / "security-breach.yaml", "Revoke the leaked key at the provider")
    run = run_drill(pytester, plan_copy, "security-breach")
    run.result.assert_outcomes(failed=1)
    card = run.card
    judged = verdicts(card)
    refused = judged["secret_refused"]
    assert (refused["outcome"], refused["measured"]) == ("fail", "still accepted by primary-provider")
    assert refused["message"].startswith(
        "the leaked primary-provider-key was still accepted when the fault was reverted by primary-provider: "
        "primary-provider accepted "
    )
    # the system's own watch keeps saying so: its check never clears, so the recovery is not done either
    assert judged["recovery_bound"]["outcome"] == "fail"
    assert "the system's own check 'key-use' still flagged the failure" in judged["recovery_bound"]["message"]
    assert card["measurements"]["ledger"]["lost"] == 0  # what the twin does right stays right
    run.result.stdout.fnmatch_lines(["*secret_refused: the leaked primary-provider-key was still accepted*"])


PROVIDER_DRILLS = ("provider-rate-limit", "provider-flapping", "provider-stream-cut")


def test_provider_rate_limit_flapping_and_stream_cut_drills_pass_on_the_reference_replica(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        f"--drill={','.join(PROVIDER_DRILLS)}",
        f"--drill-plan={plan_copy}",
        f"--drill-report-dir={reports}",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=3)
    cards = {
        name: json.loads(next(reports.glob(f"*-{name}-*/scorecard.json")).read_text())
        for name in PROVIDER_DRILLS
    }
    for name, card in cards.items():
        judged = verdicts(card)
        assert {n: v["message"] for n, v in judged.items() if v["outcome"] != "pass"} == {}, name
        m = card["measurements"]
        # switched to the backup and back, nothing lost or done twice, the system's own page in time
        assert m["time_to_failover_s"] is not None and m["time_to_failback_s"] is not None, name
        assert m["ledger"]["lost"] == 0 and m["ledger"]["acknowledged"] > 0 and m["done_twice"] == {}, name
        assert m["time_to_detect_by_system_s"] is not None, name
        [report] = card["fault_reports"]
        assert report["counts"]["errors"] > 0, name  # the provider spoiled calls while the fault held
    rate_limit = cards["provider-rate-limit"]["fault_reports"][0]["counts"]
    assert rate_limit["retry_after_sent"] > 0 and rate_limit["early_calls"] == 0  # Retry-After honoured
    assert verdicts(cards["provider-rate-limit"])["retry_after"]["outcome"] == "pass"
    cut = cards["provider-stream-cut"]["fault_reports"][0]["counts"]
    assert cut["cut"] == cut["requests"] > 0  # every streamed answer cut mid-way, none labelled from


def test_twin_workers_that_ignore_retry_after_fail_the_rate_limit_drill_on_it(
    pytester: pytest.Pytester,
    no_leftovers: docker.DockerClient,
    plan_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WORKER_RETRY_AFTER", "ignore")  # compose substitutes it into the workers
    run = run_drill(pytester, plan_copy, "provider-rate-limit")
    run.result.assert_outcomes(failed=1)
    judged = verdicts(run.card)
    assert judged["retry_after"]["outcome"] == "fail"
    assert (
        " call(s) reached primary-provider before its Retry-After allowed them ("
        in judged["retry_after"]["message"]
    )
    early = run.card["fault_reports"][0]["counts"]["early_calls"]
    assert early > 0 and judged["retry_after"]["measured"] == f"{early} early"
    for name in ("rpo", "no_duplicates", "system_alert"):  # what the twin does right stays right
        assert judged[name]["outcome"] == "pass", (name, judged[name]["message"])
