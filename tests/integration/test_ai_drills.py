"""drdrill's own AI drills on real containers (tests/ai): a labelling service on the official openai and
anthropic SDKs, a provider rate-limit storm played by the simulator, the service's own alerts and client
notices received by drdrill's notification sink, and its degraded mode read from its mode signal.

The twin is the same stack with CARELESS=1: the service ignores Retry-After between calls, and its first notice
is late and names the vendor. It must fail for exactly those reasons, each named with its figure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.conftest import ROOT, run_drill

pytestmark = pytest.mark.integration

STACK = ROOT / "tests" / "ai"
PLAN = STACK / "plan"
WHEELS = STACK / "app" / "wheels"


@pytest.fixture(scope="module")
def sdk_wheels() -> Path:
    """The official SDKs as cp311 wheels in the app's build context (Debian has neither); pip's cache makes a
    second download quick, and the image build unpacks them."""
    WHEELS.mkdir(exist_ok=True)
    if not any(WHEELS.glob("openai-*.whl")) or not any(WHEELS.glob("anthropic-*.whl")):
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--abi", "abi3",
                "--abi", "none", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
                "-d", str(WHEELS), "openai>=1.50", "anthropic>=0.40",
            ],
            check=True,
            timeout=600,
        )  # fmt: skip
    return WHEELS


def verdicts(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in card["verdicts"]}


def test_rate_limit_storm_passes_with_alerts_notices_and_the_degraded_mode_on_time(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None, sdk_wheels: Path
) -> None:
    run = run_drill(pytester, PLAN, "provider-rate-limit")
    run.result.assert_outcomes(passed=1)
    card = run.card
    judged = verdicts(card)
    assert {n: v["outcome"] for n, v in judged.items() if v["outcome"] != "pass"} == {}
    for name in (
        "retry_after",
        "system_alert",
        "first_notice",
        "initial_assessment",
        "resolution",
        "notice_wording",
        "degraded_mode",
    ):
        assert name in judged, name
    comm = card["communication"]
    # The system's own alerting detected it (a PagerDuty trigger), beside drdrill's probes.
    assert card["measurements"]["time_to_detect_by_system_s"] is not None
    assert [m["shape"] for m in comm["messages"] if m["role"] == "alert"][:1] == ["pagerduty"]
    stages = [m["stage"] for m in comm["messages"] if m["role"] == "notice"]
    assert stages[:2] == ["first_notice", "initial_assessment"] and stages[-1] == "resolution"
    [report] = card["fault_reports"]
    assert report["counts"]["retry_after_sent"] > 0 and report["counts"]["early_calls"] == 0
    [span] = card["degraded_modes"]["spans"]
    assert (span["mode"], span["allowed"]) == ("reduced-accuracy", True)
    assert span["left_s"] is not None and span["left_s"] > span["entered_s"]
    html = (run.run_dir / "scorecard.html").read_text()
    assert "<h2>The system's own alerts and the client notices</h2>" in html


def test_the_careless_twin_fails_on_retry_after_the_late_first_notice_and_its_words(
    pytester: pytest.Pytester,
    no_leftovers: docker.DockerClient,
    drill_env: None,
    sdk_wheels: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARELESS", "1")  # compose substitutes it into the service (the only difference)
    run = run_drill(pytester, PLAN, "provider-rate-limit")
    run.result.assert_outcomes(failed=1)
    judged = verdicts(run.card)
    assert judged["retry_after"]["outcome"] == "fail"
    assert (
        "call(s) reached primary-provider before its Retry-After allowed them"
        in judged["retry_after"]["message"]
    )
    assert judged["first_notice"]["outcome"] == "fail"
    assert (
        "first notice sent" in judged["first_notice"]["message"]
        and " late: " in judged["first_notice"]["message"]
    )
    assert judged["notice_wording"]["outcome"] == "fail"
    assert "first notice names 'OpenAI'" in judged["notice_wording"]["message"]
    assert "promises a fix within 10 minutes" in judged["notice_wording"]["message"]
    # What the twin does right stays right: nothing lost, the mode entered and left, the alert sent.
    for name in ("rpo", "drained", "degraded_mode", "system_alert"):
        assert judged[name]["outcome"] == "pass", (name, judged[name]["message"])
    run.result.stdout.fnmatch_lines(
        ["*retry_after: * call(s) reached primary-provider before its Retry-After*"]
    )


def test_a_stream_cut_mid_answer_is_a_failure_the_service_fails_over_from(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None, sdk_wheels: Path
) -> None:
    run = run_drill(pytester, PLAN, "provider-stream-cut")
    run.result.assert_outcomes(passed=1)
    [report] = run.card["fault_reports"]
    # Every call the primary took while the fault held was cut mid-answer, and none was labelled from it.
    assert report["counts"]["cut"] == report["counts"]["requests"] > 0
    assert run.card["measurements"]["ledger"]["lost"] == 0
    assert run.card["measurements"]["time_to_failover_s"] is not None
