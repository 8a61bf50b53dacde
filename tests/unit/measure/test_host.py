"""The host's load over a drill: read from /proc, journalled twice, judged saturated or not, said in the
schedule verdict and the scorecard's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill import host
from drdrill.clock import FakeClock
from drdrill.journal import HOST, Journal, Kind, Type
from drdrill.measure.host import HostLoad, host_load
from drdrill.measure.verdicts import Objectives, Words, judge, measure
from tests.unit.workload.test_open_model import AsyncDesk, drive

S = 1_000_000_000


def proc(tmp_path: Path, load: str, cpu: str) -> Path:
    (tmp_path / "loadavg").write_text(f"{load} 1.00 0.50 2/300 4242\n")
    (tmp_path / "stat").write_text(f"{cpu}\ncpu0 1 2 3 4\nintr 5\n")
    return tmp_path


def test_a_sample_reads_the_cpu_counters_and_the_load(tmp_path: Path) -> None:
    found = host.sample(proc(tmp_path, "3.50", "cpu  100 5 20 800 30 1 2 40 0 0"))
    assert found is not None
    assert {k: v for k, v in found.items() if k != "cpus"} == {
        "load_1m": 3.5,
        "load_5m": 1.0,
        "busy_ticks": 100 + 5 + 20 + 1 + 2,
        "idle_ticks": 800 + 30,
        "steal_ticks": 40,
    }


def test_no_proc_no_sample(tmp_path: Path) -> None:
    assert host.sample(tmp_path / "absent") is None


def journalled(*samples: dict[str, object]) -> Journal:
    journal = Journal(FakeClock(start_ns=0))
    for data in samples:
        journal.record(Kind.NOTE, Type.INFO, HOST, data=data)
    return journal


def sample(busy: int, idle: int, steal: int = 0, load: float = 0.5) -> dict[str, object]:
    return {"cpus": 2, "load_1m": load, "busy_ticks": busy, "idle_ticks": idle, "steal_ticks": steal}


@pytest.mark.parametrize(
    ("last", "why"),
    [
        (sample(1095, 1105), []),  # 95 busy of 200: 47 %
        (sample(1185, 1015), ["its CPUs were 92% busy"]),
        (sample(1100, 1080, steal=20), ["10% of their time was stolen by the hypervisor"]),
        (sample(1010, 1190, load=4.1), ["its load average reached 4.1 on 2 CPU(s)"]),
    ],
)
def test_the_host_is_saturated_by_busy_cpus_stolen_time_or_load(
    last: dict[str, object], why: list[str]
) -> None:
    found = host_load(journalled(sample(1000, 1000), last).events())
    assert found is not None
    assert found.why_saturated() == why
    assert found.saturated is bool(why)


def test_one_sample_says_nothing() -> None:
    assert host_load(journalled(sample(1, 1)).events()) is None


def test_a_saturated_host_is_said_in_the_schedule_verdict_and_the_drill_still_passes() -> None:
    journal = drive(AsyncDesk(FakeClock(start_ns=0), latency_s=0.0), rate=10, seconds=1.0)
    for data in (sample(1000, 1000), sample(1190, 1010)):
        journal.record(Kind.NOTE, Type.INFO, HOST, data=data)
    m = measure(journal.events(), S)
    assert m.host == HostLoad(cpus=2, load_1m=0.5, busy_share=0.95, steal_share=0.0)
    objectives = Objectives(3600 * S, 0, 30 * S, S, unit=Words("claim", "claims"))
    (schedule,) = [v for v in judge(m, objectives) if v.name == "schedule"]
    assert schedule.outcome == "pass"
    assert schedule.message.endswith(
        "; the host was saturated while the drill ran (its CPUs were 95% busy): its timings may include time "
        "spent waiting for a core"
    )
