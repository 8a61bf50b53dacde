"""Benchmark: does the workload keep its schedule at 10, 200 and 1,000 writes a second, with 200 probes a second?

Against a replica that answers in time: a small asyncio HTTP server in a process of its own on 127.0.0.1 that
acknowledges every write at once and answers the health probe, except during a 2 s outage in the middle of each
run (503 to everything); the run journals its fault from the outage's start to 1 s after its end, so recovery is
seen while the fault is held. Each rate runs in a fresh process (its peak memory
is its own) through the declarative HTTP system, as a drill drives it: the workload's writes on its event loop,
the steady-state probe every ``--probe-interval`` (5 ms: 200 a second). Reported per rate: declared and achieved
rates, start lag (median, p99, max), writes refused by the cap, probes achieved, the CPU the drdrill process used
(cores), its peak memory, and how wide the drill's bounds on time to detect and time to recover were (what a
denser workload buys). All figures from one process run. Not a test: nothing here asserts a time.

    .venv/bin/python benchmarks/workload_rate.py [--rates 10,200,1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from drdrill.clock import SystemClock
from drdrill.journal import Journal, Kind, Type
from drdrill.measure.verdicts import Objectives, judge, measure
from drdrill.plan import load_plan
from drdrill.plan.system import SystemContract
from drdrill.probes import CanaryProbe
from drdrill.replica import NotRunning
from drdrill.system import HttpSystem, SystemContext
from drdrill.workload import Workload

ROOT = Path(__file__).resolve().parents[1]
S = 1_000_000_000
CONTRACT = {
    "payloads": ["a claim"],
    "write": {
        "request": {
            "method": "POST",
            "url": "http://{api:8080}/claims",
            "json": {"id": "{id}"},
            "timeout": "2s",
        },
        "ack": {"status": [201]},
        "refused": [503],
    },
    "probe": {"health": {"url": "http://{api:8080}/health", "within": "1s"}},
}


# -- the replica: answers at once, but for its outage ------------------------------------------------------


async def _serve(port_file: Path, outage: tuple[int, int]) -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                down = outage[0] <= time.monotonic_ns() < outage[1]
                status = b"503 Service Unavailable" if down else b"201 Created"
                if head.startswith(b"GET") and not down:
                    status = b"200 OK"
                writer.write(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
                )
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


# -- one run ------------------------------------------------------------------------------------------------


class _Replica(NotRunning):
    def __init__(self, port: int) -> None:
        self.port = port

    def address(self, service: str, port: int) -> tuple[str, int]:
        return "127.0.0.1", self.port


def one_rate(
    rate: float, seconds: float, probe_interval: float, port: int, outage: tuple[int, int]
) -> dict[str, Any]:
    """Drive the replica at ``port`` for ``seconds`` and measure; in this process (a child of main)."""
    plan = load_plan(ROOT / "scenarios")
    clock = SystemClock()
    journal = Journal(clock)
    system = HttpSystem(SystemContract.model_validate(CONTRACT))
    system.open(SystemContext(_Replica(port), clock, plan, "bench"))
    workload = Workload(system, journal, clock, "bench", ("a claim",), rate, seconds)
    probe = CanaryProbe(system, journal, clock, "bench", ("a claim",), probe_interval, 1.0, seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    workload.start()
    probe.start()
    # the fault is held 1 s past the outage's end, so that recovery is seen while it is held
    for at, type_ in ((outage[0], Type.START), (outage[1] + S, Type.END)):
        time.sleep(max(0.0, (at - time.monotonic_ns()) / S))
        journal.record(Kind.FAULT, type_, "outage of the replica")
    time.sleep(max(0.0, seconds - (time.perf_counter() - started)))
    workload.stop()
    probe.stop()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    system.close()
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    objectives = Objectives(rto_ns=3600 * S, rpo_ns=0, recovery_bound_ns=30 * S, steady_window_ns=S // 2)
    m = measure(journal.events(), objectives.steady_window_ns)
    verdicts = {v.name: v.outcome for v in judge(m, objectives)}
    w = m.workload
    assert w is not None
    probes = sum(1 for e in journal.events() if e.kind is Kind.PROBE and e.type is Type.INVOKE)

    def width(bound: tuple[int, int] | None) -> float | None:
        return None if bound is None else (bound[0] + bound[1]) / S

    return {
        "declared_rate": rate,
        "achieved_rate": w.achieved_rate_per_s,
        "started": w.started,
        "scheduled": w.scheduled,
        "refused": w.refused,
        "lag_median_ms": (w.lag_median_ns or 0) / 1e6,
        "lag_p99_ms": (w.lag_p99_ns or 0) / 1e6,
        "lag_max_ms": (w.lag_max_ns or 0) / 1e6,
        "probes_per_s": probes / wall,
        "cpu_cores": cpu / wall,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "detect_bound_width_s": width(m.time_to_detect_bound_ns),
        "recover_bound_width_s": width(m.time_to_recover_bound_ns),
        "schedule": verdicts.get("schedule"),
        "events": len(journal.events()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="10,200,1000", help="writes a second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="each run's length (default 10)")
    parser.add_argument("--probe-interval", type=float, default=0.005, help="seconds (default 0.005: 200/s)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "workload_rate.json")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:  # the replica's process
        begin, end = (int(x) for x in args.child.split(","))
        asyncio.run(_serve(args.serve, (begin, end)))
        return 0
    if args.child is not None:  # one rate's process
        rate, port, start, end = args.child.split(",")
        found = one_rate(float(rate), args.seconds, args.probe_interval, int(port), (int(start), int(end)))
        print(json.dumps(found))
        return 0
    results: list[dict[str, Any]] = []
    port_file = ROOT / "benchmarks" / "results" / "workload_rate.port"
    port_file.parent.mkdir(parents=True, exist_ok=True)
    for rate in [float(r) for r in args.rates.split(",")]:
        # the outage: 2 s from 40% of the run, on the monotonic clock the whole machine shares
        begin = time.monotonic_ns() + round((1.0 + 0.4 * args.seconds) * S)
        outage = f"{begin},{begin + 2 * S}"
        port_file.unlink(missing_ok=True)
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file), "--child", outage])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            child = f"{rate},{port_file.read_text()},{outage}"
            command = [sys.executable, __file__, "--child", child, "--seconds", str(args.seconds)]
            command += ["--probe-interval", str(args.probe_interval)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
        finally:
            server.terminate()
            server.wait(10)
        found = json.loads(done.stdout)
        results.append(found)
        print(
            f"{rate:>6g}/s declared: {found['achieved_rate']:.1f}/s achieved ({found['started']} started, "
            f"{found['refused']} refused); start lag {found['lag_median_ms']:.2f} ms median, "
            f"{found['lag_p99_ms']:.2f} ms p99, {found['lag_max_ms']:.1f} ms max; probes {found['probes_per_s']:.0f}/s; "
            f"CPU {found['cpu_cores']:.2f} cores; peak {found['peak_mib']:.0f} MiB; bounds: detect "
            f"{found['detect_bound_width_s']} s, recover {found['recover_bound_width_s']} s; schedule {found['schedule']}",
            flush=True,
        )
    args.json.write_text(json.dumps({"seconds": args.seconds, "runs": results}, indent=2) + "\n")
    print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
