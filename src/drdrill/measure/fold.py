"""The journal folded once: every operation paired in one pass, kept compact, ready for every figure.

A drill at a thousand writes a second journals millions of events. Measuring re-paired them for each figure
(the probes, the samples, the ledger) from a list of :class:`~drdrill.journal.Event` objects; here one pass
pairs each operation (Jepsen's invoke with its completion) as it streams by, holding only the operations in
flight, and keeps only what the figures read: the probes and the links' probes as samples (there are few), the
writes as parallel arrays of invocation and completion times (there are many: a sample object is made only for
the writes the fault window judges), the ledger's sets of unit ids (each id stored once), each write's start
and start lag, and the rare events (phases, faults, signals, steps, replica events, notes) as they are.

:func:`fold` folds events in memory (a drill that just ran); :func:`fold_blocks` and :func:`fold_lines` stream
the JSON lines of a journal file, decoded a run of lines at a time by msgspec into the few fields the fold reads,
without an event per line, and fold a run's writes in a few passes in C over its columns (see
:meth:`_Folder.writes`). All give the same :class:`Folded`, so the same scorecard. Pure: the caller opens the
file.
"""

from __future__ import annotations

import gc
import json
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import compress, count, repeat
from operator import and_, attrgetter, countOf, ge, is_, is_not, lt, ne, sub
from typing import Any

import msgspec

from drdrill.journal import DUE, FINAL_READ, GOLDEN_SET, LINK, SUBMIT, Event, Kind, Type
from drdrill.measure.ledger import AckTimes, Ledger, own_units
from drdrill.measure.timeline import PROBE_SOURCE, WRITE_SOURCE, Sample

_COMPLETIONS = frozenset({Type.OK, Type.FAIL, Type.INFO})
_FAILED = _COMPLETIONS - {Type.OK}  # a completion that says what went wrong
_CODE = {t: n for n, t in enumerate(Type)}  # a write's completion type, as one byte in the per-unit columns
_OP, _PROBE, _INVOKE, _OK = Kind.OP, Kind.PROBE, Type.INVOKE, Type.OK
_OK_CODE = _CODE[_OK]  # the common case, without a lookup
_READ_LISTS = ("held", "done")  # a final read's lists of units, which the ledger keeps instead

# For the writes folded a run at a time (see _Folder.writes): masks made from the types' codes by bytes.translate
# (a StrEnum member hashes as its str, in C, its hash kept: _CODE.__getitem__ is cheap)
_PAIRED = bytes(_CODE[t] for t in (Type.INVOKE, *_COMPLETIONS))  # the types the run-at-a-time fold takes


def _mask(*types: Type) -> bytes:
    """A bytes.translate table: 1 for the codes of ``types``, 0 for any other byte."""
    codes = {_CODE[t] for t in types}
    return bytes(int(b in codes) for b in range(256))


_IS_INVOKE, _IS_OK, _IS_COMPLETION = _mask(Type.INVOKE), _mask(Type.OK), _mask(*_COMPLETIONS)
_IS_FAIL, _IS_INFO = _mask(Type.FAIL), _mask(Type.INFO)
_NOT = bytes([1, 0, *bytes(254)])  # a mask's complement
_STAND_INS = 1 << 62  # the numbers a run's invokes are in flight under until the map numbers them
_KIND, _TYPE, _NAME, _VALUE, _T_NS = map(attrgetter, ("kind", "type", "name", "value", "t_ns"))


def _each(calls: Iterator[object]) -> None:
    """Run a map of calls for their effect, in C (a map of a column's __setitem__ sets many items)."""
    deque(calls, maxlen=0)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the block runs (as it was after). A fold makes no reference
    cycle, yet it makes objects by the hundred thousand (a sample per write of the fault window), and each
    full collection they set off walks every unit id of the ledger's sets: on a million-write journal the
    collections took about half of the measurement's time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Index(dict[str, int]):
    """Each unit id seen, numbered: a new one gets the next number and is kept in ``ids`` (the first copy of
    an id is the one kept)."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__()
        self.ids = ids

    def __missing__(self, unit: str) -> int:
        number = self[unit] = len(self.ids)
        self.ids.append(unit)
        return number


@dataclass(frozen=True)
class WriteSamples:
    """Every completed write as three parallel columns, in the order the completions were journalled."""

    invoke_ns: array[int] = field(default_factory=lambda: array("q"))
    complete_ns: array[int] = field(default_factory=lambda: array("q"))
    ok: bytearray = field(default_factory=bytearray)

    def __len__(self) -> int:
        return len(self.ok)

    def last_complete_ns(self) -> int | None:
        """When the last write completed (None: none did)."""
        return max(self.complete_ns) if self.complete_ns else None

    def overlapping(self, start_ns: int, end_ns: int | None) -> list[Sample]:
        """The writes a fault window judges, as samples in invocation order (ties in completion order, as
        the journal's stable sort has them): those that completed at or after ``start_ns`` (a write invoked
        before the fault may show its first symptom) and were invoked before ``end_ns``. Every figure of the
        window reads only these (see :func:`drdrill.measure.verdicts.measure`)."""
        invoke, complete, ok = self.invoke_ns, self.complete_ns, self.ok
        overlaps = map(ge, complete, repeat(start_ns))
        if end_ns is not None:
            overlaps = map(and_, overlaps, map(lt, invoke, repeat(end_ns)))
        chosen = list(compress(range(len(ok)), overlaps))
        chosen.sort(key=invoke.__getitem__)
        return list(
            map(
                Sample,
                map(invoke.__getitem__, chosen),
                map(complete.__getitem__, chosen),
                map(bool, map(ok.__getitem__, chosen)),
                repeat(""),
                repeat(WRITE_SOURCE),
            )
        )


@dataclass(frozen=True)
class Folded:
    """One journal, folded once (see the module's docstring)."""

    probes: list[Sample]  # the steady-state probes, in invocation order
    links: dict[str, list[Sample]]  # drdrill's own requests through each component's link, by component
    writes: WriteSamples
    events: list[Event]  # every event but the writes and the probes, in journal order (a final read without
    # its lists of units)
    ledger: Ledger
    starts: array[int] = field(default_factory=lambda: array("q"))  # each write's invocation, in order
    lags: array[int] = field(default_factory=lambda: array("q"))  # each write's start lag, where it says
    probe_ids: frozenset[str] = (
        frozenset()
    )  # every probe's process: its unit, if it wrote one, is the drill's


class _Folder:
    """The one pass, in journal order. A write's invoke waits in a small map of the writes in flight until its
    completion pairs with it (Jepsen's pairing: a later invoke of the same unit replaces it), so the pass costs
    the same for every write however long the journal; each unit id is numbered and its state (invoked, its
    last completion, when it was last acknowledged) kept in columns by that number. Probes are paired as they
    come; the rest is kept as it is.

    Numbered ``indexed``, each unit id is looked up in a map to its number (:class:`_Index`) as it comes. A
    file's lines are numbered without it for as long as each write is invoked once and completed at most once
    while in flight (:meth:`writes`), which is how the workload writes: a write's number is then its place
    among the invokes, its completion is kept in order with that number instead of in the per-unit columns,
    and the map, a million ids long for a million writes, is made (with the columns) only if a run breaks that
    rule or a unit turns out to have been invoked twice (:meth:`_indexed`). Until then the final read's lists
    are kept as sets, and the ledger is worked out from sets at the end (:meth:`_ledger_of_sets`)."""

    def __init__(self, indexed: bool = True) -> None:
        self.ids: list[str] = []  # by unit number: the unit id
        self.index = _Index(self.ids) if indexed else None  # unit id -> number, when indexed
        self.in_flight: dict[str, int] = {}  # the units invoked and not yet completed -> their number
        self.invoked_at = array("q")  # by unit number: when it was last invoked
        self.attempted = bytearray()  # by unit number: 1 once it was invoked
        self.last = array("b")  # by unit number: the code (_CODE) of its last completion, -1 for none
        self.acked = bytearray()  # by unit number: 1 once it was acknowledged
        self.acked_at = array("q")  # by unit number: when it was last acknowledged
        self.samples = WriteSamples()
        self.starts = array("q")  # when each write was invoked, in journal order
        self.lags = array("q")  # how late each write that says when it was due started
        self.pending_probes: dict[str, int] = {}
        self.probes: list[Sample] = []
        self.pending_links: dict[str, dict[str, int]] = {}
        self.links: dict[str, list[Sample]] = {}
        self.probe_ids: set[str] = set()
        self.events: list[Event] = []
        self.read_done = False
        self.read_failure: str | None = None
        self.held = bytearray()  # by unit number: 1 when the final read says the system holds it
        self.done = bytearray()  # by unit number: 1 when the final read says it was done
        # not indexed: the final read's lists (held, done), as sets of ids; the same set when the same list
        self.read_sets: tuple[frozenset[str], frozenset[str]] | None = None
        # not indexed: each completion's number and code, in order (its time and outcome are the samples')
        self.completed = array("q")
        self.completed_codes = bytearray()

    def _reserve(self, more: int) -> None:
        """Room in the per-unit columns for ``more`` units beyond those numbered (a batch numbers at most as
        many as it has events)."""
        short = len(self.ids) + more - len(self.last)
        if short > 0:
            short = max(short, len(self.last) // 4)  # grown by a quarter at least: a run at a time, seldom
            self.invoked_at.frombytes(bytes(8 * short))
            self.attempted.extend(bytes(short))
            self.last.frombytes(bytes([0xFF]) * short)  # -1
            self.acked.extend(bytes(short))
            self.acked_at.frombytes(bytes(8 * short))

    def records(
        self, records: Sequence[Any], due_of: Callable[[Any], int | None], whole: Callable[[int, Any], Event]
    ) -> None:
        """Fold a run of events in journal order: the journal's events, or a file's lines decoded as
        :class:`_Line`. Writes and good probes are read from the record's fields (``due_of``: a write invoke's
        due time); any other record is taken whole, as an event (``whole``: from its position in the run)."""
        number = self._indexed().__getitem__
        self._reserve(len(records))
        in_flight, pop = self.in_flight, self.in_flight.pop
        invoked_at, attempted, last, acked, acked_at = (
            self.invoked_at,
            self.attempted,
            self.last,
            self.acked,
            self.acked_at,
        )
        start, lag = self.starts.append, self.lags.append
        paired_invoke = self.samples.invoke_ns.append
        paired_complete = self.samples.complete_ns.append
        paired_ok = self.samples.ok.append
        code = _CODE.__getitem__
        for position, record in enumerate(records):
            kind, type_ = record.kind, record.type
            if kind is _OP:
                unit = record.value
                if record.name != SUBMIT or unit is None:
                    continue  # not a write of the workload: nothing measures it
                t_ns = record.t_ns
                if type_ is _INVOKE:
                    n = in_flight[unit] = number(unit)
                    invoked_at[n] = t_ns
                    attempted[n] = 1
                    start(t_ns)
                    due = due_of(record)
                    if due is not None:
                        lag(t_ns - due)
                    continue
                if type_ in _COMPLETIONS and unit in in_flight:
                    n = pop(unit)
                    paired_invoke(invoked_at[n])
                    paired_complete(t_ns)
                    paired_ok(type_ is _OK)
                else:
                    n = number(unit)
                if type_ is _OK:
                    last[n] = _OK_CODE
                    acked[n] = 1
                    acked_at[n] = t_ns
                else:
                    last[n] = code(type_)
            else:
                self._rare(position, record, whole)

    def _rare(self, position: int, record: Any, whole: Callable[[int, Any], Event]) -> None:
        """Fold a record that is no operation: a probe's, or any other event, taken whole."""
        type_ = record.type
        if record.kind is _PROBE and (type_ is _INVOKE or type_ is _OK):
            self.probe(type_, record.name, record.process, record.value, record.t_ns)
            return
        event = whole(position, record)
        if event.kind is _PROBE:  # a failed probe: what it said, read whole
            detail = event.data.get("detail") if event.type in _FAILED else ""
            self.probe(event.type, event.name, event.process, event.value, event.t_ns, str(detail or ""))
        elif event.kind is not _OP:
            self.other(event)

    def lines(self, decoded: list[_Line], whole: Callable[[int, Any], Event]) -> None:
        """Fold a run of a file's lines decoded as :class:`_Line`, as :meth:`records` would: the operations a
        run at a time (:meth:`writes`), then the other records one by one. The two touch no common state but
        the unit numbers, which a final read gives the units it lists that were never written: so the
        operations before a final read are folded before it, and those after it after it."""
        kinds = list(map(_KIND, decoded))
        is_op = bytes(map(is_, kinds, repeat(_OP)))
        rare = list(compress(range(len(decoded)), is_op.translate(_NOT)))
        cuts = [position + 1 for position in rare if kinds[position] is Kind.READ]
        start = 0
        for end in (*cuts, len(decoded)):
            self.writes(list(compress(decoded[start:end], is_op[start:end])))
            for position in rare[bisect_left(rare, start) : bisect_left(rare, end)]:
                self._rare(position, decoded[position], whole)
            start = end

    def writes(self, ops: list[_Line]) -> None:
        """Fold a run of operations decoded from a file's lines, as :meth:`records` does one by one, with a few
        passes in C over the run's columns. That takes a run in which each write is invoked at most once and
        each completion completes a write in flight: every unit invoked in the run is invoked once and was
        not in flight before it, every unit completed in the run is completed once, after its invoke. Any
        other run (a unit invoked again while in flight, a completion of a write not in flight, a type that
        completes nothing) is folded one by one by :meth:`records`, the map to unit numbers made first."""
        if not ops:
            return
        units = list(map(_VALUE, ops))
        if countOf(map(_NAME, ops), SUBMIT) != len(ops) or None in units:
            ops = [op for op in ops if op.name == SUBMIT and op.value is not None]  # the workload's writes
            units = list(map(_VALUE, ops))
        codes = bytes(map(_CODE.__getitem__, map(_TYPE, ops)))
        invoked, completed = codes.translate(_IS_INVOKE), codes.translate(_IS_COMPLETION)
        invoked_units = list(compress(units, invoked))
        paired = None  # a type that completes nothing: one at a time
        if not codes.translate(None, _PAIRED):
            paired = self._paired(invoked_units, list(compress(units, completed)), invoked, completed)
        if paired is None:
            self._indexed()
            self.records(ops, _LINE_DUE, _no_whole)
            return
        t_ns = list(map(_T_NS, ops))
        due = list(map(_LINE_DUE, compress(ops, invoked)))
        numbers = self._invoke(invoked_units, list(compress(t_ns, invoked)), due)
        if self.index is not None:  # the stand-ins (see _paired) become the numbers given
            stand_in = dict(zip(range(_STAND_INS, _STAND_INS + len(numbers)), numbers, strict=True))
            in_flight = self.in_flight
            self.in_flight = dict(
                zip(in_flight, map(stand_in.get, in_flight.values(), in_flight.values()), strict=True)
            )
            paired = list(map(stand_in.get, paired, paired))
        self._complete(paired, list(compress(t_ns, completed)), bytes(compress(codes, completed)))

    def _paired(
        self, invoked_units: list[str], completed_units: list[str], invoked: bytes, completed: bytes
    ) -> list[int] | None:
        """The numbers of the writes a run's completions complete: the run's invokes are put in flight first,
        under their numbers if the fold runs without the map (the next ones in order), else under stand-ins
        above any number, and each completion takes its unit out. None, and the writes in flight as they were,
        if the run breaks the rule :meth:`writes` takes."""
        before = self.in_flight
        in_flight = self.in_flight = dict(before)
        added = len(invoked_units)
        first = len(self.ids) if self.index is None else _STAND_INS
        in_flight.update(zip(invoked_units, range(first, first + added), strict=True))
        try:
            if len(in_flight) != len(before) + added:  # a unit invoked twice, or again while in flight
                raise KeyError
            paired = list(map(in_flight.pop, completed_units))  # KeyError: a unit not in flight
        except KeyError:
            self.in_flight = before
            return None
        # a completion of a write invoked in the run comes after its invoke: the k-th completion, at place p in the
        # run, has p - k invokes before it, so the write it completes must be one of the first p - k invoked in
        # the run (or one in flight before it, numbered below them)
        invokes_before = map(sub, compress(range(len(invoked)), completed), count())
        if not all(map(lt, map(sub, paired, repeat(first)), invokes_before)):
            self.in_flight = before
            return None
        return paired

    def _invoke(self, units: list[str], t_ns: list[int], due: list[int | None]) -> Sequence[int]:
        """Number the invokes of a run (units not in flight, each once); their numbers."""
        ids, index, added = self.ids, self.index, len(units)
        first = len(ids)
        self.starts.fromlist(t_ns)  # (fromlist: twice as fast as extend from a list)
        if not all(map(is_not, due, repeat(None))):  # some invokes do not say when they were due
            said = bytes(map(is_not, due, repeat(None)))
            self.lags.fromlist(list(map(sub, compress(t_ns, said), compress(due, said))))
        else:
            self.lags.fromlist(list(map(sub, t_ns, due)))
        if index is None:  # numbered in the order invoked: a write's invoke time is its start
            ids.extend(units)
            return range(first, first + added)
        self._reserve(added)
        known = len(index)
        numbers = list(map(index.setdefault, units, count(first)))  # a new unit: first + its place
        if len(index) - known == added:  # all new (the common case): numbered first, first + 1, ...
            ids.extend(units)
            self.invoked_at[first : first + added] = array("q", t_ns)
            self.attempted[first : first + added] = bytes([1]) * added
            return numbers
        for place, (unit, number) in enumerate(zip(units, numbers, strict=True)):
            if number >= first:  # new: numbered in order after the units written before
                numbers[place] = index[unit] = len(ids)
                ids.append(unit)
        _each(map(self.invoked_at.__setitem__, numbers, t_ns))
        _each(map(self.attempted.__setitem__, numbers, repeat(1)))
        return numbers

    def _complete(self, numbers: list[int], t_ns: list[int], codes: bytes) -> None:
        """The completions of a run, of the writes numbered: pair them with their invokes, and keep each unit's
        last completion (and when it was acknowledged): not indexed, as the numbers and codes of the
        completions in order (each write completes once: see :meth:`_ledger_of_sets`); indexed, in the per-unit
        columns."""
        ok = codes.translate(_IS_OK)
        samples = self.samples
        samples.complete_ns.fromlist(t_ns)
        samples.ok.extend(ok)
        if self.index is None:
            samples.invoke_ns.fromlist(list(map(self.starts.__getitem__, numbers)))
            self.completed.fromlist(numbers)
            self.completed_codes.extend(codes)
            return
        samples.invoke_ns.fromlist(list(map(self.invoked_at.__getitem__, numbers)))
        _each(map(self.last.__setitem__, numbers, codes))
        acknowledged = list(compress(numbers, ok))
        _each(map(self.acked.__setitem__, acknowledged, repeat(1)))
        _each(map(self.acked_at.__setitem__, acknowledged, compress(t_ns, ok)))

    def probe(
        self, type_: Type, name: str, process: str | None, value: str | None, t_ns: int, detail: str = ""
    ) -> None:
        """A probe's invoke or completion: the steady-state probe, or a link's (``value``: its component);
        ``detail``: what a failed one said (the verdicts quote it)."""
        if process is None:
            return
        self.probe_ids.add(process)
        if name == LINK:
            if not value:
                return
            self.links.setdefault(value, [])
            self._pair(
                self.pending_links.setdefault(value, {}), self.links[value], type_, process, t_ns, detail
            )
        else:
            self._pair(self.pending_probes, self.probes, type_, process, t_ns, detail)

    @staticmethod
    def _pair(
        pending: dict[str, int], found: list[Sample], type_: Type, key: str, t_ns: int, detail: str
    ) -> None:
        if type_ is _INVOKE:
            pending[key] = t_ns
        elif type_ in _COMPLETIONS and key in pending:
            found.append(Sample(pending.pop(key), t_ns, type_ is _OK, detail, source=PROBE_SOURCE))

    def other(self, event: Event) -> None:
        """Any other event, kept as it is; the final read feeds the ledger, and is kept without its lists of
        units (the ledger holds them, each id once). The golden set's units are the drill's own, as the probes'
        are."""
        if event.kind is Kind.CHECK and event.name == GOLDEN_SET and event.type is Type.INVOKE:
            self.probe_ids.update(own_units(event))
        if event.kind is Kind.READ and event.name == FINAL_READ:
            if event.type is Type.OK:
                self.read_done, self.read_failure = True, None
                held, done = event.data.get("held", []), event.data.get("done", [])
                # the same list twice (all that is held was done) is read once
                if self.index is None:
                    held_set = _listed(held)
                    self.read_sets = held_set, held_set if done == held else _listed(done)
                else:
                    self.held = self._known(held)
                    self.done = self.held if done == held else self._known(done)
            elif event.type in (Type.FAIL, Type.INFO):  # an invocation alone is a read still in flight
                self.read_failure = str(event.data.get("why", "the final read failed"))
            kept = {key: value for key, value in event.data.items() if key not in _READ_LISTS}
            event = replace(event, data=kept)
        self.events.append(event)

    def _known(self, units: Iterable[object]) -> bytearray:
        """The units of the final read, as a mask by unit number (a unit never written is numbered too: it is
        the store's own)."""
        if isinstance(units, msgspec.Raw):  # a list still undecoded (see _final_read)
            units = msgspec.json.decode(units)  # what json would have made of it, list or not
        numbers = array("q", map(self._indexed().__getitem__, map(str, units)))
        listed = bytearray(len(self.ids))
        _each(map(listed.__setitem__, numbers, repeat(1)))
        return listed

    def _less_probes(self, listed: bytearray) -> bytearray:
        """A final read's mask, as long as the units numbered, less the probes' own units (they check the
        path, they are not workload)."""
        index = self._indexed()
        listed = listed + bytes(len(self.ids) - len(listed))
        for process in self.probe_ids:
            n = index.get(process)
            if n is not None:
                listed[n] = 0
        return listed

    def _indexed(self) -> _Index:
        """The map from unit ids to their numbers, made from the numbers given so far if the fold ran without
        it. A unit invoked again after it completed was given a second number: its state (its last invoke,
        its last completion, its last acknowledgement) goes to its first, and the second is left empty. The
        final read's lists kept as sets become masks."""
        if self.index is not None:
            return self.index
        ids = self.ids
        numbered = len(ids)
        self._reserve(0)  # the per-unit columns, from the starts and the completions
        self.invoked_at[:numbered] = self.starts[:numbered]
        self.attempted[:numbered] = bytes([1]) * numbered
        _each(map(self.last.__setitem__, self.completed, self.completed_codes))
        ok = self.completed_codes.translate(_IS_OK)
        acknowledged = list(compress(self.completed, ok))
        _each(map(self.acked.__setitem__, acknowledged, repeat(1)))
        _each(map(self.acked_at.__setitem__, acknowledged, compress(self.samples.complete_ns, ok)))
        self.completed, self.completed_codes = array("q"), bytearray()
        index = self.index = _Index(ids)
        firsts = list(map(index.setdefault, ids, count()))  # by number: the first number of its unit
        if len(index) != len(ids):
            for number in compress(count(), map(ne, firsts, count())):  # a later number of a unit, in order
                self._merge(number, firsts[number])
            self.in_flight = {unit: firsts[number] for unit, number in self.in_flight.items()}
        if self.read_sets is not None:
            held, done = self.read_sets
            self.read_sets = None
            self.held = self._known(held)
            self.done = self.held if done is held else self._known(done)
        return index

    def _merge(self, number: int, into: int) -> None:
        """Move a unit's state from a later number to its first (a later invoke, completion or acknowledgement
        replaces the earlier), and leave the later one empty."""
        self.invoked_at[into] = self.invoked_at[number]
        if self.last[number] != -1:
            self.last[into] = self.last[number]
        if self.acked[number]:
            self.acked[into], self.acked_at[into] = 1, self.acked_at[number]
        self.attempted[number], self.last[number], self.acked[number] = 0, -1, 0

    def _ledger(self, ids: list[str], held: bytearray, done: bytearray) -> Ledger:
        """The ledger, from the per-unit columns and the final read's masks: each unit's last completion says
        which set it is in; a unit invoked and never completed is indeterminate. Sets that hold the same units
        are one set (the final read of a drill that lost nothing lists what was acknowledged)."""
        numbered = len(ids)
        attempted, acked = self.attempted[:numbered], self.acked[:numbered]
        last = self.last[:numbered].tobytes()

        def units(mask: bytes | bytearray) -> frozenset[str]:
            return frozenset(compress(ids, mask))  # in the order numbered, from ids side by side in memory

        acknowledged_mask = _was(last, _OK_CODE)
        acknowledged = units(acknowledged_mask)
        read = acknowledged if held == acknowledged_mask else units(held)
        processed = read if done is held or done == held else units(done)
        never = _both(attempted, _was(last, -1))
        return Ledger(
            attempted=units(attempted),
            acknowledged=acknowledged,
            failed=units(_was(last, _CODE[Type.FAIL])),
            indeterminate=units(_was(last, _CODE[Type.INFO])) | units(never),
            read=read,
            processed=processed,
            read_done=self.read_done,
            ack_ns=AckTimes(list(compress(ids, acked)), array("q", compress(self.acked_at, acked))),
            read_failure=self.read_failure if not self.read_done else None,
        )

    def _ledger_of_sets(self) -> Ledger | None:
        """The ledger of a fold numbered without the map: each write completed at most once, so a completion's
        outcome is its unit's last, and the writes never completed are those still in flight; every number is
        in one of those sets, so they hold as many ids as were numbered unless a unit was invoked twice (None:
        see :meth:`_indexed`). The final read's sets, less the probes' units, are matched with them, so that
        they hold the ids the fold keeps."""
        ids, numbers, codes = self.ids, self.completed, self.completed_codes

        def units(mask: bytes | bytearray) -> list[str]:
            return list(map(ids.__getitem__, compress(numbers, mask)))

        ok = codes.translate(_IS_OK)
        acked = units(ok)
        acknowledged = frozenset(acked)
        failed = frozenset(units(codes.translate(_IS_FAIL)))
        indeterminate = frozenset(units(codes.translate(_IS_INFO))).union(self.in_flight)
        attempted = acknowledged.union(failed, indeterminate)
        if len(attempted) != len(ids):
            return None
        read: frozenset[str] = frozenset()
        processed = read
        if self.read_sets is not None:
            held, done = self.read_sets
            self.read_sets = None  # the read's own copies of the ids are let go as soon as they are matched
            read = _kept(held, self.probe_ids, attempted, acknowledged)
            processed = read if done is held else _kept(done, self.probe_ids, attempted, acknowledged)
            del held, done
        return Ledger(
            attempted=attempted,
            acknowledged=acknowledged,
            failed=failed,
            indeterminate=indeterminate,
            read=read,
            processed=processed,
            read_done=self.read_done,
            ack_ns=AckTimes(acked, array("q", compress(self.samples.complete_ns, ok))),
            read_failure=self.read_failure if not self.read_done else None,
        )

    def folded(self) -> Folded:
        self.probes.sort(key=lambda s: s.invoke_ns)
        for samples in self.links.values():
            samples.sort(key=lambda s: s.invoke_ns)
        ledger = self._ledger_of_sets() if self.index is None else None
        if ledger is None:
            self._indexed()  # (the final read's sets become masks)
            held = self._less_probes(self.held)
            done = held if self.done is self.held else self._less_probes(self.done)
            self.index = None  # the map to the numbers is done with (the ids live on in ``ids``)
            ledger = self._ledger(self.ids, held, done)
        links = {component: self.links[component] for component in sorted(self.links)}
        return Folded(
            self.probes,
            links,
            self.samples,
            self.events,
            ledger,
            self.starts,
            self.lags,
            frozenset(self.probe_ids),
        )


_STRINGS = msgspec.json.Decoder(list[str])


def _listed(units: Any) -> frozenset[str]:
    """A final read's list of units, as a set (see :meth:`_Folder._known`)."""
    if isinstance(units, msgspec.Raw):
        try:
            return frozenset(_STRINGS.decode(units))  # a list of strings, as the final read writes it
        except msgspec.ValidationError:
            units = msgspec.json.decode(units)
    return frozenset(map(str, units))


def _kept(
    listed: frozenset[str], probes: set[str], attempted: frozenset[str], acknowledged: frozenset[str]
) -> frozenset[str]:
    """A final read's set less the probes' units, holding the ids the fold keeps for those written (the
    acknowledged set itself, when it is the same)."""
    if not listed.isdisjoint(probes):
        listed -= probes
    if listed == acknowledged:
        return acknowledged
    written = attempted - (attempted - listed)  # iterates attempted: its copies of the ids
    others = listed - attempted  # never written: the read's own
    return written | others if others else written


def _was(last: bytes, code: int) -> bytes:
    """A mask of the units whose last completion has this code (-1: none), from their codes."""
    return last.translate(bytes(int(b == code % 256) for b in range(256)))


def _both(a: bytes | bytearray, b: bytes | bytearray) -> bytes:
    """Two masks of the same length, and-ed (as two numbers, in C)."""
    return (int.from_bytes(a) & int.from_bytes(b)).to_bytes(len(a))


def fold(events: Iterable[Event]) -> Folded:
    """Fold a journal held in memory (the events of a drill that just ran)."""
    folder = _Folder()
    with collector_paused():
        folder.records(list(events), _event_due, _as_is)
        return folder.folded()


def _event_due(event: Event) -> int | None:
    due = event.data.get(DUE)
    return due if type(due) is int else None


def _as_is(_: int, event: Event) -> Event:
    return event


def _no_whole(_: int, record: Any) -> Event:
    raise AssertionError(f"an operation is never read whole: {record!r}")  # pragma: no cover


class JournalLineError(ValueError):
    """A line of a journal file that is not an event; the message names the line."""


class _Due(msgspec.Struct, frozen=True, gc=False):
    """What a line's ``data`` says that the fold reads from every line: a write's due time."""

    due_ns: int | None = None


class _Line(msgspec.Struct, gc=False):
    """A journal line as the fold reads it (every event but the rare ones kept whole, which are read again in
    full). The kind and the type are decoded as the journal's enums (no string made per line; a line with
    another kind or type is no event, and its run is read line by line). Not tracked by the garbage
    collector: a run makes thousands, and they hold no cycle."""

    t_ns: int
    kind: Kind
    type: Type
    name: str
    process: str | None = None
    value: str | None = None
    data: _Due = _Due()


_LINES = msgspec.json.Decoder(_Line)
_LINE_DUE = attrgetter("data.due_ns")
BATCH = 1024  # lines decoded at once (about 256 KiB of a journal: see fold_blocks)


def fold_lines(lines: Iterable[str | bytes]) -> Folded:
    """Fold the JSON lines of a journal file as they stream by (blank lines are skipped); see
    :func:`fold_blocks`, which reads a file faster."""
    folder = _Folder(indexed=False)
    batch: list[str | bytes] = []
    first = 1  # the number of the batch's first line
    with collector_paused():
        for line in lines:
            batch.append(line)
            if len(batch) == BATCH:
                first = _fold_joined(folder, batch, first)
                batch = []
        if batch:
            _fold_joined(folder, batch, first)
        return folder.folded()


def fold_blocks(blocks: Iterable[bytes]) -> Folded:
    """Fold a journal file read in blocks of any size (``iter(partial(file.read, 1 << 18), b"")`` on a file
    opened in binary mode), as they stream by. Blocks of 128 to 256 KiB fold fastest: a run that small stays
    in the processor's caches while it is folded (a million-write journal folded in 3.4 s of CPU read in 256 KiB
    blocks, 4.0 s in 4 MiB ones, 4.7 s in 16 MiB ones).

    Each run of whole lines is decoded at once by msgspec into the few fields the fold reads, and folded in one
    pass in journal order; the rare events kept whole are decoded again in full, as JSON. Lines that
    msgspec cannot decode as the journal writes them are read line by line as JSON instead, so a line reads the
    same either way, and a line that is no event is named by its number.
    """
    folder = _Folder(indexed=False)
    first = 1
    rest: list[bytes | memoryview] = []  # the start of a line not yet whole: a long one (a final read) comes
    # in many blocks, joined once
    with collector_paused():
        for block in blocks:
            cut = block.rfind(b"\n")
            if cut < 0:
                rest.append(block)
                continue
            lines = block.count(b"\n")  # all before the cut: the rest holds none
            start = 0
            if rest:  # a line that began in an earlier block (a long one: a final read) is folded alone
                start = block.find(b"\n") + 1
                line = b"".join([*rest, memoryview(block)[:start]])
                rest = []  # (its pieces freed before the fold: a long line is not held twice)
                first = _fold_block(folder, line, first, 1)
                lines -= 1
                del line
            text = memoryview(block)[start : cut + 1]  # the lines read where they are
            rest = [block[cut + 1 :]] if cut + 1 < len(block) else []
            first = _fold_block(folder, text, first, lines)
            del text
        if rest:
            _fold_block(folder, b"".join(rest), first, 1)
        return folder.folded()


def _fold_joined(folder: _Folder, batch: list[str | bytes], first: int) -> int:
    """Fold lines as one text, each ending with a newline (the last line of a file may lack one, and lines split
    off a text may all lack theirs); the number of the line after."""
    encoded = (line if isinstance(line, bytes) else line.encode() for line in batch)
    text = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in encoded)
    return _fold_block(folder, text, first, text.count(b"\n"))


def _fold_block(folder: _Folder, text: bytes | memoryview, first: int, lines: int) -> int:
    """Fold the ``lines`` lines of ``text``, the first of them line number ``first``; the number of the line
    after."""
    try:
        decoded = _LINES.decode_lines(text)
    except msgspec.MsgspecError:  # not as the journal writes it: read as JSON, line by line
        events = [_event(line, number) for number, line in _numbered(bytes(text), first)]
        folder.records(events, _event_due, _as_is)
        return first + lines
    numbered: list[tuple[int, bytes]] = []  # split only for a line read whole (few are)

    def whole(position: int, record: _Line) -> Event:
        if not numbered:
            numbered.extend(_numbered(bytes(text), first))  # decode_lines skips blank lines: count them
        number, line = numbered[position]
        if record.kind is Kind.READ and record.name == FINAL_READ:
            return _final_read(line, number)
        return _event(line, number)

    folder.lines(decoded, whole)
    return first + lines


def _numbered(text: bytes, first: int) -> list[tuple[int, bytes]]:
    """The lines of ``text`` that are not blank, with their numbers (a text of one line is not copied: a final
    read's may be a hundred megabytes)."""
    if text.find(b"\n") in (-1, len(text) - 1):
        return [(first, text)] if text and not text.isspace() else []
    return [(number, line) for number, line in enumerate(text.split(b"\n"), start=first) if line.strip()]


class _ReadLine(msgspec.Struct, gc=False):
    """A final read's line as :func:`_final_read` reads it, in one pass: the values of its data left undecoded,
    the fields of an event as JSON reads them (one absent stays absent)."""

    seq: Any = msgspec.UNSET
    t_ns: Any = msgspec.UNSET
    utc: Any = msgspec.UNSET
    kind: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    name: Any = msgspec.UNSET
    process: Any = msgspec.UNSET
    value: Any = msgspec.UNSET
    data: dict[str, msgspec.Raw] = {}


_READ_LINE = msgspec.json.Decoder(_ReadLine)
_READ_FIELDS = tuple(f for f in _ReadLine.__struct_fields__ if f != "data")


def _final_read(line: bytes, number: int) -> Event:
    """A final read's line, its lists of units left undecoded (:class:`msgspec.Raw`, a view of the line) for
    the fold to decode one at a time: a million-unit read makes its strings one list at a time, not both at
    once. Any line msgspec will not read so is read as JSON."""
    try:
        read = _READ_LINE.decode(line)
        fields = {field: getattr(read, field) for field in _READ_FIELDS}
        raw: dict[str, Any] = {key: value for key, value in fields.items() if value is not msgspec.UNSET}
        raw["data"] = {
            key: value if key in _READ_LISTS else msgspec.json.decode(value)
            for key, value in read.data.items()
        }
        return Event.from_json(raw)
    except (msgspec.MsgspecError, ValueError, KeyError, TypeError):
        return _event(line, number)


def _event(line: str | bytes, number: int) -> Event:
    try:
        raw: Any = json.loads(line)
        return Event.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise JournalLineError(f"journal line {number}: not an event ({type(exc).__name__}: {exc})") from None
