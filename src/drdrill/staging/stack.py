"""The staging replica's lifecycle: start it with testcontainers' DockerCompose, find its ports, tear it down,
and sweep what a killed run left behind (found by label, since Ryuk cannot run without a registry)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path

import docker
import docker.errors
import httpx
from docker.models.containers import Container
from testcontainers.compose import DockerCompose

from drdrill.errors import EnvironmentNotReadyError, StagingError
from drdrill.staging.images import compose_dir as default_compose_dir

LABEL_MANAGED = "io.drdrill.managed"
LABEL_RUN = "io.drdrill.run"
LABEL_OWNER = "io.drdrill.owner"
STOP_TIMEOUT_S = 5
READY_TIMEOUT_S = 90.0
READY_POLL_S = 0.1
# Docker healthchecks run by `docker exec` inside each container; at sub-second intervals six of them cost about
# half a core, which on a 2-core machine disturbs the very timings a drill measures. During a drill they run
# rarely, and readiness is polled from the host instead (cheap, and at 100 ms rather than testcontainers' 1 s).
DRILL_HEALTH_INTERVAL = "10s"
# (service, container port, path) that must answer 2xx before the drill starts.
PORT_ATTEMPTS = 3
# compose.yaml publishes each service on 127.0.0.1:${DRDRILL_PORT_<NAME>:-}
HOST_PORT_VARS = (
    "DRDRILL_PORT_POSTGRES",
    "DRDRILL_PORT_INTAKE",
    "DRDRILL_PORT_WORKER",
    "DRDRILL_PORT_PRIMARY",
    "DRDRILL_PORT_BACKUP",
    "DRDRILL_PORT_TOXIPROXY",
)
READINESS = (
    ("intake", 8080, "/health"),  # answers only when Postgres does
    ("worker", 8081, "/status"),
    ("provider-primary", 8000, "/health"),
    ("provider-backup", 8000, "/health"),
    ("toxiproxy", 8474, "/version"),
)

Log = Callable[[str], None]


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that are free right now (all held open together, then released)."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        return [int(sock.getsockname()[1]) for sock in held]
    finally:
        for sock in held:
            sock.close()


def owner_tag() -> str:
    """``host:pid`` of this process, written on every container it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _ProjectCompose(DockerCompose):
    """DockerCompose with a project name, so that parallel runs never share containers."""

    project: str = ""

    @cached_property
    def compose_command_property(self) -> list[str]:
        return ["docker", "compose", "-p", self.project, *super().compose_command_property[2:]]

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return self._run_command(cmd=[*self.compose_command_property, *args])


@dataclass(frozen=True)
class Endpoints:
    """Where the runner reaches the replica, always on 127.0.0.1."""

    intake_url: str
    worker_url: str
    toxiproxy_host: str
    toxiproxy_port: int


def docker_client() -> docker.DockerClient:
    """A client for the local engine, or a clear message saying how to get one."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EnvironmentNotReadyError(
            f"no Docker engine answers ({exc}). Start one, or run `./dev setup` as root to install and start it."
        ) from exc
    return client


def check_compose() -> str:
    """The docker compose v2 version, or a clear message saying how to install it."""
    if shutil.which("docker") is None:
        raise EnvironmentNotReadyError(
            "the docker CLI is not on PATH; run `./dev setup` as root to install it"
        )
    done = subprocess.run(
        ["docker", "compose", "version", "--short"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise EnvironmentNotReadyError(
            "the docker compose v2 plugin is missing (`docker compose version` failed); run `./dev setup` to install it"
        )
    return done.stdout.strip()


class StagingStack:
    """One run of the claims replica, labelled with its run id and owner."""

    def __init__(self, run_id: str, log: Log, compose_dir: Path | None = None) -> None:
        self.run_id = run_id
        self.project = f"drdrill-{run_id}"
        self._log = log
        self._envdir = Path(tempfile.mkdtemp(prefix=f"drdrill-{run_id}-"))
        self._env_file = self._envdir / "drill.env"
        self._write_env()
        self._compose = _ProjectCompose(
            context=str(compose_dir or default_compose_dir()),
            compose_file_name="compose.yaml",
            env_file=str(self._env_file),
            wait=False,
        )
        self._compose.project = self.project
        self._ports: dict[tuple[str, int], int] | None = None
        self.started = False

    def _write_env(self) -> None:
        """Interpolation values for compose: run labels, slow healthchecks, and host ports chosen now.

        Pinned host ports keep a service on the same port when a fault restarts its container (Docker gives an
        ephemeral port a new number at every start).
        """
        ports = free_ports(len(HOST_PORT_VARS))
        lines = [
            f"DRDRILL_RUN_ID={self.run_id}",
            f"DRDRILL_OWNER={owner_tag()}",
            f"DRDRILL_HEALTH_INTERVAL={DRILL_HEALTH_INTERVAL}",
            *(f"{var}={port}" for var, port in zip(HOST_PORT_VARS, ports, strict=True)),
        ]
        self._env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def start(self) -> Endpoints:
        """``docker compose up --detach``, then wait until every service answers; errors carry the logs."""
        self.started = True
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._compose.start()
                break
            except subprocess.CalledProcessError as exc:
                stderr = exc.stderr.decode(errors="replace") if exc.stderr else ""
                taken = "port is already allocated" in stderr or "address already in use" in stderr
                if taken and attempt + 1 < PORT_ATTEMPTS:  # another process took a chosen port meanwhile
                    self._compose.run("down", "--volumes", "--timeout", str(STOP_TIMEOUT_S))
                    self._write_env()
                    continue
                logs = self._logs_tail()
                raise StagingError(f"the staging replica did not start: {stderr.strip()}\n{logs}") from exc
        self._await_ready()
        return self.endpoints()

    def _await_ready(self) -> None:
        urls = {
            f"{service} {path}": f"http://127.0.0.1:{self._port(service, port)}{path}"
            for service, port, path in READINESS
        }
        waiting = dict(urls)
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(timeout=1.0) as http:
            while waiting:
                for name, url in list(waiting.items()):
                    try:
                        if http.get(url).is_success:
                            del waiting[name]
                    except httpx.HTTPError:
                        pass
                if not waiting:
                    break
                if time.monotonic() > deadline:
                    raise StagingError(
                        f"the staging replica did not become ready within {READY_TIMEOUT_S:g} s; "
                        f"still waiting for: {', '.join(sorted(waiting))}\n{self._logs_tail()}"
                    )
                time.sleep(READY_POLL_S)

    def _port(self, service: str, inner: int) -> int:
        """The 127.0.0.1 port a service publishes for ``inner``; one ``compose ps`` serves every lookup."""
        if self._ports is None:
            self._ports = {}
            for container in self._compose.get_containers():
                for publisher in container.Publishers:
                    if publisher.PublishedPort:
                        key = (str(container.Service), int(publisher.TargetPort or 0))
                        self._ports[key] = int(publisher.PublishedPort)
        found = self._ports.get((service, inner))
        if found is None:
            raise StagingError(f"service {service!r} publishes no port for {inner}")
        return found

    def endpoints(self) -> Endpoints:
        return Endpoints(
            intake_url=f"http://127.0.0.1:{self._port('intake', 8080)}",
            worker_url=f"http://127.0.0.1:{self._port('worker', 8081)}",
            toxiproxy_host="127.0.0.1",
            toxiproxy_port=self._port("toxiproxy", 8474),
        )

    def service_url(self, service: str, port: int) -> str:
        """``http://127.0.0.1:<host port>`` of ``service``'s container ``port``."""
        return f"http://127.0.0.1:{self._port(service, port)}"

    def container(self, service: str) -> Container:
        """The container of ``service`` in this run, running or not."""
        labels = [f"com.docker.compose.project={self.project}", f"com.docker.compose.service={service}"]
        found = docker_client().containers.list(all=True, filters={"label": labels}, ignore_removed=True)
        if not found:
            raise LookupError(f"no container for service {service!r} in {self.project}")
        return found[0]

    def images(self) -> dict[str, str]:
        """Image id of each running service, for the scorecard."""
        found: dict[str, str] = {}
        for container in self._compose.get_containers():
            info = container.get_container_info()
            found[str(container.Service)] = str(info.Image) if info is not None else "unknown"
        return found

    def logs(self) -> str:
        stdout, stderr = self._compose.get_logs()
        return str(stdout) + str(stderr)

    def _logs_tail(self, lines: int = 40) -> str:
        try:
            text = self.logs()
        except (subprocess.CalledProcessError, OSError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> int:
        """Remove the stack (containers, network, volumes); returns how many leftovers the label sweep removed."""
        if not self.started:
            return 0
        errors: list[str] = []
        try:
            self._compose.run("down", "--volumes", "--remove-orphans", "--timeout", str(STOP_TIMEOUT_S))
        except subprocess.CalledProcessError as exc:
            errors.append(exc.stderr.decode(errors="replace") if exc.stderr else str(exc))
        removed = remove_by_label(docker_client(), f"{LABEL_RUN}={self.run_id}")
        shutil.rmtree(self._envdir, ignore_errors=True)
        left = leftovers(docker_client(), f"{LABEL_RUN}={self.run_id}")
        if left:
            raise StagingError(f"could not remove {', '.join(left)} of {self.project}; remove them by hand")
        if errors and removed == 0:
            raise StagingError(f"compose down failed for {self.project}: {' '.join(errors)}")
        self.started = False
        return removed


def leftovers(client: docker.DockerClient, label: str) -> list[str]:
    """Names of the containers, networks and volumes still carrying ``label``."""
    selector: dict[str, str | list[str] | bool] = {"label": label}
    return [
        *(
            f"container {c.name}"
            for c in client.containers.list(all=True, filters=selector, ignore_removed=True)
        ),
        *(f"network {n.name}" for n in client.networks.list(filters=selector)),
        *(f"volume {v.name}" for v in client.volumes.list(filters=selector)),
    ]


REMOVE_ATTEMPTS = 10
REMOVE_RETRY_S = 0.5


def remove_by_label(client: docker.DockerClient, label: str) -> int:
    """Force-remove every container, then network and volume, carrying ``label``; returns the count.

    A compose ``up`` that failed half-way can still be creating containers when this runs, and a network
    cannot go while a container is attached: so it goes round again until nothing carries the label (or it
    gives up after a few seconds, and the caller reports what is left). Objects gone meanwhile are skipped.
    """
    removed = 0
    selector: dict[str, str | list[str] | bool] = {"label": label}
    for attempt in range(REMOVE_ATTEMPTS):
        removals: list[Callable[[], object]] = [
            *(
                partial(c.remove, force=True, v=True)
                for c in client.containers.list(all=True, filters=selector, ignore_removed=True)
            ),
            *(n.remove for n in client.networks.list(filters=selector)),
            *(partial(v.remove, force=True) for v in client.volumes.list(filters=selector)),
        ]
        if not removals:
            break
        for remove in removals:
            try:
                remove()
                removed += 1
            except docker.errors.NotFound:
                pass  # removed meanwhile, by compose or by the engine
            except docker.errors.APIError:
                if attempt == REMOVE_ATTEMPTS - 1:
                    raise
        time.sleep(REMOVE_RETRY_S)
    return removed


def owner_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's run: not ours to judge
    if int(pid) == os.getpid():
        return True  # an earlier drill of this very process: drills run one at a time
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sweep_leftovers(client: docker.DockerClient, log: Log) -> int:
    """Remove what runs whose owner process is dead left behind; say so when there was anything."""
    runs: set[str] = set()
    managed: dict[str, str | list[str] | bool] = {"label": f"{LABEL_MANAGED}=true"}
    for container in client.containers.list(all=True, filters=managed, ignore_removed=True):
        labels = container.labels or {}
        if owner_gone(labels.get(LABEL_OWNER, "")):
            runs.add(labels.get(LABEL_RUN, ""))
    for network in client.networks.list(filters=managed):
        labels = network.attrs.get("Labels") or {}
        if owner_gone(labels.get(LABEL_OWNER, "")):
            runs.add(labels.get(LABEL_RUN, ""))
    for volume in client.volumes.list(filters=managed):
        labels = volume.attrs.get("Labels") or {}
        if owner_gone(labels.get(LABEL_OWNER, "")):
            runs.add(labels.get(LABEL_RUN, ""))
    removed = 0
    for run in sorted(r for r in runs if r):
        count = remove_by_label(client, f"{LABEL_RUN}={run}")
        log(f"removed {count} leftover container(s), network(s) and volume(s) of killed run {run}")
        removed += count
    return removed
