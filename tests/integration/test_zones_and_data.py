"""Zone, region and data disasters on the reference replica, and a broken twin of each that must FAIL for its
own reason: real containers, a real streaming standby, a real WAL archive and restore, real Toxiproxy."""

from __future__ import annotations

import json
import shutil
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


def automated(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps a drill carried out (a declarative action or a hook), in the plan's order."""
    return [s for s in card["steps"] if s["automated"]]


def actions(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["action"], s["outcome"]) for s in automated(card)]


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
    assert zone["scenario"]["faults"] == ["zone_loss zone-a (power: intake, postgres, worker, search)"]
    assert actions(zone) == [("exec", "ok"), ("repoint", "ok"), ("repoint", "ok")]
    assert automated(zone)[0]["detail"] == "exit 0 in postgres-standby: server promoted"
    assert zone["measurements"]["interruption_seen"] is True  # writes failed until the standby was promoted

    region = cards["regional-failure"]
    assert actions(region) == [
        ("start", "ok"),
        ("exec", "ok"),
        ("repoint", "ok"),
        ("start", "ok"),
        ("http", "ok"),
        ("repoint", "ok"),
        ("repoint", "ok"),
    ]
    assert '"wal_replayed": "yes"' in automated(region)[1]["detail"]
    assert region["objectives"]["staging_rpo_bound_s"] == 3.0
    # The index rebuilt from the restored rows finds the exact nearest neighbours of the fixed query set, and
    # the golden set submitted to the secondary region is labelled as well as on a healthy system (37 of 40).
    recall = region["measurements"]["index_recall"]
    assert (recall["outcome"], recall["score"], recall["total"], recall["k"]) == ("pass", 1.0, 50, 10)
    golden = region["measurements"]["golden_set"]
    assert (golden["outcome"], golden["right"], golden["total"]) == ("pass", 37, 40)

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
    # detected by the system's own integrity check (the plan's integrity_check criterion on that signal, a
    # pass/fail check that holds at once), at the first poll that saw it: the probes never failed, since every
    # claim is still served
    detected = corruption["measurements"]["time_to_detect_by_plan_s"]
    assert detected is not None and 0.0 < detected <= 1.0, detected
    assert corruption["measurements"]["golden_set"]["outcome"] == "pass"

    restore = cards["backup-restore"]
    assert restore["scenario"]["faults"] == ["drop_table claims-db (claims)"]
    assert actions(restore) == [("start", "ok"), ("exec", "ok"), ("repoint", "ok")]
    assert '"target_time": "20' in automated(restore)[1]["detail"]


def _broken_compose(tmp_path: Path, plan_copy: Path, *changes: tuple[str, str]) -> None:
    """The claims compose file with ``changes`` made (each must apply), used by ``plan_copy``."""
    # A copy of the whole folder: its binds and build context stay inside it (drdrill refuses a bind mount
    # outside the compose file's folder), and the image it builds is the same (Docker's cache).
    folder = tmp_path / "claims-compose"
    shutil.copytree(ROOT / "compose" / "claims", folder, ignore=shutil.ignore_patterns("__pycache__"))
    compose = folder / "compose.yaml"
    text = compose.read_text()
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
    # Replication asynchronous, over a link that trails by 3 s (as a standby under load does): the standby is
    # promoted (1-2 s after the zone went, the time the zone's containers take to go) before it applied them.
    _broken_compose(
        tmp_path,
        plan_copy,
        ("      SYNC_STANDBY: standby\n", '      SYNC_STANDBY: ""\n'),
        ('      STANDBY_LAG_MS: "0"\n', '      STANDBY_LAG_MS: "3000"\n'),
    )
    run = run_drill(pytester, plan_copy, "zone-failure")
    run.result.assert_outcomes(failed=1)
    card = run.card
    assert outcomes(card)["rpo"] == "fail"
    assert outcomes(card)["recovery_bound"] == "pass"  # the failover itself worked
    text = message(card, "rpo")
    assert text.startswith("RPO missed: ") and " the failure (ids " in text, text
    window = card["measurements"]["rpo_window"]
    # the window lists the lost writes oldest acknowledgement first; lost_ids is sorted by id (writes run side by
    # side, so one started later can be acknowledged first: CI run 30 saw 000002 acknowledged before 000001)
    assert sorted(window["ids"]) == card["measurements"]["lost_ids"] and window["ids"]
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
    assert card["scenario"]["faults"] == [
        "zone_loss zone-a (power: intake, postgres, worker, worker-b, search)"
    ]
    assert outcomes(card)["recovery_bound"] == "fail"
    assert "staging bound missed: steady state did not return during the " in message(card, "recovery_bound")
    # The steps did their part. Once in a CI run (1 of 2 runs on 2026-12-03) Toxiproxy's API did not answer the
    # intake's repoint for 20 s: the proxy's old connections led to a container that lost power, a known class of
    # Toxiproxy hang (Shopify/toxiproxy#159, #412). The verdict then names that step too, and the test allows it:
    # the staging bound is missed either way, because no worker is left outside zone A.
    done = actions(card)
    assert done[:2] == [("exec", "ok"), ("repoint", "ok")] and done[2][0] == "repoint"
    if done[2][1] != "ok":
        assert "Toxiproxy at http://127.0.0.1:" in message(card, "recovery_bound")


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
    assert '"wal_replayed": "no"' in automated(card)[1]["detail"]
    window = card["measurements"]["rpo_window"]
    # everything acknowledged since the base backup is gone: seconds of claims, far over the 3 s bound
    assert window["span_s"] > 3.0 and len(window["ids"]) == card["measurements"]["ledger"]["lost"] > 10
    assert message(card, "rpo").endswith("RPO 3.00 s (the tier's RPO 60.0 s at staging scale)")


def test_twin_a_regional_restore_without_the_index_rebuild_misses_its_recall(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    _edit(
        plan_copy / "regional-failure.yaml",
        """  - title: Rebuild the similar-claims index from the restored reference claims
    action: {http: {method: POST, url: "http://{search-c:8090}/rebuild", status: [200], timeout: 60s}}
    components: [claims-search-c]
""",
        "",
    )
    run = run_drill(pytester, plan_copy, "regional-failure")
    run.result.assert_outcomes(failed=1)
    card = run.card
    # everything else recovered: the database restored, the claims labelled in the secondary region
    assert {n: o for n, o in outcomes(card).items() if o != "pass"} == {"index_recall": "fail"}
    assert message(card, "index_recall") == (
        "recall@10 missed: 0.00 on 50 queries; the index returned nothing for 50 of them after recovery, below 0.90"
    )
    run.result.stdout.fnmatch_lines(["*index_recall: recall@10 missed: 0.00 on 50 queries*"])


def test_node_replaced_while_the_worker_holds_claims_loses_nothing(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    run = run_drill(pytester, plan_copy, "node-replaced")
    run.result.assert_outcomes(passed=1)
    moment = [e for e in run.card["timeline"] if e["kind"] == "note" and e["name"] == "fault-moment"]
    assert [m["data"]["value"] for m in moment] == ["True"]  # replaced while it held claims
    assert run.card["measurements"]["ledger"]["lost"] == 0


def test_twin_a_worker_that_keys_its_work_to_its_hostname_never_drains_once_replaced(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path, tmp_path: Path
) -> None:
    # Workers that key their claims to their hostname: the replacement has a new hostname, so the claims the
    # lost worker held wait for a worker that will never come back.
    _broken_compose(tmp_path, plan_copy, ("  LEASE: lock\n", "  LEASE: hostname\n"))
    twin = run_drill(pytester, plan_copy, "node-replaced")
    twin.result.assert_outcomes(failed=1)
    card = twin.card
    assert outcomes(card)["rpo"] == "pass"  # held, never lost: the backlog is what never drains
    checks = {c["name"]: c for c in card["measurements"]["data_checks"]}
    stuck = card["measurements"]["ledger"]["not_done"]
    # The plan's own check sees every claim the lost worker held; `drained` sees the workload's among them. At
    # 2 claims a second the one claim held at the kill may be a probe's own (its read-back claim), which only
    # the data check counts: then the drill fails on the check alone, still for the stuck claim.
    assert checks["no-stuck-claims"]["outcome"] == "fail" and checks["no-stuck-claims"]["value"] >= max(
        stuck, 1
    )
    assert outcomes(card)["data_checks"] == "fail"
    if stuck:
        assert outcomes(card)["drained"] == "fail" and message(card, "drained") == (
            f"{stuck} claim{'s' if stuck > 1 else ''} acknowledged and held, but never done by the end of the drain"
        )
    else:
        assert outcomes(card)["drained"] == "pass"
    assert [name for name, outcome in outcomes(card).items() if outcome == "fail" and name != "schedule"] in (
        ["drained", "data_checks"],
        ["data_checks"],
    )
