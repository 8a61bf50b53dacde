"""The staging replica's helpers that need no engine: ports, owners, leftover folders, readiness checks."""

from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx

from drdrill.staging.stack import _answers, free_ports, owner_gone, owner_tag, sweep_run_dirs


def test_free_ports_are_distinct_loopback_ports_that_can_be_bound() -> None:
    ports = free_ports(5)
    assert len(set(ports)) == 5
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_an_owner_is_gone_when_its_process_is_and_never_judged_for_another_host() -> None:
    host = socket.gethostname()
    assert owner_gone(
        owner_tag()
    )  # this very process: an earlier drill of it is over (drills run one at a time)
    assert not owner_gone(f"{host}:{os.getppid()}")  # a live process
    assert owner_gone(f"{host}:999999999")  # no such process
    assert not owner_gone("another-host:1")
    assert not owner_gone("garbage")


def test_the_sweep_removes_folders_of_dead_runs_only(tmp_path: Path) -> None:
    host = socket.gethostname()
    dead = tmp_path / "drdrill-aa-x1"
    live = tmp_path / "drdrill-bb-x2"
    mine = tmp_path / "drdrill-cc-x3"
    stranger = tmp_path / "drdrill-dd-x4"
    for folder, owner in ((dead, f"{host}:999999999"), (live, f"{host}:{os.getppid()}"), (mine, owner_tag())):
        folder.mkdir()
        (folder / "owner").write_text(owner)
    stranger.mkdir()  # no owner file: not a drdrill run's folder to judge
    assert sweep_run_dirs(tmp_path, keep=mine) == ["drdrill-aa-x1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drdrill-bb-x2", "drdrill-cc-x3", "drdrill-dd-x4"]


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_readiness_is_a_2xx_answer_or_an_accepted_connection() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(timeout=1.0) as http:
            assert _answers(http, f"http://127.0.0.1:{port}/health")
            assert not _answers(http, f"http://127.0.0.1:{port}/other")
            assert _answers(http, f"tcp://127.0.0.1:{port}")
            (closed,) = free_ports(1)
            assert not _answers(http, f"tcp://127.0.0.1:{closed}")
            assert not _answers(http, f"http://127.0.0.1:{closed}/health")
    finally:
        server.shutdown()
        server.server_close()
