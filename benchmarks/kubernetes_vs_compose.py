"""Drill wall time on the local Kubernetes cluster against compose, for the same plan and scenario.

    .venv/bin/python benchmarks/kubernetes_vs_compose.py [--scenario provider-outage] [--runs 5]

Runs ``pytest --drill=<scenario>`` on the Q&A example (examples/qa-service/plan), alternating compose and
``--drill-staging=kubernetes``, each in a fresh process, and reports per back-end the median wall time, the
median time to recover and the verdicts; then the ratio of the medians. Needs Docker and the local cluster up
(``./dev cluster up``); the first Kubernetes run after ``cluster up`` also loads the images into the nodes, so
one warm-up run of each back-end goes first and is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "qa-service" / "plan"
BACKENDS = ("compose", "kubernetes")


def drill(scenario: str, backend: str, reports: Path) -> tuple[float, dict[str, Any]]:
    """One drill in a fresh pytest process: its wall time and its scorecard."""
    before = set(reports.glob("*/scorecard.json"))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--drill={scenario}",
         f"--drill-plan={PLAN}", f"--drill-report-dir={reports}", f"--drill-staging={backend}"],
        cwd=reports, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    written = sorted(set(reports.glob("*/scorecard.json")) - before)
    if len(written) != 1:
        raise SystemExit(f"{backend}: no scorecard\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    card: dict[str, Any] = json.loads(written[0].read_text())
    return wall, card


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="provider-outage")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {b: [] for b in BACKENDS}
    recovered: dict[str, list[float]] = {b: [] for b in BACKENDS}
    verdicts: dict[str, set[str]] = {b: set() for b in BACKENDS}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="drdrill-bench-k8s-") as folder:
        reports = Path(folder)
        for backend in BACKENDS:
            drill(args.scenario, backend, reports)  # warm-up: images built and loaded
        for run in range(args.runs):
            for backend in BACKENDS:
                wall, card = drill(args.scenario, backend, reports)
                walls[backend].append(wall)
                measured = card.get("measurements") or {}
                assert isinstance(measured, dict)
                if measured.get("time_to_recover_s") is not None:
                    recovered[backend].append(float(measured["time_to_recover_s"]))
                judged = [v for v in card["verdicts"] if v.get("passed") is not None]
                words = ", ".join(f"{v['name']}={'pass' if v['passed'] else 'fail'}" for v in judged)
                verdicts[backend].add(f"{card['status']}: {words}")
                loads.append(os.getloadavg()[0])
                print(f"run {run + 1} {backend}: {wall:.1f} s, {card['status']}", flush=True)
    print(f"\n{args.scenario} on the Q&A example, {args.runs} runs each (load average 1 min: "
          f"median {statistics.median(loads):.1f}, max {max(loads):.1f} on {os.cpu_count()} CPUs)")  # fmt: skip
    for backend in BACKENDS:
        ttr = (
            f"median time to recover {statistics.median(recovered[backend]):.2f} s"
            if recovered[backend]
            else "time to recover: not measured, because no run saw an interruption"
        )
        print(f"  {backend:10} wall median {statistics.median(walls[backend]):6.1f} s "
              f"(min {min(walls[backend]):.1f}, max {max(walls[backend]):.1f}); {ttr}")  # fmt: skip
        for line in sorted(verdicts[backend]):
            print(f"    {line}")
    ratio = statistics.median(walls["kubernetes"]) / statistics.median(walls["compose"])
    print(f"  kubernetes / compose wall time: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
