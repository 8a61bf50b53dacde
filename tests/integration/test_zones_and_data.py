"""Zone, region and data disasters on the reference replica, and a broken twin of each that must FAIL for its
own reason: real containers, a real streaming standby, a real WAL archive and restore, real Toxiproxy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.conftest import ROOT, run_drill
from tests.integration.test_cleanup import _plan_with_compose

pytestmark = pytest.mark.integration

HEADLINE = ("zone-failure", "regional-failure", "data-corruption", "backup-restore")


def outcomes(card: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["outcome"] for v in card["verdicts"]}


def message(card: dict[str, Any], name: str) -> str:
    (found,) = [v["message"] for v in card["verdicts"] if v["name"] == name]
    return str(found)


def actions(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["action"], a["outcome"]) for a in card["measurements"]["actions"]]


def test_zone_region_corruption_and_restore_drills_pass_on_the_reference_replica(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        f"--drill={','.join(HEADLINE)}",
        f"--drill-plan={plan_copy}",
        f"--drill-report-dir={reports}",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=4)
    cards = {
        name: json.loads(next(reports.glob(f"*-{name}-*/scorecard.json")).read_text()) for name in HEADLINE
    }
    for name, card in cards.items():
        assert set(outcomes(card).values()) == {"pass"}, (name, card["verdicts"])
        assert card["measurements"]["done_twice"] == {}, name
    # A standby with synchronous replication and a repaired table lose nothing (tier RPO 0) ...
    for name in ("zone-failure", "data-corruption"):
        assert cards[name]["measurements"]["ledger"]["lost"] == 0, name
    # ... a restore from the archive may lose what was acknowledged in its last second, within the 3 s bound.
    for name in ("regional-failure", "backup-restore"):
        window = cards[name]["measurements"]["rpo_window"]
        assert window is None or window["span_s"] <= 3.0, (name, window)

    zone = cards["zone-failure"]
    assert zone["scenario"]["faults"] == ["zone_loss zone-a (power: intake, postgres, worker)"]
    assert actions(zone) == [("exec", "ok"), ("repoint", "ok"), ("repoint", "ok")]
    assert zone["measurements"]["actions"][0]["detail"] == "exit 0 in postgres-standby: server promoted"
    assert zone["measurements"]["interruption_seen"] is True  # writes failed until the standby was promoted

    region = cards["regional-failure"]
    assert actions(region) == [
        ("start", "ok"),
        ("exec", "ok"),
        ("repoint", "ok"),
        ("start", "ok"),
        ("repoint", "ok"),
    ]
    assert '"wal_replayed": "yes"' in region["measurements"]["actions"][1]["detail"]
    assert region["objectives"]["staging_rpo_bound_s"] == 3.0

    corruption = cards["data-corruption"]
    assert corruption["scenario"]["faults"] == [
        "corrupt_rows claims-db (50 rows of claims.label set to 'other')"
    ]
    checks = corruption["measurements"]["data_checks"]
    assert [(c["name"], c["outcome"], c["value"]) for c in checks] == [
        ("labels-match-their-digest", "pass", 0)
    ]
    integrity = [
        e["data"]["raw"] for e in corruption["timeline"] if e["kind"] == "signal" and e["name"] == "integrity"
    ]
    assert integrity[0] == "0" and "50" in integrity and integrity[-1] == "0"  # seen corrupted, then repaired

    restore = cards["backup-restore"]
    assert restore["scenario"]["faults"] == ["drop_table claims-db (claims)"]
    assert actions(restore) == [("start", "ok"), ("exec", "ok"), ("repoint", "ok")]
    assert '"target_time": "20' in restore["measurements"]["actions"][1]["detail"]


def _broken_compose(tmp_path: Path, plan_copy: Path, *changes: tuple[str, str]) -> None:
    """The claims compose file with ``changes`` made (each must apply), used by ``plan_copy``."""
    compose = tmp_path / "claims-compose" / "compose.yaml"
    compose.parent.mkdir()
    text = (ROOT / "compose" / "claims" / "compose.yaml").read_text()
    text = text.replace("./sim/labels.json", str(ROOT / "compose" / "claims" / "sim" / "labels.json"))
    text = text.replace("context: .", f"context: {ROOT / 'compose' / 'claims'}")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    compose.write_text(text)
    _plan_with_compose(plan_copy, compose)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_twin_an_asynchronous_standby_promoted_under_load_misses_the_rpo(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path, tmp_path: Path
) -> None:
    # Replication asynchronous, over a link that trails by half a second (as a standby under load does).
    _broken_compose(
        tmp_path,
        plan_copy,
        ("      SYNC_STANDBY: standby\n", '      SYNC_STANDBY: ""\n'),
        ('      STANDBY_LAG_MS: "0"\n', '      STANDBY_LAG_MS: "500"\n'),
    )
    run = run_drill(pytester, plan_copy, "zone-failure")
    run.result.assert_outcomes(failed=1)
    card = run.card
    assert outcomes(card)["rpo"] == "fail"
    assert outcomes(card)["recovery_bound"] == "pass"  # the failover itself worked
    text = message(card, "rpo")
    assert text.startswith("RPO missed: ") and " the failure (ids " in text, text
    window = card["measurements"]["rpo_window"]
    assert window["ids"] == card["measurements"]["lost_ids"] and window["ids"]
    # lost: what the standby had not received, up to the moment the zone went (the write in flight then too)
    assert window["newest_before_failure_s"] <= 0.5 and 0.5 <= window["oldest_before_failure_s"] <= 15.0
    run.result.stdout.fnmatch_lines(["*rpo: RPO missed: * acknowledged and lost, spanning *"])


def test_twin_workers_in_one_zone_only_miss_the_rto_when_that_zone_is_lost(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    plan = plan_copy / "plan.yaml"
    _edit(
        plan,
        "    description: The classifier worker in zone B.\n    zone: zone-b\n",
        "    description: The classifier worker, also in zone A.\n    zone: zone-a\n",
    )
    run = run_drill(pytester, plan_copy, "zone-failure")
    run.result.assert_outcomes(failed=1)
    card = run.card
    assert card["scenario"]["faults"] == ["zone_loss zone-a (power: intake, postgres, worker, worker-b)"]
    assert outcomes(card)["recovery_bound"] == "fail"
    assert message(card, "recovery_bound").startswith("RTO missed: steady state did not return during the ")
    assert actions(card) == [("exec", "ok"), ("repoint", "ok"), ("repoint", "ok")]  # the steps did their part


def test_twin_a_restore_without_the_log_replay_misses_the_rpo(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    _edit(
        plan_copy / "backup-restore.yaml",
        'command: /opt/drdrill/postgres/restore.sh --target-time "$DRDRILL_FAULT_UTC"',
        "command: /opt/drdrill/postgres/restore.sh --no-wal",
    )
    run = run_drill(pytester, plan_copy, "backup-restore")
    run.result.assert_outcomes(failed=1)
    card = run.card
    assert outcomes(card)["rpo"] == "fail"
    assert '"wal_replayed": "no"' in card["measurements"]["actions"][1]["detail"]
    window = card["measurements"]["rpo_window"]
    # everything acknowledged since the base backup is gone: seconds of claims, far over the 3 s bound
    assert window["span_s"] > 3.0 and len(window["ids"]) == card["measurements"]["ledger"]["lost"] > 10
    assert message(card, "rpo").endswith("RPO 3.00 s (the tier's RPO 60.0 s at staging scale)")
