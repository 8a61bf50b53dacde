"""The ledger of writes: what was attempted, acknowledged and finally read back (Jepsen's set checker)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from functools import cached_property

from drdrill.journal import FINAL_READ, GOLDEN_SET, SUBMIT, Event, Kind, Type


class AckTimes(Mapping[str, int]):
    """When each acknowledged unit was last acknowledged, as the fold keeps it: the units (each once) and their
    times side by side. The dict is made the first time a unit is looked up (a lost one): for a million
    writes it takes a third of a second and 70 MB, and a drill that lost nothing only reads the times."""

    __slots__ = ("_by_unit", "times", "units")

    def __init__(self, units: Sequence[str], times: Sequence[int]) -> None:
        self.units, self.times = units, times
        self._by_unit: dict[str, int] | None = None

    def _dict(self) -> dict[str, int]:
        if self._by_unit is None:
            self._by_unit = dict(zip(self.units, self.times, strict=True))
        return self._by_unit

    def __getitem__(self, unit: str) -> int:
        return self._dict()[unit]

    def __contains__(self, unit: object) -> bool:
        return unit in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def values(self) -> ValuesView[int]:
        return _Times(self)


class _Times(ValuesView[int]):
    """The times of :class:`AckTimes`, read as they are kept."""

    _mapping: AckTimes

    def __iter__(self) -> Iterator[int]:
        return iter(self._mapping.times)


@dataclass(frozen=True)
class Ledger:
    """Sets of unit ids, all derived from the journal.

    ``lost`` (acknowledged but absent from the final read) is what the RPO judges; ``unexpected`` (read but
    never attempted) means the store holds data nobody wrote; ``recovered`` are writes whose outcome was unknown
    to the client but that did take effect. Each is worked out once, when first read (a million-write drill's
    sets take a tenth of a second each).
    """

    attempted: frozenset[str]
    acknowledged: frozenset[str]
    failed: frozenset[str]
    indeterminate: frozenset[str]
    read: frozenset[str]
    processed: frozenset[str]
    read_done: bool
    ack_ns: Mapping[str, int] = field(default_factory=dict, compare=False)  # unit -> when last acknowledged
    read_failure: str | None = None  # why there is no final read, when there is none

    @cached_property
    def lost(self) -> frozenset[str]:
        if (
            not self.read_done or self.read is self.acknowledged
        ):  # (the fold's one set when they are the same)
            return frozenset()
        return self.acknowledged - self.read

    @cached_property
    def unexpected(self) -> frozenset[str]:
        return self.read - self.attempted

    @cached_property
    def recovered(self) -> frozenset[str]:
        return (self.read & self.attempted) - self.acknowledged

    @cached_property
    def unprocessed(self) -> frozenset[str]:
        """Acknowledged units that are held but were never done (processed)."""
        if self.processed is self.read or self.processed is self.acknowledged:
            return frozenset()  # (A & R) - R and (A & R) - A are empty
        return (self.acknowledged & self.read) - self.processed

    def lost_window_ns(self, failure_ns: int | None = None) -> int:
        """The amount of work, in time, that was lost: from the oldest lost acknowledgement to the later of the
        newest lost acknowledgement and the failure (``failure_ns``, the fault start), so that even a single
        lost write counts for as long ago as it was acknowledged."""
        times = sorted(self.ack_ns[i] for i in self.lost if i in self.ack_ns)
        if not times:
            return 0
        end = times[-1] if failure_ns is None else max(times[-1], failure_ns)
        return end - times[0]

    def counts(self) -> dict[str, int | None]:
        """Sizes of every set, for the scorecard; the ones that need the final read are None without it."""
        read = self.read_done
        return {
            "attempted": len(self.attempted),
            "acknowledged": len(self.acknowledged),
            "failed": len(self.failed),
            "indeterminate": len(self.indeterminate),
            "read": len(self.read) if read else None,
            "done": len(self.processed & self.acknowledged) if read else None,
            "not_done": len(self.unprocessed) if read else None,
            "lost": len(self.lost) if read else None,
            "unexpected": len(self.unexpected) if read else None,
            "recovered": len(self.recovered) if read else None,
        }


def build_ledger(events: Sequence[Event]) -> Ledger:
    """Fold the write operations and the final read of the journal into a :class:`Ledger`.

    Probe units are the drill's own (they check the path, they are not workload), and so are the golden set's
    (journalled with its check's invocation): the final read leaves them out, so they count neither as lost nor
    as unexpected.
    """
    attempted: set[str] = set()
    completed: dict[str, Type] = {}
    ack_ns: dict[str, int] = {}
    probes: set[str] = set()
    held: set[str] = set()
    done: set[str] = set()
    read_done = False
    read_failure: str | None = None
    for event in events:
        if event.kind is Kind.OP and event.name == SUBMIT and event.value is not None:
            if event.type is Type.INVOKE:
                attempted.add(event.value)
            else:
                completed[event.value] = event.type
                if event.type is Type.OK:
                    ack_ns[event.value] = event.t_ns
        elif event.kind is Kind.PROBE and event.process is not None:
            probes.add(event.process)
        elif event.kind is Kind.CHECK and event.name == GOLDEN_SET and event.type is Type.INVOKE:
            probes.update(own_units(event))
        elif event.kind is Kind.READ and event.name == FINAL_READ:
            if event.type is Type.OK:
                read_done, read_failure = True, None
                held = {str(i) for i in event.data.get("held", [])}
                done = {str(i) for i in event.data.get("done", [])}
            elif event.type in (Type.FAIL, Type.INFO):  # an invocation alone is a read still in flight
                read_failure = str(event.data.get("why", "the final read failed"))

    def with_type(t: Type) -> frozenset[str]:
        return frozenset(i for i, outcome in completed.items() if outcome is t)

    return Ledger(
        attempted=frozenset(attempted),
        acknowledged=with_type(Type.OK),
        failed=with_type(Type.FAIL),
        indeterminate=with_type(Type.INFO) | frozenset(attempted - completed.keys()),
        read=frozenset(held - probes),
        processed=frozenset(done - probes),
        read_done=read_done,
        ack_ns=ack_ns,
        read_failure=read_failure if not read_done else None,
    )


def own_units(event: Event) -> list[str]:
    """The units a check of the drill's own wrote (the golden set's invocation lists them)."""
    units = event.data.get("units", [])
    return [str(unit) for unit in units] if isinstance(units, list) else []
