"""Benchmark: the provider-outage drill end to end on warm images, several runs.

Reports the median wall time split into stack start, drill (baseline to final read) and teardown, with each
part's share of the total, all measured in one process run. Not a test: nothing here asserts a time.

    ./dev bench [RUNS]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from drdrill.plan import load_plan
from drdrill.runner import DrillRunner, DrillSettings

ROOT = Path(__file__).resolve().parents[1]


def phase_seconds(scorecard: dict[str, Any]) -> dict[str, float]:
    """Seconds spent in each runner phase, from the scorecard's timeline."""
    starts: dict[str, float] = {}
    spent: dict[str, float] = {}
    for event in scorecard["timeline"]:
        if event["kind"] != "phase":
            continue
        if event["type"] == "start":
            starts[event["name"]] = event["t_s"]
        elif event["name"] in starts:
            spent[event["name"]] = event["t_s"] - starts[event["name"]]
    return spent


def one_run(scenario: str, report_dir: Path) -> dict[str, float]:
    plan = load_plan(ROOT / "scenarios")
    runner = DrillRunner(
        plan, plan.scenarios[scenario], DrillSettings(report_dir=report_dir, log=lambda _m: None)
    )
    started = time.perf_counter()
    result = runner.run()
    wall = time.perf_counter() - started
    phases = phase_seconds(result.scorecard.to_json())
    stack = phases.get("stack-start", 0.0)
    teardown = phases.get("teardown", 0.0)
    return {
        "wall": wall,
        "stack_start": stack,
        "drill": wall - stack - teardown,
        "teardown": teardown,
        "passed": 1.0 if result.status == "passed" else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="?", type=int, default=3, help="number of drills (default 3)")
    parser.add_argument("--scenario", default="provider-outage")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "drill_walltime.json")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 20:
        parser.error(f"runs must be between 1 and 20, got {args.runs}")
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="drdrill-bench-") as tmp:
        for index in range(args.runs):
            run = one_run(args.scenario, Path(tmp))
            runs.append(run)
            print(
                f"run {index + 1}/{args.runs}: {run['wall']:.2f} s (stack start {run['stack_start']:.2f} s, "
                f"drill {run['drill']:.2f} s, teardown {run['teardown']:.2f} s)"
                + ("" if run["passed"] else " [drill did not pass]"),
                flush=True,
            )
    median = {
        key: statistics.median(r[key] for r in runs) for key in ("wall", "stack_start", "drill", "teardown")
    }
    print(f"\nmedian of {args.runs} {args.scenario} drill(s) on warm images:")
    for key in ("wall", "stack_start", "drill", "teardown"):
        share = median[key] / median["wall"] if median["wall"] else 0.0
        print(f"  {key:<12} {median[key]:7.2f} s   {share:6.1%} of wall time")
    # ru_maxrss is in KiB on Linux: the runner's own peak memory (workload, probes, journal), not the containers'.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the runner process: {peak_mib:.0f} MiB over {args.runs} drill(s)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    record = {"scenario": args.scenario, "runs": runs, "median": median, "peak_rss_mib": round(peak_mib, 1)}
    args.json.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results: {args.json}")
    return 0 if all(r["passed"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
