"""The drill journal: events stamped by the injected clock, written as JSON lines, read back equal."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import Event, Journal, Kind, Type, read_journal
from drdrill.units import ns_to_s

START_NS = 1_000_000_000


def record_a_drill(journal: Journal, clock: FakeClock) -> None:
    """A small drill with every kind of event, the clock moving between them."""
    journal.record(Kind.PHASE, Type.START, "baseline")
    journal.record(Kind.PROBE, Type.INVOKE, "health", process="probe-1")
    clock.advance(0.25)
    journal.record(Kind.PROBE, Type.OK, "health", process="probe-1", data={"latency_ms": 250})
    journal.record(Kind.PHASE, Type.END, "baseline")
    clock.advance(1)
    journal.record(Kind.FAULT, Type.START, "down primary-provider", data={"target": "llm"})
    journal.record(Kind.OP, Type.INVOKE, "submit", process="writer-1", value="c1")
    clock.advance(0.5)
    journal.record(Kind.OP, Type.INFO, "submit", process="writer-1", value="c1", data={"error": "timeout"})
    journal.record(Kind.SIGNAL, Type.INFO, "active_provider", value="backup")
    clock.advance(10)
    journal.record(Kind.FAULT, Type.END, "down primary-provider")
    journal.record(Kind.NOTE, Type.INFO, "cleanup", data={"detail": "proxy \u2192 reset", "ok": True})
    journal.record(
        Kind.READ,
        Type.OK,
        "final-read",
        process="reader",
        data={"processed": ["c1", "c2"], "pending": [], "nested": {"rows": 2, "ratio": 0.5}},
    )


def test_record_stamps_each_event_with_the_clock() -> None:
    clock = FakeClock(start_ns=START_NS, wall_start=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    journal = Journal(clock)

    first = journal.record(Kind.PHASE, Type.START, "baseline")
    clock.advance(1.5)
    second = journal.record(Kind.OP, Type.OK, "submit", process="writer-1", value="c1", data={"n": 1})

    assert first == Event(
        seq=0,
        t_ns=START_NS,
        utc="2026-03-01T12:00:00.000000+00:00",
        kind=Kind.PHASE,
        type=Type.START,
        name="baseline",
    )
    assert second == Event(
        seq=1,
        t_ns=START_NS + 1_500_000_000,
        utc="2026-03-01T12:00:01.500000+00:00",
        kind=Kind.OP,
        type=Type.OK,
        name="submit",
        process="writer-1",
        value="c1",
        data={"n": 1},
    )
    assert journal.events() == [first, second]
    assert list(journal) == [first, second]


def test_record_copies_the_data_it_is_given() -> None:
    journal = Journal(FakeClock())
    data: dict[str, object] = {"processed": ["c1"]}

    event = journal.record(Kind.READ, Type.OK, "final-read", data=data)
    data["processed"] = []

    assert event.data == {"processed": ["c1"]}


def test_events_is_a_snapshot() -> None:
    journal = Journal(FakeClock())
    journal.record(Kind.NOTE, Type.INFO, "one")
    snapshot = journal.events()
    snapshot.clear()
    journal.record(Kind.NOTE, Type.INFO, "two")

    assert [e.name for e in journal.events()] == ["one", "two"]
    assert snapshot == []


def test_one_json_line_per_event_read_back_equal(tmp_path: Path) -> None:
    clock = FakeClock(start_ns=START_NS)
    path = tmp_path / "reports" / "drill-1" / "journal.jsonl"  # parent folders are created
    journal = Journal(clock, path)
    record_a_drill(journal, clock)
    journal.close()

    lines = path.read_text(encoding="utf-8").splitlines()

    assert len(lines) == len(journal.events()) == 11
    assert [json.loads(line)["seq"] for line in lines] == list(range(11))
    assert read_journal(lines) == journal.events()
    with path.open(encoding="utf-8") as handle:
        assert read_journal(handle) == journal.events()


def test_each_event_is_on_disk_as_soon_as_it_is_recorded(tmp_path: Path) -> None:
    # a drill that crashes half-way still leaves every event recorded so far
    clock = FakeClock()
    path = tmp_path / "journal.jsonl"
    journal = Journal(clock, path)

    event = journal.record(Kind.FAULT, Type.START, "down primary-provider")

    assert read_journal(path.read_text(encoding="utf-8").splitlines()) == [event]
    journal.close()


def test_json_lines_are_sorted_and_leave_out_empty_fields(tmp_path: Path) -> None:
    clock = FakeClock(start_ns=START_NS)
    path = tmp_path / "journal.jsonl"
    journal = Journal(clock, path)
    journal.record(Kind.PHASE, Type.START, "baseline")
    journal.record(Kind.OP, Type.FAIL, "submit", process="w", value="c1", data={"b": 1, "a": 2})
    journal.close()

    first, second = path.read_text(encoding="utf-8").splitlines()

    assert first == (
        '{"kind": "phase", "name": "baseline", "seq": 0, "t_ns": 1000000000, "type": "start", '
        '"utc": "2026-01-01T00:00:00.000000+00:00"}'
    )
    assert json.loads(second) == {
        "seq": 1,
        "t_ns": START_NS,
        "utc": "2026-01-01T00:00:00.000000+00:00",
        "kind": "op",
        "type": "fail",
        "name": "submit",
        "process": "w",
        "value": "c1",
        "data": {"a": 2, "b": 1},
    }
    assert list(json.loads(second)) == sorted(json.loads(second))


def test_read_journal_skips_blank_lines() -> None:
    clock = FakeClock()
    journal = Journal(clock)
    record_a_drill(journal, clock)
    lines = [json.dumps(e.to_json()) + "\n" for e in journal.events()]

    assert read_journal(["\n", *lines[:3], "   \n", *lines[3:], ""]) == journal.events()


def test_event_json_round_trip() -> None:
    event = Event(
        seq=7,
        t_ns=123,
        utc="2026-01-01T00:00:00.000123+00:00",
        kind=Kind.SIGNAL,
        type=Type.INFO,
        name="active_provider",
        process="watcher",
        value="backup",
        data={"from": "primary"},
    )

    assert Event.from_json(json.loads(json.dumps(event.to_json()))) == event
    assert Event.from_json(event.to_json()).kind is Kind.SIGNAL


def test_close_keeps_events_readable_and_is_safe_twice(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "journal.jsonl"
    journal = Journal(clock, path)
    journal.record(Kind.NOTE, Type.INFO, "before")
    journal.close()
    journal.close()

    journal.record(Kind.NOTE, Type.INFO, "after")

    assert [e.name for e in journal.events()] == ["before", "after"]
    assert [e.name for e in read_journal(path.read_text(encoding="utf-8").splitlines())] == ["before"]


def test_a_journal_without_a_path_keeps_events_in_memory() -> None:
    journal = Journal(FakeClock())
    journal.record(Kind.NOTE, Type.INFO, "only")

    assert journal.path is None
    assert [e.seq for e in journal] == [0]


def test_events_from_several_threads_get_unique_increasing_seq(tmp_path: Path) -> None:
    clock = FakeClock(start_ns=START_NS)
    path = tmp_path / "journal.jsonl"
    journal = Journal(clock, path)
    threads_n, per_thread = 8, 250
    barrier = threading.Barrier(threads_n)

    def writer(index: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            journal.record(Kind.OP, Type.INVOKE, "submit", process=f"writer-{index}", value=f"c{index}-{i}")
            clock.advance(0.001)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()

    events = journal.events()
    total = threads_n * per_thread
    assert [e.seq for e in events] == list(range(total))
    assert len({e.value for e in events}) == total
    # the clock is read under the journal's lock, so time never goes backwards along seq
    assert all(a.t_ns <= b.t_ns for a, b in itertools.pairwise(events))
    # each writer's own events stay in its order
    for n in range(threads_n):
        mine = [e.value for e in events if e.process == f"writer-{n}"]
        assert mine == [f"c{n}-{i}" for i in range(per_thread)]
    # the file holds the same lines, whole and in the same order
    assert read_journal(path.read_text(encoding="utf-8").splitlines()) == events


def test_fake_clock_only_moves_when_told() -> None:
    clock = FakeClock(start_ns=5, wall_start=datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.monotonic_ns() == 5
    clock.advance(2.5)
    clock.sleep(0.5)
    clock.sleep(-3)  # sleeping a negative time does nothing

    assert clock.monotonic_ns() == 5 + 3_000_000_000
    assert clock.wall() == datetime(2026, 1, 1, 0, 0, 3, tzinfo=UTC)
    assert ns_to_s(clock.monotonic_ns() - 5) == 3.0
    with pytest.raises(ValueError, match=r"^a clock cannot go backwards$"):
        clock.advance(-1)
