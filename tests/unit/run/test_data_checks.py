"""The verify phase's data checks, run by the runner on the fake help desk: each check with SQL goes to its data
store after recovery, and its first value is compared with what the scenario expects. A check that passed, one
that found another value, one that could not run and one for people only are each told apart."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from drdrill.datastores import StoreError
from drdrill.journal import DATA_CHECK, Kind, Type, read_journal
from drdrill.plan import Plan
from tests.unit.test_zone_drill import COMPOSE, PLAN, SCENARIO, ZoneDrill, verdicts, write_zone_plan

STORES = """\
  data_stores:
    tickets-db: {kind: postgres, at: "db:5432", database: tickets}
"""
DB = """\
  db:
    image: example/helpdesk-db:1
    expose: ["5432"]
"""

CHECKS = """\
verification:
  data_checks:
    - {name: none-lost, description: No ticket is lost., sql: "SELECT count(*) FROM tickets WHERE lost", expect: 0}
    - {name: as-text, description: Seven queues., sql: "SELECT count(*) FROM queues", expect: "7"}
    - {name: nothing-left, description: No row., sql: "SELECT id FROM stuck", expect: null}
    - {name: the-sum, description: The sum., sql: "SELECT sum(cost) FROM tickets", expect: "1.50"}
    - {name: by-hand, description: A person reads the audit log; no SQL.}
"""

BROKEN = """\
    - {name: all-answered, description: Every ticket answered., sql: "SELECT count(*) FROM unanswered", expect: 0}
    - {name: typo, description: A column that is not there., sql: "SELECT nope FROM tickets", expect: 0}
"""


@dataclass
class FakeSession:
    answers: dict[str, list[tuple[object, ...]]]
    asked: list[str] = field(default_factory=list)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        self.asked.append(sql)
        if sql not in self.answers:
            raise StoreError(f'column "nope" does not exist (asked: {sql})')
        return self.answers[sql]

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        raise AssertionError("a data check only reads")


@dataclass
class FakeStores:
    """The plan's stores, as the verify phase uses them: its one SQL store and sessions to it."""

    session: FakeSession
    opened: list[str] = field(default_factory=list)

    def only_sql(self) -> str | None:
        return "tickets-db"

    @contextmanager
    def sql(self, name: str) -> Iterator[FakeSession]:
        self.opened.append(name)
        yield self.session


ANSWERS: dict[str, list[tuple[object, ...]]] = {
    "SELECT count(*) FROM tickets WHERE lost": [(0,)],
    "SELECT count(*) FROM queues": [(7,)],
    "SELECT id FROM stuck": [],
    "SELECT sum(cost) FROM tickets": [(Decimal("1.50"),)],
    "SELECT count(*) FROM unanswered": [(2, "extra column")],
}


def _plan(directory: Path, checks: str, *, stores: bool = True) -> Plan:
    return write_zone_plan(
        directory,
        plan=PLAN.replace("  system:\n", (STORES if stores else "") + "  system:\n"),
        compose=COMPOSE + DB,
        scenario=SCENARIO + checks,
    )


def _run(plan: Plan, reports: Path, stores: FakeStores | None) -> tuple[dict[str, Any], list[Any]]:
    drill = ZoneDrill(plan, reports)
    drill.runner.preflight()
    assert drill.runner.prepared is not None
    if stores is not None:
        drill.runner.prepared.injector.stores = stores  # type: ignore[assignment]
    card = drill.run()
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    return card, [e for e in journal if e.kind is Kind.CHECK and e.name == DATA_CHECK]


def test_data_checks_that_find_their_values_pass(tmp_path: Path) -> None:
    stores = FakeStores(FakeSession(ANSWERS))

    card, checks = _run(_plan(tmp_path / "plan", CHECKS), tmp_path / "reports", stores)

    assert verdicts(card)["data_checks"] == (
        "pass",
        "every data check passed (none-lost, as-text, nothing-left, the-sum)",
    )
    # each SQL check once, in order, in its own session of the plan's one SQL store; the check for people is not run
    assert stores.session.asked == [
        "SELECT count(*) FROM tickets WHERE lost",
        "SELECT count(*) FROM queues",
        "SELECT id FROM stuck",
        "SELECT sum(cost) FROM tickets",
    ]
    assert stores.opened == ["tickets-db"] * 4
    assert [(e.process, e.type) for e in checks] == [
        (name, t)
        for name in ("none-lost", "as-text", "nothing-left", "the-sum")
        for t in (Type.INVOKE, Type.OK)
    ]
    invoke, ok = checks[0], checks[1]
    assert invoke.data == {"sql": "SELECT count(*) FROM tickets WHERE lost"}
    assert ok.data == {"store": "tickets-db", "value": 0, "expect": 0}
    # a value JSON cannot hold (Postgres' numeric) is kept as its text; no row at all is None
    assert checks[7].data == {"store": "tickets-db", "value": "1.50", "expect": "1.50"}
    assert checks[5].data["value"] is None
    # the checks run in the verify phase, after the final read
    starts = {e["name"]: e["seq"] for e in card["timeline"] if e["kind"] == "phase" and e["type"] == "start"}
    assert starts["verify"] < checks[0].seq


def test_a_data_check_that_finds_another_value_fails_the_drill_and_says_what_it_found(tmp_path: Path) -> None:
    stores = FakeStores(FakeSession(ANSWERS))

    card, checks = _run(_plan(tmp_path / "plan", CHECKS + BROKEN), tmp_path / "reports", stores)

    assert card["status"] == "failed"
    # the first value of the first row counts: 2 unanswered tickets, where none should be
    assert verdicts(card)["data_checks"] == (
        "fail",
        "data check failed: all-answered: found 2, expected 0",
    )
    (failed,) = [e for e in checks if e.type is Type.FAIL]
    assert failed.process == "all-answered" and failed.data == {
        "store": "tickets-db",
        "value": 2,
        "expect": 0,
    }
    # the check whose query failed ran to no value: it is not judged, with the store's words
    (typo,) = [e for e in checks if e.type is Type.INFO]
    assert typo.process == "typo"
    assert typo.data["why"] == (
        'not run, because the query failed: column "nope" does not exist (asked: SELECT nope FROM tickets)'
    )


def test_a_data_check_that_cannot_run_is_not_judged_and_says_why(tmp_path: Path) -> None:
    stores = FakeStores(FakeSession(ANSWERS))
    typo = BROKEN.splitlines(keepends=True)[1]

    card, _ = _run(_plan(tmp_path / "plan", CHECKS + typo), tmp_path / "reports", stores)

    outcome, message = verdicts(card)["data_checks"]
    assert outcome == "unknown"
    assert message == (
        'not judged: typo: not run, because the query failed: column "nope" does not exist (asked: SELECT nope '
        "FROM tickets)"
    )
    assert card["status"] != "passed"  # a check that could not run never passes a drill


def test_a_data_check_with_no_store_to_run_in_says_how_to_name_one(tmp_path: Path) -> None:
    # no data store in the plan: the real stores of the drill have no SQL one to offer, and nothing is queried
    card, checks = _run(_plan(tmp_path / "plan", CHECKS, stores=False), tmp_path / "reports", None)

    assert verdicts(card)["data_checks"][0] == "unknown"
    assert [(e.process, e.type) for e in checks][:2] == [("none-lost", Type.INVOKE), ("none-lost", Type.INFO)]
    assert checks[1].data["why"] == (
        "not run, because the plan declares no data store to run it in (or several SQL ones): add "
        "staging_topology.data_stores, or name one with the check's `store:`"
    )
    assert len([e for e in checks if e.type is Type.INFO]) == 4
