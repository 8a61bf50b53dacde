"""The replica watched while a drill runs: every container that dies, restarts or runs out of memory is said.

A container of the replica that exits when no fault targets it (the database, under load) is a finding the drill
must name ("postgres exited (code 137) at 3.2 s"), not a mystery behind "the staging bound was missed". The
engine's own event stream says it at once, with the engine's time; the watcher hands each event on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

WATCHED = frozenset({"die", "oom", "restart", "kill", "start", "stop"})


@dataclass(frozen=True)
class ContainerEvent:
    """What the engine said of one container of the replica."""

    service: str
    action: str  # die, oom, restart, kill, start, stop
    exit_code: int | None = None
    engine_ns: int | None = None  # the engine's own time of the event (``timeNano``)


class EventSource(Protocol):
    """A stream of the engine's events that can be closed from another thread."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None: ...


def parse_event(raw: dict[str, Any]) -> ContainerEvent | None:
    """A container event of a compose service, or None for anything else."""
    if raw.get("Type") != "container":
        return None
    action = str(raw.get("Action") or raw.get("status") or "").split(":")[0]
    if action not in WATCHED:
        return None
    attributes = (raw.get("Actor") or {}).get("Attributes") or {}
    service = attributes.get("com.docker.compose.service")
    if not service:
        return None
    code = attributes.get("exitCode")
    return ContainerEvent(
        service=str(service),
        action=action,
        exit_code=int(code) if code is not None and str(code).lstrip("-").isdigit() else None,
        engine_ns=int(raw["timeNano"]) if isinstance(raw.get("timeNano"), int) else None,
    )


class Watcher:
    """Reads an event source on a thread of its own and hands each container event to ``on_event``."""

    def __init__(
        self,
        source: EventSource,
        on_event: Callable[[ContainerEvent], None],
        on_error: Callable[[str], None],
    ) -> None:
        self._source = source
        self._on_event = on_event
        self._on_error = on_error
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drdrill-replica-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for raw in self._source:
                if self._stopped.is_set():
                    return
                event = parse_event(raw)
                if event is not None:
                    self._on_event(event)
        except Exception as exc:  # a stream closed under the reader ends it; a broken one is said, not raised
            if not self._stopped.is_set():
                self._on_error(f"the engine's event stream broke: {type(exc).__name__}: {exc}")

    def stop(self) -> None:
        """Stop reading (safe twice): close the stream and wait for the reader."""
        self._stopped.set()
        self._source.close()
        self._thread.join(timeout=5)
