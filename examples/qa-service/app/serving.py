"""HTTP serving shared by the API and the worker: JSON answers, quiet logs, a fast exit on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn


def log(event: str, **fields: Any) -> None:
    """One JSON line on stdout, with a UTC timestamp."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print(json.dumps({"ts": stamp, "event": event, **fields}), flush=True)


class Server(ThreadingHTTPServer):
    """A threading HTTP server whose request threads never keep the process alive."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a healthcheck, a timed-out request) is routine, not a traceback.
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
        """No per-request log lines: a load test sends thousands of requests."""

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self, limit: int = 64 * 1024) -> Any:
        """The request body parsed as JSON (null when empty); ValueError when unreadable or too big."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise ValueError(f"body larger than {limit} bytes")
        return json.loads(self.rfile.read(length) or b"null")


def serve_until_signalled(server: Server) -> NoReturn:
    """Serve until SIGTERM or SIGINT, then exit at once (in-flight requests see a reset, never a false 202)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    sys.stdout.flush()
    os._exit(0)
