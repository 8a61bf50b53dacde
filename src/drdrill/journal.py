"""The drill journal: one timeline of everything that happened, written as JSON lines while the drill runs.

Operations follow Jepsen's history model: each has an ``invoke`` event and then exactly one completion,
``ok`` (took effect), ``fail`` (certainly did not) or ``info`` (unknown, e.g. a timeout). Faults, phases and
system signals live in the same timeline, so every figure is computed from one clock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from drdrill.clock import Clock


class Kind(StrEnum):
    """What an event is about."""

    PHASE = "phase"  # a runner phase started or ended
    OP = "op"  # a workload operation (one write submitted)
    PROBE = "probe"  # a steady-state probe
    FAULT = "fault"  # a fault was applied or reverted (Jepsen's nemesis)
    SIGNAL = "signal"  # something the system reported (failover, provider switch)
    READ = "read"  # the final read of the data store
    STEP = "step"  # an automated recovery step the runner carried out
    REPLICA = "replica"  # what the engine said of a container of the replica (it died, restarted, ...)
    CHECK = "check"  # a verification after recovery (a data check of the plan)
    MESSAGE = "message"  # an alert or client notice the system sent to the notification sink (name: channel)
    NOTE = "note"  # anything else worth keeping (a cleanup, a warning)


class Phase(StrEnum):
    """The runner's phases, in the order a drill goes through them (a phase event's ``name``)."""

    SWEEP = "sweep"
    STACK_START = "stack-start"
    WARMUP = "warm-up"
    BASELINE = "baseline"
    FAULT = "fault"
    DRAIN = "drain"
    FINAL_READ = "final-read"
    VERIFY = "verify"
    TEARDOWN = "teardown"


# Event names shared by the writers (runner, workload, probes, steps) and the readers (measure/, views). The
# journal owns them, as Jepsen's history owns its op vocabulary: no writer imports a reader to learn a name.
SUBMIT = "submit"  # an op: one write of the workload
# in a write's invoke: when the workload's schedule had it due (its start lag is t_ns - due_ns)
DUE = "due_ns"
# a note: the workload's schedule when it starts, what it could not start when it stops; each write's process
WORKLOAD = "workload"
FINAL_READ = "final-read"  # a read: what the system holds after the drill
HOST = "host"  # a note: the host's CPU counters and load, when the replica is up and when the drain ends
CANARY = "canary"  # a probe: the steady-state probe
LINK = "link"  # a probe: drdrill's own request through a component's Toxiproxy link (value: the component)
CONTAINER = "container"  # a replica event: value is the compose service, data.action what happened
STOPS = "stops"  # in a fault's start event: the compose services the fault itself stops or replaces
REPORT = "report"  # in a fault report: what its target counted while it was in place (a provider's calls)
FAULT_REPORT = "fault-report"  # a note after a fault's end: data.fault is its label, data.report the counts
TRACE = "trace"  # in a fault's end event: what it did call by call (a leaked secret's uses and their answers)
WARMUP = "warm-up"  # a note: how long the system took to answer probes in a row before the baseline
SKIPPED = "skipped"  # a note: the baseline was not steady, so the fault was not applied
FAULT_MOMENT = "fault-moment"  # a note: the signal a fault waited for (wait_for) said its moment had come
FAILOVER = "failover"  # a signal: its state dates failover and fail-back
DATA_CHECK = "data-check"  # a check: one of the scenario's data_checks, run through a data store
GOLDEN_SET = "golden-set"  # a check: the golden set submitted through the system and scored after recovery
INDEX_RECALL = "index-recall"  # a check: recall@k of the system's search on the scenario's query set
DONE_TWICE = (
    "done_more_than_once"  # in the final read's data: unit -> times done, for units done more than once
)
RECEIVED = "received_ns"  # in a message's data: when the sink received it (CLOCK_MONOTONIC, as the journal)
ALERT = "alert"  # a message's value: it came by a channel of the system's own alerting
NOTICE = "notice"  # a message's value: it came by a channel of client notices
MODE = "mode"  # a signal: which degraded mode the system says it runs in ("normal": full operation)
PREVIOUS_POLL = (
    "previous_poll_ns"  # in a signal's data: when the poll before the one that saw the change began
)


class Type(StrEnum):
    """The step of an event."""

    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"
    START = "start"
    END = "end"


@dataclass(frozen=True)
class Event:
    """One line of the journal."""

    seq: int
    t_ns: int
    utc: str
    kind: Kind
    type: Type
    name: str
    process: str | None = None
    value: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for JSON."""
        out: dict[str, Any] = {
            "seq": self.seq,
            "t_ns": self.t_ns,
            "utc": self.utc,
            "kind": self.kind.value,
            "type": self.type.value,
            "name": self.name,
        }
        if self.process is not None:
            out["process"] = self.process
        if self.value is not None:
            out["value"] = self.value
        if self.data:
            out["data"] = dict(self.data)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Event:
        """Rebuild an event from :meth:`to_json` output."""
        return cls(
            seq=int(raw["seq"]),
            t_ns=int(raw["t_ns"]),
            utc=str(raw["utc"]),
            kind=Kind(raw["kind"]),
            type=Type(raw["type"]),
            name=str(raw["name"]),
            process=raw.get("process"),
            value=raw.get("value"),
            data=dict(raw.get("data", {})),
        )


class Journal:
    """Thread-safe, append-only event log; every event is flushed to ``path`` as it is recorded."""

    def __init__(self, clock: Clock, path: Path | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._file: IO[str] | None = None
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8")

    def record(
        self,
        kind: Kind,
        type_: Type,
        name: str,
        *,
        process: str | None = None,
        value: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        """Stamp an event with the clock and append it."""
        with self._lock:
            event = Event(
                seq=len(self._events),
                t_ns=self._clock.monotonic_ns(),
                utc=self._clock.wall().isoformat(timespec="microseconds"),
                kind=kind,
                type=type_,
                name=name,
                process=process,
                value=value,
                data=dict(data or {}),
            )
            self._events.append(event)
            if self._file is not None:
                self._file.write(json.dumps(event.to_json(), sort_keys=True) + "\n")
                self._file.flush()
        return event

    def events(self) -> list[Event]:
        """A snapshot of the events so far, in the order recorded."""
        with self._lock:
            return list(self._events)

    def since(self, seq: int) -> list[Event]:
        """The events recorded from ``seq`` on (a reader that keeps its place reads each event once)."""
        with self._lock:
            return self._events[seq:]

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def close(self) -> None:
        """Close the file; the in-memory events stay readable."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read_journal(lines: Iterable[str]) -> list[Event]:
    """Parse JSON lines written by :class:`Journal`."""
    return [Event.from_json(json.loads(line)) for line in lines if line.strip()]


def fault_reports(events: Iterable[Event]) -> list[tuple[str, str, dict[str, int]]]:
    """What each fault's target counted while it was in place: (fault label, target, counts), in journal order.

    Read from the notes that follow the faults' ends, and from the ends themselves in journals written before
    the count moved out of them.
    """
    found = []
    for e in events:
        if e.kind is Kind.NOTE and e.name == FAULT_REPORT:
            label = e.data.get("fault")
        elif e.kind is Kind.FAULT and e.type is Type.END:
            label = e.name
        else:
            continue
        report = e.data.get(REPORT)
        if isinstance(report, dict) and report and isinstance(label, str):
            counts = {str(k): v for k, v in report.items() if isinstance(v, int) and not isinstance(v, bool)}
            found.append((label, e.value or "", counts))
    return found
