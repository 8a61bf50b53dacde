"""How busy the machine running a drill is: CPU time counters and load average, read from Linux's /proc.

A drill's timings are only as good as the cores it gets: on a saturated host (other drills in parallel, other
work, a virtual machine whose CPU is stolen) the workload starts late and the probes answer late. The runner
journals a sample when the replica is up and another when the drain ends; measure/ says from the two whether
the host was saturated (:mod:`drdrill.measure.host`).
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def sample(proc: Path = PROC) -> dict[str, object] | None:
    """The host's CPU counters (clock ticks since boot: busy, idle, steal) and load averages, with its CPU
    count; None where /proc does not tell (not Linux)."""
    try:
        loads = (proc / "loadavg").read_text(encoding="ascii").split()[:3]
        cpu = (proc / "stat").read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    if not cpu or cpu[0] != "cpu":
        return None
    ticks = [int(x) for x in cpu[1:] if x.isdigit()]
    ticks += [0] * (8 - len(ticks))
    user, nice, system, idle, iowait, irq, softirq, steal = ticks[:8]
    return {
        "cpus": os.cpu_count() or 1,
        "load_1m": float(loads[0]),
        "load_5m": float(loads[1]),
        "busy_ticks": user + nice + system + irq + softirq,
        "idle_ticks": idle + iowait,
        "steal_ticks": steal,
    }
