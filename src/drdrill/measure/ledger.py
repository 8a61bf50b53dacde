"""The ledger of claims: what was attempted, acknowledged and finally read back (Jepsen's set checker)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from drdrill.journal import Event, Kind, Type

SUBMIT = "submit"
FINAL_READ = "final-read"


@dataclass(frozen=True)
class Ledger:
    """Sets of claim ids, all derived from the journal.

    ``lost`` (acknowledged but absent from the final read) is what the RPO judges; ``unexpected`` (read but
    never attempted) means the store holds data nobody wrote; ``recovered`` are writes whose outcome was unknown
    to the client but that did take effect.
    """

    attempted: frozenset[str]
    acknowledged: frozenset[str]
    failed: frozenset[str]
    indeterminate: frozenset[str]
    read: frozenset[str]
    processed: frozenset[str]
    read_done: bool
    ack_ns: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def lost(self) -> frozenset[str]:
        return self.acknowledged - self.read if self.read_done else frozenset()

    @property
    def unexpected(self) -> frozenset[str]:
        return self.read - self.attempted

    @property
    def recovered(self) -> frozenset[str]:
        return (self.read & self.attempted) - self.acknowledged

    @property
    def unprocessed(self) -> frozenset[str]:
        """Acknowledged claims that are stored but were never classified."""
        return (self.acknowledged & self.read) - self.processed

    def lost_window_ns(self, failure_ns: int | None = None) -> int:
        """The amount of work, in time, that was lost: from the oldest lost acknowledgement to the later of the
        newest lost acknowledgement and the failure (``failure_ns``, the fault start), so that even a single
        lost claim counts for as long ago as it was acknowledged."""
        times = sorted(self.ack_ns[i] for i in self.lost if i in self.ack_ns)
        if not times:
            return 0
        end = times[-1] if failure_ns is None else max(times[-1], failure_ns)
        return end - times[0]

    def counts(self) -> dict[str, int]:
        """Sizes of every set, for the scorecard."""
        return {
            "attempted": len(self.attempted),
            "acknowledged": len(self.acknowledged),
            "failed": len(self.failed),
            "indeterminate": len(self.indeterminate),
            "read": len(self.read),
            "processed": len(self.processed & self.acknowledged),
            "unprocessed": len(self.unprocessed),
            "lost": len(self.lost),
            "unexpected": len(self.unexpected),
            "recovered": len(self.recovered),
        }


def build_ledger(events: Sequence[Event]) -> Ledger:
    """Fold the submit operations and the final read of the journal into a :class:`Ledger`."""
    attempted: set[str] = set()
    completed: dict[str, Type] = {}
    ack_ns: dict[str, int] = {}
    read: set[str] = set()
    processed: set[str] = set()
    read_done = False
    for event in events:
        if event.kind is Kind.OP and event.name == SUBMIT and event.value is not None:
            if event.type is Type.INVOKE:
                attempted.add(event.value)
            else:
                completed[event.value] = event.type
                if event.type is Type.OK:
                    ack_ns[event.value] = event.t_ns
        elif event.kind is Kind.READ and event.name == FINAL_READ and event.type is Type.OK:
            read_done = True
            read = set(event.data.get("processed", [])) | set(event.data.get("pending", []))
            processed = set(event.data.get("processed", []))

    def with_type(t: Type) -> frozenset[str]:
        return frozenset(i for i, done in completed.items() if done is t)

    return Ledger(
        attempted=frozenset(attempted),
        acknowledged=with_type(Type.OK),
        failed=with_type(Type.FAIL),
        indeterminate=with_type(Type.INFO) | frozenset(attempted - completed.keys()),
        read=frozenset(read),
        processed=frozenset(processed),
        read_done=read_done,
        ack_ns=ack_ns,
    )
