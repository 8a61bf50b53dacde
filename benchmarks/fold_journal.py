"""Benchmark: measure a journal of a million writes from its file, load and fold timed apart, with peak memory.

Builds (once, cached beside the results) the journal of a long drill at 1,000 writes a second, written line for
line as the runner's journal writes it: a baseline, a fault held for ``--fault-s`` seconds during which writes
and probes fail and then recover after a failover, the revert, a drain, the final read of every acknowledged
unit. Then, in a fresh process so that its peak memory is its own:

- load: the file read in 256 KiB blocks through :func:`drdrill.measure.fold.fold_blocks` (every operation
  paired, the ledger's sets built);
- fold: :func:`drdrill.measure.verdicts.measure` and :func:`judge` on that (every figure and verdict).

With ``--old`` it also times the measurement as it was before the one-pass fold (the tests' frozen oracle:
every line parsed to an event, the journal re-paired for each figure) in another fresh process. Not a test:
nothing here asserts a time.

    .venv/bin/python benchmarks/fold_journal.py [--writes 1000000] [--old]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the oracle lives with the tests

from tests.unit.measure import reference_fold  # noqa: E402

from drdrill.journal import (  # noqa: E402
    FAILOVER,
    FINAL_READ,
    PREVIOUS_POLL,
    SUBMIT,
    WORKLOAD,
    Event,
    Kind,
    Phase,
    Type,
    read_journal,
)
from drdrill.measure.fold import fold_blocks  # noqa: E402
from drdrill.measure.timeline import Criterion  # noqa: E402
from drdrill.measure.verdicts import Objectives, judge, measure  # noqa: E402

S = 1_000_000_000
MS = 1_000_000
RATE = 1000  # writes a second
PROBE_EVERY_NS = 50 * MS
LATENCY_NS = 2 * MS
OBJECTIVES = Objectives(
    rto_ns=4 * 3600 * S,
    rpo_ns=0,
    recovery_bound_ns=600 * S,
    steady_window_ns=5 * S,
    slow_factor=10.0,
    criteria=(Criterion("error_rate", 2 * S, above=0.5), Criterion("latency", 2 * S, factor=10.0)),
)


class _Writer:
    """Journal lines as :class:`drdrill.journal.Journal` writes them, at times the script gives."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("w", encoding="utf-8")
        self._seq = 0
        self.origin_ns = 5 * S

    def record(self, t_ns: int, kind: Kind, type_: Type, name: str, **fields: Any) -> None:
        micros = (t_ns - self.origin_ns) // 1000
        utc = f"2026-12-01T09:{micros // 60_000_000 % 60:02d}:{micros // 1_000_000 % 60:02d}.{micros % 1_000_000:06d}+00:00"
        event = Event(self._seq, t_ns, utc, kind, type_, name, **fields)
        self._file.write(json.dumps(event.to_json(), sort_keys=True) + "\n")
        self._seq += 1

    def close(self) -> None:
        self._file.close()


def build(path: Path, writes: int, fault_s: float) -> None:
    """Write the journal of a drill of ``writes`` writes at 1,000 a second (see the module's docstring)."""
    j = _Writer(path)
    t0 = j.origin_ns
    duration_ns = writes * S // RATE
    fault_start = t0 + duration_ns // 10
    fault_end = fault_start + round(fault_s * S)
    broken_until = fault_start + min(round(fault_s * S) // 3, 20 * S)  # then the failover brings it back
    drain_start = min(fault_end, t0 + duration_ns)
    moments: list[tuple[int, int, Kind, Type, str, dict[str, Any]]] = []

    def at(t_ns: int, kind: Kind, type_: Type, name: str, **fields: Any) -> None:
        moments.append((t_ns, len(moments), kind, type_, name, fields))

    interval = S // RATE
    schedule = {
        "rate_per_s": RATE,
        "first_due_ns": t0 + interval // 2,
        "interval_ns": interval,
        "max_in_flight": 256,
    }
    at(t0, Kind.NOTE, Type.START, WORKLOAD, data={**schedule, "mode": "async"})
    at(t0, Kind.PHASE, Type.START, Phase.BASELINE)
    at(fault_start - 1, Kind.PHASE, Type.END, Phase.BASELINE)
    at(fault_start, Kind.PHASE, Type.START, Phase.FAULT)
    at(fault_start, Kind.FAULT, Type.START, "down primary-provider", value="primary-provider")
    signal = {"raw": "backup", PREVIOUS_POLL: broken_until - 200 * MS}
    at(broken_until, Kind.SIGNAL, Type.INFO, FAILOVER, value="failed_over", data=signal)
    at(fault_end, Kind.FAULT, Type.END, "down primary-provider", value="primary-provider")
    at(fault_end, Kind.PHASE, Type.END, Phase.FAULT)
    at(drain_start, Kind.PHASE, Type.START, Phase.DRAIN)
    at(fault_end + 2 * S, Kind.SIGNAL, Type.INFO, FAILOVER, value="normal", data={"raw": "primary"})
    acknowledged: list[str] = []
    for n in range(writes):
        due = t0 + interval // 2 + n * interval
        unit = f"1f244f7f-{n:07d}"
        at(due, Kind.OP, Type.INVOKE, SUBMIT, process="workload", value=unit, data={"due_ns": due})
        broken = fault_start <= due < broken_until
        outcome = (Type.INFO if n % 3 else Type.FAIL) if broken else Type.OK
        took = 1 * S if outcome is Type.INFO else LATENCY_NS
        at(due + took, Kind.OP, outcome, SUBMIT, process="workload", value=unit, data={"detail": "HTTP 201"})
        if outcome is Type.OK:
            acknowledged.append(unit)
    for n in range(duration_ns // PROBE_EVERY_NS):
        invoked = t0 + n * PROBE_EVERY_NS
        process = f"1f244f7f-canary-{n:06d}"
        at(invoked, Kind.PROBE, Type.INVOKE, "canary", process=process)
        ok = not fault_start <= invoked < broken_until
        done = Type.OK if ok else Type.FAIL
        at(invoked + 3 * LATENCY_NS, Kind.PROBE, done, "canary", process=process, data={"detail": "done"})
    end = t0 + duration_ns + 2 * S
    at(t0 + duration_ns, Kind.NOTE, Type.END, WORKLOAD, data={"scheduled": writes, "refused": 0})
    at(end, Kind.PHASE, Type.END, Phase.DRAIN)
    at(end, Kind.PHASE, Type.START, Phase.FINAL_READ)
    read = {"held": acknowledged, "done": acknowledged, "detail": f"{len(acknowledged)} listed"}
    at(end + 1, Kind.READ, Type.OK, FINAL_READ, data=read)
    at(end + 2, Kind.PHASE, Type.END, Phase.FINAL_READ)
    moments.sort(key=lambda m: (m[0], m[1]))
    for t_ns, _, kind, type_, name, fields in moments:
        j.record(t_ns, kind, type_, name, **fields)
    j.close()


def _peak_mib() -> float:
    """This process's own peak resident memory since it started (``VmHWM``, in KiB on Linux).

    Not ``ru_maxrss``: Linux carries the resident size of the parent at the fork over the exec into the child's,
    so after this script's main had built the journal (1.3 GiB resident), the fold's fresh process reported a
    peak of 1,377 MiB for a fold whose own peak is 400 MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc, or no VmHWM in it


def fold_once(path: Path, old: bool) -> dict[str, Any]:
    """Load and fold the journal at ``path`` in this process; times and peak memory."""
    o = OBJECTIVES
    args = (o.steady_window_ns, o.slow_factor, o.criteria, o.criteria_match_all, o.steps)
    started = time.perf_counter()
    with path.open("rb") as lines:
        if old:
            loaded: Any = read_journal(line.decode() for line in lines)
        else:
            loaded = fold_blocks(iter(partial(lines.read, 1 << 18), b""))
    load_s = time.perf_counter() - started
    load_peak = _peak_mib()
    started = time.perf_counter()
    m = reference_fold.measure(loaded, *args) if old else measure(loaded, *args)
    verdicts = judge(m, o)
    fold_s = time.perf_counter() - started
    return {
        "load_s": load_s,
        "fold_s": fold_s,
        "total_s": load_s + fold_s,
        "peak_mib_after_load": load_peak,
        "peak_mib": _peak_mib(),
        "time_to_recover_s": None if m.time_to_recover_ns is None else m.time_to_recover_ns / S,
        "acknowledged": len(m.ledger.acknowledged),
        "verdicts": {v.name: v.outcome for v in verdicts},
    }


def _in_child(path: Path, old: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(path)] + (["--old"] if old else [])
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=1_000_000)
    parser.add_argument(
        "--fault-s", type=float, default=120.0, help="how long the fault is held (default 120)"
    )
    parser.add_argument("--old", action="store_true", help="also time the measurement before the fold")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "fold_journal.json")
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(fold_once(args.child, args.old)))
        return 0
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"journal-v2-{args.writes}-{args.fault_s:g}s.jsonl"  # v2: with the workload's notes
    if not path.exists():
        started = time.perf_counter()
        build(path.with_suffix(".tmp"), args.writes, args.fault_s)
        path.with_suffix(".tmp").replace(path)
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    lines = sum(1 for _ in path.open(encoding="utf-8"))
    size_mb = path.stat().st_size / 1e6
    print(f"journal: {args.writes} writes, {lines} events, {size_mb:.0f} MB, fault held {args.fault_s:g} s")
    record: dict[str, Any] = {"writes": args.writes, "events": lines, "size_mb": round(size_mb, 1)}
    for label, old in [("one-pass fold", False), *([("before the fold", True)] if args.old else [])]:
        found = _in_child(path, old)
        record["old" if old else "new"] = found
        print(
            f"{label:>15}: load {found['load_s']:.2f} s, fold {found['fold_s']:.2f} s, "
            f"total {found['total_s']:.2f} s; peak memory {found['peak_mib']:.0f} MiB "
            f"({found['peak_mib_after_load']:.0f} MiB after the load)"
        )
    if args.old:
        new, old_found = record["new"], record["old"]
        # the old measurement had no schedule verdict: the others are compared
        judged = {name: outcome for name, outcome in new["verdicts"].items() if name in old_found["verdicts"]}
        same = (new["time_to_recover_s"], new["acknowledged"], judged) == (
            old_found["time_to_recover_s"],
            old_found["acknowledged"],
            old_found["verdicts"],
        )
        print(f"speed-up {old_found['total_s'] / new['total_s']:.1f}x; same figures and verdicts: {same}")
    args.json.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
