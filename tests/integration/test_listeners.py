"""While a drill of the bundled plan runs, no port of the run listens beyond loopback.

The listening sockets of this machine are sampled from /proc/net/tcp and /proc/net/tcp6 every 50 ms, from
before the first container starts until after the teardown. A socket this test binds to 0.0.0.0 meanwhile
(closed once seen) proves the sampler sees a listener beyond loopback when there is one.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from pathlib import Path

import docker
import pytest
from ruamel.yaml import YAML

from tests.integration.conftest import run_drill

pytestmark = pytest.mark.integration

LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column
SAMPLE_S = 0.05


def _address(hex_ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(hex_ip)
    # The kernel prints the address as 32-bit words in host (little-endian) order.
    ordered = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(ordered)


def listeners() -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of this network namespace."""
    found: set[tuple[str, int]] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == LISTEN:
                hex_ip, hex_port = fields[1].split(":")
                found.add((str(_address(hex_ip)), int(hex_port, 16)))
    return found


def loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


class Sampler:
    """Samples the listeners on a thread until stopped; ``before`` is the first sample."""

    def __init__(self) -> None:
        self.before = listeners()
        self.seen: set[tuple[str, int]] = set(self.before)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.seen |= listeners()
            self.samples += 1

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_no_port_of_a_drill_listens_beyond_loopback(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    listing = pytester.path / "scorecards.txt"
    with Sampler() as sampler:
        # The one listener beyond loopback the sampler must see; closed as soon as it has been seen.
        with socket.socket() as probe:
            probe.bind(("0.0.0.0", 0))
            probe.listen()
            probe_port = probe.getsockname()[1]
            for _ in range(100):
                if ("0.0.0.0", probe_port) in sampler.seen:
                    break
                threading.Event().wait(SAMPLE_S)
        run = run_drill(pytester, plan_copy, "provider-outage", f"--drill-scorecard-list={listing}")
    run.result.assert_outcomes(passed=1)
    assert sampler.samples > 100  # sampled the whole drill, not a moment of it
    assert ("0.0.0.0", probe_port) in sampler.seen  # the sampler sees a listener beyond loopback

    # Every service the drill started (a service of a compose profile the drill never started publishes a port
    # in the override that nothing listens on).
    started = set(run.card["environment"]["images"])
    # round-trip: the override's compose tags (!override, !reset) are kept as tagged values, not refused
    override = YAML().load(run.card["config"]["compose_override"])["services"]
    run_ports = {
        int(p)
        for name, service in override.items()
        if name in started
        for p in re.findall(r"127\.0\.0\.1:(\d+):\d+", " ".join(service.get("ports", [])))
    }
    assert len(run_ports) >= 3  # the intake, the provider simulators' admin APIs and Toxiproxy's API
    listened = {port for address, port in sampler.seen - sampler.before if loopback(address)}
    assert run_ports <= listened  # every port of the run was seen listening, on loopback
    beyond = {(a, p) for a, p in sampler.seen - sampler.before if not loopback(a) and p != probe_port}
    assert beyond == set()
    assert listing.read_text(encoding="utf-8") == f"provider-outage\t{run.run_dir / 'scorecard.json'}\n"
