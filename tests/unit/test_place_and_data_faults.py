"""Zone and region loss in each mode, replace, and the data faults, on fakes (no Docker, no database)."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drdrill.clock import FakeClock
from drdrill.errors import FaultError, UnsupportedFaultError
from drdrill.faults import FaultInjector
from drdrill.faults.data import CorruptedRows, DroppedTable, flip_bytes
from drdrill.faults.zone import PlaceLoss, services_in
from drdrill.plan import Plan, load_plan
from drdrill.plan.faults import CorruptRows, DropTable, Fault
from tests.unit.fake_drill import FakeContainer, FakeHelpdesk, FakeStaging
from tests.unit.test_zone_drill import COMPOSE, PLAN, SCENARIO, FakeProxies

REGIONS = PLAN.replace(
    "regions:\n  r1: {zones: [zone-a, zone-b]}",
    "regions:\n  r1: {zones: [zone-a, zone-b]}\n  r2: {zones: [zone-c]}",
)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    directory = tmp_path_factory.mktemp("places")
    (directory / "plan.yaml").write_text(REGIONS)
    (directory / "compose.yaml").write_text(COMPOSE)
    (directory / "zone-loss.yaml").write_text(SCENARIO)
    return load_plan(directory)


@dataclass
class Replica:
    staging: FakeStaging
    proxies: FakeProxies
    containers: dict[str, FakeContainer] = field(default_factory=dict)


@pytest.fixture
def replica() -> Replica:
    system = FakeHelpdesk(FakeClock())
    containers = {"responder": FakeContainer(system), "responder-b": FakeContainer(system)}
    return Replica(FakeStaging(dict(containers)), FakeProxies({"tickets": "responder:9000"}), containers)


def injected(plan: Plan, replica: Replica, *faults: dict[str, Any]) -> FaultInjector:
    from pydantic import TypeAdapter  # noqa: PLC0415 - only this helper builds faults from plain data

    typed = [TypeAdapter(Fault).validate_python(f) for f in faults]
    injector = FaultInjector(
        plan, typed, "zone-loss.yaml", replica.staging, proxies=lambda h, p: replica.proxies
    )
    injector.connect("127.0.0.1", 8474)
    return injector


def test_the_services_of_a_place_come_from_the_plans_zones(plan: Plan) -> None:
    assert services_in(plan, frozenset({"zone-a"})) == ["responder"]
    assert services_in(plan, frozenset({"zone-a", "zone-b"})) == ["responder", "responder-b"]


def test_a_place_without_a_service_is_refused_before_anything_starts(plan: Plan, replica: Replica) -> None:
    with pytest.raises(UnsupportedFaultError) as caught:
        injected(plan, replica, {"kind": "region_loss", "region": "r2"})
    assert str(caught.value) == (
        "zone-loss.yaml: fault 'region_loss' loses 'r2', where no component of plan.yaml has a staging "
        "service, so there is nothing to lose; place components there with `zone:` and `staging: {service: ...}`"
    )


def test_power_loss_that_comes_back_is_reverted(plan: Plan, replica: Replica) -> None:
    (fault,) = injected(plan, replica, {"kind": "zone_loss", "zone": "zone-a"}).faults
    assert fault.label == "zone_loss zone-a (power: responder)"

    fault.apply()
    assert replica.staging.calls == ["disconnect responder"]  # cut first: its peers see silence, not a reset
    assert replica.containers["responder"].calls == ["kill SIGKILL"]
    assert replica.containers["responder-b"].calls == []  # another zone: untouched

    fault.revert()
    assert replica.staging.calls == ["disconnect responder", "reconnect responder"]
    assert replica.containers["responder"].calls == ["kill SIGKILL", "start"]


def test_a_region_that_does_not_come_back_is_not_reverted(plan: Plan, replica: Replica) -> None:
    (fault,) = injected(plan, replica, {"kind": "region_loss", "region": "r1"}).faults
    assert fault.label == "region_loss r1 (power, does not come back: responder, responder-b)"
    fault.apply()
    fault.revert()
    assert replica.containers["responder"].calls == ["kill SIGKILL"]
    assert replica.containers["responder-b"].calls == ["kill SIGKILL"]
    assert sorted(replica.staging.calls) == [
        "disconnect responder",
        "disconnect responder-b",
    ]  # cut together, and never attached again


def test_a_frozen_zone_is_paused_without_black_holes_and_unpaused(plan: Plan, replica: Replica) -> None:
    (fault,) = injected(plan, replica, {"kind": "zone_loss", "zone": "zone-a", "mode": "freeze"}).faults
    fault.apply()
    assert replica.containers["responder"].calls == ["pause"]
    assert replica.proxies.calls == []  # a hang: the links stay as they are
    fault.revert()
    assert replica.containers["responder"].calls == ["pause", "unpause"]


def test_an_isolated_zone_keeps_running_cut_from_its_networks(plan: Plan, replica: Replica) -> None:
    (fault,) = injected(plan, replica, {"kind": "zone_loss", "zone": "zone-a", "mode": "isolate"}).faults
    fault.apply()
    assert replica.containers["responder"].calls == []  # not killed, not paused
    assert replica.staging.calls == ["disconnect responder"]
    fault.revert()
    assert replica.staging.calls == ["disconnect responder", "reconnect responder"]
    assert replica.containers["responder"].calls == []


def test_a_drained_zone_on_compose_stops_its_containers_gracefully_and_starts_them(
    plan: Plan, replica: Replica
) -> None:
    (fault,) = injected(plan, replica, {"kind": "zone_loss", "zone": "zone-a", "mode": "drain"}).faults
    assert fault.label == "zone_loss zone-a (drain: responder)"
    assert isinstance(fault, PlaceLoss) and fault.stops == (
        "responder",
    )  # stopped by the fault, not a finding
    fault.apply()
    assert replica.containers["responder"].calls == ["stop 2"]  # SIGTERM, SIGKILL after the stop fault's 2 s
    assert replica.staging.calls == []  # nowhere to move to, and no network cut: its peers see it close
    assert replica.containers["responder-b"].calls == []
    fault.revert()
    assert replica.containers["responder"].calls == ["stop 2", "start"]


def test_replace_gives_the_service_a_new_container(plan: Plan, replica: Replica) -> None:
    (fault,) = injected(plan, replica, {"kind": "replace", "target": "responder"}).faults
    old = replica.staging.containers["responder"]
    fault.apply()
    fault.revert()  # nothing to revert: the new one stays
    assert fault.label == "replace responder"
    assert replica.staging.calls == ["replace responder"]
    assert old.calls == ["kill SIGKILL"]
    assert replica.staging.containers["responder"] is not old


def test_flip_bytes_inverts_exactly_the_bytes_its_seed_picks() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("index/a.bin", bytes(100)), ("index/b.bin", bytes(300))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    damaged, flipped = flip_bytes(buffer.getvalue(), 16, seed=7)
    again, _ = flip_bytes(buffer.getvalue(), 16, seed=7)
    assert flipped == 16 and damaged == again  # the same seed flips the same bytes
    with tarfile.open(fileobj=io.BytesIO(damaged)) as tar:
        contents = [tar.extractfile(m).read() for m in tar.getmembers()]  # type: ignore[union-attr]
    assert sum(byte == 0xFF for part in contents for byte in part) == 16
    assert [len(part) for part in contents] == [100, 300]


@dataclass
class FakeSql:
    touched: int
    statements: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)

    def query(self, sql: str, params: Any = ()) -> list[tuple[object, ...]]:
        return []

    def execute(self, sql: str, params: Any = ()) -> int:
        self.statements.append((" ".join(sql.split()), tuple(params)))
        return self.touched


@dataclass
class FakeStores:
    session: FakeSql

    @contextmanager
    def sql(self, name: str) -> Iterator[FakeSql]:
        assert name == "tickets-db"
        yield self.session


def test_corrupt_rows_overwrites_the_rows_the_plan_picks_with_the_value_as_a_parameter() -> None:
    fault = CorruptRows(
        kind="corrupt_rows",
        target="db",
        table="tickets",
        column="answer",
        value="wrong",
        rows=5,
        where="done",
    )
    session = FakeSql(touched=5)
    CorruptedRows(FakeStores(session), "tickets-db", fault).apply()
    assert session.statements == [
        (
            "UPDATE tickets SET answer = %s WHERE ctid IN (SELECT ctid FROM tickets WHERE done LIMIT 5)",
            ("wrong",),
        )
    ]


def test_corrupt_rows_that_touches_nothing_fails_loudly() -> None:
    fault = CorruptRows(kind="corrupt_rows", target="db", table="tickets", column="answer", where="done")
    with pytest.raises(FaultError) as caught:
        CorruptedRows(FakeStores(FakeSql(touched=0)), "tickets-db", fault).apply()
    assert str(caught.value) == (
        "corrupt_rows db (1 rows of tickets.answer set to None): no row of tickets matched 'done', so nothing "
        "was corrupted; give the workload longer (staging.baseline) or change `where`"
    )


def test_drop_table_drops_it() -> None:
    session = FakeSql(touched=0)
    DroppedTable(
        FakeStores(session), "tickets-db", DropTable(kind="drop_table", target="db", table="t")
    ).apply()
    assert session.statements == [("DROP TABLE t CASCADE", ())]


def test_a_place_loss_is_typed_by_its_mode(plan: Plan, replica: Replica, tmp_path: Path) -> None:
    (fault,) = injected(plan, replica, {"kind": "zone_loss", "zone": "zone-b", "mode": "freeze"}).faults
    assert isinstance(fault, PlaceLoss)
    assert fault.services == ("responder-b",)


def test_a_place_is_cut_everywhere_before_anything_is_killed(
    plan: Plan, replica: Replica, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    cut = replica.staging.disconnect

    def disconnect(service: str) -> None:
        order.append(f"cut {service}")
        cut(service)

    monkeypatch.setattr(replica.staging, "disconnect", disconnect)
    for name, container in replica.containers.items():
        kill = container.kill

        def killed(signal: str = "SIGKILL", name: str = name, kill: Any = kill) -> None:
            order.append(f"kill {name}")
            kill(signal)

        monkeypatch.setattr(container, "kill", killed)
    (fault,) = injected(plan, replica, {"kind": "region_loss", "region": "r1"}).faults
    fault.apply()
    # peers see silence before any container of the region dies
    assert order == ["cut responder", "cut responder-b", "kill responder", "kill responder-b"]
