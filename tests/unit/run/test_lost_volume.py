"""A fault that learns what it stopped only once applied (a lost volume takes the containers that mount it):
the drill journals those services after the fault, so their going down is the fault's, not a finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.test_zone_drill import COMPOSE, SCENARIO, ZoneDrill, verdicts, write_zone_plan

LOSE = SCENARIO.replace(
    "  - {kind: zone_loss, zone: zone-a, mode: power, comes_back: false}\n",
    "  - {kind: lose_volume, target: responder, volume: store}\n",
)
VOLUME = (
    COMPOSE.replace(
        '  responder:\n    image: example/helpdesk-responder:1\n    expose: ["9000"]\n',
        '  responder:\n    image: example/helpdesk-responder:1\n    expose: ["9000"]\n    volumes: ["store:/data"]\n',
    )
    + "volumes:\n  store: {}\n"
)


def test_the_services_a_lost_volume_took_are_the_faults_not_a_finding(tmp_path: Path) -> None:
    assert VOLUME != COMPOSE + "volumes:\n  store: {}\n"  # the responder mounts the volume
    plan = write_zone_plan(tmp_path / "plan", compose=VOLUME, scenario=LOSE)
    drill = ZoneDrill(plan, tmp_path / "reports")

    def remove_volume(volume: str) -> list[str]:
        drill.staging.calls.append(f"remove_volume {volume}")
        drill.responder.kill()
        assert drill.staging.watcher is not None
        drill.staging.watcher.emit("responder", "die", 137)  # the engine says the container went
        return ["responder"]

    drill.staging.remove_volume = remove_volume  # type: ignore[method-assign]
    card = drill.run()

    faults: list[dict[str, Any]] = [e for e in card["timeline"] if e["kind"] == "fault"]
    start, info = faults[0], faults[1]
    assert (start["type"], start["data"]) == ("start", {})  # nothing known stopped before it was applied
    assert (info["type"], info["value"], info["data"]) == ("info", "responder", {"stops": ["responder"]})
    assert "remove_volume store" in drill.staging.calls
    assert "replica" not in verdicts(card)  # the responder's going down was the fault's
