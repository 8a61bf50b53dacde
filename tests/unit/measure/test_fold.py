"""The one-pass fold gives the scorecard the old fold gave: on real drills' journals and on generated ones.

The oracle is :mod:`tests.unit.measure.reference_fold`, a frozen copy of the measurement before the fold. Each
journal is measured three ways: by the oracle from its events, by :func:`measure` from its events, and by
:func:`measure` from its file's lines streamed through :func:`fold_lines`; the measurements, the verdicts and the
scorecards built from them must be identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drdrill.clock import FakeClock
from drdrill.journal import (
    DUE,
    FAILOVER,
    FINAL_READ,
    LINK,
    SUBMIT,
    Event,
    Journal,
    Kind,
    Phase,
    Type,
    read_journal,
)
from drdrill.measure import fold as fold_module
from drdrill.measure.fold import Folded, JournalLineError, fold, fold_blocks, fold_lines
from drdrill.measure.ledger import Ledger
from drdrill.measure.timeline import Criterion, FaultWindow, Sample, time_to_detect_by_criteria
from drdrill.measure.verdicts import DrillEnd, Measurements, Objectives, judge, measure
from drdrill.plan import Plan, load_plan
from drdrill.report.scorecard import build_scorecard
from tests.unit.measure import reference_fold

ROOT = Path(__file__).resolve().parents[3]
JOURNALS = sorted((ROOT / "tests" / "unit" / "data" / "journals").glob("*.jsonl"))
MS = 1_000_000
S = 1_000_000_000


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


def objectives(
    steady_ms: int = 5000, slow_factor: float | None = 10.0, component: str | None = None
) -> Objectives:
    criteria = (
        Criterion("error_rate", 1 * S, above=0.5),
        Criterion("latency", 2 * S, factor=3.0),
        Criterion("error_rate", 1 * S, above=0.2, component=component),
    )
    return Objectives(
        rto_ns=4 * 3600 * S,
        rpo_ns=0,
        recovery_bound_ns=30 * S,
        steady_window_ns=steady_ms * MS,
        slow_factor=slow_factor,
        criteria=criteria,
    )


def _measured_three_ways(events: list[Event], lines: list[str], o: Objectives) -> list[Measurements]:
    args = (o.steady_window_ns, o.slow_factor, o.criteria, o.criteria_match_all, o.steps)
    text = "".join(lines).encode()
    return [
        reference_fold.measure(events, *args),
        measure(events, *args),
        measure(fold_blocks(text[i : i + 4096] for i in range(0, len(text), 4096)), *args),
    ]


def _scorecard_json(plan: Plan, events: list[Event], m: Measurements, o: Objectives) -> str:
    verdicts = judge(m, o, DrillEnd())
    card = build_scorecard(
        plan=plan,
        scenario=plan.scenarios["provider-outage"],
        run_id="fold",
        status="passed" if all(v.passed for v in verdicts) else "failed",
        error=None,
        objectives=o,
        measurements=m,
        verdicts=verdicts,
        events=events,
        faults=["down primary-provider"],
        cleanup=[],
        environment={"python": "3", "platform": "test"},
    )
    return card.dumps()


def _assert_same(plan: Plan, events: list[Event], lines: list[str], o: Objectives) -> None:
    old, new, streamed = _measured_three_ways(events, lines, o)
    # what the old fold did not measure at all (the workload's schedule, the host) is not compared
    new, streamed = (replace(m, workload=None, host=None) for m in (new, streamed))
    assert new == old
    assert streamed == old
    assert new.ledger.ack_ns == old.ledger.ack_ns == streamed.ledger.ack_ns  # not part of the ledger's ==
    assert judge(new, o) == judge(old, o) == judge(streamed, o)
    expected = _scorecard_json(plan, events, old, o)
    assert _scorecard_json(plan, events, new, o) == expected
    assert _scorecard_json(plan, events, streamed, o) == expected


@pytest.mark.parametrize("path", JOURNALS, ids=[p.stem for p in JOURNALS])
@pytest.mark.parametrize(("steady_ms", "slow_factor"), [(5000, 10.0), (500, None), (20000, 2.0)])
def test_a_real_drills_journal_gives_the_old_scorecard(
    plan: Plan, path: Path, steady_ms: int, slow_factor: float | None
) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    events = read_journal(lines)
    assert len(events) > 200  # a whole drill, not a fragment
    _assert_same(plan, events, lines, objectives(steady_ms, slow_factor))


def test_the_real_journals_cover_writes_probes_faults_steps_and_the_final_read() -> None:
    kinds = {Event.from_json(json.loads(line)).kind for p in JOURNALS for line in p.read_text().splitlines()}
    assert {Kind.OP, Kind.PROBE, Kind.FAULT, Kind.STEP, Kind.READ, Kind.SIGNAL, Kind.REPLICA} <= kinds


# -- generated journals ------------------------------------------------------------------------------------

# Keys include what makes a JSON line hard to read by hand: quotes, commas, backslashes, non-ASCII.
keys = st.one_of(
    st.sampled_from(["u1", "u2", "u3", "p1", "p2", 'q"1', 'a, "b', "back\\slash", "ünï", "x}y", ""]),
    st.text(min_size=0, max_size=6),
)


# One operation: (source, key, invoked ms, took ms, completion: ok / fail / info / never)
# Times in ms, half of them on the criteria's 50 ms grid, so that samples land on the edges of its windows.
def times(most: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, most), st.integers(0, most // 50).map(lambda n: n * 50))


operation = st.tuples(
    st.sampled_from(["write", "probe", "link:llm-main", "link:db"]),
    keys,
    times(20_000),
    times(3000),
    st.sampled_from(["ok", "ok", "ok", "fail", "info", "never", "start"]),
)


Op = tuple[str, str, int, int, str]


def _operations(ops: list[Op], at: Callable[..., None]) -> list[str]:
    """Journal each operation (an invoke, then its completion unless it never came); the units written."""
    written: list[str] = []
    for source, key, invoked, took, drawn in ops:
        outcome = drawn
        if source == "write":
            written.append(key)
            at(invoked, Kind.OP, Type.INVOKE, SUBMIT, value=key, process="workload")
            if outcome == "start":  # not a completion: pairs nothing, yet the ledger counts it as one
                at(invoked + took // 2, Kind.OP, Type.START, SUBMIT, value=key, process="workload")
                outcome = "ok"
            if outcome != "never":
                data = {"detail": "HTTP 201"} if outcome == "ok" else {}
                at(invoked + took, Kind.OP, Type(outcome), SUBMIT, value=key, process="workload", data=data)
        else:
            name, value = ("canary", None) if source == "probe" else (LINK, source.split(":")[1])
            at(invoked, Kind.PROBE, Type.INVOKE, name, process=key, value=value)
            if outcome == "start":
                at(invoked + took // 2, Kind.PROBE, Type.START, name, process=key, value=value)
                outcome = "ok"
            if outcome != "never":
                at(invoked + took, Kind.PROBE, Type(outcome), name, process=key, value=value)
    return written


@st.composite
def journals(draw: st.DrawFn) -> tuple[list[Event], list[str]]:
    """A drill's journal, recorded through a real Journal on a fake clock, and its file's lines."""
    moments: list[tuple[int, int, Kind, Type, str, dict[str, object]]] = []

    def at(ms: int, kind: Kind, type_: Type, name: str, **fields: object) -> None:
        moments.append((ms * MS, len(moments), kind, type_, name, fields))

    baseline_end = draw(times(6000))
    at(0, Kind.PHASE, Type.START, Phase.BASELINE)
    at(baseline_end, Kind.PHASE, Type.END, Phase.BASELINE)
    if draw(st.booleans()):
        start = draw(times(12_000).filter(lambda t: t >= baseline_end))
        at(start, Kind.FAULT, Type.START, "down primary-provider")
        if draw(st.booleans()):
            at(draw(st.integers(start, 20_000)), Kind.FAULT, Type.END, "down primary-provider")
        for _ in range(draw(st.integers(0, 3))):
            state = draw(st.sampled_from(["failed_over", "normal", "other"]))
            polled = draw(st.one_of(st.none(), st.integers(0, 20_000)))
            data: dict[str, object] = {"raw": state}
            if polled is not None:
                data["previous_poll_ns"] = polled * MS
            at(draw(st.integers(0, 22_000)), Kind.SIGNAL, Type.INFO, FAILOVER, value=state, data=data)
    written = _operations(draw(st.lists(operation, max_size=50)), at)
    read = draw(st.sampled_from(["ok", "failed", "none"]))
    if read == "ok":
        held = draw(st.lists(st.sampled_from([*written, "stranger", "p1"]), unique=True)) if written else []
        done = draw(st.lists(st.sampled_from(held), unique=True)) if held else []
        data = {"held": held, "done": done, "detail": "read"}
        at(25_000, Kind.READ, Type.OK, FINAL_READ, data=data)
    elif read == "failed":
        at(25_000, Kind.READ, Type.FAIL, FINAL_READ, data={"why": "not measured, because it failed"})
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    lines = []
    for t_ns, _, kind, type_, name, fields in sorted(moments, key=lambda m: (m[0], m[1])):
        clock.advance((t_ns - clock.monotonic_ns()) / 1e9)
        event = journal.record(kind, type_, name, **fields)  # type: ignore[arg-type]
        lines.append(json.dumps(event.to_json(), sort_keys=True) + "\n")
    return journal.events(), lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    journal=journals(),
    steady_ms=st.integers(0, 8000),
    slow_factor=st.one_of(st.none(), st.floats(1.0, 20.0)),
    component=st.sampled_from([None, "llm-main", "db", "absent"]),
)
def test_a_generated_journal_gives_the_old_scorecard(
    plan: Plan,
    journal: tuple[list[Event], list[str]],
    steady_ms: int,
    slow_factor: float | None,
    component: str | None,
) -> None:
    events, lines = journal
    _assert_same(plan, events, lines, objectives(steady_ms, slow_factor, component))


event_fields = st.tuples(
    st.sampled_from(list(Kind)),
    st.sampled_from(list(Type)),
    st.sampled_from([SUBMIT, "canary", LINK, "other"]),
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.text(max_size=8)),
    st.integers(0, 2**62),
    st.one_of(
        st.builds(lambda due: {DUE: due}, st.integers(0, 2**62)),
        st.dictionaries(
            st.sampled_from([DUE, "detail", "held", "done", "why"]),
            st.one_of(st.integers(-5, 2**62), st.floats(allow_nan=False), st.booleans(), st.text(max_size=8)),
            max_size=3,
        ),
    ),
)


def _read_in_blocks(lines: list[str]) -> list[Folded]:
    """A file's lines folded as blocks cut anywhere (lines across blocks, a run of one line or none), cut
    every few lines (runs of several), and read whole (one run)."""
    text = "".join(lines).encode()
    return [fold_blocks(text[i : i + size] for i in range(0, len(text), size)) for size in (7, 300)] + [
        fold_blocks([text])
    ]


def _same_fold(lines: list[str], events: list[Event]) -> None:
    expected = fold(events)
    for found in (fold_lines(lines), fold_lines([line.encode() for line in lines]), *_read_in_blocks(lines)):
        assert found.probes == expected.probes
        assert found.links == expected.links
        assert found.writes == expected.writes
        assert found.events == expected.events
        assert found.ledger == expected.ledger
        assert found.ledger.ack_ns == expected.ledger.ack_ns
        assert (found.starts, found.lags) == (expected.starts, expected.lags)


@settings(max_examples=500, deadline=None)
@given(fields=st.lists(event_fields, max_size=12), batch=st.integers(1, 5))
def test_lines_read_in_batches_fold_as_their_events_do(
    fields: list[tuple[Kind, Type, str, str | None, str | None, int, dict[str, object]]], batch: int
) -> None:
    events = [
        Event(seq, t_ns, "2026-01-01T00:00:00.000000+00:00", kind, type_, name, process, value, data)
        for seq, (kind, type_, name, process, value, t_ns, data) in enumerate(fields)
    ]
    lines = [json.dumps(e.to_json(), sort_keys=True) + "\n" for e in events]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fold_module, "BATCH", batch)
        _same_fold(lines, events)


def test_a_line_msgspec_will_not_read_is_read_as_json_as_before() -> None:
    # a time written as a float, or a due time as a string: the event reads them as JSON does
    lines = [
        '{"kind": "op", "name": "submit", "seq": 0, "t_ns": 5.0, "type": "invoke", "utc": "u", "value": "a"}\n',
        '{"data": {"due_ns": "7"}, "kind": "op", "name": "submit", "seq": 1, "t_ns": 6, "type": "invoke", '
        '"utc": "u", "value": "b"}\n',
        "\n",
        '{"kind": "op", "name": "submit", "seq": 2, "t_ns": 9, "type": "ok", "utc": "u", "value": "a"}\n',
    ]
    events = read_journal(lines)
    assert events[0].t_ns == 5
    _same_fold(lines, events)
    assert fold_lines(lines).writes.invoke_ns.tolist() == [5]


def test_a_final_reads_lists_are_decoded_apart_and_a_line_msgspec_will_not_read_is_read_as_json() -> None:
    write = [
        '{"data": {"due_ns": 1}, "kind": "op", "name": "submit", "seq": 0, "t_ns": 1, "type": "invoke", '
        '"utc": "u", "value": "a"}\n',
        '{"kind": "op", "name": "submit", "seq": 1, "t_ns": 2, "type": "ok", "utc": "u", "value": "a"}\n',
    ]
    as_lists = '"detail": "2 listed", "done": ["a"], "held": ["a", "x"], "rows": 2'
    for data in (as_lists, as_lists + ', "ratio": NaN', '"held": "ax", "done": []'):
        # msgspec reads the first; NaN only JSON reads; a list that is not one reads as JSON makes it (characters)
        line = f'{{"data": {{{data}}}, "kind": "read", "name": "final-read", "seq": 2, "t_ns": 3, "type": "ok", "utc": "u"}}\n'
        lines = [*write, line]
        events = read_journal(lines)
        _same_fold(lines, events)
        folded = fold_lines(lines)
        assert folded.ledger.read == frozenset({"a", "x"})
        (kept,) = [e for e in folded.events if e.name == FINAL_READ]
        assert "held" not in kept.data and "done" not in kept.data
        assert kept.data.get("rows") == (2 if "rows" in data else None)


def test_a_line_that_is_no_event_is_named_by_its_number() -> None:
    good = json.dumps(Event(0, 1, "2026-01-01T00:00:00+00:00", Kind.NOTE, Type.INFO, "n").to_json())
    with pytest.raises(JournalLineError) as raised:
        fold_lines([good, "", '{"seq": 1, "t_ns": 2}'])
    assert str(raised.value) == "journal line 3: not an event (KeyError: 'utc')"
    with pytest.raises(JournalLineError) as raised:  # read in blocks, the line is still named by its number
        fold_blocks([f"{good}\n\n{good}\n".encode(), b'{"seq": 1, "t_ns"', b": 2}\n"])
    assert str(raised.value) == "journal line 4: not an event (KeyError: 'utc')"
    with pytest.raises(JournalLineError) as raised:
        fold_lines([good, "{not json"])
    assert str(raised.value) == (
        "journal line 2: not an event (JSONDecodeError: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    )


def _write(unit: str, type_: Type) -> tuple[Kind, Type, str, dict[str, object]]:
    return Kind.OP, type_, SUBMIT, {"value": unit, "process": "workload", "data": {DUE: 0}}


def _probe(process: str, type_: Type) -> tuple[Kind, Type, str, dict[str, object]]:
    return Kind.PROBE, type_, "canary", {"process": process}


def _read(held: list[str], done: list[str]) -> tuple[Kind, Type, str, dict[str, object]]:
    return Kind.READ, Type.OK, FINAL_READ, {"data": {"held": held, "done": done}}


INV, OK, FAIL, INFO = Type.INVOKE, Type.OK, Type.FAIL, Type.INFO
# Journals whose writes leave the rule the file's fold numbers by (each unit invoked once, completed at most once
# while in flight): read a line at a time, the rule breaks in a later run than the one that numbered the unit,
# or only at the end; read whole, in the first run.
WRITES_OFF_THE_RULE = {
    "written again after it completed": [
        _write("a", INV),
        _write("a", OK),
        _write("b", INV),
        _write("b", OK),
        _write("a", INV),
        _write("a", FAIL),
        _read(["a", "b"], ["b"]),
    ],
    "acknowledged twice": [
        _write("a", INV),
        _write("a", OK),
        _write("a", INV),
        _write("a", OK),
        _read(["a"], []),
    ],
    "invoked again while in flight": [_write("a", INV), _write("a", INV), _write("a", INFO), _read([], [])],
    "a completion after the final read, never invoked": [
        _write("a", INV),
        _probe("p-1", INV),
        _write("a", OK),
        _probe("p-1", OK),
        _write("b", INV),
        _read(["a", "x", "p-1"], ["a", "x", "p-1"]),
        _write("c", OK),
        _write("b", INFO),
    ],
    "written again, then a final read that lost it": [
        _write("a", INV),
        _write("a", OK),
        _write("a", INV),
        _write("a", OK),
        _write("b", INV),
        _write("b", OK),
        _read(["b", "stranger"], ["stranger"]),
    ],
    "a read that lost some and holds a stranger": [
        _write("a", INV),
        _write("b", INV),
        _write("a", OK),
        _write("b", OK),
        _write("c", INV),
        _write("c", FAIL),
        _read(["a", "c", "stranger"], ["a"]),
    ],
}


@pytest.mark.parametrize("moments", WRITES_OFF_THE_RULE.values(), ids=WRITES_OFF_THE_RULE)
def test_a_file_whose_writes_leave_the_rule_folds_as_its_events_do(
    moments: list[tuple[Kind, Type, str, dict[str, object]]],
) -> None:
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    for kind, type_, name, fields in moments:
        clock.advance(0.001)
        journal.record(kind, type_, name, **fields)  # type: ignore[arg-type]
    events = journal.events()
    lines = [json.dumps(e.to_json(), sort_keys=True) + "\n" for e in events]
    _same_fold(lines, events)
    expected = reference_fold.build_ledger(events)
    for found in _read_in_blocks(lines):
        assert found.ledger == expected
        assert found.ledger.ack_ns == expected.ack_ns
        _one_copy_of_each_id(found.ledger)


def test_a_run_after_the_map_is_made_numbers_its_new_units_after_those_written_before() -> None:
    # each block a run: the first breaks the rule (the map is made), the second invokes a unit written before
    # and two new ones
    runs = [
        [_write("a", INV), _write("a", INV), _write("a", OK)],
        [_write("b", INV), _write("a", INV), _write("c", INV), _write("a", FAIL), _write("c", OK)],
        [_read(["a", "b", "c"], ["c"])],
    ]
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    blocks = []
    for run in runs:
        lines = []
        for kind, type_, name, fields in run:
            clock.advance(0.001)
            event = journal.record(kind, type_, name, **fields)  # type: ignore[arg-type]
            lines.append(json.dumps(event.to_json(), sort_keys=True) + "\n")
        blocks.append("".join(lines).encode())
    events = journal.events()
    expected, found = fold(events), fold_blocks(blocks)
    assert found.ledger == expected.ledger == reference_fold.build_ledger(events)
    assert found.ledger.ack_ns == expected.ledger.ack_ns
    assert (found.writes, found.starts, found.lags) == (expected.writes, expected.starts, expected.lags)
    _one_copy_of_each_id(found.ledger)


def _one_copy_of_each_id(ledger: Ledger) -> None:
    kept: dict[str, str] = {}
    for units in (ledger.attempted, ledger.acknowledged, ledger.read, ledger.processed, ledger.ack_ns):
        for unit in units:
            assert kept.setdefault(unit, unit) is unit


@pytest.mark.parametrize(("cut_from_end", "number"), [(40, 101), (None, 100)])
def test_a_journal_cut_off_in_its_last_line_names_that_line_however_it_is_read(
    cut_from_end: int | None, number: int
) -> None:
    # a drill killed while it wrote: the final read's line cut in its list, or a write's line cut (the read gone)
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    for n in range(50):
        clock.advance(0.001)
        journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=f"u{n}", data={DUE: 1})
        clock.advance(0.001)
        journal.record(Kind.OP, Type.OK, SUBMIT, value=f"u{n}")
    clock.advance(0.001)
    journal.record(Kind.READ, Type.OK, FINAL_READ, data={"held": [f"u{n}" for n in range(50)], "done": []})
    lines = [json.dumps(e.to_json(), sort_keys=True) + "\n" for e in journal.events()]
    text = "".join(lines).encode()
    cut = len(text) - (len(lines[-1]) + 30 if cut_from_end is None else cut_from_end)
    cut_off = text[:cut]
    readings: list[Callable[[], Folded]] = [
        *(
            lambda size=size: fold_blocks(cut_off[i : i + size] for i in range(0, len(cut_off), size))
            for size in (7, 300, len(cut_off))
        ),
        lambda: fold_lines(cut_off.decode().splitlines(keepends=True)),
    ]
    for read in readings:
        with pytest.raises(
            JournalLineError, match=rf"^journal line {number}: not an event \(JSONDecodeError"
        ):
            read()


def test_a_fold_keeps_one_copy_of_each_unit_id() -> None:
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    unit = "".join(["run-", "000001"])  # built, so not the interned literal
    journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=unit)
    journal.record(Kind.OP, Type.OK, SUBMIT, value="".join(["run-", "000001"]))
    journal.record(Kind.READ, Type.OK, FINAL_READ, data={"held": ["".join(["run-", "000001"])], "done": []})
    ledger = fold(journal.events()).ledger
    (kept,) = ledger.attempted
    assert next(iter(ledger.acknowledged)) is kept
    assert next(iter(ledger.read)) is kept
    assert next(iter(ledger.ack_ns)) is kept


def test_a_fault_window_reads_only_the_writes_that_overlap_it() -> None:
    # (invoked, completed) in seconds; the window is [3 s, 9 s)
    spans = [(0, 1), (2, 7), (4, 5), (9, 10)]
    moments = sorted(
        [(i, n, Type.INVOKE) for n, (i, _) in enumerate(spans)]
        + [(c, n, Type.OK) for n, (_, c) in enumerate(spans)]
    )
    folded = fold(
        Event(seq, t * S, "2026-01-01T00:00:00+00:00", Kind.OP, type_, SUBMIT, value=f"w{n}")
        for seq, (t, n, type_) in enumerate(moments)
    )
    window = folded.writes.overlapping(3 * S, 9 * S)
    assert [(w.invoke_ns // S, w.complete_ns // S) for w in window] == [(2, 7), (4, 5)]
    assert folded.writes.last_complete_ns() == 10 * S


@pytest.mark.parametrize(("failed_at_ms", "expected_ms"), [(0, None), (1, 1000), (1000, 1000), (1001, 1050)])
def test_a_criterion_counts_what_completed_inside_its_window_edges_as_the_scan_did(
    failed_at_ms: int, expected_ms: int | None
) -> None:
    # a window (since, t]: a probe that failed at its left edge is out of it, one at its right edge is in
    start = 10 * S
    window = FaultWindow(start, None)
    good = Sample(start, start + 500 * MS, True)
    failed = Sample(start - S, start + failed_at_ms * MS, False)
    late_good = Sample(start, start + 3 * S, True)  # the scan runs until the last completion
    probes = sorted([good, failed, late_good], key=lambda p: p.invoke_ns)
    criterion = (Criterion("error_rate", S, above=0.4),)
    found = time_to_detect_by_criteria(probes, window, criterion, None)
    assert found == reference_fold.time_to_detect_by_criteria(probes, window, criterion, None)
    assert found == (None if expected_ms is None else expected_ms * MS)


# (unit, type) of write events in journal order: units invoked and completed any number of times, in any order (a
# completion may come before its invoke, an invoke may replace one still in flight), and types that complete
# nothing ("start")
write_events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        st.sampled_from(["invoke", "ok", "fail", "info", "start"]),
    ),
    max_size=14,
)


@settings(max_examples=500, deadline=None)
@given(events=write_events)
def test_writes_paired_in_one_pass_pair_as_the_oracle_does(events: list[tuple[str, str]]) -> None:
    journal = [
        Event(t, t * S, "2026-01-01T00:00:00+00:00", Kind.OP, Type(type_), SUBMIT, value=unit)
        for t, (unit, type_) in enumerate(events)
    ]
    paired = reference_fold.write_samples(journal)
    by_completion = sorted(paired, key=lambda w: w.complete_ns)
    expected = reference_fold.build_ledger(journal)
    lines = [json.dumps(e.to_json(), sort_keys=True) + "\n" for e in journal]
    for folded in (fold(journal), *_read_in_blocks(lines)):  # the events, and the file read in runs
        assert list(folded.writes.complete_ns) == [w.complete_ns for w in by_completion]
        assert list(folded.writes.invoke_ns) == [w.invoke_ns for w in by_completion]
        assert list(folded.writes.ok) == [w.ok for w in by_completion]
        assert folded.ledger == expected
        assert folded.ledger.ack_ns == expected.ack_ns
