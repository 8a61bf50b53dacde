"""Benchmark: the fixed cost of a drill, drdrill beside a bare Chaos Toolkit run of the same fault, side by side.

A drill's fixed cost is its wall time less what the scenario itself waits for: the baseline it declares, the
time the fault is held, and the drain (the system's own fail-back and catching up). drdrill runs as a user runs
it, ``pytest --drill=provider-outage`` in a process of its own, warm images; its journal and scorecard give the
split: pytest start (until the set-up checks), the set-up checks (preflight), the sweep, the stack start, the warm-up,
each phase's overrun beyond its setting (the baseline beyond its wait, the fault beyond its hold), the final
read, the verification (the scenario's data checks and golden set, which the bare run has no counterpart of),
the teardown, and the report and exit.

Chaos Toolkit drives the same fault on the same replica, as bare as it gets: in a throwaway virtual environment
(``benchmarks/results/ctk-venv``, made once, not a dependency of drdrill) ``chaos run`` starts the same compose
file with the same override, polls the same readiness URLs every 0.1 s, checks the steady state, cuts the same
Toxiproxy link for the median hold of the drdrill runs, restores it, and removes the replica the same way
(``compose down --volumes --timeout 0``). Its fixed cost is its wall time less that hold.

The bare run's steady state is the readiness URLs answering: it never asks the system to do its work before the
fault, so it never pays for the system's first, cold unit of work (on the claims replica the first claim takes
0.7 to 1.9 s: the worker's first request through the openai SDK builds its models, 0.57 s in the worker's
container on a started replica, on cores still busy with the other containers' start). drdrill's warm-up does pay it,
once for each of the replica's two workers, and the benchmark reports the first warm-up probe on its own
("first answer"). So each round also runs Chaos Toolkit a second time, like for like: its steady-state probe is
the plan's own (one unit written, read back until done, which warms one worker), and both ratios are reported.
The issue's target is the bare run.

Both run as installed by a user, each in a throwaway virtual environment of its own under
``benchmarks/results/`` (made once): ``pip install chaostoolkit`` for one, ``pip install drdrill`` (this
checkout's source, installed again on every benchmark) for the other, so neither loads the other's or this
checkout's dev tools (pytest-xdist, hypothesis, pytest-html, and the click and rich that httpx's command line
imports when they are there). drdrill runs from an empty project folder that names the plan with
``--drill-plan``, as a user's project does. Both run from bytecode, as after an install and a first run: pip
compiled both, and drdrill runs without ``PYTHONDONTWRITEBYTECODE`` (as Chaos Toolkit does, whose environment is
only its path) after one untimed ``--collect-only`` run: pytest rewrites the asserts of every module of a
plugin's distribution and caches the result beside the bytecode, which that variable forbids, so it would
rewrite and compile drdrill's 65 modules again on every run (0.3 to 0.4 s that a user pays on a first drill
only).

The runs alternate (drdrill, Chaos Toolkit bare, Chaos Toolkit like for like, drdrill, ...) so all see the same
machine; medians of ``RUNS`` (default 5) are reported with their ratios. Not a test: nothing here asserts a time.

    ./dev bench [RUNS]        # or .venv/bin/python benchmarks/fixed_cost.py [RUNS]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drdrill.plan import load_plan
from drdrill.plan.durations import parse_duration
from drdrill.staging.stack import StagingStack
from drdrill.templates import render, render_body

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SCENARIO = "provider-outage"
S = 1e9
CTK_VENV = RESULTS / "ctk-venv"
USER_VENV = RESULTS / "drdrill-venv"
CTK_VERSION = "chaostoolkit==1.19.0"

PARTS = (
    "pytest start",
    "set-up checks",
    "sweep",
    "stack start",
    "warm-up",
    "baseline overrun",
    "fault overrun",
    "final read",
    "verify",
    "teardown",
    "report and exit",
)


def _phases(card: dict[str, Any]) -> dict[str, tuple[int, int]]:
    starts: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    for event in card["timeline"]:
        if event["kind"] != "phase":
            continue
        if event["type"] == "start":
            starts[event["name"]] = event["t_ns"]
        elif event["name"] in starts:
            spans[event["name"]] = (starts[event["name"]], event["t_ns"])
    return spans


def user_env() -> dict[str, str]:
    """This process's environment as a user's shell has it: bytecode may be cached (see the module's docstring)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def ensure_user_venv() -> Path:
    """drdrill as a user installs it (``pip install drdrill``: its own dependencies, no dev tools), in a throwaway
    virtual environment made once; this checkout's source is installed into it again on every benchmark."""
    pytest_bin = USER_VENV / "bin" / "pytest"
    pip = str(USER_VENV / "bin" / "pip")
    if not pytest_bin.exists():
        subprocess.run([sys.executable, "-m", "venv", str(USER_VENV)], check=True)
        subprocess.run([pip, "install", "-q", str(ROOT)], check=True)
    subprocess.run([pip, "install", "-q", "--no-deps", "--force-reinstall", str(ROOT)], check=True)
    return pytest_bin


def drdrill_command(pytest_bin: Path, report_dir: Path) -> list[str]:
    """``pytest --drill`` as a user runs it, from a project of their own that names the plan."""
    return [
        str(pytest_bin),
        "-p",
        "no:cacheprovider",
        "-q",
        f"--drill={SCENARIO}",
        f"--drill-plan={ROOT / 'scenarios'}",
        f"--drill-report-dir={report_dir}",
    ]


def prime(pytest_bin: Path, project: Path, report_dir: Path) -> None:
    """One untimed ``--collect-only`` run, which caches the assert-rewritten bytecode of the plugins' modules."""
    subprocess.run(
        [*drdrill_command(pytest_bin, report_dir), "--collect-only"],
        cwd=project,
        env=user_env(),
        capture_output=True,
        check=True,
    )


def drdrill_run(pytest_bin: Path, project: Path, report_dir: Path) -> dict[str, float]:
    """One drill as a user runs it; its fixed cost, split."""
    command = drdrill_command(pytest_bin, report_dir)
    spawned = time.monotonic_ns()
    done = subprocess.run(command, cwd=project, env=user_env(), capture_output=True, text=True, check=False)
    exited = time.monotonic_ns()
    found = sorted(report_dir.glob(f"*-{SCENARIO}-*/scorecard.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"the drill wrote no scorecard:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    card = json.loads(found[-1].read_text())
    spans = _phases(card)
    preflight = card["environment"]["preflight_ns"]
    faults = [e["t_ns"] for e in card["timeline"] if e["kind"] == "fault"]
    hold = max(faults) - min(faults)
    staging = card["config"]["staging"]
    # the baseline waits its setting, then until a share of a probe interval (drawn from the run id) after a
    # steady-state probe was due (run/phases.py): the scenario's wait, from the first probe's invocation
    share = random.Random(card["run_id"]).random()
    interval = parse_duration(staging["probe_interval"]).total_seconds() * S
    first_probe = min(
        e["t_ns"]
        for e in card["timeline"]
        if e["kind"] == "probe" and e["type"] == "invoke" and "-canary-" in str(e.get("process"))
    )
    earliest = spans["baseline"][0] + parse_duration(staging["baseline"]).total_seconds() * S
    on_phase = first_probe + share * interval
    baseline_wait = (
        on_phase + math.ceil(max(0.0, earliest - on_phase) / interval) * interval - spans["baseline"][0]
    )
    drain = spans["drain"][1] - spans["drain"][0]

    def took(phase: str) -> float:
        start, end = spans[phase]
        return (end - start) / S

    split = {
        "pytest start": (preflight[0] - spawned) / S,
        "set-up checks": (preflight[1] - preflight[0]) / S,
        "sweep": took("sweep"),
        "stack start": took("stack-start"),
        "warm-up": took("warm-up") if "warm-up" in spans else 0.0,  # until three good probes in a row
        "baseline overrun": took("baseline") - baseline_wait / S,
        "fault overrun": took("fault") - hold / S,
        "final read": took("final-read"),
        "verify": took("verify") if "verify" in spans else 0.0,  # the scenario's data checks and golden set
        "teardown": took("teardown"),
        "report and exit": (exited - spans["teardown"][1]) / S,
    }
    wall = (exited - spawned) / S
    # The system's first unit of work: the first warm-up probe, from its invocation (in the stack start, as soon
    # as the system is open) to its answer. The like-for-like run's steady state pays the same; the bare one not.
    invoked = {
        e["process"]: e["t_ns"] for e in card["timeline"] if e["kind"] == "probe" and e["type"] == "invoke"
    }
    first = [
        (e["t_ns"] - invoked[e["process"]]) / S
        for e in card["timeline"]
        if e["kind"] == "probe" and e["type"] != "invoke" and str(e.get("process")).endswith("-warm-00001")
    ]
    return {
        **split,
        "first answer": first[0] if first else math.nan,
        "compose read early": 1.0 if card["environment"].get("compose_read_early") else 0.0,
        "wall": wall,
        "hold": hold / S,
        "drain": drain / S,
        "fixed": wall - baseline_wait / S - hold / S - drain / S,
        "passed": 1.0 if card["status"] == "passed" else 0.0,
    }


# -- Chaos Toolkit -------------------------------------------------------------------------------------------

HELPERS = '''
"""Activities of the bare Chaos Toolkit run: readiness polled every 0.1 s, a Toxiproxy link cut and restored."""
import json, time, urllib.request, socket


def wait_ready(urls, poll_s=0.1, timeout_s=90.0):
    deadline = time.monotonic() + timeout_s
    waiting = list(urls)
    while waiting:
        for url in list(waiting):
            try:
                if url.startswith("tcp://"):
                    host, _, port = url[len("tcp://"):].split("/", 1)[0].rpartition(":")
                    socket.create_connection((host, int(port)), timeout=1.0).close()
                    waiting.remove(url)
                    continue
                with urllib.request.urlopen(url, timeout=1.0) as answer:
                    if 200 <= answer.status < 300:
                        waiting.remove(url)
            except (OSError, ValueError):
                pass
        if waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready: {waiting}")
            time.sleep(poll_s)
    return True


def round_trip(method, url, body, read_url, path, equals, poll_s=0.05, timeout_s=10.0):
    """The plan's steady-state probe, by hand: write one unit, then read it back until it is done."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5.0) as answer:
        if not 200 <= answer.status < 300:
            raise RuntimeError(f"write answered {answer.status}")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(read_url, timeout=1.0) as answer:
                if json.loads(answer.read()).get(path) == equals:
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(poll_s)
    raise RuntimeError("the unit was not done in time")


def link(api, name, enabled):
    body = json.dumps({"enabled": enabled}).encode()
    request = urllib.request.Request(f"{api}/proxies/{name}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5.0) as answer:
        return answer.status
'''


def ensure_ctk() -> Path:
    """The throwaway virtual environment with Chaos Toolkit's CLI; made once."""
    chaos = CTK_VENV / "bin" / "chaos"
    if not chaos.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CTK_VENV)], check=True)
        subprocess.run([str(CTK_VENV / "bin" / "pip"), "install", "-q", CTK_VERSION], check=True)
    return chaos


def round_trip_arguments(stack: StagingStack) -> dict[str, Any]:
    """The plan's own steady-state probe (write a unit, read it back until done), for a Chaos Toolkit probe."""
    system = stack.plan.staging_topology.system
    assert system is not None and system.write is not None and system.probe is not None
    read_back = system.probe.read_back
    assert read_back is not None and read_back.done.equals is not None
    unit = f"ctk-{time.monotonic_ns()}"
    values = {"id": unit, "payload": system.payloads[0]}
    return {
        "method": system.write.request.method,
        "url": render(system.write.request.url, stack, values),
        "body": render_body(system.write.request.json_body, values),
        "read_url": render(read_back.url, stack, values),
        "path": read_back.done.path,
        "equals": read_back.done.equals,
        "poll_s": read_back.poll.total_seconds(),
    }


def ctk_experiment(stack: StagingStack, hold_s: float, like_for_like: bool = False) -> dict[str, Any]:
    compose = [
        "compose",
        "-p",
        stack.project,
        "--project-directory",
        str(stack.compose_file.parent),
        "-f",
        str(stack.compose_file),
        "-f",
        str(stack.override_file),
    ]
    readiness = list(stack.readiness().values())
    link = stack.proxies[0].name  # the scenario's fault: the primary provider's link down
    api = stack.toxiproxy_url

    def python(title: str, func: str, **arguments: Any) -> dict[str, Any]:
        return {
            "type": "action",
            "name": title,
            "provider": {"type": "python", "module": "ctk_helpers", "func": func, "arguments": arguments},
        }

    return {
        "title": f"{SCENARIO}, bare",
        "description": "the drdrill scenario's fault on the same replica, with nothing but Chaos Toolkit",
        "method": [
            {
                "type": "action",
                "name": "start the replica",
                "provider": {"type": "process", "path": "docker", "arguments": [*compose, "up", "--detach"]},
            },
            python("wait until ready", "wait_ready", urls=readiness, poll_s=0.1),
            {
                "type": "probe",
                "name": "steady state",
                "tolerance": True,
                "provider": {
                    "type": "python",
                    "module": "ctk_helpers",
                    # like for like: the plan's own steady-state probe, a unit written and read back until done
                    "func": "round_trip" if like_for_like else "wait_ready",
                    "arguments": round_trip_arguments(stack) if like_for_like else {"urls": readiness},
                },
            },
            {
                **python("cut the link", "link", api=api, name=link, enabled=False),
                "pauses": {"after": hold_s},
            },
            python("restore the link", "link", api=api, name=link, enabled=True),
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "remove the replica",
                "provider": {
                    "type": "process",
                    "path": "docker",
                    "arguments": [*compose, "down", "--volumes", "--remove-orphans", "--timeout", "0"],
                },
            }
        ],
    }


def ctk_run(chaos: Path, hold_s: float, workdir: Path, like_for_like: bool = False) -> dict[str, float]:
    """One bare Chaos Toolkit run of the fault; its wall time and fixed cost (wall less the hold)."""
    plan = load_plan(ROOT / "scenarios")
    stack = StagingStack(plan, f"ctk{int(time.time() * 1000) % 10**8:08d}", lambda _m: None)
    stack.prepare()  # the compose override with free ports: a Chaos Toolkit user would have written it once
    try:
        (workdir / "ctk_helpers.py").write_text(textwrap.dedent(HELPERS))
        experiment = workdir / "experiment.json"
        experiment.write_text(json.dumps(ctk_experiment(stack, hold_s, like_for_like), indent=2))
        journal = workdir / "journal.json"
        started = time.perf_counter()
        begun = time.time()
        done = subprocess.run(
            [
                str(chaos),
                "--no-version-check",
                "run",
                "--no-verify-tls",
                "--journal-path",
                str(journal),
                str(experiment),
            ],
            cwd=workdir,
            env={"PYTHONPATH": str(workdir), "PATH": "/usr/local/bin:/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        ended = time.time()
    finally:
        stack.started = True
        stack.stop()  # whatever the experiment left (nothing, when its rollback ran)
    if done.returncode != 0:
        raise SystemExit(f"chaos run failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return {"wall": wall, "hold": hold_s, "fixed": wall - hold_s, **ctk_split(journal, begun, ended)}


CTK_PARTS = ("chaos start", "compose up", "ready", "steady state", "compose down", "chaos exit")


def ctk_split(journal: Path, begun: float, ended: float) -> dict[str, float]:
    """The bare run's own split, from the activities' start and end times in Chaos Toolkit's journal (UTC
    wall clock): its process start until the first activity, each activity, and the exit after the last."""
    record = json.loads(journal.read_text())
    runs = {r["activity"]["name"]: r for r in [*record.get("run", []), *record.get("rollbacks", [])]}

    def at(stamp: str) -> float:
        return datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()

    def took(name: str) -> float:
        return at(runs[name]["end"]) - at(runs[name]["start"])

    return {
        "chaos start": at(runs["start the replica"]["start"]) - begun,
        "compose up": took("start the replica"),
        "ready": took("wait until ready"),
        "steady state": took("steady state"),
        "compose down": took("remove the replica"),
        "chaos exit": ended - at(runs["remove the replica"]["end"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="?", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--json", type=Path, default=RESULTS / "fixed_cost.json")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 20:
        parser.error(f"runs must be between 1 and 20, got {args.runs}")
    chaos = ensure_ctk()
    pytest_bin = ensure_user_venv()
    drills: list[dict[str, float]] = []
    bare: list[dict[str, float]] = []
    alike: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="drdrill-fixed-") as tmp:
        project = Path(tmp) / "project"  # the user's own project: no conftest, no pytest settings
        project.mkdir()
        prime(pytest_bin, project, Path(tmp) / "reports")
        for n in range(args.runs):
            drill = drdrill_run(pytest_bin, project, Path(tmp) / "reports")
            drills.append(drill)
            hold = statistics.median(d["hold"] for d in drills)
            runs = []
            for like_for_like, kept in ((False, bare), (True, alike)):
                workdir = Path(tmp) / f"ctk-{n}-{'alike' if like_for_like else 'bare'}"
                workdir.mkdir()
                kept.append(ctk_run(chaos, hold, workdir, like_for_like))
                runs.append(kept[-1])
            print(
                f"run {n + 1}/{args.runs}: drdrill fixed {drill['fixed']:.2f} s (wall {drill['wall']:.1f} s"
                + ("" if drill["passed"] else ", drill did not pass")
                + f"); Chaos Toolkit fixed {runs[0]['fixed']:.2f} s bare, {runs[1]['fixed']:.2f} s with the "
                "plan's steady-state probe",
                flush=True,
            )
    median = {
        part: statistics.median(d[part] for d in drills)
        for part in (*PARTS, "first answer", "fixed", "wall", "hold", "drain")
    }
    keys = ("fixed", "wall", "hold", *CTK_PARTS)
    ctk = {key: statistics.median(r[key] for r in bare) for key in keys}
    ctk_alike = {key: statistics.median(r[key] for r in alike) for key in keys}
    print(f"\nmedian of {args.runs} runs each, warm images, side by side:")
    for part in PARTS:
        print(f"  {part:<18} {median[part]:6.2f} s")
    print(
        f"  (the system's first answer, from the stack start into the warm-up: {median['first answer']:.2f} s; "
        f"compose's early reading of the file used in {sum(int(d['compose read early']) for d in drills)} of "
        f"{len(drills)} runs)"
    )
    print(
        f"  {'drdrill fixed':<18} {median['fixed']:6.2f} s   (wall {median['wall']:.1f} s, hold {median['hold']:.1f} s, drain {median['drain']:.1f} s)"
    )
    for title, found in (("bare, readiness only", ctk), ("with the plan's steady-state probe", ctk_alike)):
        print(
            f"  Chaos Toolkit, {title}: fixed {found['fixed']:.2f} s (wall {found['wall']:.1f} s, hold "
            f"{found['hold']:.1f} s); its own split, from its journal:"
        )
        for part in CTK_PARTS:
            print(f"    {part:<16} {found[part]:6.2f} s")
    print(f"  ratio drdrill / Chaos Toolkit bare: {median['fixed'] / ctk['fixed']:.2f}")
    print(
        f"  ratio drdrill / Chaos Toolkit with the plan's probe: {median['fixed'] / ctk_alike['fixed']:.2f}"
    )
    record = {
        "runs": args.runs,
        "drdrill": drills,
        "chaostoolkit": bare,
        "chaostoolkit_like_for_like": alike,
        "median": median,
        "ctk_median": ctk,
        "ctk_like_for_like_median": ctk_alike,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
