"""Provider simulators served in-process on loopback ports, each with its own handler class (so two can run
in one test: a primary and a backup)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from drdrill.simulator import provider_sim as sim

Serve = Callable[[sim.Simulator], str]

LABELS = sim.parse_rules(
    '{"car": ["car", "vehicle", "crash"], "home": ["house", "roof", "pipe"], "body": ["hospital", "knee"],'
    ' "_default": "other"}',
    "labels.json",
)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serve a simulator on an ephemeral 127.0.0.1 port; returns its base URL (no path)."""
    servers: list[tuple[sim.Server, threading.Thread]] = []

    def start(simulator: sim.Simulator) -> str:
        handler = type("BoundHandler", (sim.Handler,), {"sim": simulator})
        server = sim.Server(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def provider(serve: Serve) -> tuple[sim.Simulator, str]:
    """A simulator with four labels and no fault, and its URL."""
    simulator = sim.Simulator(name="primary", model="sim-primary", rules=LABELS)
    return simulator, serve(simulator)
