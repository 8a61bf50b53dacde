"""A container fault a Kubernetes staging cannot play is refused before anything is made (no cluster is reached),
naming the scenario file, the fault's line and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qa-service"
SCENARIO = """title: The worker is {what}
tier: 1
disruption: infrastructure
narrative: The worker is {what}.
impact: Questions wait.
detection:
  criteria:
    - {{metric: error_rate, above: 0.5, sustained: 5m, staging_sustained: 2s}}
faults:
  - {{kind: latency, target: primary-llm, latency_ms: 10}}
  - {fault}
recovery:
  - {{title: Watch, owner: platform-engineer, estimate: 5m}}
staging: {{recovery_bound: 30s}}
"""


@pytest.fixture
def plan_dir(pytester: pytest.Pytester) -> Path:
    copy = pytester.path / "qa-service"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("wheels", "__pycache__"))
    faults = {
        "worker-paused": ("frozen", "{kind: pause, target: worker}"),
        "worker-interrupted": ("interrupted", "{kind: kill, target: worker, signal: SIGINT}"),
    }
    for name, (what, fault) in faults.items():
        (copy / "plan" / f"{name}.yaml").write_text(SCENARIO.format(what=what, fault=fault), encoding="utf-8")
    return copy / "plan"


def test_a_pause_and_a_kill_by_sigint_are_refused_on_kubernetes_naming_the_line_and_the_fix(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    result = pytester.runpytest_subprocess(
        "--drill=worker-paused,worker-interrupted",
        f"--drill-plan={plan_dir}",
        "--drill-staging=kubernetes",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            f"drdrill: drill worker-paused cannot start: {plan_dir / 'worker-paused.yaml'}:11: fault 'pause' "
            "(target 'worker'): a pod cannot be paused through the Kubernetes API; to freeze what a zone runs use "
            "zone_loss with mode: freeze, or drill the pause on compose (--drill-staging=compose)",
            f"drdrill: drill worker-interrupted cannot start: {plan_dir / 'worker-interrupted.yaml'}:11: fault "
            "'kill' (target 'worker'): a Kubernetes staging stops a pod with SIGTERM (deleted with its grace "
            "period) or SIGKILL (no grace), never SIGINT; give signal: SIGTERM or SIGKILL, or drill it on "
            "compose (--drill-staging=compose)",
        ]
    )
