"""The verify phase's scores, run by the runner on the fake help desk: a golden set submitted through the system
contract and scored on what the final read says it made of each input, and recall@k of the system's search on
a fixed query set. Each is a verdict that fails with its reason, or is not judged when it could not be measured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from drdrill.journal import FINAL_READ, Kind, Type, read_journal
from drdrill.plan import Plan, load_plan
from drdrill.run.verification import poll_waits
from drdrill.system import FinalRead, Searches
from tests.unit.fake_drill import FakeHelpdesk
from tests.unit.test_zone_drill import COMPOSE, PLAN, SCENARIO, ZoneDrill, verdicts

GOLDEN = (
    '{"input": "My printer prints only blank pages.", "expected": "hardware"}\n'
    '{"input": "The invoice total is wrong.", "expected": "billing"}\n'
    '{"input": "The printer jams on every invoice.", "expected": "billing"}\n'
    '{"input": "Refund the double charge on my card.", "expected": "billing"}\n'
)
QUERIES = (
    '{"query": "printer out of toner", "expected": ["t1", "t2", "t3", "t9"]}\n'
    '{"query": "wrong invoice total", "expected": ["t4", "t5", "t6"]}\n'
)
VERIFY = """\
verification:
  golden_set: {path: golden/help.jsonl, min_accuracy: MIN, timeout: 2s}
  index_recall: {queries: golden/queries.jsonl, k: 3, min_recall: 0.9}
"""


@dataclass
class AnsweringHelpdesk(FakeHelpdesk):
    """The help desk, which also says what it made of each ticket (a queue name from a keyword) and searches
    an index of past tickets (``index``: the ids it finds for a query; None: the index was never rebuilt)."""

    inputs: dict[str, str] = field(default_factory=dict)
    index: dict[str, list[str]] | None = None
    searched: list[str] = field(default_factory=list)

    def write(self, unit_id: str, payload: str) -> Any:
        self.inputs[unit_id] = payload
        return super().write(unit_id, payload)

    def final_read(self) -> FinalRead:
        read = super().final_read()
        outputs = {
            unit: "hardware" if "printer" in self.inputs[unit].lower() else "billing"
            for unit in read.done
            if unit in self.inputs
        }
        return FinalRead(read.held, read.done, read.detail, read.times_done, outputs)

    def search(self, query: str, k: int) -> Sequence[str]:
        self.searched.append(query)
        return [] if self.index is None else self.index.get(query, [])[:k]


def _plan(directory: Path, minimum: str) -> Plan:
    directory.mkdir()
    (directory / "plan.yaml").write_text(PLAN)
    (directory / "compose.yaml").write_text(COMPOSE)
    (directory / "golden").mkdir()
    (directory / "golden" / "help.jsonl").write_text(GOLDEN)
    (directory / "golden" / "queries.jsonl").write_text(QUERIES)
    (directory / "zone-loss.yaml").write_text(SCENARIO + VERIFY.replace("MIN", minimum))
    return load_plan(directory)


class VerifiedDrill(ZoneDrill):
    def __init__(self, plan: Plan, reports: Path, index: dict[str, list[str]] | None) -> None:
        super().__init__(plan, reports)
        self.desk = AnsweringHelpdesk(self.clock, boot_s=0.4, index=index)
        self.system = self.desk
        self.responder.system = self.system
        for container in self.staging.containers.values():
            container.system = self.system
        self.settings = type(self.settings)(**{**self.settings.__dict__, "system": self.system})
        self.runner = type(self.runner)(plan, plan.scenarios["zone-loss"], self.settings, clock=self.clock)


REBUILT = {"printer out of toner": ["t1", "t2", "t3"], "wrong invoice total": ["t4", "t6", "t7"]}


def test_golden_set_and_recall_pass_above_their_minimums(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "plan", "0.7")
    drill = VerifiedDrill(plan, tmp_path / "reports", REBUILT)
    assert isinstance(drill.desk, Searches)

    card = drill.run()

    found = verdicts(card)
    # 3 of 4 right: "The printer jams on every invoice" is a billing ticket the desk files under hardware
    assert found["golden_set"] == (
        "pass",
        "golden-set accuracy 0.75 (3 of 4 right) after recovery, at least 0.70",
    )
    # 3 of 3 and 2 of 3 of the exact nearest: (3 + 2) / 6
    assert found["index_recall"] == (
        "fail",
        "recall@3 missed: 0.83 on 2 queries after recovery, below 0.90",
    )
    golden = card["measurements"]["golden_set"]
    assert (golden["score"], golden["right"], golden["total"], golden["answered"]) == (0.75, 3, 4, 4)
    assert golden["misses"] == [
        {"text": "The printer jams on every invoice.", "expected": "billing", "got": "hardware"}
    ]
    # every golden input went through the contract's write, with an id of the drill's own
    assert sorted(u for u in drill.desk.inputs if "-golden-" in u) == [f"z1-golden-{i:04d}" for i in range(4)]
    # ... written by the drain once the desk had caught up, before the final read, which lists them: they are
    # the drill's own units, as the probes' are, and the ledger leaves them out (nothing unexpected, or lost)
    timeline = card["timeline"]
    (invoke,) = [
        e for e in timeline if e["kind"] == "check" and e["name"] == "golden-set" and e["type"] == "invoke"
    ]
    starts = {e["name"]: e["seq"] for e in timeline if e["kind"] == "phase" and e["type"] == "start"}
    assert starts["drain"] < invoke["seq"] < starts["final-read"]
    assert invoke["data"]["units"] == [f"z1-golden-{i:04d}" for i in range(4)]
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    (read,) = [e for e in journal if e.kind is Kind.READ and e.name == FINAL_READ and e.type is Type.OK]
    assert set(invoke["data"]["units"]) <= set(read.data["held"])
    ledger = card["measurements"]["ledger"]
    assert (ledger["unexpected"], ledger["lost"]) == (0, 0)
    recall = card["measurements"]["index_recall"]
    assert (recall["score"], recall["k"], recall["total"]) == (pytest.approx(5 / 6), 3, 2)
    assert recall["misses"] == [{"text": "wrong invoice total", "expected": "3 nearest", "got": "2 of them"}]


def test_an_index_never_rebuilt_misses_its_recall_and_a_low_accuracy_misses_its_minimum(
    tmp_path: Path,
) -> None:
    plan = _plan(tmp_path / "plan", "0.8")
    drill = VerifiedDrill(plan, tmp_path / "reports", index=None)

    card = drill.run()

    assert card["status"] == "failed"
    found = verdicts(card)
    assert found["index_recall"] == (
        "fail",
        "recall@3 missed: 0.00 on 2 queries; the index returned nothing for 2 of them after recovery, below 0.90",
    )
    assert found["golden_set"] == (
        "fail",
        "golden-set accuracy missed: 0.75 (3 of 4 right) after recovery, below 0.80 (e.g. 'The printer jams "
        "on every invoice.' gave 'hardware', expected 'billing')",
    )


def test_a_system_without_outputs_or_search_has_its_scores_not_measured(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "plan", "0.8")
    drill = ZoneDrill(plan, tmp_path / "reports")  # the plain help desk: no outputs, no search

    card = drill.run()

    found = verdicts(card)
    assert found["golden_set"] == (
        "unknown",
        "not judged: not measured, because the final read does not say what the system made of a unit: declare "
        "staging_topology.system.final_read.output (a JSON path, e.g. label), or return FinalRead.outputs",
    )
    assert found["index_recall"] == (
        "unknown",
        "not judged: not measured, because the system has no search: declare staging_topology.system.search, "
        "or give your Python system a search(query, k) method",
    )
    assert card["measurements"]["golden_set"]["score"] is None
    assert card["status"] != "passed"  # a score nobody measured is no pass


def test_a_golden_set_file_with_a_bad_line_is_refused_at_its_line(tmp_path: Path) -> None:
    from drdrill.plan import PlanError  # noqa: PLC0415

    directory = tmp_path / "plan"
    _plan(directory, "0.8")
    (directory / "golden" / "help.jsonl").write_text(GOLDEN + '{"input": "Where is my order?"}\n')
    (directory / "golden" / "queries.jsonl").write_text('{"query": "printer", "expected": ["t1"]}\n')
    with pytest.raises(PlanError) as caught:
        load_plan(directory)
    assert str(caught.value).replace(str(directory) + "/", "").splitlines() == [
        'golden/help.jsonl:5:1: each line is {"input": "<text>", "expected": "<the output it must give>"}',
        "golden/queries.jsonl:1:1: 1 expected neighbours, fewer than k = 3: recall@3 needs 3",
    ]


def test_the_final_read_is_polled_soon_at_first_then_at_the_last_wait() -> None:
    assert list(islice(poll_waits((0.05, 0.2, 0.5)), 6)) == [0.05, 0.2, 0.5, 0.5, 0.5, 0.5]
