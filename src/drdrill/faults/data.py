"""Data faults: rows corrupted or a table dropped through a declared data store, bytes flipped in a file of a
container, a volume lost.

Data damage is not taken back by a revert: repairing it is what the recovery under drill must do, and the
replica is thrown away after the drill. A data fault that touched nothing (no row matched, no file there) fails
loudly: a drill whose disaster did not happen proves nothing.
"""

from __future__ import annotations

import io
import random
import tarfile
from pathlib import PurePosixPath

import docker.errors

from drdrill.datastores import SqlStores, StoreError
from drdrill.errors import DrdrillError, FaultError, UnsupportedFaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.plan.faults import CorruptFile, CorruptRows, DropTable, Fault, LoseVolume
from drdrill.staging.backend import ReplicaControl

DATA_KINDS = frozenset({"corrupt_rows", "drop_table", "corrupt_file", "lose_volume"})
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # a file corrupted in place is read whole; bigger is not a staging file


class _Permanent:
    """What every data fault shares: no revert (the recovery repairs the damage)."""

    _target: str

    @property
    def target(self) -> str:
        return self._target

    def revert(self) -> None:
        """Nothing: data damage stays until a recovery repairs it."""


class CorruptedRows(_Permanent):
    """``UPDATE table SET column = value`` on ``rows`` rows (matching ``where``), through the data store."""

    def __init__(self, stores: SqlStores, store: str, fault: CorruptRows) -> None:
        self._stores = stores
        self._store = store
        self._fault = fault
        self._target = fault.target
        self.touched: int | None = None

    @property
    def label(self) -> str:
        f = self._fault
        return f"corrupt_rows {f.target} ({f.rows} rows of {f.table}.{f.column} set to {f.value!r})"

    def apply(self) -> None:
        f = self._fault
        condition = f"WHERE {f.where}" if f.where else ""
        # Table and column are checked identifiers (plan.faults.SQL_NAME); the value travels as a parameter.
        sql = (
            f"UPDATE {f.table} SET {f.column} = %s WHERE ctid IN "
            f"(SELECT ctid FROM {f.table} {condition} LIMIT {int(f.rows)})"
        )
        try:
            with self._stores.sql(self._store) as db:
                self.touched = db.execute(sql, (f.value,))
        except StoreError as exc:
            raise FaultError(f"could not corrupt rows of {f.table}: {exc}") from exc
        if not self.touched:
            raise FaultError(
                f"{self.label}: no row of {f.table} matched{' ' + repr(f.where) if f.where else ''}, so nothing "
                "was corrupted; give the workload longer (staging.baseline) or change `where`"
            )


class DroppedTable(_Permanent):
    """``DROP TABLE`` through the data store."""

    def __init__(self, stores: SqlStores, store: str, fault: DropTable) -> None:
        self._stores = stores
        self._store = store
        self._fault = fault
        self._target = fault.target

    @property
    def label(self) -> str:
        return f"drop_table {self._fault.target} ({self._fault.table})"

    def apply(self) -> None:
        try:
            with self._stores.sql(self._store) as db:
                db.execute(f"DROP TABLE {self._fault.table} CASCADE")
        except StoreError as exc:
            raise FaultError(f"could not drop table {self._fault.table}: {exc}") from exc


def flip_bytes(archive: bytes, count: int, seed: int) -> tuple[bytes, int]:
    """The tar ``archive`` with ``count`` bytes of its regular files inverted, at positions drawn from ``seed``
    over all their bytes together (a bigger file takes more hits); returns it and how many bytes were flipped."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as source:
        members = source.getmembers()
        contents: dict[str, bytearray] = {}
        for member in members:
            extracted = source.extractfile(member) if member.isfile() else None
            if extracted is not None:
                contents[member.name] = bytearray(extracted.read())
    total = sum(len(c) for c in contents.values())
    if total == 0:
        return archive, 0
    draw = random.Random(seed)
    positions = sorted(draw.sample(range(total), min(count, total)))
    names = sorted(contents)
    offset, index = 0, 0
    for position in positions:
        while position >= offset + len(contents[names[index]]):
            offset += len(contents[names[index]])
            index += 1
        contents[names[index]][position - offset] ^= 0xFF
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as target:
        for member in members:
            data = contents.get(member.name)
            target.addfile(member, io.BytesIO(bytes(data)) if data is not None else None)
    return out.getvalue(), len(positions)


class CorruptedFile(_Permanent):
    """Bytes inverted in a file (or every file of a directory) inside a container, through the engine's archive
    API: it works on a stopped container too, and needs no tool inside the image."""

    def __init__(self, replica: ReplicaControl, service: str, fault: CorruptFile) -> None:
        self._replica = replica
        self._service = service
        self._fault = fault
        self._target = fault.target
        self.flipped = 0

    @property
    def label(self) -> str:
        return f"corrupt_file {self._fault.target} ({self._fault.bytes} bytes of {self._fault.path})"

    def apply(self) -> None:
        path = PurePosixPath(self._fault.path)
        try:
            container = self._replica.container(self._service)
            stream, stat = container.get_archive(str(path))
            if int((stat or {}).get("size", 0)) > MAX_ARCHIVE_BYTES:
                raise FaultError(f"{self.label}: {path} is over {MAX_ARCHIVE_BYTES} bytes; name one file")
            archive = b"".join(stream)
            damaged, self.flipped = flip_bytes(archive, self._fault.bytes, self._fault.seed)
            if not self.flipped:
                raise FaultError(
                    f"{self.label}: {path} holds no byte to corrupt (an empty file or directory)"
                )
            container.put_archive(str(path.parent), damaged)
        except docker.errors.NotFound as exc:
            raise FaultError(f"{self.label}: no {path} in the container of {self._service}: {exc}") from exc
        except (docker.errors.APIError, LookupError) as exc:
            raise FaultError(f"could not corrupt {path} in {self._service}: {exc}") from exc


class LostVolume(_Permanent):
    """The containers mounting a named volume removed, and the volume with them: the disk is gone."""

    def __init__(self, replica: ReplicaControl, fault: LoseVolume) -> None:
        self._replica = replica
        self._fault = fault
        self._target = fault.target
        self._gone: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"lose_volume {self._fault.target} ({self._fault.volume})"

    @property
    def stops(self) -> tuple[str, ...]:
        """The services whose containers went with the volume (known once it is lost)."""
        return self._gone

    def apply(self) -> None:
        try:
            self._gone = tuple(self._replica.remove_volume(self._fault.volume))
        except (docker.errors.APIError, LookupError, DrdrillError) as exc:
            raise FaultError(f"could not lose volume {self._fault.volume}: {exc}") from exc


class DataFamily:
    """Faults on the data: through a data store, or on a container's files and volumes."""

    kinds = DATA_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        if isinstance(fault, CorruptRows | DropTable):
            stores = targets.stores
            store = fault.store or stores.of_component(fault.target)
            if store is None:
                raise UnsupportedFaultError(
                    f"{targets.where}: fault {fault.kind!r} goes through a data store, and none is component "
                    f"{fault.target!r}; declare one under staging_topology.data_stores"
                )
            if isinstance(fault, CorruptRows):
                return CorruptedRows(stores, store, fault)
            return DroppedTable(stores, store, fault)
        if isinstance(fault, CorruptFile):
            return CorruptedFile(targets.replica, targets.service_of(fault), fault)
        if isinstance(fault, LoseVolume):
            return LostVolume(targets.replica, fault)
        raise TypeError(f"not a data fault: {fault.kind!r}")
