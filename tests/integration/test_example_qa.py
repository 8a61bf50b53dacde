"""The second example system (examples/qa-service) drilled on real containers, and its broken twin.

Nothing under src/drdrill/ names it: the plan names its compose file, the declarative HTTP contract covers the
writes (202 + job id), the probe and the failover signal, and the example's own conftest.py returns a
``pytest_drdrill_system`` whose final read goes straight to Redis.
"""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import docker
import pytest
from ruamel.yaml import YAML

from tests.integration.conftest import ROOT, run_drill

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "qa-service"
PLAN, BROKEN_PLAN = EXAMPLE / "plan", EXAMPLE / "broken" / "plan"


def _yaml(path: Path) -> Any:
    return YAML(typ="safe").load(StringIO(path.read_text()))


def _verdicts(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = card["verdicts"]
    assert isinstance(raw, list)
    return {v["name"]: v for v in raw}


def test_the_broken_twin_differs_from_the_example_only_in_how_the_worker_takes_a_job() -> None:
    # The twin must fail for one reason only, so it may differ in nothing else (comments aside).
    good, broken = _yaml(EXAMPLE / "docker-compose.yml"), _yaml(EXAMPLE / "broken" / "docker-compose.yml")
    assert (
        good["services"]["worker"]["environment"]["QUEUE_POP"],
        broken["services"]["worker"]["environment"]["QUEUE_POP"],
    ) == ("reliable", "simple")
    assert (good["x-app"]["build"]["context"], broken["x-app"]["build"]["context"]) == (".", "..")
    for document in (good, broken):
        del document["services"]["worker"]["environment"]["QUEUE_POP"]
        del document["x-app"]["build"]["context"]  # the services share this mapping (YAML merge keys)
    assert good == broken
    good_plan, broken_plan = _yaml(PLAN / "plan.yaml"), _yaml(BROKEN_PLAN / "plan.yaml")
    assert (good_plan.pop("name"), broken_plan.pop("name")) == ("qa-service", "qa-service-broken")
    assert good_plan == broken_plan
    assert _yaml(PLAN / "provider-outage.yaml") == _yaml(BROKEN_PLAN / "provider-outage.yaml")


def test_provider_outage_drill_on_the_qa_example_passes(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None
) -> None:
    run = run_drill(pytester, PLAN, "provider-outage")
    result, card = run.result, run.card
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "drdrill: plan 'qa-service' for Harbour Street Library *",
            "*drill provider-outage (tier 1, software): PASSED",
            "*[[]PASS[]] rpo: no acknowledged question lost*",
        ]
    )
    # Every view speaks the plan's words: nothing about another system's unit of work.
    assert "claim" not in result.stdout.str().lower()
    assert card["status"] == "passed"
    # the plugin had compose read the example's file before the drill's set-up, and the set-up took that up
    assert card["environment"]["compose_read_early"] is True
    measured = card["measurements"]
    assert isinstance(measured, dict)
    ledger = measured["ledger"]
    # 5 s of baseline at 10 questions/s alone gives ~50 acknowledged; the Python final read must find them all.
    assert ledger["acknowledged"] >= 40
    assert ledger["lost"] == 0 and ledger["not_done"] == 0
    # The failover signal is the plan's declarative one (GET /status, path provider).
    assert measured["time_to_failover_s"] is not None
    assert measured["time_to_recover_s"] is not None and measured["time_to_recover_s"] <= 30
    verdicts = _verdicts(card)
    assert verdicts["rpo"]["passed"] is True and verdicts["drained"]["passed"] is True


def test_provider_outage_drill_on_the_broken_twin_fails_its_rpo(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None
) -> None:
    # The twin's worker takes a job with BRPOP and drops it when the provider call fails: the questions taken
    # while the primary is refused, before the worker fails over, were acknowledged (202) and are gone.
    run = run_drill(pytester, BROKEN_PLAN, "provider-outage")
    result, card = run.result, run.card
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "drill provider-outage FAILED: the system missed * objective(s)",
            "  rpo: RPO missed: * question* acknowledged and lost, spanning *",
        ]
    )
    assert card["status"] == "failed"
    verdicts = _verdicts(card)
    assert verdicts["rpo"]["passed"] is False
    measured = card["measurements"]
    assert isinstance(measured, dict)
    ledger = measured["ledger"]
    # At most FAILOVER_AFTER (3) are dropped on the way to the backup; the rest of the drill loses nothing.
    assert 1 <= ledger["lost"] <= 3
    # The failover itself works, as in the example: losing jobs is the only thing wrong with the twin.
    assert measured["time_to_failover_s"] is not None
    assert verdicts["recovery_bound"]["passed"] is True


def test_zone_failure_on_the_qa_example_promotes_its_redis_replica_declaratively(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None
) -> None:
    # No Python anywhere: the replica is promoted by an exec action, the link repointed by a repoint action,
    # and the final read goes to Redis wherever the queue link leads (the promoted replica).
    run = run_drill(pytester, PLAN, "zone-failure")
    run.result.assert_outcomes(passed=1)
    card = run.card
    assert card["scenario"]["faults"] == ["zone_loss zone-a (power: redis)"]
    steps = [(s["action"], s["outcome"]) for s in card["steps"] if s["automated"]]
    assert steps == [("exec", "ok"), ("repoint", "ok")]
    ledger = card["measurements"]["ledger"]
    assert ledger["lost"] == 0 and ledger["not_done"] == 0 and ledger["acknowledged"] >= 40
    assert card["measurements"]["interruption_seen"] is True  # the queue was really gone until the promotion
    journal = [json.loads(line) for line in (run.run_dir / "journal.jsonl").read_text().splitlines()]
    (read,) = [e for e in journal if e["kind"] == "read" and e["type"] == "ok"]
    assert read["data"]["detail"].endswith(" done in data store queue")


def test_twin_a_qa_replica_that_never_replicated_loses_every_question_when_promoted(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None, tmp_path: Path
) -> None:
    # The zone-B Redis was never made a replica (so the API, with no replica to wait for, acknowledges on the
    # primary's fsync alone): promoting it brings back an empty queue.
    copy = tmp_path / "qa-service"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("broken", "__pycache__"))
    compose = copy / "docker-compose.yml"
    text = compose.read_text()
    assert text.count(" --replicaof redis 6379\n") == 1
    compose.write_text(text.replace(" --replicaof redis 6379\n", "\n"))
    run = run_drill(pytester, copy / "plan", "zone-failure")
    run.result.assert_outcomes(failed=1)
    card = run.card
    verdicts = _verdicts(card)
    assert verdicts["rpo"]["outcome"] == "fail"
    assert verdicts["rpo"]["message"].startswith("RPO missed: ")
    assert " question" in verdicts["rpo"]["message"] and " the failure (ids " in verdicts["rpo"]["message"]
    # everything acknowledged before the loss is gone: the promoted queue started empty
    ledger = card["measurements"]["ledger"]
    assert ledger["lost"] >= 30
