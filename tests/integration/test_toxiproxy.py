"""The Toxiproxy wrapper and the network faults against a real Toxiproxy server on loopback."""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drdrill.errors import FaultError
from drdrill.faults import ToxiproxyClient
from drdrill.faults.network import network_fault
from drdrill.plan.faults import Down, Latency
from drdrill.staging.images import find_toxiproxy_server

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def toxiproxy() -> Iterator[ToxiproxyClient]:
    binary = find_toxiproxy_server()
    if binary is None:
        message = "toxiproxy-server not found; install it with ./dev setup"
        if os.environ.get("DRDRILL_REQUIRE_DOCKER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(binary)), "-host", "127.0.0.1", "-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = ToxiproxyClient("127.0.0.1", port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.version()
            break
        except FaultError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield client
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def proxy(toxiproxy: ToxiproxyClient, echo_port: int) -> Iterator[tuple[str, int]]:
    listen = _free_port()
    toxiproxy.populate(
        [{"name": "echo", "listen": f"127.0.0.1:{listen}", "upstream": f"127.0.0.1:{echo_port}"}]
    )
    yield "echo", listen
    toxiproxy.reset()


def _roundtrip(port: int, timeout: float = 2.0) -> float:
    """Seconds for one echo through the proxy."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(b"claim")
        assert conn.recv(16) == b"claim"
    return time.perf_counter() - started


def test_version_is_the_pinned_release(toxiproxy: ToxiproxyClient) -> None:
    assert toxiproxy.version().lstrip("v").startswith("2.12")


def test_down_refuses_connections_and_revert_restores_them(
    toxiproxy: ToxiproxyClient, proxy: tuple[str, int]
) -> None:
    name, port = proxy
    fault = network_fault(lambda: toxiproxy, Down(kind="down", target="echo-service"), name, 0)
    _roundtrip(port)
    fault.apply()
    assert toxiproxy.proxies()[name].enabled is False
    with pytest.raises(ConnectionRefusedError):
        _roundtrip(port)
    fault.revert()
    fault.revert()  # reverting twice is safe
    assert toxiproxy.proxies()[name].enabled is True
    _roundtrip(port)


def test_latency_toxic_delays_and_is_removed_on_revert(
    toxiproxy: ToxiproxyClient, proxy: tuple[str, int]
) -> None:
    name, port = proxy
    decl = Latency(
        kind="latency", target="echo-service", latency_ms=300, jitter_ms=0, stream="downstream", toxicity=1.0
    )
    fault = network_fault(lambda: toxiproxy, decl, name, 3)
    assert fault.label == "latency echo-service (jitter=0, latency=300)"
    fault.apply()
    assert toxiproxy.proxies()[name].toxics == ("drdrill-3-latency",)
    assert _roundtrip(port) >= 0.3
    toxiproxy.update_toxic(name, "drdrill-3-latency", {"latency": 0, "jitter": 0})
    assert _roundtrip(port) < 0.3
    fault.revert()
    fault.revert()
    assert toxiproxy.proxies()[name].toxics == ()


def test_reset_removes_every_toxic_and_reenables(toxiproxy: ToxiproxyClient, proxy: tuple[str, int]) -> None:
    name, _ = proxy
    toxiproxy.add_toxic(name, "t1", "timeout", {"timeout": 0}, "upstream", 1.0)
    toxiproxy.set_enabled(name, False)
    toxiproxy.reset()
    state = toxiproxy.proxies()[name]
    assert state.enabled is True and state.toxics == ()


def test_unknown_proxy_is_a_clear_fault_error(toxiproxy: ToxiproxyClient) -> None:
    with pytest.raises(FaultError, match=r"refused to disable proxy 'nope': no proxy named 'nope'"):
        toxiproxy.set_enabled("nope", False)


def test_an_unreachable_server_is_a_clear_fault_error() -> None:
    client = ToxiproxyClient("127.0.0.1", _free_port(), timeout_s=0.5)
    with pytest.raises(FaultError, match=r"did not answer while trying to reset"):
        client.reset()
    client.close()
