"""Benchmark: hostile inputs through every reader of drdrill, one forked process per case, counted per family.

Three suites draw cases from the same spaces as the tests:

- ``plans`` (``tests/unit/plan/hostile_cases.py``): mutated plans and special files, through the loader, the
  lints and the tabletop; the family is the special file (``mutated-yaml`` when there is none);
- ``compose`` (``tests/unit/plan/hostile_compose.py``): compose files that reach for the host, safe ones, hostile
  service names, links and FIFOs, through the loader;
- ``scorecards`` (``tests/unit/report/hostile_cards.py``): a reports directory with one crafted scorecard,
  through ``history``, ``lint --reports``, ``report``, ``tabletop --scorecard`` and ``export``.

Each case runs in a child forked after the imports, under a time limit, so a hang or a crash cannot stop the
run and the child's peak memory is its own. Reports per family the cases tried and mishandled (a traceback, a
hang, an unclear or wrong answer), and the maximum time and memory per case. Not a test: nothing here asserts.

    .venv/bin/python benchmarks/hostile_plans.py [--cases N] [--seed S] [--timeout SECONDS] [--suites ...]
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the case builders live with the tests that use them

from tests.unit.measure.drill_timeline import standard_scorecard  # noqa: E402
from tests.unit.plan.hostile_cases import problems, random_case, write_case  # noqa: E402
from tests.unit.plan.hostile_compose import COMPOSE_FAMILIES, compose_problems  # noqa: E402
from tests.unit.report.hostile_cards import FAMILIES as CARD_FAMILIES  # noqa: E402
from tests.unit.report.hostile_cards import card_problems, write_reports  # noqa: E402

from drdrill.plan import load_plan  # noqa: E402

SUITES = ("plans", "compose", "scorecards")


@dataclass(frozen=True)
class Outcome:
    """One case: its suite and family, label, seconds, the child's peak memory in KiB, and what went wrong."""

    suite: str
    family: str
    label: str
    seconds: float
    max_rss_kib: int
    failure: str
    hung: bool


Case = Callable[[Path], list[str]]  # runs in the child, in a scratch folder; returns the problems found


def _child(case: Case, scratch: Path, report: int) -> None:
    try:
        os.chdir(scratch)
        message = "; ".join(case(scratch))
    except BaseException:  # the failure under test: report it, whatever it is
        message = "traceback: " + traceback.format_exc(limit=3).replace("\n", " | ")[-600:]
    os.write(report, message.encode("utf-8", "replace")[:4000])
    os._exit(0)


def run_case(suite: str, family: str, label: str, case: Case, timeout: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="drdrill-hostile-") as tmp:
        read, write = os.pipe()
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            signal.alarm(max(1, round(timeout)))  # SIGALRM ends a hung child
            _child(case, Path(tmp), write)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - started
    hung = os.WIFSIGNALED(status)
    if hung:
        message = f"killed by signal {os.WTERMSIG(status)} (a hang if SIGALRM) " + message
    return Outcome(suite, family, label, seconds, usage.ru_maxrss, message, hung)


def plan_cases(rng: random.Random, count: int) -> list[tuple[str, str, Case]]:
    out: list[tuple[str, str, Case]] = []
    for _ in range(count):
        mutations, special = random_case(rng)
        label = f"{special} " + " ".join(f"{m.fragment}/{m.size}/{m.mode}" for m in mutations)

        def case(scratch: Path, mutations: Any = mutations, special: str = special) -> list[str]:
            return problems(write_case(scratch / "plan", mutations, special))

        out.append(("mutated-yaml" if special == "none" else special, label, case))
    return out


def compose_cases(rng: random.Random, count: int) -> list[tuple[str, str, Case]]:
    out: list[tuple[str, str, Case]] = []
    for _ in range(count):
        family = rng.choice(sorted(COMPOSE_FAMILIES))
        seed = rng.randrange(2**32)

        def case(scratch: Path, family: str = family, seed: int = seed) -> list[str]:
            return compose_problems(COMPOSE_FAMILIES[family](scratch / "plan", random.Random(seed)))

        out.append((family, f"{family} seed {seed}", case))
    return out


def scorecard_cases(rng: random.Random, count: int) -> list[tuple[str, str, Case]]:
    card = standard_scorecard(
        load_plan(ROOT / "scenarios"), "passed"
    ).to_json()  # built once, before the forks
    out: list[tuple[str, str, Case]] = []
    for _ in range(count):
        family = rng.choice(sorted(CARD_FAMILIES))
        seed = rng.randrange(2**32)

        def case(scratch: Path, family: str = family, seed: int = seed) -> list[str]:
            bad = write_reports(scratch / "reports", card, family, random.Random(seed))
            (scratch / "out").mkdir()
            return card_problems(scratch / "reports", bad, scratch / "out")

        out.append((family, f"{family} seed {seed}", case))
    return out


BUILDERS = {"plans": plan_cases, "compose": compose_cases, "scorecards": scorecard_cases}


def summarize(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for o in outcomes:
        row = rows.setdefault(
            (o.suite, o.family),
            {
                "suite": o.suite,
                "family": o.family,
                "tried": 0,
                "mishandled": 0,
                "hangs": 0,
                "max_seconds": 0.0,
            },
        )
        row["tried"] += 1
        row["mishandled"] += bool(o.failure)
        row["hangs"] += o.hung
        row["max_seconds"] = round(max(row["max_seconds"], o.seconds), 3)
    return [rows[key] for key in sorted(rows)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=300, help="cases per suite (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a case counts as hung")
    parser.add_argument("--suites", default=",".join(SUITES), help=f"comma-separated, of {', '.join(SUITES)}")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes: list[Outcome] = []
    for suite in args.suites.split(","):
        rng = random.Random(f"{args.seed}-{suite}")
        for family, label, case in BUILDERS[suite](rng, args.cases):
            outcomes.append(run_case(suite, family, label, case, args.timeout))
    rows = summarize(outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    biggest = max(outcomes, key=lambda o: o.max_rss_kib)
    failures = [o for o in outcomes if o.failure]
    print(
        f"{len(outcomes)} hostile cases (seed {args.seed}): {len(failures)} mishandled, "
        f"{sum(o.hung for o in outcomes)} hangs; per case max {round(slowest.seconds, 3)} s, max RSS "
        f"{round(biggest.max_rss_kib / 1024, 1)} MiB (the parent had {round(baseline / 1024, 1)} MiB after its "
        "imports)"
    )
    print(f"  {'suite':<11} {'family':<20} {'tried':>6} {'mishandled':>11} {'hangs':>6} {'max s':>7}")
    for row in rows:
        print(
            f"  {row['suite']:<11} {row['family']:<20} {row['tried']:>6} {row['mishandled']:>11} "
            f"{row['hangs']:>6} {row['max_seconds']:>7}"
        )
    print(f"  slowest: {slowest.suite} {slowest.label[:120]}")
    print(f"  largest: {biggest.suite} {biggest.label[:120]}")
    for failure in failures[:20]:
        print(f"  MISHANDLED {failure.suite} {failure.label[:120]}: {failure.failure[:400]}")
    if args.json:
        figures = {"cases": len(outcomes), "mishandled": len(failures), "families": rows}
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
