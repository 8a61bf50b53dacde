"""The staging replica's lifecycle: the plan's own compose file plus drdrill's generated override, started
with testcontainers' DockerCompose; its ports, readiness and teardown, and the sweep of what a killed run left
behind (found by label, since Ryuk cannot run without a registry)."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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

from drdrill import tls
from drdrill.cachedir import cache_dir
from drdrill.errors import EnvironmentNotReadyError, StagingError
from drdrill.plan import Plan
from drdrill.plan.compose import ComposeError, read_compose
from drdrill.plan.files import FileRefusedError, exists, read_guarded
from drdrill.plan.hostaccess import allowed as host_access_allowed
from drdrill.plan.hostaccess import locate, resolved_host_access
from drdrill.staging import buildcache
from drdrill.staging.backend import ExecResult
from drdrill.staging.configuration import (
    Configuration,
    digest,
    dotenv,
    parse_variables,
    plan_digest,
    substituted,
)
from drdrill.staging.early import (
    ALL_PROFILES,
    OWNER_ENV,
    EarlyRead,
    Spawned,
    compose_environment,
    discard_early_reads,
    new_secrets,
    owner_tag,
    read_model_early,
    take_early_read,
)
from drdrill.staging.images import ImageBuildError, ensure_wheels
from drdrill.staging.override import (
    LABEL_MANAGED,
    LABEL_OWNER,
    LABEL_RUN,
    SINK_HTTP_PORT,
    SINK_IMAGE,
    SINK_SERVICE,
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
    "OWNER_ENV",
    "Engine",
    "StagingStack",
    "check_compose",
    "discard_early_reads",
    "docker_client",
    "engine_refusal",
    "is_local",
    "kept_by_engine_note",
    "leftovers",
    "owner_gone",
    "owner_tag",
    "process_running",
    "read_model_early",
    "remove_by_label",
    "resolve_engine",
    "stop_orphaned_compose",
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


ALLOW_REMOTE_ENV = "DRDRILL_ALLOW_REMOTE_DOCKER"
DEFAULT_ENGINE = "unix:///var/run/docker.sock"
_DOCKER_CONFIG_BYTES = 1024 * 1024  # a Docker config is a few hundred bytes


@dataclass(frozen=True)
class Engine:
    """The engine the Docker CLI (and so ``docker compose``) talks to, and what named it."""

    host: str
    named_by: str
    """In words: ``DOCKER_HOST``, ``DOCKER_CONTEXT=x``, ``the current context 'x' of <config>``, or the default."""
    fix: str
    """How to make drdrill use the local engine instead."""


def _docker_config_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("DOCKER_CONFIG"):
        return Path(environ["DOCKER_CONFIG"])
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".docker"


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A small JSON object from the Docker config directory; :class:`StagingError` with one line otherwise."""
    try:
        raw = read_guarded(path, limit=_DOCKER_CONFIG_BYTES, noun=what)
        data = json.loads(raw.decode("utf-8"))
    except FileRefusedError as exc:
        raise StagingError(
            f"{exc}; the Docker CLI cannot read it either: fix it, or set DOCKER_HOST"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise StagingError(
            f"{path}: not JSON; the Docker CLI cannot read it either: fix it, or set DOCKER_HOST"
        ) from None
    if not isinstance(data, dict):
        raise StagingError(f"{path}: not a JSON object; fix it, or set DOCKER_HOST")
    return data


def _context_host(config_dir: Path, name: str) -> str | None:
    """The docker endpoint of context ``name`` (stored under the SHA-256 of its name), None if undefined."""
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode("utf-8")).hexdigest() / "meta.json"
    if not exists(meta):
        return None
    endpoints = _read_json_object(meta, "context file").get("Endpoints")
    docker_endpoint = endpoints.get("docker") if isinstance(endpoints, dict) else None
    host = docker_endpoint.get("Host") if isinstance(docker_endpoint, dict) else None
    return host if isinstance(host, str) and host else DEFAULT_ENGINE


def resolve_engine(environ: Mapping[str, str]) -> Engine:
    """The engine as the Docker CLI resolves it: ``DOCKER_HOST``, then ``DOCKER_CONTEXT``, then the
    ``currentContext`` of ``$DOCKER_CONFIG/config.json`` (default ``~/.docker``), then the local socket.

    ``docker compose`` resolves it the same way, so this is the engine a drill's containers start on. Raises
    :class:`StagingError` when a context is named but not defined, or the config cannot be read.
    """
    allow = f"or set {ALLOW_REMOTE_ENV}=1 to drill on that engine on purpose"
    host = environ.get("DOCKER_HOST", "")
    if host:
        return Engine(host, f"DOCKER_HOST={host}", f"unset DOCKER_HOST, {allow}")
    config_dir = _docker_config_dir(environ)
    context = environ.get("DOCKER_CONTEXT", "")
    named_by = f"DOCKER_CONTEXT={context}"
    fix = f"unset DOCKER_CONTEXT, {allow}"
    if not context:
        config = config_dir / "config.json"
        if not exists(config):
            return Engine(DEFAULT_ENGINE, "the default", "")
        current = _read_json_object(config, "Docker config").get("currentContext")
        context = current if isinstance(current, str) else ""
        named_by = f"the Docker CLI's current context {context!r} (currentContext in {config})"
        fix = f"switch to the local engine with `docker context use default`, {allow}"
    if context in ("", "default"):
        return Engine(DEFAULT_ENGINE, "the default", "")
    found = _context_host(config_dir, context)
    if found is None:
        raise StagingError(
            f"{named_by} is not defined in {config_dir / 'contexts'}, so the engine it means is unknown; "
            f"{fix.replace(f', {allow}', '')} (docker context ls lists the defined ones)"
        )
    return Engine(found, named_by, fix)


def is_local(host: str) -> bool:
    """A unix socket, a Windows named pipe, or TCP to a loopback address: this machine's engine.

    Anything else (another address, ``ssh://``, a scheme drdrill does not know) is another machine's.
    """
    if host.startswith(("unix://", "npipe://")):
        return True
    try:
        parts = urlsplit(host if "://" in host else f"tcp://{host}")
        name = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("tcp", "http", "https"):
        return False
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def engine_refusal(environ: Mapping[str, str]) -> str | None:
    """Why drdrill will not drive the engine the Docker CLI would use in ``environ``, or None if it is local.

    A drill kills and floods what it starts: only this machine's engine is driven unless the user says otherwise.
    The engine is resolved as the CLI resolves it (:func:`resolve_engine`), so a remote current context of the
    Docker config is refused like a remote ``DOCKER_HOST``.
    """
    if environ.get(ALLOW_REMOTE_ENV) == "1":
        return None
    try:
        engine = resolve_engine(environ)
    except StagingError as exc:
        return str(exc)
    if is_local(engine.host):
        return None
    who = engine.named_by
    if not who.startswith("DOCKER_HOST="):  # a context: say where it points
        who += f", whose endpoint is {engine.host},"
    return f"{who} is not this machine's Docker engine, and drdrill only drives the local one; {engine.fix}"


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

    def spawn(self, *args: str) -> Spawned:
        """Start ``args`` now, read its answer later (:meth:`Spawned.result`)."""
        return Spawned([*self.compose_command_property, *args], str(self.context), self.process_environment())

    def process_environment(self) -> dict[str, str]:
        return compose_environment(self.secrets)

    def _run_command(
        self, cmd: str | list[str], context: str | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            cmd,
            capture_output=True,
            check=True,
            cwd=context or str(self.context),
            env=self.process_environment(),
        )


ANSI_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _stderr(exc: subprocess.CalledProcessError) -> str:
    return ANSI_CODES.sub("", exc.stderr.decode(errors="replace") if exc.stderr else str(exc)).strip()


class _ImageIds:
    """Image ids asked of the engine's API, each name once (a ``docker image inspect`` process per service
    cost about 50 ms each: most of the set-up checks of an eleven-service replica)."""

    def __init__(self) -> None:
        self._client = docker_client()
        self._found: dict[str, str | None] = {}

    def __call__(self, image: str) -> str | None:
        if image not in self._found:
            try:
                self._found[image] = str(self._client.images.get(image).id)
            except (docker.errors.ImageNotFound, docker.errors.APIError):
                self._found[image] = None  # not here, or a name the engine refuses: not here either way
        return self._found[image]

    def forget(self, image: str) -> None:
        """Ask again next time: ``image`` was just built."""
        self._found.pop(image, None)


DRDRILL_IMAGES = (
    "drdrill/toxiproxy:local",
    "drdrill/provider-sim:local",
    "drdrill/notify-sink:local",
    "drdrill/base:local",
)


@dataclass(frozen=True)
class _RunFiles:
    """The files one run writes in its temporary folder."""

    override: Path
    proxies: Path


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
        # The run's temporary folder is made by prepare(), not here: a refusal before it (an engine that is
        # not local, a missing compose plugin) leaves nothing on disk.
        self._envdir: Path | None = None
        # New for every run: a replica's database password is good for one drill only.
        self.secrets = new_secrets(plan)
        # compose may already be reading the file for this run (early.read_model_early), with its secrets
        self._early: EarlyRead | None = take_early_read(run_id, self.compose_file)
        # whether prepare() took that early reading up (the scorecard's environment says)
        self.read_early: bool | None = False
        if self._early is not None:
            self.secrets = dict(self._early.secrets)
        self._compose = self._compose_for(str(self.compose_file.name))
        self.model: ComposeModel | None = None
        self.proxies = proxy_plans(plan)
        self._host_ports: dict[tuple[str, int], int] = {}
        self._toxiproxy_port: int | None = None
        self._link_ports: dict[str, int] = {}
        self._built_ids: dict[str, str] = {}  # service -> id of the image this run built for it
        self._override_text = ""
        self._cut: dict[str, list[tuple[str, list[str]]]] = {}  # networks a service was disconnected from
        self.started = False
        self.teardown_notes: list[str] = []
        self._variables: Future[subprocess.CompletedProcess[bytes]] | None = None  # listed by prepare()

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
        for stale in sweep_run_dirs(Path(tempfile.gettempdir()), keep=self._envdir):
            self._log(f"removed the temporary files of killed run {stale}")
        return removed

    def prepare(self) -> None:
        """Read the compose model, make sure every image is here (built, never pulled), write the override.

        Makes the run's temporary folder; :meth:`stop` removes it, also after this raised.
        """
        if self._envdir is None:
            self._envdir = Path(tempfile.mkdtemp(prefix=f"drdrill-{self.run_id}-"))
            (self._envdir / "owner").write_text(owner_tag(), encoding="utf-8")
        # The variables of the user's file, for configuration(), are listed by a compose of their own meanwhile
        # (configuration() waits for the answer); both readings may have started before pytest collected.
        early, self._early = self._early, None
        if early is not None and not early.reads(
            self._compose.compose_command_property, ALL_PROFILES, self._compose.process_environment()
        ):
            early.discard()  # not what this stack would run now (another binary, a variable set since): read now
            early = None
        self.read_early = early is not None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drdrill-compose-variables")
        if early is not None:
            self._variables = pool.submit(early.variables.result)
        else:
            self._variables = pool.submit(
                self._compose_for(self.compose_file.name).run, "config", "--variables"
            )
        pool.shutdown(wait=False)
        try:
            # Every profile's services too: a profile started by a recovery step gets drdrill's settings as well.
            read = (
                early.config
                if early is not None
                else self._compose.spawn(*ALL_PROFILES, "config", "--format", "json")
            )
            config = json.loads(read.result().stdout)
        except subprocess.CalledProcessError as exc:
            raise StagingError(f"docker compose cannot read {self.compose_file}: {_stderr(exc)}") from exc
        self._refuse_host_access(config)
        self.model = ComposeModel.from_config(config)
        self._write_override()
        self._compose = self._compose_for(self.compose_file.name, str(self._files.override))
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

    def _refuse_host_access(self, config: Mapping[str, Any]) -> None:
        """Refuse what the plan loader could not see: settings that give the stack the host once compose has
        filled in ``${...}`` values and merged includes and extends (the loader refused the rest already)."""
        allowances = self.plan.staging_topology.allow_host_access
        found = resolved_host_access(config, self.compose_file)
        tree = Path(os.path.realpath(self.compose_file.parent))
        refused = [a for a in found if not host_access_allowed(a, allowances, tree)]
        if not refused:
            return
        try:
            doc = read_compose(self.compose_file).doc
        except ComposeError as exc:
            raise StagingError(f"{self.compose_file}: {exc}") from None
        issues = sorted({locate(a, doc) for a in refused})
        raise StagingError(
            "the compose file, as docker compose resolves it, gives the stack the host:\n"
            + "\n".join(str(issue) for issue in issues)
        )

    def _ensure_images(self, model: ComposeModel) -> None:
        image_id = _ImageIds()
        needed = [TOXIPROXY_IMAGE] if self.proxies else []
        if self.plan.staging_topology.notifications:
            needed.append(SINK_IMAGE)
        for image in needed:
            if image_id(image) is None:
                raise EnvironmentNotReadyError(
                    f"drdrill's image {image} is not on this machine; build it with `./dev setup` or "
                    "`python -m drdrill.staging.images ensure` (drdrill images are built locally, never pulled)"
                )
        built: dict[str, str | None] = {}
        for service in model.services.values():
            image = service.image or build_image_name(self.plan.name, service.name)
            if service.build is not None:
                if image not in built:
                    self._build(service.name, image, service.build, image_id)
                    built[image] = image_id(image)
                # The run uses the image it built, by id: a tag moved by another build on this machine
                # meanwhile (a service a recovery starts later) does not change what this drill runs.
                found = built[image]
                if found is not None:
                    self._built_ids[service.name] = found
            elif not image or image_id(image) is None:
                hint = (
                    "build it with `./dev setup` or `python -m drdrill.staging.images ensure`"
                    if image in DRDRILL_IMAGES
                    else f"build it (docker build -t {image} ...) or give the service a build: section"
                )
                raise StagingError(
                    f"{self.compose_file}: service {service.name!r} uses image {image!r}, which is not on this "
                    f"machine, and has no build: section; drdrill never pulls images: {hint}"
                )

    def _build(self, service: str, image: str, build: Mapping[str, Any], image_id: _ImageIds) -> None:
        """``docker build`` of one service's build section, with Docker's cache (so a second run is quick),
        unless nothing it reads changed since drdrill built the image (:mod:`drdrill.staging.buildcache`).

        The classic builder: it uses local base images as they are and never reaches a registry for them.
        """
        context = str(build.get("context") or self.compose_file.parent)
        dockerfile = str(build.get("dockerfile") or "Dockerfile")
        try:
            ensure_wheels(Path(context), self._log)
        except ImageBuildError as exc:
            raise StagingError(f"{self.compose_file}: the image of service {service!r}: {exc}") from exc
        arguments = {str(name): str(value) for name, value in (build.get("args") or {}).items()}
        target = str(build["target"]) if build.get("target") else None
        inputs = buildcache.fingerprint(
            Path(context), Path(context) / dockerfile, arguments, target, image_id
        )
        if buildcache.unchanged(cache_dir(), image, inputs, image_id(image)):
            self._log(f"image {image} of service {service}: what it is built from is unchanged, not rebuilt")
            return
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
        image_id.forget(image)
        buildcache.record(cache_dir(), image, inputs, image_id(image))
        self._log(f"image {image} of service {service} ready ({time.monotonic() - started:.1f} s)")

    def _write_override(self) -> None:
        """Pick free 127.0.0.1 ports (pinned, so a restarted container keeps its port) and write the override."""
        assert self.model is not None
        wanted = needed_ports(self.plan, self.model)
        pairs = [(service, port) for service, ports in wanted.items() for port in ports]
        sink = 1 if self.plan.staging_topology.notifications else 0
        chosen = free_ports(len(pairs) + 1 + len(self.proxies) + sink)
        self._host_ports = dict(zip(pairs, chosen[: len(pairs)], strict=True))
        if sink:
            self._host_ports[(SINK_SERVICE, SINK_HTTP_PORT)] = chosen[-1]
        self._toxiproxy_port = chosen[len(pairs)] if self.proxies else None
        self._link_ports = {
            p.name: port
            for p, port in zip(self.proxies, chosen[len(pairs) + 1 : len(chosen) - sink], strict=True)
        }
        self._files.proxies.write_text(toxiproxy_config(self.proxies), encoding="utf-8")
        override = build_override(
            self.plan,
            self.model,
            run_id=self.run_id,
            owner=owner_tag(),
            host_ports=self._host_ports,
            toxiproxy_api_port=chosen[len(pairs)],
            link_ports=self._link_ports,
            proxies_file=str(self._files.proxies),
            pinned_images=self._built_ids,
            sink_port=chosen[-1] if sink else None,
        )
        self._override_text = override.render()
        self._files.override.write_text(self._override_text, encoding="utf-8")

    @property
    def _files(self) -> _RunFiles:
        if self._envdir is None:
            raise StagingError("the staging replica is not prepared: prepare() makes its files")
        return _RunFiles(self._envdir / "drdrill.override.yaml", self._envdir / "proxies.json")

    def _remove_envdir(self) -> None:
        if self._envdir is not None:
            shutil.rmtree(self._envdir, ignore_errors=True)
            self._envdir = None

    def configuration(self) -> Configuration:
        """What shapes this replica: the compose file's digest and the value each of its variables gets."""
        listed = self._variables
        try:
            found = (
                listed.result()
                if listed is not None
                else self._compose_for(self.compose_file.name).run("config", "--variables")
            )
            table = found.stdout.decode(errors="replace")
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
        return self._files.override

    def readiness(self) -> dict[str, str]:
        """What is polled until the replica is ready: each ``ready`` URL of what it starts with, and Toxiproxy's
        API."""
        return self._readiness()

    def _readiness(self, services: Sequence[str] | None = None) -> dict[str, str]:
        """Readiness URL per check: of ``services``, or (None) of everything the replica starts with."""
        started = set(self.model.started_with_replica) if self.model is not None else None
        checks = {
            f"{service} {spec.ready}": render(spec.ready, self, {})
            for service, spec in self.plan.staging_topology.services.items()
            if (service in services if services is not None else started is None or service in started)
        }
        if self.proxies and services is None:
            checks["drdrill-toxiproxy /version"] = f"{self.toxiproxy_url}/version"
        if self.plan.staging_topology.notifications:
            checks[f"{SINK_SERVICE} /health"] = f"{self.url(SINK_SERVICE, SINK_HTTP_PORT)}/health"
        return checks

    def _await_ready(self, services: Sequence[str] | None = None, timeout_s: float = READY_TIMEOUT_S) -> None:
        waiting = await_answers(self._readiness(services), timeout_s)
        if waiting:
            what = "the staging replica" if services is None else ", ".join(services)
            raise StagingError(
                f"{what} did not become ready within {timeout_s:g} s; "
                f"still waiting for: {', '.join(sorted(waiting))}\n{self._logs_tail()}"
            )

    # -- what only the back-end can do (faults of the zone, region and data families; recovery actions) ----

    def replace(self, service: str) -> None:
        """SIGKILL ``service``'s container, remove it with its anonymous volumes, create a new one."""
        try:
            old = self.container(service)
            old.reload()
            if old.status in ("running", "paused"):
                old.kill()
        except docker.errors.NotFound:
            pass  # gone already: the new one is created all the same
        self._compose_run(
            f"replace the container of {service}",
            "up",
            "--detach",
            "--no-deps",
            "--force-recreate",
            "--renew-anon-volumes",
            "--timeout",
            "0",
            service,
        )

    def start_services(self, services: Sequence[str] = (), profile: str | None = None) -> list[str]:
        """``compose up --no-deps`` of exactly these services (a profile's, when given): nothing else restarts."""
        names = list(services)
        if profile is not None:
            if self.model is None:
                raise StagingError("the replica's compose model is not read yet")
            names = self.model.in_profile(profile)
            if not names:
                raise StagingError(f"compose profile {profile!r} has no services in {self.compose_file}")
        self._compose_run(f"start {', '.join(names)}", "up", "--detach", "--no-deps", *names)
        return names

    def await_ready(self, services: Sequence[str], timeout_s: float) -> None:
        """Wait for the plan's readiness of ``services`` (services it declares none for only need to run)."""
        self._await_ready(list(services), timeout_s)

    def disconnect(self, service: str) -> None:
        """Cut the container from every network, remembering its names there for :meth:`reconnect`."""
        container = self.container(service)
        container.reload()
        networks = dict(container.attrs.get("NetworkSettings", {}).get("Networks") or {})
        client = docker_client()
        saved: list[tuple[str, list[str]]] = []
        for name, settings in networks.items():
            aliases = [str(a) for a in (settings or {}).get("Aliases") or [] if a]
            client.networks.get(name).disconnect(container, force=True)
            saved.append((name, aliases))
        self._cut.setdefault(service, []).extend(saved)

    def reconnect(self, service: str) -> None:
        """Attach the container again to the networks :meth:`disconnect` cut, under the same names."""
        saved = self._cut.pop(service, [])
        if not saved:
            return
        container = self.container(service)
        client = docker_client()
        for name, aliases in saved:
            try:
                client.networks.get(name).connect(container, aliases=aliases or None)
            except docker.errors.APIError as exc:
                if "already exists" not in str(exc):
                    raise

    def remove_volume(self, volume: str) -> list[str]:
        """Remove the containers that mount compose volume ``volume``, then the volume itself."""
        client = docker_client()
        labels = [f"com.docker.compose.project={self.project}", f"com.docker.compose.volume={volume}"]
        found = client.volumes.list(filters={"label": labels})
        if not found:
            raise StagingError(f"no volume {volume!r} in {self.project}")
        services: list[str] = []
        for vol in found:
            for container in client.containers.list(
                all=True, filters={"volume": vol.name}, ignore_removed=True
            ):
                services.append(
                    str((container.labels or {}).get("com.docker.compose.service", container.name))
                )
                container.remove(force=True)
            vol.remove(force=True)
        return services

    def exec(
        self,
        service: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> ExecResult:
        """``docker exec`` in the service's container, output (stdout and stderr) kept; a command that does not
        end in time has no exit status."""
        container = self.container(service)
        command = ["docker", "exec"]
        if user:
            command += ["--user", user]
        for name, value in (env or {}).items():
            command += ["--env", f"{name}={value}"]
        try:
            done = subprocess.run(
                [*command, str(container.id), *argv],
                capture_output=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            late = bytes(exc.stdout or b"") + bytes(exc.stderr or b"")
            return ExecResult(None, ANSI_CODES.sub("", late.decode(errors="replace")))
        output = ANSI_CODES.sub("", (done.stdout + done.stderr).decode(errors="replace"))
        return ExecResult(done.returncode, output)

    def _compose_run(self, what: str, *args: str) -> None:
        try:
            self._compose.run(*args)
        except subprocess.CalledProcessError as exc:
            raise StagingError(f"could not {what}: {_stderr(exc)}") from exc

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
        """Image id of each running service, for the scorecard: one listing of the engine's (``compose ps``
        and an inspect per container took 0.17 to 0.25 s, a compose process among them, against 0.03 to
        0.06 s, in the warm-up, where the system's first answers want the cores)."""
        labels = [f"com.docker.compose.project={self.project}", "com.docker.compose.oneoff=False"]
        found = {
            str(c.labels.get("com.docker.compose.service", c.name)): str(c.attrs.get("Image") or "unknown")
            for c in docker_client().containers.list(filters={"label": labels}, ignore_removed=True)
        }
        return dict(sorted(found.items()))  # by service name: the same order in every scorecard

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
        """Remove the stack (containers, network, volumes); returns how many objects the fallback sweep removed
        after ``compose down`` (0 when the engine removed everything at once)."""
        if self._early is not None:  # refused before prepare(): compose's early reading is not needed
            early, self._early = self._early, None
            early.discard()
        if not self.started:
            self._remove_envdir()
            return 0
        client = docker_client()
        label, project = f"{LABEL_RUN}={self.run_id}", f"com.docker.compose.project={self.project}"
        removed = 0
        errors: list[str] = []
        kept: list[str] = []  # networks the engine would not remove (its miscount): said, and left
        try:
            # Killed and removed by the engine, every container at once, then the network and the volumes: the
            # replica is thrown away, and `compose down` (1.5 s for the bundled replica, against 1.1 s) removes
            # them in its own order, after starting a process of its own.
            remove_by_label(client, project, kept)
            remove_by_label(client, label, kept)
        except docker.errors.DockerException as exc:
            errors.append(f"the engine refused to remove {self.project}: {exc}")
            try:
                self._compose.run(
                    *ALL_PROFILES, "down", "--volumes", "--remove-orphans", "--timeout", str(DOWN_TIMEOUT_S)
                )
            except subprocess.CalledProcessError as down:
                errors.append(_stderr(down))
            removed = remove_by_label(client, label, kept) + remove_by_label(client, project, kept)
        self._remove_envdir()
        left = [
            found
            for found in [*leftovers(client, label), *leftovers(client, project)]
            if found.removeprefix("network ") not in kept
        ]
        if kept:
            self.teardown_notes.append(kept_by_engine_note(sorted(set(kept))))
        if left:
            raise StagingError(
                f"could not remove {', '.join(sorted(set(left)))} of {self.project}"
                + (f" ({'; '.join(errors)})" if errors else "")
                + "; remove them by hand"
            )
        self.started = False
        return removed


def sweep_run_dirs(temp: Path, keep: Path | None) -> list[str]:
    """Remove ``drdrill-<run>-*`` folders under ``temp`` whose owner process is gone; returns their names.

    ``keep`` is this run's own folder. A folder whose ``owner`` file is anything but a small regular file
    (a link, a FIFO) is not drdrill's and is left alone.
    """
    removed: list[str] = []
    for folder in sorted(temp.glob("drdrill-*-*")):
        owner = folder / "owner"
        if folder == keep or _is_link(owner):
            continue
        try:
            tag = read_guarded(owner, limit=300, within=folder).decode("utf-8", "replace")
        except FileRefusedError:
            continue
        if owner_gone(tag):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:
        return True  # a name the system refuses: not a folder drdrill made


TCP_SETTLE_S = 0.1


def await_answers(checks: Mapping[str, str], timeout_s: float, try_s: float = 1.0) -> list[str]:
    """Poll each check's URL (:func:`_answers`) until all answer or ``timeout_s`` passes; returns the names of the
    checks still not answering (empty: all did)."""
    waiting = dict(checks)
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=try_s, verify=tls.context()) as http:
        while waiting:
            for name, url in list(waiting.items()):
                if _answers(http, url):
                    del waiting[name]
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(READY_POLL_S)
    return sorted(waiting)


def _answers(http: httpx.Client, url: str) -> bool:
    """An http:// URL answering 2xx, or a tcp:// address accepting a connection and keeping it open.

    Docker's port publishing accepts a connection on the host even when nothing listens in the container yet,
    then closes it at once: a connection closed within a moment is no listener (one that waits for the client
    to speak first, as Postgres and Redis do, or that greets it, is)."""
    if url.startswith("tcp://"):
        host, _, port = url.removeprefix("tcp://").split("/", 1)[0].rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=1.0) as conn:
                conn.settimeout(TCP_SETTLE_S)
                try:
                    return conn.recv(1) != b""
                except TimeoutError:
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
REMOVE_THREADS = 8  # removals sent to the engine at once (docker-py keeps 10 connections)
REMOVE_RETRY_S = 0.5
STALE_AFTER = 3  # attempts after which a network that will not go is taken for one with stale endpoints


def remove_by_label(client: docker.DockerClient, label: str, kept: list[str] | None = None) -> int:
    """Force-remove every container, then network and volume, carrying ``label``; returns the count.

    A compose ``up`` that failed half-way can still be creating containers when this runs, and a network
    cannot go while a container is attached: so it goes round again until nothing carries the label (or it
    gives up after a few seconds, and the caller reports what is left). Objects gone meanwhile are skipped.
    A network still refused after a few rounds has its endpoints force-disconnected first: the engine can keep
    the endpoint of a container removed while it was starting (moby/moby#17217).

    With ``kept``, a network that is still refused after that, for active endpoints, while the engine lists
    none on it, is taken for the engine's own miscount (moby/moby#42119: its endpoint count outlives the
    endpoints; Docker 20.10 corrects it only when it restarts): its name goes into ``kept`` and it is left,
    instead of failing the removal of everything else. One judged so earlier in this process
    (:data:`KEPT_BY_ENGINE`) is put there at once: it would only be refused again, a few rounds later.
    """
    removed = 0
    selector: dict[str, str | list[str] | bool] = {"label": label}
    if kept is not None and KEPT_BY_ENGINE:  # (nearly always empty: then no listing is spent on it)
        known = [n for n in client.networks.list(filters=selector) if n.id in KEPT_BY_ENGINE]
        kept.extend(str(n.name) for n in known if n.name not in kept)
    for attempt in range(REMOVE_ATTEMPTS):
        containers = client.containers.list(all=True, filters=selector, ignore_removed=True)
        # The engine removes containers side by side (unmounting, unplugging): all at once, then what they used.
        took, gone = _remove_all([partial(c.remove, force=True, v=True) for c in containers], attempt)
        stale = attempt >= STALE_AFTER
        judge = stale and not containers  # no container of the run left that could still be leaving a network
        others: list[Callable[[], object]] = [
            *(
                partial(_remove_network, n, disconnect=stale, kept=kept if judge else None)
                for n in client.networks.list(filters=selector)
                if kept is None or n.name not in kept
            ),
            *(partial(v.remove, force=True) for v in client.volumes.list(filters=selector)),
        ]
        if not containers and not others:
            break
        took_others, gone_others = _remove_all(others, attempt)
        removed += took + took_others
        if not (gone and gone_others):  # something would not go yet: give the engine a moment
            time.sleep(REMOVE_RETRY_S)
    return removed


KEPT_BY_ENGINE: set[str] = set()  # ids of the networks this process took for the engine's miscount
SAID_KEPT: set[str] = set()  # names of those the sweep has named in this process


class _KeptByEngineError(Exception):
    """A network the engine will not remove though it lists no endpoint on it (see :func:`remove_by_label`)."""


def _remove_all(removals: Sequence[Callable[[], object]], attempt: int) -> tuple[int, bool]:
    """Run the removals side by side: how many removed something, and whether every object is gone (one gone
    meanwhile, or kept by the engine, counts as gone). An engine error is raised on the last attempt only."""
    if not removals:
        return 0, True

    def remove(one: Callable[[], object]) -> tuple[int, bool]:
        try:
            one()
        except (docker.errors.NotFound, _KeptByEngineError):
            return 0, True  # removed meanwhile (by compose or by the engine), or the engine's to free
        except docker.errors.APIError:
            if attempt == REMOVE_ATTEMPTS - 1:
                raise
            return 0, False
        return 1, True

    workers = min(REMOVE_THREADS, len(removals))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drdrill-rm") as pool:
        results = list(pool.map(remove, removals))
    return sum(n for n, _ in results), all(gone for _, gone in results)


def _remove_network(network: Any, *, disconnect: bool, kept: list[str] | None = None) -> None:
    """Remove a network; with ``disconnect``, force every endpoint the engine still lists off it first (by the
    endpoint's name: the engine does not find a stale one by id). With ``kept``, a refusal for active endpoints
    while none is listed puts the network's name there and raises :class:`_KeptByEngineError`."""
    if disconnect:
        network.reload()
        for endpoint in (network.attrs.get("Containers") or {}).values():
            with contextlib.suppress(docker.errors.APIError):
                network.disconnect(str(endpoint.get("Name", "")), force=True)
    try:
        network.remove()
    except docker.errors.APIError as exc:
        if kept is None or "active endpoints" not in str(exc):
            raise
        network.reload()
        if network.attrs.get("Containers"):
            raise  # an endpoint is listed: a container may still be leaving
        kept.append(str(network.name))
        KEPT_BY_ENGINE.add(str(network.id))
        raise _KeptByEngineError(network.name) from exc


def kept_by_engine_note(networks: Sequence[str]) -> str:
    """What to tell the user of networks :func:`remove_by_label` left as the engine's miscount."""
    return (
        f"network {', '.join(networks)} left: the Docker engine refuses to remove it for active endpoints although "
        "it lists none (its endpoint count outlived the containers, moby/moby#42119); it holds one address range "
        f"until the engine restarts, after which `docker network rm {' '.join(networks)}` removes it"
    )


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


ORPHAN_EXIT_S = 5.0
ORPHAN_SETTLE_S = 1.0  # after a compose was killed, the engine may still finish the request it had sent


def orphaned_compose(proc: Path = Path("/proc")) -> dict[int, str]:
    """The compose processes of drills whose owner is gone, by process id, each with its owner's tag.

    A drill killed while ``docker compose up`` runs leaves that command running: left alone, it goes on creating
    containers and networks after the next run's sweep has looked. Told apart by :data:`OWNER_ENV` in their
    environment; processes that are not drdrill's, or that this user may not read, are left alone.
    """
    found: dict[int, str] = {}
    marker = f"{OWNER_ENV}=".encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if b"compose" not in argv:
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not this user's
        owner = next((v[len(marker) :].decode(errors="replace") for v in environ if v.startswith(marker)), "")
        if owner and owner_gone(owner):
            found[int(entry.name)] = owner
    return found


def stop_orphaned_compose(log: Log, proc: Path = Path("/proc")) -> int:
    """Kill the compose commands killed drills left running, and wait (a few seconds at most) until they end."""
    orphans = orphaned_compose(proc)
    for pid in orphans:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + ORPHAN_EXIT_S
    left = set(orphans)
    while left and time.monotonic() < deadline:
        left = {pid for pid in left if process_running(proc / str(pid))}
        if left:
            time.sleep(0.05)
    for owner in sorted(set(orphans.values())):
        pids = sorted(pid for pid, tag in orphans.items() if tag == owner)
        log(f"stopped {len(pids)} docker compose process(es) that killed drill {owner} left running")
    if left:
        log(f"docker compose process(es) {', '.join(map(str, sorted(left)))} did not end after SIGKILL")
    if orphans:
        time.sleep(ORPHAN_SETTLE_S)
    return len(orphans)


def process_running(entry: Path) -> bool:
    """Whether a process still runs: gone, or a zombie waiting for its parent to reap it, is not running."""
    try:
        stat = (entry / "stat").read_text(errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def sweep_leftovers(client: docker.DockerClient, log: Log) -> int:
    """Remove what runs whose owner process is dead left behind; say so when there was anything.

    First the compose commands such a run left running, so that nothing is created behind the sweep's back.
    """
    stop_orphaned_compose(log)
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
        kept: list[str] = []
        try:
            count = remove_by_label(client, f"{LABEL_RUN}={run}", kept)
        except docker.errors.APIError as exc:
            # The engine can refuse for good, e.g. a network it still counts an endpoint on after every container
            # went: another run's project, named apart from this run's, so it cannot collide with it. Said, and
            # left, rather than stop every drill on the machine until someone clears the engine.
            log(
                f"could not remove what killed run {run} left, left in place: {str(exc)[:300]}; remove it with "
                f"`docker rm -f $(docker ps -aq --filter label={LABEL_RUN}={run})` and `docker network rm $(docker "
                f"network ls -q --filter label={LABEL_RUN}={run})` (a network the engine still counts an endpoint "
                "on goes once the engine restarts)"
            )
            continue
        if kept and not set(kept) <= SAID_KEPT:  # named once a process: it is the same before every drill
            log(f"killed run {run}: {kept_by_engine_note(kept)}")
            SAID_KEPT.update(kept)
        if count:
            log(f"removed {count} leftover container(s), network(s) and volume(s) of killed run {run}")
        removed += count
    return removed
