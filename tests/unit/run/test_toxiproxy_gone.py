"""A drill whose Toxiproxy dies while a link's fault is held: the drill ends as errored with the cause, and the
link's fault is journalled as not reverted because Toxiproxy took it with it, not as a second failure."""

from __future__ import annotations

from pathlib import Path

from drdrill.journal import Kind, Type, read_journal
from tests.unit.run.test_phases import At
from tests.unit.test_zone_drill import SCENARIO, ZoneDrill, write_zone_plan

LINK_DOWN = SCENARIO.replace(
    "  - {kind: zone_loss, zone: zone-a, mode: power, comes_back: false}\n",
    "  - {kind: down, target: responder}\n",
)


def test_a_toxiproxy_that_dies_during_the_fault_takes_the_fault_with_it(tmp_path: Path) -> None:
    plan = write_zone_plan(tmp_path / "plan", scenario=LINK_DOWN)
    drill = ZoneDrill(plan, tmp_path / "reports")

    def engine() -> None:
        if any(
            c == "enable tickets False" for c in drill.toxiproxy.calls
        ):  # the link is down: the fault holds
            assert drill.staging.watcher is not None
            drill.staging.watcher.emit("drdrill-toxiproxy", "die", 137)
        else:
            At(drill.clock, 0.1, engine)

    At(drill.clock, 0.1, engine)
    card = drill.run()

    assert card["status"] == "errored"
    assert card["error"].startswith("the run's Toxiproxy exited (code 137)")
    assert "FAULT NOT REVERTED" not in card["error"]
    # nothing was asked of the dead Toxiproxy to revert the link
    assert "enable tickets True" not in drill.toxiproxy.calls
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    (end,) = [e for e in journal if e.kind is Kind.FAULT and e.type is Type.END]
    assert end.value == "responder"
    assert end.data == {"note": "not reverted: the run's Toxiproxy is gone, and its faults with it"}
