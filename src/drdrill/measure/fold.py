"""The journal folded once: every operation paired in one pass, kept compact, ready for every figure.

A drill at a thousand writes a second journals millions of events. Measuring re-paired them for each figure
(the probes, the samples, the ledger) from a list of :class:`~drdrill.journal.Event` objects; here one pass
pairs each operation (Jepsen's invoke with its completion) as it streams by and keeps only what the figures
read: the probes and the links' probes as samples (there are few), the writes as parallel arrays of invocation
and completion times (there are many: a sample object is made only for the writes the fault window judges),
the ledger's sets of unit ids (each id stored once), each write's start and start lag, and the rare events
(phases, faults, signals, steps, replica events, notes) as they are.

:func:`fold` folds events in memory (a drill that just ran); :func:`fold_lines` streams the JSON lines of a
journal file, decoded a batch at a time by msgspec into the few fields the fold reads, without an event per
line. Both give the same :class:`Folded`, so the same scorecard. Pure: the caller opens the file.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, KeysView
from dataclasses import dataclass, field, replace
from itertools import compress, repeat
from operator import and_, attrgetter, eq, is_not, lt, not_, sub
from typing import Any

import msgspec

from drdrill.journal import DUE, FINAL_READ, LINK, SUBMIT, Event, Kind, Type
from drdrill.measure.ledger import Ledger
from drdrill.measure.timeline import PROBE_SOURCE, WRITE_SOURCE, Sample

_COMPLETIONS = frozenset({Type.OK.value, Type.FAIL.value, Type.INFO.value})
_TYPES = frozenset(t.value for t in Type)
_CODE = {t.value: n for n, t in enumerate(Type)}  # a write event's type, as one byte in the fold's columns
_COMPLETION_CODES = frozenset(_CODE[t] for t in _COMPLETIONS)
_OP = Kind.OP.value
_PROBE = Kind.PROBE.value
_INVOKE = Type.INVOKE.value
_OK = Type.OK.value
_READ_LISTS = ("held", "done")  # a final read's lists of units, which the ledger keeps instead


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
        chosen = [
            i for i in range(len(ok)) if complete[i] >= start_ns and (end_ns is None or invoke[i] < end_ns)
        ]
        chosen.sort(key=invoke.__getitem__)
        return [
            Sample(invoke_ns=invoke[i], complete_ns=complete[i], ok=bool(ok[i]), source=WRITE_SOURCE)
            for i in chosen
        ]


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
    """The one pass. Writes go into columns in journal order (each unit id kept once) and are paired when the
    journal ends (:meth:`_pair_writes`); probes are paired as they come; the rest is kept as it is."""

    def __init__(self) -> None:
        self.units: dict[str, str] = {}  # every unit id seen, mapped to the one copy kept
        self.codes = array("b")  # each write event's type (_CODE), in journal order
        self.values: list[str] = []  # each write event's unit
        self.times = array("q")  # each write event's time
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
        self.held: frozenset[str] = frozenset()
        self.done: frozenset[str] = frozenset()

    def write(self, type_: str, unit: str, t_ns: int, due_ns: int | None = None) -> None:
        """A workload write's invoke (with when it was due, if the journal says) or completion."""
        self.codes.append(_CODE[type_])
        self.values.append(self.units.setdefault(unit, unit))
        self.times.append(t_ns)
        if type_ == _INVOKE:
            self.starts.append(t_ns)
            if due_ns is not None:
                self.lags.append(t_ns - due_ns)

    def writes(self, types: list[str], units: list[str], times: list[int], dues: list[int | None]) -> None:
        """Many writes at once, in journal order (a batch of lines): :meth:`write` for each, without a call
        per write."""
        codes = list(map(_CODE.__getitem__, types))
        self.codes.extend(codes)
        self.values.extend(map(self.units.setdefault, units, units))
        self.times.extend(times)
        invokes = list(map(eq, codes, repeat(_CODE[_INVOKE])))
        self.starts.extend(compress(times, invokes))
        due = list(map(and_, invokes, map(is_not, dues, repeat(None))))
        self.lags.extend(map(sub, compress(times, due), compress(dues, due)))

    def probe(
        self, type_: str, name: str, process: str | None, value: str | None, t_ns: int, detail: str = ""
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
        pending: dict[str, int], found: list[Sample], type_: str, key: str, t_ns: int, detail: str
    ) -> None:
        if type_ == _INVOKE:
            pending[key] = t_ns
        elif type_ in _COMPLETIONS and key in pending:
            found.append(Sample(pending.pop(key), t_ns, type_ == _OK, detail, source=PROBE_SOURCE))

    def other(self, event: Event) -> None:
        """Any other event, kept as it is; the final read feeds the ledger, and is kept without its lists of
        units (the ledger holds them, each id once)."""
        if event.kind is Kind.READ and event.name == FINAL_READ:
            if event.type is Type.OK:
                self.read_done, self.read_failure = True, None
                units = self.units.get
                self.held = frozenset(map(units, held := list(map(str, event.data.get("held", []))), held))
                self.done = frozenset(map(units, done := list(map(str, event.data.get("done", []))), done))
            elif event.type in (Type.FAIL, Type.INFO):  # an invocation alone is a read still in flight
                self.read_failure = str(event.data.get("why", "the final read failed"))
            kept = {key: value for key, value in event.data.items() if key not in _READ_LISTS}
            event = replace(event, data=kept)
        self.events.append(event)

    def event(self, event: Event) -> None:
        """One event of an in-memory journal."""
        if event.kind is Kind.OP and event.name == SUBMIT and event.value is not None:
            due = event.data.get(DUE) if event.type is Type.INVOKE else None
            self.write(event.type.value, event.value, event.t_ns, due if type(due) is int else None)
        elif event.kind is Kind.PROBE:
            detail = (
                ""
                if event.type is not Type.FAIL and event.type is not Type.INFO
                else event.data.get("detail")
            )
            self.probe(
                event.type.value, event.name, event.process, event.value, event.t_ns, str(detail or "")
            )
        elif event.kind is not Kind.OP:
            self.other(event)

    def _pair_writes(self) -> _Writes:
        """The writes paired invoke -> completion as one pass in journal order pairs them (see
        :meth:`_pair_in_order`), and the ledger's sets. Done with whole columns at once when each unit is
        invoked at most once and completed at most once (a drill's journal): then a completion pairs exactly
        when its unit's invoke came before it."""
        codes, values, times = self.codes, self.values, self.times
        is_invoke = list(map(eq, codes, repeat(_CODE[_INVOKE])))
        is_other = list(map(not_, is_invoke))
        end = len(codes)
        invoked_at = dict(zip(compress(values, is_invoke), compress(range(end), is_invoke), strict=True))
        completed = list(compress(values, is_other))
        types = array("b", compress(codes, is_other))
        last = dict(zip(completed, types, strict=True))
        if len(invoked_at) != sum(is_invoke) or len(last) != len(completed):
            return self._pair_in_order()
        at = array("q", compress(times, is_other))
        before = map(lt, map(invoked_at.get, completed, repeat(end)), compress(range(end), is_other))
        paired = list(map(and_, before, map(_COMPLETION_CODES.__contains__, types)))
        samples = WriteSamples(
            array("q", map(times.__getitem__, map(invoked_at.__getitem__, compress(completed, paired)))),
            array("q", compress(at, paired)),
            bytearray(map(eq, compress(types, paired), repeat(_CODE[_OK]))),
        )

        def of_type(name: str) -> list[bool]:
            return list(map(eq, types, repeat(_CODE[name])))

        ok, failed, info = of_type(_OK), of_type(Type.FAIL.value), of_type(Type.INFO.value)
        return _Writes(
            samples,
            attempted=frozenset(invoked_at),
            acknowledged=frozenset(compress(completed, ok)),
            failed=frozenset(compress(completed, failed)),
            info=frozenset(compress(completed, info)),
            completed=last.keys(),
            ack_ns=dict(zip(compress(completed, ok), compress(at, ok), strict=True)),
        )

    def _pair_in_order(self) -> _Writes:
        """:meth:`_pair_writes` event by event: an invoke waits for its unit's next completion (a later invoke
        of the same unit replaces it); any event but an invoke is the unit's last completion so far."""
        samples = WriteSamples()
        pending: dict[str, int] = {}
        attempted: set[str] = set()
        last: dict[str, int] = {}
        ack_ns: dict[str, int] = {}
        invoke, ok = _CODE[_INVOKE], _CODE[_OK]
        for code, unit, t_ns in zip(self.codes, self.values, self.times, strict=True):
            if code == invoke:
                pending[unit] = t_ns
                attempted.add(unit)
                continue
            last[unit] = code
            if code == ok:
                ack_ns[unit] = t_ns
            if code in _COMPLETION_CODES and unit in pending:
                samples.invoke_ns.append(pending.pop(unit))
                samples.complete_ns.append(t_ns)
                samples.ok.append(code == ok)

        def with_type(name: str) -> frozenset[str]:
            return frozenset(unit for unit, code in last.items() if code == _CODE[name])

        return _Writes(
            samples,
            attempted=frozenset(attempted),
            acknowledged=with_type(_OK),
            failed=with_type(Type.FAIL.value),
            info=with_type(Type.INFO.value),
            completed=last.keys(),
            ack_ns=ack_ns,
        )

    def folded(self) -> Folded:
        self.probes.sort(key=lambda s: s.invoke_ns)
        for samples in self.links.values():
            samples.sort(key=lambda s: s.invoke_ns)
        writes = self._pair_writes()
        ledger = Ledger(
            attempted=writes.attempted,
            acknowledged=writes.acknowledged,
            failed=writes.failed,
            indeterminate=writes.info | (writes.attempted - writes.completed),
            read=self.held - self.probe_ids,
            processed=self.done - self.probe_ids,
            read_done=self.read_done,
            ack_ns=writes.ack_ns,
            read_failure=self.read_failure if not self.read_done else None,
        )
        links = {component: self.links[component] for component in sorted(self.links)}
        return Folded(
            self.probes,
            links,
            writes.samples,
            self.events,
            ledger,
            self.starts,
            self.lags,
            frozenset(self.probe_ids),
        )


@dataclass(frozen=True)
class _Writes:
    """The writes paired, and the ledger's sets of units: each unit's last completion says which it is in."""

    samples: WriteSamples
    attempted: frozenset[str]
    acknowledged: frozenset[str]
    failed: frozenset[str]
    info: frozenset[str]
    completed: KeysView[str]  # every unit that has a completion
    ack_ns: dict[str, int]  # when each unit was (last) acknowledged


def fold(events: Iterable[Event]) -> Folded:
    """Fold a journal held in memory (the events of a drill that just ran)."""
    folder = _Folder()
    for event in events:
        folder.event(event)
    return folder.folded()


class JournalLineError(ValueError):
    """A line of a journal file that is not an event; the message names the line."""


class _Due(msgspec.Struct, frozen=True, gc=False):
    """What a line's ``data`` says that the fold reads from every line: a write's due time."""

    due_ns: int | None = None


class _Line(msgspec.Struct, gc=False):
    """A journal line as the fold reads it (every event but the rare ones kept whole, which are read again in
    full). Not tracked by the garbage collector: a batch makes thousands, and they hold no cycle."""

    t_ns: int
    kind: str
    type: str
    name: str
    process: str | None = None
    value: str | None = None
    data: _Due = _Due()


_LINES = msgspec.json.Decoder(_Line)
_IS_WRITE = attrgetter("kind", "name")
_WRITE = (_OP, SUBMIT)
_TYPE, _VALUE, _T_NS, _DUE_NS = (
    attrgetter("type"),
    attrgetter("value"),
    attrgetter("t_ns"),
    attrgetter("data.due_ns"),
)
BATCH = 8192  # lines decoded at once


def fold_lines(lines: Iterable[str | bytes]) -> Folded:
    """Fold the JSON lines of a journal file as they stream by (blank lines are skipped); see
    :func:`fold_blocks`, which reads a file faster."""
    folder = _Folder()
    batch: list[str | bytes] = []
    first = 1  # the number of the batch's first line
    for line in lines:
        batch.append(line)
        if len(batch) == BATCH:
            first = _fold_block(folder, _joined(batch), first)
            batch = []
    if batch:
        _fold_block(folder, _joined(batch), first)
    return folder.folded()


def fold_blocks(blocks: Iterable[bytes]) -> Folded:
    """Fold a journal file read in blocks of any size (``iter(partial(file.read, 1 << 22), b"")`` on a file
    opened in binary mode), as they stream by.

    Each run of whole lines is decoded at once by msgspec into the few fields the fold reads, and its writes go
    into the fold's columns at once; the rare events kept whole are decoded again in full, as JSON. Lines that
    msgspec cannot decode as the journal writes them are read line by line as JSON instead, so a line reads the
    same either way, and a line that is no event is named by its number.
    """
    folder = _Folder()
    first = 1
    rest = b""
    for block in blocks:
        cut = block.rfind(b"\n")
        if cut < 0:
            rest += block
            continue
        first = _fold_block(folder, rest + block[: cut + 1], first)
        rest = block[cut + 1 :]
    if rest:
        _fold_block(folder, rest, first)
    return folder.folded()


def _joined(batch: list[str | bytes]) -> bytes:
    """Lines as one text, each ending with a newline (the last line of a file may lack one, and lines split
    off a text may all lack theirs)."""
    encoded = (line if isinstance(line, bytes) else line.encode() for line in batch)
    return b"".join(line if line.endswith(b"\n") else line + b"\n" for line in encoded)


def _fold_block(folder: _Folder, text: bytes, first: int) -> int:
    """Fold the lines of ``text``, the first of them line number ``first``; the number of the line after."""
    lines = text.split(b"\n")
    after = first + len(lines) - (lines[-1] == b"")
    try:
        decoded = _LINES.decode_lines(text)
    except msgspec.MsgspecError:  # not as the journal writes it: read as JSON, line by line
        for number, line in enumerate(lines, start=first):
            if line.strip():
                folder.event(_event(line, number))
        return after
    # The writes (nearly every line of a large journal) at once; then the rest, in order. Writes only ever pair
    # with writes, so the two need not interleave.
    is_write = list(
        map(
            all,
            zip(
                map(eq, map(_IS_WRITE, decoded), repeat(_WRITE)),
                map(is_not, map(_VALUE, decoded), repeat(None)),
                map(_TYPES.__contains__, map(_TYPE, decoded)),
                strict=True,
            ),
        )
    )
    writes = list(compress(decoded, is_write))
    folder.writes(
        list(map(_TYPE, writes)),
        list(map(_VALUE, writes)),
        list(map(_T_NS, writes)),
        list(map(_DUE_NS, writes)),
    )
    numbered: list[tuple[int, bytes]] | None = None
    for i in compress(range(len(decoded)), map(not_, is_write)):
        s = decoded[i]
        if s.type in _TYPES:
            if s.kind == _PROBE and s.type in (_INVOKE, _OK):  # a failed probe is read whole: what it said
                folder.probe(s.type, s.name, s.process, s.value, s.t_ns)
                continue
            if s.kind == _OP:  # not a write of the workload: nothing measures it
                continue
        # Any other event is read whole, as JSON (which also says why a kind or a type is none of the journal's).
        if after - first == len(decoded):  # no blank line: the i-th line read is the i-th line
            number, line = first + i, lines[i]
        else:  # decode_lines skips blank lines
            if numbered is None:
                numbered = [(first + j, line) for j, line in enumerate(lines) if line.strip()]
            number, line = numbered[i]
        folder.event(_event(line, number))
    return after


def _event(line: str | bytes, number: int) -> Event:
    try:
        raw: Any = json.loads(line)
        return Event.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise JournalLineError(f"journal line {number}: not an event ({type(exc).__name__}: {exc})") from None
