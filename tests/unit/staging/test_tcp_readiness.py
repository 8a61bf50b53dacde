"""tcp:// readiness: a listener that keeps the connection is ready; one that closes it at once (Docker's port
publishing, before anything listens in the container) is not."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from drdrill.staging.stack import _answers


def serve(close_at_once: bool) -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if close_at_once:
                conn.close()
            else:
                held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield int(server.getsockname()[1])
    server.close()
    for conn in held:
        conn.close()


@pytest.fixture
def closing() -> Iterator[int]:
    yield from serve(close_at_once=True)


@pytest.fixture
def listening() -> Iterator[int]:
    yield from serve(close_at_once=False)


def test_a_connection_closed_at_once_is_not_ready(closing: int) -> None:
    with httpx.Client() as http:
        assert _answers(http, f"tcp://127.0.0.1:{closing}") is False


def test_a_connection_kept_open_is_ready(listening: int) -> None:
    with httpx.Client() as http:
        assert _answers(http, f"tcp://127.0.0.1:{listening}") is True


def test_nothing_listening_is_not_ready() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with httpx.Client() as http:
        assert _answers(http, f"tcp://127.0.0.1:{port}") is False
