"""Benchmark: how far drdrill's time to detect and time to recover are from the truth, over many drills.

Each drill is of the ground-truth target (tests/truth): drdrill's provider simulator as the whole system,
reached through the declarative HTTP contract, whose outage starts and ends at instants it records itself on
the monotonic clock the runner's journal also uses. The error of a figure is ``measured - true`` in
milliseconds on the drill's own time axis (from the journal's fault start, as the scorecard states its
bounds): the true time to detect is when the target set the fault, the true time to recover is when the
outage healed by itself (no failover). Reported: median, p95 (nearest rank) and max of each error, and the
bound each is held to (the scorecard's own, when it states one; else what the probes could resolve around
that edge). All figures come from one process run. Not a test: nothing here asserts a time.

    ./dev bench truth [RUNS]      # or .venv/bin/python benchmarks/truth_error.py [RUNS]; 20 drills by default
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the target's side of the drill lives with the suite, in tests/truth

from tests.truth.target import HOOKS, DrillTruth, NoTruth, drill_truth, percentile  # noqa: E402

from drdrill.plan import load_plan  # noqa: E402
from drdrill.recovery import BUILTIN_HOOKS  # noqa: E402
from drdrill.runner import DrillRunner, DrillSettings  # noqa: E402

PLAN = ROOT / "tests" / "truth" / "plan"
SCENARIO = "self-healing-outage"
MS = 1_000_000


def one_drill(report_dir: Path) -> tuple[str, DrillTruth | str]:
    """One drill of the target: its status, and its comparison with the truth (or why there is none)."""
    plan = load_plan(PLAN)
    settings = DrillSettings(report_dir=report_dir, hooks={**BUILTIN_HOOKS, **HOOKS}, log=lambda _m: None)
    result = DrillRunner(plan, plan.scenarios[SCENARIO], settings).run()
    try:
        return result.status, drill_truth(result.scorecard.to_json())
    except NoTruth as exc:
        return result.status, str(exc)


def _ms(ns: int | None) -> str:
    return "   n/a" if ns is None else f"{ns / MS:+7.1f}"


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p95 (nearest rank) and max of a sample, in the sample's unit."""
    return {
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "max": max(values),
    }


def report(truths: Sequence[DrillTruth]) -> dict[str, Any]:
    """Print the error of each figure over every drill, and return the same as a record."""
    record: dict[str, Any] = {}
    rows = [
        ("time to detect", "detect_error_ns", "detect_bound"),
        ("time to recover", "recover_error_ns", "recover_bound"),
    ]
    n = len(truths)
    print(f"\nerror against the target's own truth over {n} drill(s), ms (measured - true):")
    print(
        f"  {'figure':<16} {'median':>8} {'p95':>8} {'max':>8}   {'|err| p95':>9}   bound median  within bound"
    )
    for label, error_key, bound_key in rows:
        errors = [getattr(t, error_key) for t in truths if getattr(t, error_key) is not None]
        if not errors:
            print(f"  {label:<16} not measured in any drill")
            continue
        signed = summary([e / MS for e in errors])
        absolute = summary([abs(e) / MS for e in errors])
        bounds = [getattr(t, bound_key) for t in truths if getattr(t, error_key) is not None]
        within = sum(b.holds(e) for b, e in zip(bounds, errors, strict=True))
        bound_ms = statistics.median(b.late_ns / MS for b in bounds)
        sources = sorted({b.source for b in bounds})
        print(
            f"  {label:<16} {signed['median']:+8.1f} {signed['p95']:+8.1f} {signed['max']:+8.1f}   "
            f"{absolute['p95']:9.1f}   {bound_ms:8.1f} ({'/'.join(sources)})  {within}/{len(errors)}"
        )
        record[error_key.removesuffix("_ns")] = {
            "signed_ms": signed,
            "abs_ms": absolute,
            "measured_in": len(errors),
            "bound_median_ms": bound_ms,
            "bound_source": sources,
            "within_bound": within,
        }
    interval_ms = statistics.median(t.probe_interval_ns / MS for t in truths)
    extras = {
        "apply_latency_ms": [t.apply_latency_ns / MS for t in truths],
        "first_faulty_lag_ms": [
            t.first_faulty_lag_ns / MS for t in truths if t.first_faulty_lag_ns is not None
        ],
        "first_sound_lag_ms": [t.first_sound_lag_ns / MS for t in truths if t.first_sound_lag_ns is not None],
        "clock_skew_ms": [abs(t.clock_skew_ns) / MS for t in truths],
        "clock_bracket_ms": [t.clock_bracket_ns / MS for t in truths],
    }
    print(f"  probe interval {interval_ms:g} ms; for comparison (median / max, ms):")
    for key, values in extras.items():
        if values:
            print(f"    {key:<22} {statistics.median(values):7.1f} / {max(values):7.1f}")
            record[key] = summary(values)
    outside = [t for t in truths if abs(t.clock_skew_ns) > t.clock_bracket_ns / 2]
    print(
        f"  clocks: the target's reading fell inside the runner's bracket in {n - len(outside)}/{n} drill(s) "
        "(shared CLOCK_MONOTONIC)"
    )
    record["probe_interval_ms"] = interval_ms
    record["clock_inside_bracket"] = n - len(outside)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="?", type=int, default=20, help="number of drills (default 20)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "truth_error.json")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 100:
        parser.error(f"runs must be between 1 and 100, got {args.runs}")
    truths: list[DrillTruth] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="drdrill-truth-") as tmp:
        for index in range(args.runs):
            status, truth = one_drill(Path(tmp))
            where = f"drill {index + 1}/{args.runs} ({status})"
            if isinstance(truth, str):
                problems.append(f"{where}: {truth}")
                print(f"{where}: no comparison: {truth}", flush=True)
                continue
            truths.append(truth)
            print(
                f"{where}: detect error {_ms(truth.detect_error_ns)} ms (bound {truth.detect_bound.late_ns / MS:.1f}), "
                f"recover error {_ms(truth.recover_error_ns)} ms (bound {truth.recover_bound.late_ns / MS:.1f})",
                flush=True,
            )
    if not truths:
        print("no drill gave a comparison")
        return 1
    record = report(truths)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    raw = [asdict(t) for t in truths]
    args.json.write_text(
        json.dumps(
            {"scenario": SCENARIO, "runs": args.runs, "summary": record, "drills": raw, "problems": problems},
            indent=2,
        )
        + "\n"
    )
    print(f"results: {args.json}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
