"""Benchmark: hostile plans through the loader, the lints and the tabletop, one forked process per case.

Draws cases from the same space as the fuzz test (``tests/unit/plan/hostile_cases.py``): mutated plans and
special files. Each case runs in a child forked after the imports, under a time limit, so a hang or a crash
cannot stop the run and the child's peak memory is its own. Reports the cases tried, the failures (a
traceback, a hang, an unclear answer) and the maximum time and memory per case. Not a test: nothing here
asserts a figure.

    .venv/bin/python benchmarks/hostile_plans.py [--cases N] [--seed S] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the case builder lives with the tests that use it

from tests.unit.plan.hostile_cases import Mutation, problems, random_case, write_case  # noqa: E402


@dataclass(frozen=True)
class Outcome:
    """One case: its label, seconds, the child's peak resident memory in KiB, and what went wrong."""

    label: str
    seconds: float
    max_rss_kib: int
    failure: str


def _child(directory: Path, report: int) -> None:
    try:
        found = problems(directory)
        message = "; ".join(found)
    except BaseException:  # the failure under test: report it, whatever it is
        message = "traceback: " + traceback.format_exc(limit=3).replace("\n", " | ")[-600:]
    os.write(report, message.encode("utf-8", "replace")[:4000])
    os._exit(0)


def run_case(mutations: list[Mutation], special: str, timeout: float) -> Outcome:
    label = f"{special} " + " ".join(f"{m.fragment}/{m.size}/{m.mode}" for m in mutations)
    with tempfile.TemporaryDirectory(prefix="drdrill-hostile-") as tmp:
        directory = write_case(Path(tmp) / "plan", mutations, special)
        read, write = os.pipe()
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            signal.alarm(max(1, round(timeout)))  # SIGALRM ends a hung child
            _child(directory, write)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - started
    if os.WIFSIGNALED(status):
        message = f"killed by signal {os.WTERMSIG(status)} (a hang if SIGALRM) " + message
    return Outcome(label, seconds, usage.ru_maxrss, message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases to try (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a case counts as hung")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes = [run_case(*random_case(rng), timeout=args.timeout) for _ in range(args.cases)]
    failures = [o for o in outcomes if o.failure]
    slowest = max(outcomes, key=lambda o: o.seconds)
    biggest = max(outcomes, key=lambda o: o.max_rss_kib)
    figures = {
        "cases": len(outcomes),
        "failures": len(failures),
        "max_seconds": round(slowest.seconds, 3),
        "slowest_case": slowest.label,
        "median_seconds": round(sorted(o.seconds for o in outcomes)[len(outcomes) // 2], 3),
        "max_rss_mib": round(biggest.max_rss_kib / 1024, 1),
        "biggest_case": biggest.label,
    }
    print(
        f"{figures['cases']} hostile plans (seed {args.seed}): {figures['failures']} failures; "
        f"per case max {figures['max_seconds']} s (median {figures['median_seconds']} s), "
        f"max RSS {figures['max_rss_mib']} MiB (the parent had {round(baseline / 1024, 1)} MiB after its imports)"
    )
    print(f"  slowest: {slowest.label}")
    print(f"  largest: {biggest.label}")
    for failure in failures[:20]:
        print(f"  FAILED {failure.label}: {failure.failure}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
