"""Mistakes in the notification channels and the mode signal: one error each, with file:line and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drdrill.plan import PlanError, load_plan

AI = Path(__file__).resolve().parents[2] / "ai"


def errors(tmp_path: Path, old: str, new: str) -> list[str]:
    target = tmp_path / f"ai-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(AI, target, ignore=shutil.ignore_patterns("wheels"))
    plan = target / "plan" / "plan.yaml"
    text = plan.read_text()
    assert old in text
    plan.write_text(text.replace(old, new))
    with pytest.raises(PlanError) as info:
        load_plan(plan.parent)
    return [line.split("plan.yaml:", 1)[1] for line in str(info.value).splitlines() if "plan.yaml:" in line]


def test_a_channel_that_names_no_sink_and_a_mode_the_plan_lacks(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        'env: {ALERT_URL: "{webhook}/v2/enqueue"}',
        'env: {ALERT_URL: "http://pager.example/v2/enqueue"}',
    )
    assert found == [
        "82:53: staging_topology.notifications.on-call.env: no value names the sink: use {webhook}, or "
        "{smtp_host} and {smtp_port}"
    ]
    found = errors(tmp_path, "modes: {backup: reduced-accuracy}", "modes: {backup: reduced-acuracy}")
    assert found == [
        "106:96: staging_topology.system.signals.mode.modes.backup: unknown degraded mode 'reduced-acuracy'; "
        "did you mean 'reduced-accuracy'? (known: queue-and-hold, reduced-accuracy)"
    ]
