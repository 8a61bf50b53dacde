"""Benchmark: the regional-failure drill with a backlog of 3,000 claims, on warm images, several runs.

The backlog is written by the drill's own workload (acknowledged writes in the journal, so the ledger checks every
one of them after the regional restore): the scenario's baseline runs the workload at BACKLOG / baseline claims a
second. Reports the median wall time split into stack start, each phase, each recovery action and teardown, and
the runner's peak RSS. Not a test: nothing here asserts a time.

    .venv/bin/python benchmarks/regional_drill.py [RUNS] [--backlog 3000] [--rate 50]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from drdrill.plan import load_plan
from drdrill.plan.models import MAX_WORKLOAD_RATE
from drdrill.runner import DrillRunner, DrillSettings

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "regional-failure"
BASELINE_S = 10


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


def plan_with_backlog(directory: Path, backlog: int, rate_limit: float) -> Path:
    """A copy of the bundled plan whose regional-failure baseline writes ``backlog`` claims."""
    target = directory / "plan"
    shutil.copytree(ROOT / "scenarios", target)
    plan = target / "plan.yaml"
    compose = ROOT / "compose" / "claims" / "compose.yaml"
    plan.write_text(
        plan.read_text().replace("compose_file: ../compose/claims/compose.yaml", f"compose_file: {compose}")
    )
    scenario = target / f"{SCENARIO}.yaml"
    # At a rate the replica's workers keep up with (its steady-state probe is a claim labelled within the probe
    # timeout, which fails behind a queue that only grows), and never above what the workload is trusted with:
    # a larger backlog takes a longer baseline.
    rate = min(backlog / BASELINE_S, rate_limit, MAX_WORKLOAD_RATE)
    baseline_s = math.ceil(backlog / rate)
    scenario.write_text(
        scenario.read_text().replace(
            "staging:\n", f"staging:\n  baseline: {baseline_s}s\n  workload_rate: {rate:g}\n", 1
        )
    )
    return target


def one_run(plan_dir: Path, report_dir: Path) -> tuple[dict[str, float], list[str]]:
    plan = load_plan(plan_dir)
    runner = DrillRunner(
        plan, plan.scenarios[SCENARIO], DrillSettings(report_dir=report_dir, log=lambda _m: None)
    )
    started = time.perf_counter()
    result = runner.run()
    wall = time.perf_counter() - started
    card = result.scorecard
    figures = {"wall": wall, **{f"phase {k}": v for k, v in phase_seconds(card.to_json()).items()}}
    for step in card.steps:
        if step.automated and step.duration_s is not None:
            figures[f"action {step.title[:60]}"] = step.duration_s
    figures["acknowledged"] = float(card.measurements.ledger.acknowledged or 0)
    figures["passed"] = 1.0 if result.status == "passed" else 0.0
    missed = [f"{v.name}: {v.message[:160]}" for v in card.verdicts if v.outcome != "pass"]
    return figures, missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="?", type=int, default=3, help="number of drills (default 3)")
    parser.add_argument("--backlog", type=int, default=3000, help="claims written before the fault")
    parser.add_argument(
        "--rate", type=float, default=50.0, help="claims a second while the backlog is written (default 50)"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "regional_drill.json")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 20:
        parser.error(f"runs must be between 1 and 20, got {args.runs}")
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="drdrill-bench-") as tmp:
        plan_dir = plan_with_backlog(Path(tmp), args.backlog, args.rate)
        for index in range(args.runs):
            run, missed = one_run(plan_dir, Path(tmp) / "reports")
            runs.append(run)
            print(
                f"run {index + 1}/{args.runs}: {run['wall']:.2f} s, {run['acknowledged']:.0f} acknowledged"
                + ("" if run["passed"] else " [drill did not pass]"),
                *(f"    missed {line}" for line in missed),
                sep="\n",
                flush=True,
            )
    keys: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for key, value in run.items():
            keys[key].append(value)
    median = {key: statistics.median(values) for key, values in keys.items() if key != "passed"}
    print(f"\nmedian of {args.runs} {SCENARIO} drill(s), backlog {args.backlog}, on warm images:")
    for key, value in median.items():
        print(f"  {key:<72} {value:9.2f}")
    # ru_maxrss is in KiB on Linux: the runner's own peak memory (workload, probes, journal), not the containers'.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the runner process: {peak_mib:.0f} MiB over {args.runs} drill(s)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "scenario": SCENARIO,
        "backlog": args.backlog,
        "runs": runs,
        "median": median,
        "peak_rss_mib": peak_mib,
    }
    args.json.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results: {args.json}")
    return 0 if all(r["passed"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
