"""A component's own traffic: a request through its link answered, refused or held."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from drdrill.probes.link import REQUEST, sample_link
from drdrill.staging.stack import free_ports


@pytest.fixture
def server() -> Iterator[tuple[tuple[str, int], list[bytes], threading.Event]]:
    """A TCP server that answers one byte to each request, unless told to hold."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    hold = threading.Event()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    received.append(conn.recv(1024))
                    if hold.is_set():
                        stop.wait(1.0)
                    else:
                        conn.sendall(b"H")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname(), received, hold
    stop.set()
    thread.join()
    listener.close()


def test_an_answer_is_good_and_the_request_was_sent(
    server: tuple[tuple[str, int], list[bytes], threading.Event],
) -> None:
    address, received, _ = server
    assert sample_link(address, 1.0, "request") == (True, "answered")
    assert received == [REQUEST]


def test_a_held_request_fails_at_the_timeout(
    server: tuple[tuple[str, int], list[bytes], threading.Event],
) -> None:
    address, _, hold = server
    hold.set()
    assert sample_link(address, 0.2, "request") == (False, "no answer within 0.2 s")
    assert sample_link(address, 0.2, "connect") == (True, "connected")  # connecting alone cannot see a hang


def test_a_refused_connection_fails() -> None:
    (closed,) = free_ports(1)
    ok, detail = sample_link(("127.0.0.1", closed), 0.5, "request")
    assert not ok and detail == "ConnectionRefusedError: Connection refused"
