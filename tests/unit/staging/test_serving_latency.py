"""The reference and example apps answer a keep-alive request without the ~40 ms delayed-ACK stall.

A response written as headers, then body, meets Nagle's algorithm on the server and the client's delayed ACK:
the body waits ~40 ms for the ACK of the headers, on every request of a keep-alive connection after the first.
Either remedy alone removes the stall (one write per response, or TCP_NODELAY); the apps have both. The control
(neither) shows the test sees the stall when it is there.
"""

from __future__ import annotations

import http.client
import importlib.util
import statistics
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVING = {
    "claims": ROOT / "compose" / "claims" / "apps" / "serving.py",
    "qa-service": ROOT / "examples" / "qa-service" / "app" / "serving.py",
}
STALL_S = 0.030  # the delayed ACK is ~40 ms on Linux; an answer on loopback without it takes well under 5 ms


def _module(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"serving_{name.replace('-', '_')}", SERVING[name])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _serving(module: types.ModuleType, **handler_attrs: Any) -> Iterator[int]:
    class Handler(module.JsonHandler):  # type: ignore[name-defined,misc]
        def do_GET(self) -> None:  # noqa: N802 - http.server names its handlers so
            self.send_json(200, {"status": "ok", "pad": "x" * 200})

    for key, value in handler_attrs.items():
        setattr(Handler, key, value)
    server = module.Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _median_keepalive_s(port: int, requests: int = 8) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    took = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            conn.request("GET", "/")
            response = conn.getresponse()
            assert response.status == 200
            response.read()
            took.append(time.perf_counter() - started)
    finally:
        conn.close()
    return statistics.median(took[1:])  # the first request of a connection is ACKed at once (quick ACK)


@pytest.mark.parametrize("app", sorted(SERVING))
def test_the_apps_answer_keepalive_requests_without_the_delayed_ack_stall(app: str) -> None:
    module = _module(app)
    with _serving(module) as port:
        assert _median_keepalive_s(port) < STALL_S


@pytest.mark.parametrize("app", sorted(SERVING))
@pytest.mark.parametrize(
    ("remedy", "attrs"),
    [("one write per response", {"disable_nagle_algorithm": False}), ("TCP_NODELAY", {"wbufsize": 0})],
)
def test_each_remedy_alone_removes_the_stall(app: str, remedy: str, attrs: dict[str, Any]) -> None:
    module = _module(app)
    with _serving(module, **attrs) as port:
        assert _median_keepalive_s(port) < STALL_S, f"{remedy} alone did not remove the stall"


def test_the_control_without_either_remedy_stalls() -> None:
    module = _module("claims")
    with _serving(module, disable_nagle_algorithm=False, wbufsize=0) as port:
        assert _median_keepalive_s(port) > STALL_S
