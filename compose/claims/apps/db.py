"""Postgres access shared by the intake API and the worker (psycopg2 from Debian, stdlib otherwise)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import psycopg2

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    id           text PRIMARY KEY,
    text         text NOT NULL,
    canary       boolean NOT NULL DEFAULT false,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed')),
    label        text,
    provider     text,
    attempts     integer NOT NULL DEFAULT 0,
    done_count   integer NOT NULL DEFAULT 0,
    label_digest text,
    owner        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX IF NOT EXISTS claims_pending ON claims (created_at) WHERE status = 'pending';
"""

# The system's own integrity check: a label is written with a digest of (id, label) in the same statement, so
# a label changed by anything but the worker (a faulty migration, a bad restore) no longer matches its digest.
DIGEST = "md5(id || ':' || label)"
CORRUPT = f"status = 'processed' AND label_digest IS DISTINCT FROM {DIGEST}"

# Error is psycopg2's root: it covers DatabaseError (server side) and InterfaceError (a closed
# connection), so callers that catch it never let a dead connection kill a thread.
Error: type[Exception] = psycopg2.Error
OperationalError: type[Exception] = psycopg2.OperationalError
InterfaceError: type[Exception] = psycopg2.InterfaceError


def dsn() -> str:
    """DATABASE_URL, with its host and port replaced by DB_ADDRESS when set (the link clients reach the database
    through: a recovery moves where it leads, the clients keep the address)."""
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@postgres:5432/claims")
    address = os.environ.get("DB_ADDRESS")
    if not address:
        return url
    scheme, _, rest = url.partition("://")
    credentials, _, location = rest.rpartition("@")
    database = location.partition("/")[2]
    return f"{scheme}://{credentials + '@' if credentials else ''}{address}/{database}"


class Pool:
    """A small connection pool: broken connections are closed, never handed out again."""

    def __init__(self, url: str, size: int = 8, connect_timeout: float = 2.0) -> None:
        self._url = url
        self._size = size
        self._connect_timeout = connect_timeout
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        # Keepalives and tcp_user_timeout make a partitioned database an error within seconds instead
        # of a request that hangs for the kernel's ~15 min retransmission timeout.
        return psycopg2.connect(
            self._url,
            connect_timeout=max(1, int(self._connect_timeout)),
            keepalives=1,
            keepalives_idle=2,
            keepalives_interval=1,
            keepalives_count=3,
            tcp_user_timeout=5000,
        )

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """Yield a connection; on any error roll back and discard it so the next caller reconnects."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self._connect()
        try:
            yield conn
        except BaseException:
            with suppress(Error):
                conn.close()
            raise
        with self._lock:
            if len(self._idle) < self._size and not conn.closed:
                self._idle.append(conn)
                return
        conn.close()

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def ping(timeout_s: int) -> None:
    """Open a fresh connection and run SELECT 1; raise OperationalError when the database is away."""
    conn = psycopg2.connect(
        dsn(), connect_timeout=max(1, timeout_s), options=f"-c statement_timeout={timeout_s * 1000}"
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    finally:
        conn.close()


def with_retries(action: Callable[[], T], attempts: int, delay: float, on_error: Callable[[str], None]) -> T:
    """Run `action` until it succeeds or `attempts` runs out (used at start-up while Postgres boots)."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except (OperationalError, InterfaceError) as exc:
            if attempt == attempts:
                raise
            on_error(f"database not ready (attempt {attempt}/{attempts}): {str(exc).strip()}")
            time.sleep(delay)
    raise AssertionError("unreachable")


def ensure_schema(pool: Pool) -> None:
    """Create the schema if it is missing; safe to run from several processes."""
    with pool.connection() as conn:
        with conn.cursor() as cur:
            # Serialise concurrent CREATE ... IF NOT EXISTS, which can otherwise collide in pg_type.
            cur.execute("SELECT pg_advisory_xact_lock(4242)")
            cur.execute(SCHEMA)
        conn.commit()
