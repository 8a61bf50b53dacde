"""The data stores a plan declares (``staging_topology.data_stores``), reached by drdrill itself.

Data faults (``corrupt_rows``, ``drop_table``), the scenario's ``data_checks`` and a declarative final read go
through :class:`Stores`: SQL through psycopg for Postgres, commands through redis-py for Redis. A store is found
where the plan says (``at: service:port``) or where its link leads *now* (``link``), so a check run after a
recovery that repointed the link to a promoted standby reads the standby.

psycopg and redis-py are imported when a store is first reached, not with this module: a drill needs them only
once its replica runs, and :func:`prefetch` loads them while the replica starts (0.1 s off every drill's start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from drdrill.errors import DrdrillError
from drdrill.plan import Plan
from drdrill.plan.stores import DataStore
from drdrill.replica import Replica

if TYPE_CHECKING:
    import psycopg
    import redis

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 15_000

Row = tuple[object, ...]


def prefetch(plan: Plan) -> list[str]:
    """Import the client libraries of the store kinds the plan declares (meant for a thread of its own, while the
    replica starts); a kind it does not declare is never reached, and its library is left alone. Returns the
    kinds, in the order loaded."""
    kinds: list[str] = sorted({store.kind for store in plan.staging_topology.data_stores.values()})
    for kind in kinds:
        if kind == "postgres":
            import psycopg  # noqa: F401, PLC0415
        elif kind == "redis":
            import redis  # noqa: F401, PLC0415
    return kinds


class StoreError(DrdrillError):
    """A data store could not be reached or refused a statement."""


class SqlSession(Protocol):
    """One connection to a SQL store, in autocommit mode."""

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of a statement that returns rows."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run a statement; how many rows it touched."""


class SqlStores(Protocol):
    """Where SQL sessions come from (:class:`Stores`, or a fake one in unit tests)."""

    def sql(self, name: str) -> AbstractContextManager[SqlSession]:
        """A connection to SQL store ``name``."""


class KeyValueSession(Protocol):
    """One connection to a key-value store."""

    def command(self, *args: str) -> object:
        """One command (e.g. ``HKEYS answers``) and its reply."""


class DataAccess(SqlStores, Protocol):
    """SQL and key-value sessions to the plan's stores (:class:`Stores`, or a fake one in unit tests)."""

    def key_value(self, name: str) -> AbstractContextManager[KeyValueSession]:
        """A connection to key-value store ``name``."""


class _Postgres:
    def __init__(self, connection: psycopg.Connection[Row]) -> None:
        self._connection = connection

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql.encode(), params or None)
            return list(cursor.fetchall())

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute(sql.encode(), params or None)
            return int(cursor.rowcount)


class _Redis:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def command(self, *args: str) -> object:
        reply: object = self._client.execute_command(*args)  # type: ignore[no-untyped-call]
        return reply


@dataclass(frozen=True)
class Stores:
    """The plan's data stores on the running replica (built before it runs; reached when used)."""

    plan: Plan
    replica: Replica
    secrets: Callable[[], Mapping[str, str]]
    link_upstream: Callable[[str], str]  # where a link leads now, as service:port (asked of Toxiproxy)

    def declared(self, name: str) -> DataStore:
        found = self.plan.staging_topology.data_stores.get(name)
        if found is None:
            known = ", ".join(self.plan.staging_topology.data_stores) or "none"
            raise StoreError(f"no data store {name!r} in staging_topology.data_stores (known: {known})")
        return found

    def of_component(self, component: str) -> str | None:
        """The name of the store that is ``component``, if one is."""
        return next(
            (n for n, s in self.plan.staging_topology.data_stores.items() if s.component == component), None
        )

    def only_sql(self) -> str | None:
        """The plan's one SQL store, when it has exactly one."""
        sql = [n for n, s in self.plan.staging_topology.data_stores.items() if s.sql]
        return sql[0] if len(sql) == 1 else None

    def where(self, name: str) -> tuple[str, str, int]:
        """``(service:port as the plan says, host, port)`` where the host reaches store ``name`` now."""
        store = self.declared(name)
        if store.at is not None:
            upstream = store.at
        else:
            assert store.link is not None
            try:
                upstream = self.link_upstream(store.link)
            except (KeyError, DrdrillError) as exc:
                raise StoreError(
                    f"data store {name!r}: cannot tell where link {store.link!r} leads: {exc}"
                ) from exc
        service, _, port = upstream.rpartition(":")
        try:
            host, outer = self.replica.address(service, int(port))
        except (LookupError, DrdrillError) as exc:
            raise StoreError(f"data store {name!r} at {upstream}: {exc}") from exc
        return upstream, host, outer

    @contextmanager
    def sql(self, name: str) -> Iterator[SqlSession]:
        """A connection to SQL store ``name``; closed when the block ends."""
        store = self.declared(name)
        if not store.sql:
            raise StoreError(f"data store {name!r} is a {store.kind} store, not a SQL one")
        upstream, host, port = self.where(name)
        password = self.secrets().get(store.password_from, "") if store.password_from else None
        import psycopg  # noqa: PLC0415 (see the module's docstring)

        try:
            connection: psycopg.Connection[Row] = psycopg.connect(
                host=host,
                port=port,
                dbname=store.database or "postgres",
                user=store.user or "postgres",
                password=password,
                connect_timeout=CONNECT_TIMEOUT_S,
                autocommit=True,
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            )
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach data store {name!r} at {upstream}: {_first_line(exc)}") from exc
        try:
            yield _Postgres(connection)
        except psycopg.Error as exc:
            raise StoreError(f"data store {name!r} at {upstream}: {_first_line(exc)}") from exc
        finally:
            connection.close()

    @contextmanager
    def key_value(self, name: str) -> Iterator[KeyValueSession]:
        """A connection to Redis store ``name``; closed when the block ends."""
        store = self.declared(name)
        if store.kind != "redis":
            raise StoreError(f"data store {name!r} is a {store.kind} store, not a Redis one")
        upstream, host, port = self.where(name)
        password = self.secrets().get(store.password_from, "") if store.password_from else None
        import redis  # noqa: PLC0415 (see the module's docstring)

        client = redis.Redis(
            host=host,
            port=port,
            password=password,
            socket_timeout=CONNECT_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            decode_responses=True,
        )
        try:
            yield _Redis(client)
        except redis.RedisError as exc:
            raise StoreError(f"data store {name!r} at {upstream}: {exc}") from exc
        finally:
            client.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
