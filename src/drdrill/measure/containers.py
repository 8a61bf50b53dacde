"""Containers of the replica that went down when no fault stopped them: a finding the drill names.

The runner journals every container event the engine reports while the drill runs (``replica`` events), and
each fault's start says which compose services the fault itself stops (``stops``). A container that dies or
runs out of memory and is not one of those, between the replica's start and the teardown, failed on its own:
the database under load, a consumer that crashes when its provider goes away. Pure: journal in, findings out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import CONTAINER, STOPS, Event, Kind, Phase, Type
from drdrill.units import NS_PER_S

DOWN = frozenset({"die", "oom"})


@dataclass(frozen=True)
class ContainerDown:
    """One container that went down by itself."""

    service: str
    action: str
    exit_code: int | None
    at_ns: int  # from the drill's first event

    def describe(self) -> str:
        what = "ran out of memory" if self.action == "oom" else "exited"
        code = f" (code {self.exit_code})" if self.exit_code is not None else ""
        return f"{self.service} {what}{code} {self.at_ns / NS_PER_S:.1f} s into the drill"


def unexpected_downs(events: Sequence[Event]) -> tuple[ContainerDown, ...]:
    """Containers that died or ran out of memory when no fault stopped their service."""
    if not events:
        return ()
    origin = events[0].t_ns
    # A fault says what it stops when it starts, or (a lost volume: the containers mounting it) once applied;
    # the engine may report the death before that second word, so every fault's word counts.
    stopped = {str(s) for e in events if e.kind is Kind.FAULT for s in e.data.get(STOPS) or ()}
    found: list[ContainerDown] = []
    for event in events:
        if event.kind is Kind.PHASE and event.name == Phase.TEARDOWN and event.type is Type.START:
            break  # the teardown removes every container on purpose
        if (
            event.kind is Kind.REPLICA
            and event.name == CONTAINER
            and event.value is not None
            and event.data.get("action") in DOWN
            and event.value not in stopped
        ):
            code = event.data.get("exit_code")
            found.append(
                ContainerDown(
                    event.value,
                    str(event.data["action"]),
                    code if isinstance(code, int) else None,
                    event.t_ns - origin,
                )
            )
    return tuple(found)
