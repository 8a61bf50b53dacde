"""HTTP serving shared by the claims system's apps: JSON responses, quiet logs, fast exit on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn


class Server(ThreadingHTTPServer):
    """A threading HTTP server whose request threads never keep the process alive."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a healthcheck, a drill's timed-out request) is routine, not a
        # traceback in the logs a drill reads.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response (headers and body buffered, sent when the request is done) and no Nagle: a
    # body sent apart from its headers waits for the client's delayed ACK, ~40 ms on a keep-alive connection.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logs: drills send thousands of requests."""

    def send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.send_raw(status, json.dumps(body).encode(), headers)

    def send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        """Send ``data`` as given, labelled JSON (a simulated provider may send broken JSON on purpose)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_json(self, limit: int = 1024 * 1024) -> Any:
        """The request body parsed as JSON (null when empty); ValueError when unreadable or too big."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise ValueError(f"body larger than {limit} bytes")
        return json.loads(self.rfile.read(length) or b"null")


def serve_until_signalled(server: Server) -> NoReturn:
    """Serve in a thread until SIGTERM or SIGINT, then exit at once.

    Not waiting for serve_forever's 0.5 s poll keeps `docker stop` well under a second. In-flight
    requests are cut (the client sees a reset, never a false acknowledgement) and open database
    transactions roll back when the connections drop.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    sys.stdout.flush()
    os._exit(0)
