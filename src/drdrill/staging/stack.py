"""The staging replica's lifecycle: the plan's own compose file plus drdrill's generated override, started
with testcontainers' DockerCompose; its ports, readiness and teardown, and the sweep of what a killed run left
behind (found by label, since Ryuk cannot run without a registry)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, partial
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import docker
import docker.errors
import httpx
from docker.models.containers import Container
from testcontainers.compose import DockerCompose

from drdrill.errors import EnvironmentNotReadyError, StagingError
from drdrill.plan import Plan
from drdrill.staging.configuration import (
    Configuration,
    digest,
    dotenv,
    parse_variables,
    plan_digest,
    substituted,
)
from drdrill.staging.override import (
    LABEL_MANAGED,
    LABEL_OWNER,
    LABEL_RUN,
    TOXIPROXY_IMAGE,
    ComposeModel,
    build_image_name,
    build_override,
    needed_ports,
    proxy_plans,
    toxiproxy_config,
)
from drdrill.staging.watch import ContainerEvent, Watcher
from drdrill.templates import render

__all__ = [
    "LABEL_MANAGED",
    "LABEL_OWNER",
    "LABEL_RUN",
    "StagingStack",
    "check_compose",
    "docker_client",
    "engine_refusal",
    "leftovers",
    "owner_gone",
    "owner_tag",
    "remove_by_label",
    "sweep_leftovers",
    "sweep_run_dirs",
]

STOP_TIMEOUT_S = 5  # a graceful stop, where one is wanted (a port clash on start)
DOWN_TIMEOUT_S = 0  # the replica at teardown: killed
READY_TIMEOUT_S = 90.0
READY_POLL_S = 0.1
PORT_ATTEMPTS = 3
BUILD_TIMEOUT_S = 900

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


ALLOW_REMOTE_ENV = "DRDRILL_ALLOW_REMOTE_DOCKER"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def engine_refusal(environ: Mapping[str, str]) -> str | None:
    """Why drdrill will not drive the engine ``DOCKER_HOST`` / ``DOCKER_CONTEXT`` name, or None if it is local.

    A drill kills and floods what it starts: only this machine's engine is driven unless the user says otherwise.
    """
    if environ.get(ALLOW_REMOTE_ENV) == "1":
        return None
    host = environ.get("DOCKER_HOST", "")
    if host and not host.startswith(("unix://", "npipe://")):
        name = urlsplit(host if "://" in host else f"tcp://{host}").hostname or ""
        if name not in LOOPBACK_HOSTS:
            return (
                f"DOCKER_HOST={host} is not this machine's Docker engine, and drdrill only drives the local "
                f"one; unset DOCKER_HOST, or set {ALLOW_REMOTE_ENV}=1 to drill on that engine on purpose"
            )
    context = environ.get("DOCKER_CONTEXT", "")
    if context and context != "default" and not host:
        return (
            f"DOCKER_CONTEXT={context} may name another machine's engine, and drdrill only drives the local "
            f"one; unset DOCKER_CONTEXT, or set {ALLOW_REMOTE_ENV}=1 to use that context on purpose"
        )
    return None


def docker_client() -> docker.DockerClient:
    """A client for the local engine, or a clear message saying how to get one."""
    refusal = engine_refusal(os.environ)
    if refusal is not None:
        raise StagingError(refusal)
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


class _ProjectCompose(DockerCompose):
    """DockerCompose with a project name (parallel runs never share containers) and the run's secrets.

    The secrets reach compose as process environment, which its interpolation prefers to a project's .env
    file; they are never written to a file.
    """

    project: str = ""
    secrets: Mapping[str, str] = MappingProxyType({})

    @cached_property
    def compose_command_property(self) -> list[str]:
        return ["docker", "compose", "-p", self.project, *super().compose_command_property[2:]]

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return self._run_command(cmd=[*self.compose_command_property, *args])

    def _run_command(
        self, cmd: str | list[str], context: str | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            cmd,
            capture_output=True,
            check=True,
            cwd=context or str(self.context),
            env={**os.environ, **self.secrets},
        )


ANSI_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _stderr(exc: subprocess.CalledProcessError) -> str:
    return ANSI_CODES.sub("", exc.stderr.decode(errors="replace") if exc.stderr else str(exc)).strip()


def _image_present(image: str) -> bool:
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image], capture_output=True, check=False
    )
    return done.returncode == 0


DRDRILL_IMAGES = ("drdrill/toxiproxy:local", "drdrill/provider-sim:local", "drdrill/base:local")


class StagingStack:
    """One run of the plan's own compose file, plus drdrill's generated override, labelled with the run id.

    ``prepare()`` does everything that needs no container (reads the compose model, builds or checks images,
    picks ports, writes the override); ``start()`` brings the replica up and waits for the plan's readiness.
    """

    def __init__(self, plan: Plan, run_id: str, log: Log) -> None:
        topology = plan.staging_topology
        if topology.compose_file is None:
            raise StagingError(
                f"{plan.source_dir / 'plan.yaml'}: staging_topology.compose_file is not set; name the compose "
                "file of your staging replica (a path relative to plan.yaml)"
            )
        self.plan = plan
        self.compose_file = (plan.source_dir / topology.compose_file).resolve()
        self.run_id = run_id
        self.project = f"drdrill-{run_id}"
        self._log = log
        self._envdir = Path(tempfile.mkdtemp(prefix=f"drdrill-{run_id}-"))
        self._override_file = self._envdir / "drdrill.override.yaml"
        self._proxies_file = self._envdir / "proxies.json"
        # New for every run: a replica's database password is good for one drill only.
        self.secrets = {name: secrets.token_urlsafe(24) for name in topology.generated_secrets}
        (self._envdir / "owner").write_text(owner_tag(), encoding="utf-8")
        self._compose = self._compose_for(str(self.compose_file.name))
        self.model: ComposeModel | None = None
        self.proxies = proxy_plans(plan)
        self._host_ports: dict[tuple[str, int], int] = {}
        self._toxiproxy_port: int | None = None
        self._link_ports: dict[str, int] = {}
        self._override_text = ""
        self.started = False

    def _compose_for(self, *files: str) -> _ProjectCompose:
        compose = _ProjectCompose(
            context=str(self.compose_file.parent), compose_file_name=list(files), wait=False
        )
        compose.project = self.project
        compose.secrets = self.secrets
        return compose

    # -- before anything starts ---------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The engine's and compose's versions; raises with how to get them when they are missing."""
        engine = docker_client()
        return {
            "docker_engine": str(engine.version().get("Version", "unknown")),
            "docker_compose": check_compose(),
        }

    def sweep(self) -> int:
        """Remove what runs whose owner process is dead left behind: Docker objects and temporary files."""
        removed = sweep_leftovers(docker_client(), self._log)
        for stale in sweep_run_dirs(self._envdir.parent, keep=self._envdir):
            self._log(f"removed the temporary files of killed run {stale}")
        return removed

    def prepare(self) -> None:
        """Read the compose model, make sure every image is here (built, never pulled), write the override."""
        try:
            config = json.loads(self._compose.run("config", "--format", "json").stdout)
        except subprocess.CalledProcessError as exc:
            raise StagingError(f"docker compose cannot read {self.compose_file}: {_stderr(exc)}") from exc
        self.model = ComposeModel.from_config(config)
        self._write_override()
        self._compose = self._compose_for(self.compose_file.name, str(self._override_file))
        # compose checks the override while the images are made sure of: neither needs the other.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="drdrill-compose-check") as pool:
            checked = pool.submit(self._compose.run, "config", "--quiet")
            self._ensure_images(self.model)
            try:
                checked.result()
            except subprocess.CalledProcessError as exc:
                raise StagingError(
                    f"docker compose rejects drdrill's override of {self.compose_file} "
                    f"(compose v2.24+ is needed for !override): {_stderr(exc)}"
                ) from exc

    def _ensure_images(self, model: ComposeModel) -> None:
        needed = [TOXIPROXY_IMAGE] if self.proxies else []
        for image in needed:
            if not _image_present(image):
                raise EnvironmentNotReadyError(
                    f"drdrill's image {image} is not on this machine; build it with `./dev setup` or "
                    "`python -m drdrill.staging.images ensure` (drdrill images are built locally, never pulled)"
                )
        built: set[str] = set()
        for service in model.services.values():
            image = service.image or build_image_name(self.plan.name, service.name)
            if service.build is not None:
                if image not in built:
                    self._build(service.name, image, service.build)
                    built.add(image)
            elif not image or not _image_present(image):
                hint = (
                    "build it with `./dev setup` or `python -m drdrill.staging.images ensure`"
                    if image in DRDRILL_IMAGES
                    else f"build it (docker build -t {image} ...) or give the service a build: section"
                )
                raise StagingError(
                    f"{self.compose_file}: service {service.name!r} uses image {image!r}, which is not on this "
                    f"machine, and has no build: section; drdrill never pulls images: {hint}"
                )

    def _build(self, service: str, image: str, build: Mapping[str, Any]) -> None:
        """``docker build`` of one service's build section, with Docker's cache (so a second run is quick).

        The classic builder: it uses local base images as they are and never reaches a registry for them.
        """
        context = str(build.get("context") or self.compose_file.parent)
        dockerfile = str(build.get("dockerfile") or "Dockerfile")
        command = [
            "docker",
            "build",
            "--quiet",
            "--pull=false",
            "-t",
            image,
            "-f",
            str(Path(context) / dockerfile),
        ]
        for name, value in (build.get("args") or {}).items():
            command += ["--build-arg", f"{name}={value}"]
        if build.get("target"):
            command += ["--target", str(build["target"])]
        started = time.monotonic()
        done = subprocess.run(
            [*command, context],
            capture_output=True,
            text=True,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise StagingError(
                f"{self.compose_file}: building the image of service {service!r} ({image}) failed; fix the "
                f"build or build it yourself with `docker compose -f {self.compose_file} build {service}`:\n{tail}"
            )
        self._log(f"image {image} of service {service} ready ({time.monotonic() - started:.1f} s)")

    def _write_override(self) -> None:
        """Pick free 127.0.0.1 ports (pinned, so a restarted container keeps its port) and write the override."""
        assert self.model is not None
        wanted = needed_ports(self.plan, self.model)
        pairs = [(service, port) for service, ports in wanted.items() for port in ports]
        chosen = free_ports(len(pairs) + 1 + len(self.proxies))
        self._host_ports = dict(zip(pairs, chosen[: len(pairs)], strict=True))
        self._toxiproxy_port = chosen[len(pairs)] if self.proxies else None
        self._link_ports = {
            p.name: port for p, port in zip(self.proxies, chosen[len(pairs) + 1 :], strict=True)
        }
        self._proxies_file.write_text(toxiproxy_config(self.proxies), encoding="utf-8")
        override = build_override(
            self.plan,
            self.model,
            run_id=self.run_id,
            owner=owner_tag(),
            host_ports=self._host_ports,
            toxiproxy_api_port=chosen[len(pairs)],
            link_ports=self._link_ports,
            proxies_file=str(self._proxies_file),
        )
        self._override_text = override.render()
        self._override_file.write_text(self._override_text, encoding="utf-8")

    def configuration(self) -> Configuration:
        """What shapes this replica: the compose file's digest and the value each of its variables gets."""
        try:
            table = self._compose.run("config", "--variables").stdout.decode(errors="replace")
        except subprocess.CalledProcessError as exc:
            raise StagingError(
                f"docker compose cannot list the variables of {self.compose_file}: {_stderr(exc)}"
            ) from exc
        return Configuration(
            compose_file=str(self.compose_file),
            compose_digest=digest([self.compose_file]),
            environment=substituted(
                parse_variables(table),
                {**os.environ, **self.secrets},
                dotenv(self.compose_file.parent / ".env"),
                self.secrets,
            ),
            plan_digest=plan_digest(self.plan.source_dir),
        )

    @property
    def override_text(self) -> str:
        """The generated override (for the scorecard's frozen configuration; it holds no secret)."""
        return self._override_text

    # -- the running replica ------------------------------------------------------------------------------

    def start(self) -> None:
        """``docker compose up --detach`` of the user's file plus the override, then wait for readiness."""
        if self.model is None:
            self.prepare()
        self.started = True
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._compose.start()
                break
            except subprocess.CalledProcessError as exc:
                stderr = _stderr(exc)
                taken = "port is already allocated" in stderr or "address already in use" in stderr
                if taken and attempt + 1 < PORT_ATTEMPTS:  # another process took a chosen port meanwhile
                    self._compose.run("down", "--volumes", "--timeout", str(STOP_TIMEOUT_S))
                    self._write_override()
                    continue
                # compose prints its progress to stderr too: the line that says what failed comes first.
                lines = stderr.splitlines()
                reason = next(
                    (line for line in reversed(lines) if "failed" in line or "Error response" in line),
                    next((line for line in reversed(lines) if "rror" in line), lines[-1] if lines else ""),
                )
                raise StagingError(
                    f"the staging replica did not start: {reason.strip()}\n{stderr}\n{self._logs_tail()}"
                ) from exc
        self._await_ready()

    @property
    def override_file(self) -> Path:
        """The generated compose override (written by :meth:`prepare`)."""
        return self._override_file

    def readiness(self) -> dict[str, str]:
        """What is polled until the replica is ready: each service's ``ready`` URL, and Toxiproxy's API."""
        checks = {
            f"{service} {spec.ready}": render(spec.ready, self, {})
            for service, spec in self.plan.staging_topology.services.items()
        }
        if self.proxies:
            checks["drdrill-toxiproxy /version"] = f"{self.toxiproxy_url}/version"
        return checks

    def _await_ready(self) -> None:
        waiting = self.readiness()
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(timeout=1.0) as http:
            while waiting:
                for name, url in list(waiting.items()):
                    if _answers(http, url):
                        del waiting[name]
                if not waiting:
                    break
                if time.monotonic() > deadline:
                    raise StagingError(
                        f"the staging replica did not become ready within {READY_TIMEOUT_S:g} s; "
                        f"still waiting for: {', '.join(sorted(waiting))}\n{self._logs_tail()}"
                    )
                time.sleep(READY_POLL_S)

    def address(self, service: str, port: int) -> tuple[str, int]:
        """Where the host reaches ``service``'s container ``port``: always 127.0.0.1."""
        found = self._host_ports.get((service, port))
        if found is None:
            published = ", ".join(f"{s}:{p}" for s, p in sorted(self._host_ports)) or "none"
            raise StagingError(
                f"service {service!r} publishes no port {port} in this replica (published: {published}); "
                "name the port in the plan's URLs or in the service's expose:/ports: in the compose file"
            )
        return "127.0.0.1", found

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        """``http://127.0.0.1:<host port>`` of ``service``'s container ``port``."""
        host, outer = self.address(service, port)
        return f"{scheme}://{host}:{outer}"

    @property
    def toxiproxy_address(self) -> tuple[str, int]:
        """Where the host reaches the run's Toxiproxy API."""
        if self._toxiproxy_port is None:
            raise StagingError("the plan declares no links, so this replica runs no Toxiproxy")
        return "127.0.0.1", self._toxiproxy_port

    def watch(self, on_event: Callable[[ContainerEvent], None], on_error: Callable[[str], None]) -> Watcher:
        """Hand every container event of this replica (die, oom, restart, ...) to ``on_event`` from now on."""
        labels = [f"com.docker.compose.project={self.project}"]
        source = docker_client().events(filters={"label": labels, "type": "container"}, decode=True)
        return Watcher(source, on_event, on_error)

    def link_address(self, link: str) -> tuple[str, int]:
        """Where the host reaches the listener of a link's proxy: the same path the link's consumer takes."""
        found = self._link_ports.get(link)
        if found is None:
            raise StagingError(f"the plan has no link {link!r} in this replica")
        return "127.0.0.1", found

    @property
    def toxiproxy_url(self) -> str:
        host, port = self.toxiproxy_address
        return f"http://{host}:{port}"

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
        """The replica's logs as plain text (compose's terminal control codes taken out)."""
        stdout, stderr = self._compose.get_logs()
        return ANSI_CODES.sub("", str(stdout) + str(stderr))

    def _logs_tail(self, lines: int = 40) -> str:
        try:
            text = self.logs()
        except (subprocess.CalledProcessError, OSError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> int:
        """Remove the stack (containers, network, volumes); returns how many leftovers the label sweep removed."""
        if not self.started:
            shutil.rmtree(self._envdir, ignore_errors=True)
            return 0
        errors: list[str] = []
        try:
            # Killed, not stopped: the replica is thrown away with its volumes, and a graceful stop would only
            # add each container's shutdown, level by level of its dependencies, to every drill.
            self._compose.run("down", "--volumes", "--remove-orphans", "--timeout", str(DOWN_TIMEOUT_S))
        except subprocess.CalledProcessError as exc:
            errors.append(_stderr(exc))
        client = docker_client()
        label, project = f"{LABEL_RUN}={self.run_id}", f"com.docker.compose.project={self.project}"
        removed = 0
        # After a clean `down` nothing should carry the run's labels: look once, and sweep only what is left.
        if errors or leftovers(client, label) or leftovers(client, project):
            removed = remove_by_label(client, label)
            removed += remove_by_label(client, project)
        shutil.rmtree(self._envdir, ignore_errors=True)
        left = leftovers(client, label) if removed or errors else []
        if left:
            raise StagingError(f"could not remove {', '.join(left)} of {self.project}; remove them by hand")
        if errors and removed == 0:
            raise StagingError(f"compose down failed for {self.project}: {' '.join(errors)}")
        self.started = False
        return removed


def sweep_run_dirs(temp: Path, keep: Path) -> list[str]:
    """Remove ``drdrill-<run>-*`` folders under ``temp`` whose owner process is gone; returns their names."""
    removed: list[str] = []
    for folder in sorted(temp.glob("drdrill-*-*")):
        owner = folder / "owner"
        if folder == keep or not owner.is_file() or owner.is_symlink():
            continue
        try:
            tag = owner.read_text(encoding="utf-8")[:300]
        except OSError:
            continue
        if owner_gone(tag):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _answers(http: httpx.Client, url: str) -> bool:
    """An http:// URL answering 2xx, or a tcp:// address accepting a connection."""
    if url.startswith("tcp://"):
        host, _, port = url.removeprefix("tcp://").split("/", 1)[0].rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                return True
        except OSError:
            return False
    try:
        return http.get(url).is_success
    except httpx.HTTPError:
        return False


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
