"""The Kubernetes staging back-end: the plan's manifests in a namespace of the drill's own, on the one cluster the
plan's kube context names.

The runner, the system contract, the workload, the probes, the journal, the measures and every view are the same
as on compose; this back-end only starts, reaches, faults, watches and removes the replica:

- **start**: the manifests (a file, a folder, or a kustomization, rendered by kubectl) are placed in the namespace
  (:mod:`.manifests`), the images loaded into the local cluster's nodes (no registry), Toxiproxy added as a
  Deployment of the namespace with each link's consumers pointed at it, as the compose override does; then the
  namespace's workloads and the plan's ``ready`` checks are awaited.
- **reach**: ``{service:port}`` is a Service's port, reached on 127.0.0.1 through a relay that follows the
  Service's ready endpoints (:mod:`.reach`).
- **faults**: ``replace`` and ``kill`` delete a Service's pods (grace 0, or theirs for a SIGTERM; their
  controller makes new ones), ``stop`` scales its workloads to zero until the revert, ``pause`` is refused in
  preflight; a zone or region is its nodes (``topology.kubernetes.io/zone``), powered off or frozen on the local
  cluster, or drained (cordoned, the drill's pods evicted) on any; the links' faults go through the namespace's
  Toxiproxy.
- **watch**: every pod container that dies, is OOM-killed, restarts or starts is handed to the journal.
- **remove**: nodes a drill powered off are started again, the namespace is deleted and waited for; a killed
  drill's namespace is swept by its owner annotation (:func:`.namespace.sweep`).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from docker.models.containers import Container
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from drdrill.errors import EnvironmentNotReadyError, StagingError, UnsupportedFaultError
from drdrill.plan import Plan
from drdrill.staging import images
from drdrill.staging.backend import ExecResult
from drdrill.staging.configuration import GENERATED, Configuration, digest, plan_digest
from drdrill.staging.kube import cluster, manifests
from drdrill.staging.kube.faults import (
    SCALABLE,
    KubeFaultError,
    PodKill,
    ScaleToZero,
    ZoneDrain,
    live_pods,
    set_scale,
)
from drdrill.staging.kube.instruments import TOXIPROXY_LABELS, sink_objects, toxiproxy_objects
from drdrill.staging.kube.namespace import (
    Context,
    ContextRefusedError,
    DrillNamespace,
    KubeStagingError,
    check_context,
    namespace_name,
    sweep,
)
from drdrill.staging.kube.reach import ServiceRelay
from drdrill.staging.override import (
    SINK_HTTP_PORT,
    SINK_SERVICE,
    TOXIPROXY_API_PORT,
    TOXIPROXY_SERVICE,
    proxy_plans,
    sink_env,
)
from drdrill.staging.stack import ANSI_CODES, await_answers
from drdrill.staging.watch import ContainerEvent
from drdrill.templates import render

Log = Callable[[str], None]
WORKLOADS_READY_S = 180.0  # pods scheduled, images there, readiness probes passing
PLAN_READY_S = 90.0  # then the plan's own ready checks, through the relays
NODE_BACK_S = 150.0  # a node powered off by a drill, Ready again before the next one
WATCH_SLICE_S = 2  # the pod watch is renewed this often, so stop() ends it within a slice
KUBECTL_ENV = "DRDRILL_KUBECTL"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
PROFILE_LABEL = "drdrill.io/profile"  # a compose profile's counterpart: started only when a recovery asks
PROFILE_REPLICAS = "drdrill.io/profile-replicas"
NO_PAUSE = (
    "a pod cannot be paused through the Kubernetes API; to freeze what a zone runs use zone_loss with mode: "
    "freeze, or drill the pause on compose (--drill-staging=compose)"
)


def kubectl_path() -> Path:
    """The kubectl drdrill renders and applies with: ``$DRDRILL_KUBECTL``, the one on PATH, or the local
    cluster's (linked into its state folder by ``./dev cluster up``)."""
    given = os.environ.get(KUBECTL_ENV)
    if given:
        return Path(given)
    found = shutil.which("kubectl")
    if found:
        return Path(found)
    local = cluster.state_dir() / "kubectl"
    if local.exists():
        return local
    raise EnvironmentNotReadyError(
        "no kubectl: install one, set DRDRILL_KUBECTL to its path, or start the local cluster "
        "(./dev cluster up links the one it builds)"
    )


def kubeconfig_for(plan: Plan) -> Path:
    """The kubeconfig holding the plan's context: the plan's own, the local cluster's for ``drdrill-local``,
    else ``$KUBECONFIG`` (its first file) or ``~/.kube/config``."""
    spec = plan.staging_topology.kubernetes
    assert spec is not None
    if spec.kubeconfig is not None:
        return (plan.source_dir / spec.kubeconfig).resolve()
    if spec.context == cluster.CONTEXT:
        return cluster.kubeconfig_path()
    given = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(given) if given else Path.home() / ".kube" / "config"


def _label_selector(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _with_secrets(value: Any, values: Mapping[str, str]) -> Any:
    """Every ``${NAME}`` of a generated secret filled in, in every string of the objects."""
    if isinstance(value, str):
        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: values.get(m[1], m[0]), value)
    if isinstance(value, list):
        return [_with_secrets(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _with_secrets(item, values) for key, item in value.items()}
    return value


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _started_replicas(obj: Mapping[str, Any]) -> int:
    """The replicas a workload runs once started: its manifest's, or for one of a profile shipped at 0, its
    ``drdrill.io/profile-replicas`` annotation (1 unless it says)."""
    declared = int((obj.get("spec") or {}).get("replicas", 1))
    if declared or PROFILE_LABEL not in _labels(obj):
        return declared
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return int(annotations.get(PROFILE_REPLICAS, 1))


def _set_env(container: dict[str, Any], name: str, value: str) -> None:
    env = container.setdefault("env", [])
    for entry in env:
        if entry.get("name") == name:
            entry.clear()
            entry.update({"name": name, "value": value})
            return
    env.append({"name": name, "value": value})


class KubernetesStack:
    """One run of the plan's manifests in a namespace of its own (see the module's docstring)."""

    def __init__(self, plan: Plan, run_id: str, log: Log) -> None:
        spec = plan.staging_topology.kubernetes
        if spec is None:
            raise StagingError(
                f"{plan.source_dir / 'plan.yaml'}: staging_topology.kubernetes is not set; name the kube context "
                "and the manifests of your staging there (see docs/kubernetes.md)"
            )
        self.plan = plan
        self.run_id = run_id
        self._log = log
        self._spec = spec
        self.compose_file = (plan.source_dir / spec.manifests).resolve()  # what the replica is made of
        self.project = namespace_name(run_id)
        self.secrets = {name: secrets.token_urlsafe(24) for name in plan.staging_topology.generated_secrets}
        self.proxies = proxy_plans(plan)
        self.started = False
        # what stop() left in place, and why: nothing so far, the namespace goes whole
        self.teardown_notes: list[str] = []
        self.read_early: bool | None = None  # reads no compose file
        self._kubeconfig = kubeconfig_for(plan)
        self._lock = threading.Lock()
        self._context: Context | None = None
        self._api: client.ApiClient | None = None
        self._objects: list[dict[str, Any]] = []
        self._selectors: dict[str, dict[str, str]] = {}  # Service -> its selector
        self._ports: dict[str, list[int]] = {}  # Service -> its ports
        self._relays: dict[tuple[str, int], ServiceRelay] = {}
        self._space: DrillNamespace | None = None
        self._lost: dict[str, str] = {}  # node -> how it was lost (power, freeze), until it is brought back
        self._drained: dict[str, ZoneDrain] = {}  # zone -> its drain, until it is uncordoned
        self._scaled: dict[str, list[ScaleToZero]] = {}  # Service -> its workloads stopped, until scaled back
        self._touched: set[str] = set()  # every node this run lost: Ready again before the run ends
        self._override_text = ""

    # -- the cluster ---------------------------------------------------------------------------------------

    def _client(self) -> client.ApiClient:
        """The API client of the plan's context, once that context is checked (the only one ever used)."""
        with self._lock:
            if self._api is None:
                try:
                    self._context = check_context(
                        self._kubeconfig, self._spec.context, allow_remote=self._spec.allow_remote_context
                    )
                except ContextRefusedError as exc:
                    raise EnvironmentNotReadyError(str(exc)) from None
                self._api = config.new_client_from_config(  # type: ignore[no-untyped-call]
                    str(self._kubeconfig), context=self._spec.context
                )
            return self._api

    @property
    def _local(self) -> bool:
        """The plan drills the cluster ``./dev cluster up`` starts, whose nodes are containers here."""
        return self._spec.context == cluster.CONTEXT and self._kubeconfig == cluster.kubeconfig_path()

    def environment(self) -> dict[str, str]:
        api = self._client()
        try:
            version = client.VersionApi(api).get_code()
        except Exception as exc:  # a cluster that does not answer: refused here, before anything is made
            hint = "start it with ./dev cluster up" if self._local else "check the cluster is up"
            raise EnvironmentNotReadyError(
                f"kube context {self._spec.context!r} does not answer ({type(exc).__name__}: {exc}); {hint}"
            ) from None
        assert self._context is not None
        return {
            "kubernetes": str(version.git_version),
            "kube context": f"{self._context.name} ({self._context.server})",
            "kubectl": str(kubectl_path()),
        }

    def sweep(self) -> int:
        return len(sweep(self._client(), self._log))

    # -- before anything starts -----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Render and place the manifests, add Toxiproxy and the notification sink, point the links' and the
        channels' consumers at them, load the images."""
        try:
            rendered = manifests.render(self.compose_file, kubectl_path())
            placed = manifests.for_drill(rendered, self.project, self.run_id)
        except (manifests.ManifestError, OSError) as exc:
            raise StagingError(f"staging_topology.kubernetes.manifests: {exc}") from None
        placed = _with_secrets(placed, self.secrets)
        run_labels = {manifests.LABEL_RUN: self.run_id}
        added = toxiproxy_objects(self.proxies, run_labels) if self.proxies else []
        if self.plan.staging_topology.notifications:
            added += sink_objects(self.plan, run_labels)
        for obj in added:
            obj["metadata"]["namespace"] = self.project
        for obj in placed + added:
            if obj["kind"] == "Service":
                name = str(obj["metadata"]["name"])
                self._selectors[name] = dict((obj.get("spec") or {}).get("selector") or {})
                self._ports[name] = [int(p["port"]) for p in (obj.get("spec") or {}).get("ports") or []]
        changed = self._point_consumers(placed)
        self._objects = placed + added
        self._override_text = (
            f"# drdrill's changes to {self.compose_file} for run {self.run_id}: everything is placed in namespace "
            f"{self.project}, labelled {manifests.LABEL_RUN}={self.run_id}, imagePullPolicy Never.\n"
            + "".join(f"# {line}\n" for line in changed)
            + (manifests.dump(added) + "\n" if added else "")
        )
        needed = manifests.images(self._objects)
        missing = [tag for tag in needed if images._image_id(tag) is None]
        if missing:
            raise StagingError(
                f"{self.compose_file}: image(s) {', '.join(missing)} not on this machine; drdrill never pulls: "
                "build them (for a compose staging's own images, one compose drill or `docker compose build` "
                "does), or `./dev setup` for drdrill's"
            )
        if self._local:
            try:
                cluster.load_images(needed, self._log)
            except cluster.ClusterError as exc:
                raise StagingError(f"could not load the images into the local cluster: {exc}") from None

    def _consumer_settings(self) -> list[tuple[str, str, dict[str, str]]]:
        """(what names it, consumer, variables) for each link's consumer (pointed at the run's Toxiproxy) and each
        notification channel's (pointed at the sink), in the plan's order: the variables the compose override
        gives the same services."""
        found = [
            (
                f"link {proxy.name!r}",
                consumer,
                {k: v.replace("{proxy}", proxy.address) for k, v in proxy.env.items()},
            )
            for proxy in self.proxies
            for consumer in proxy.consumers
        ]
        channels = self.plan.staging_topology.notifications
        for consumer, env in sink_env(self.plan).items():
            names = ", ".join(repr(n) for n, c in channels.items() if c.consumer == consumer)
            found.append((f"notification channel {names}", consumer, env))
        return found

    def _point_consumers(self, placed: list[dict[str, Any]]) -> list[str]:
        """Every container of each consumer's workloads gets its variables (:meth:`_consumer_settings`); returns
        what changed, in words."""
        changed: list[str] = []
        for named_by, consumer, env in self._consumer_settings():
            workloads = self._workloads_of(consumer, placed)
            if not workloads:
                raise StagingError(
                    f"{self.compose_file}: {named_by} names consumer {consumer!r}, but no Service "
                    f"{consumer!r} selects a workload of the manifests; name the Service of the consumer"
                )
            for obj in workloads:
                for spec in manifests.pod_specs(obj):
                    for container in spec.get("containers") or []:
                        for var, value in env.items():
                            _set_env(container, var, value)
                            changed.append(f"{obj['kind']} {obj['metadata']['name']}: {var}={value}")
        return changed

    def _workloads_of(
        self, service: str, objects: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """The workloads whose pods the Service ``service`` selects."""
        selector = self._selectors.get(service, {})
        found = []
        for obj in self._objects if objects is None else objects:
            if obj["kind"] not in WORKLOAD_KINDS:
                continue
            template = (obj.get("spec") or {}).get("template") or {}
            if _selects(selector, (template.get("metadata") or {}).get("labels") or {}):
                found.append(obj)
        return found

    def configuration(self) -> Configuration:
        files = (
            [
                p
                for p in self.compose_file.rglob("*")
                if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
            ]
            if self.compose_file.is_dir()
            else [self.compose_file]
        )
        root = self.compose_file if self.compose_file.is_dir() else None
        return Configuration(
            compose_file=str(self.compose_file),
            compose_digest=digest(files, root),
            environment={name: GENERATED for name in self.secrets},
            plan_digest=plan_digest(self.plan.source_dir),
        )

    @property
    def override_text(self) -> str:
        return self._override_text

    # -- the running replica --------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the namespace, apply, wait for the workloads, then for the plan's own ready checks."""
        if not self._objects:
            self.prepare()
        api = self._client()
        self._space = DrillNamespace(api, self.run_id, self._log)
        self.started = True
        assert self._context is not None
        try:
            self._space.create()
            self._space.apply(self._objects, kubectl_path(), self._kubeconfig, self._context.name)
            took = self._space.await_ready(WORKLOADS_READY_S)
        except (KubeStagingError, ApiException) as exc:
            raise StagingError(f"the Kubernetes staging did not start: {exc}") from None
        self._log(f"{self.project}: workloads ready {took:.1f} s after apply")
        self._await_ready(None, PLAN_READY_S)

    def _readiness(self, services: Sequence[str] | None) -> dict[str, str]:
        """Readiness URL per check: of ``services``, or (None) of what the replica starts with (not the Services
        of a profile) and drdrill's instruments."""
        later = self._in_any_profile() if services is None else set()
        checks = {
            f"{service} {spec.ready}": render(spec.ready, self, {})
            for service, spec in self.plan.staging_topology.services.items()
            if (service in services if services is not None else service not in later)
        }
        if services is None and self.proxies:
            checks[f"{TOXIPROXY_SERVICE} /version"] = (
                f"{self.url(TOXIPROXY_SERVICE, TOXIPROXY_API_PORT)}/version"
            )
        if services is None and self.plan.staging_topology.notifications:
            checks[f"{SINK_SERVICE} /health"] = f"{self.url(SINK_SERVICE, SINK_HTTP_PORT)}/health"
        return checks

    def _await_ready(self, services: Sequence[str] | None, timeout_s: float) -> None:
        # Two seconds a try: the first connection through a relay opens a port-forward through the API server.
        waiting = await_answers(self._readiness(services), timeout_s, try_s=2.0)
        if waiting:
            troubles = self._space.pod_troubles() if self._space is not None else []
            raise StagingError(
                f"{'the staging replica' if services is None else ', '.join(services)} did not become "
                f"ready within {timeout_s:g} s; still waiting for: {', '.join(waiting)}"
                + (f"; {'; '.join(troubles)}" if troubles else "")
            )

    def address(self, service: str, port: int) -> tuple[str, int]:
        """127.0.0.1 and the port of the relay carried to Service ``service``'s ``port``."""
        if port not in self._ports.get(service, []):
            known = ", ".join(f"{s}:{p}" for s, ports in sorted(self._ports.items()) for p in ports) or "none"
            raise StagingError(
                f"the manifests have no Service {service!r} with port {port} (Services: {known}); a plan's "
                "{service:port} is a Service's name and one of its ports"
            )
        with self._lock:
            relay = self._relays.get((service, port))
            if relay is None:
                if self._api is None or not self.started:
                    raise LookupError("the staging replica is not running")
                relay = ServiceRelay(self._api.configuration, self.project, service, port, self._log)
                self._relays[(service, port)] = relay
        return relay.address

    def url(self, service: str, port: int, scheme: str = "http") -> str:
        host, outer = self.address(service, port)
        return f"{scheme}://{host}:{outer}"

    @property
    def toxiproxy_address(self) -> tuple[str, int]:
        if not self.proxies:
            raise StagingError("the plan declares no links, so this replica runs no Toxiproxy")
        return self.address(TOXIPROXY_SERVICE, TOXIPROXY_API_PORT)

    def link_address(self, link: str) -> tuple[str, int]:
        found = next((p for p in self.proxies if p.name == link), None)
        if found is None:
            raise StagingError(f"the plan has no link {link!r} in this replica")
        return self.address(TOXIPROXY_SERVICE, found.listen_port)

    def container(self, service: str) -> Container:
        raise LookupError(
            f"{service} runs as pods on a Kubernetes staging, not as a Docker container: pause, "
            "restart-service and the data faults need a compose staging; here use kill, stop, replace, "
            "zone_loss or a link's faults"
        )

    def images(self) -> dict[str, str]:
        """The image id each Service's pods run (from the pods' container statuses)."""
        core = client.CoreV1Api(self._client())
        found: dict[str, str] = {}
        for pod in core.list_namespaced_pod(self.project).items:
            service = self._service_of((pod.metadata.labels if pod.metadata else None) or {})
            for status in (pod.status.container_statuses if pod.status else None) or []:
                if service is not None and status.image_id:
                    found.setdefault(service, str(status.image_id))
        return found

    def _service_of(self, labels: Mapping[str, str]) -> str | None:
        return next((name for name, sel in self._selectors.items() if _selects(sel, labels)), None)

    def _selector(self, service: str) -> str:
        selector = self._selectors.get(service)
        if not selector:
            raise StagingError(f"the manifests have no Service {service!r} with a selector")
        return _label_selector(selector)

    # -- what only the back-end can do ------------------------------------------------------------------------

    def replace(self, service: str) -> None:
        """Kill the Service's pods with no grace: their controller makes new ones (new names, empty volumes)."""
        try:
            said = PodKill(self._client(), self.project, self._selector(service)).apply()
        except (KubeFaultError, ApiException) as exc:
            raise StagingError(f"could not replace the pods of {service}: {exc}") from None
        self._log(f"{self.project}: {said}")

    # -- the container faults, on a Service's pods and workloads ---------------------------------------------

    def service_fault(self, kind: str, signal: str) -> str:
        """``kill`` deletes the Service's pods (SIGKILL: no grace; SIGTERM: their own grace period) and their
        controller makes new ones; ``stop`` scales its workloads to zero until the revert. A pause has no
        counterpart in the Kubernetes API, nor has a kill by SIGINT or SIGQUIT (a pod is stopped by SIGTERM
        or SIGKILL): refused."""
        if kind == "kill" and signal == "SIGKILL":
            return "pods deleted with no grace, their controller makes new ones"
        if kind == "kill" and signal == "SIGTERM":
            return "pods deleted with their grace period, their controller makes new ones"
        if kind == "kill":
            raise UnsupportedFaultError(
                f"a Kubernetes staging stops a pod with SIGTERM (deleted with its grace period) or SIGKILL (no "
                f"grace), never {signal}; give signal: SIGTERM or SIGKILL, or drill it on compose "
                "(--drill-staging=compose)"
            )
        if kind == "stop":
            return "workloads scaled to 0, scaled back at the revert"
        if kind == "pause":
            raise UnsupportedFaultError(NO_PAUSE)
        raise UnsupportedFaultError(f"{kind!r} is not a container fault")

    def kill_service(self, service: str, signal: str) -> str:
        self.service_fault("kill", signal)
        grace = 0 if signal == "SIGKILL" else None
        try:
            said = PodKill(self._client(), self.project, self._selector(service), grace_s=grace).apply()
        except (KubeFaultError, ApiException) as exc:
            raise StagingError(f"could not kill the pods of {service}: {exc}") from None
        self._log(f"{self.project}: {said}")
        return said

    def stop_service(self, service: str) -> str:
        """Scale every Deployment and StatefulSet of the Service to zero (its pods end with their grace period);
        :meth:`bring_back_service` scales each back to the replicas it had."""
        workloads = [o for o in self._workloads_of(service) if o["kind"] in SCALABLE]
        if not workloads:
            raise StagingError(
                f"{self.compose_file}: no Deployment or StatefulSet has the pods of Service {service!r}: "
                "nothing to scale to zero"
            )
        stopped = self._scaled.setdefault(service, [])
        said: list[str] = []
        for obj in workloads:
            scale = ScaleToZero(self._client(), self.project, obj["kind"], str(obj["metadata"]["name"]))
            try:
                said.append(scale.apply())
            except (KubeFaultError, ApiException) as exc:
                raise StagingError(f"could not stop {service}: {exc}") from None
            stopped.append(scale)
        self._log(f"{self.project}: {'; '.join(said)}")
        return "; ".join(said)

    def pause_service(self, service: str) -> str:
        raise UnsupportedFaultError(NO_PAUSE)

    def bring_back_service(self, service: str) -> str:
        """Scale back what :meth:`stop_service` scaled to zero; after a kill there is nothing to do (the
        controller made new pods already)."""
        stopped = self._scaled.pop(service, [])
        if not stopped:
            return f"nothing to bring back: {service}'s pods are made again by their controller"
        said: list[str] = []
        try:
            while stopped:
                said.append(stopped[0].revert())
                stopped.pop(0)
        except (KubeFaultError, ApiException) as exc:
            self._scaled[service] = stopped  # tried again by a second revert
            raise StagingError(f"could not scale {service} back: {exc}") from None
        self._log(f"{self.project}: {'; '.join(said)}")
        return "; ".join(said)

    def in_profile(self, profile: str) -> list[str]:
        """The Services whose workloads carry ``drdrill.io/profile: <profile>``: the manifests' counterpart of a
        compose profile (they ship with ``replicas: 0`` and are scaled up when a recovery starts the profile)."""
        return [
            service
            for service in self._selectors
            if (workloads := self._workloads_of(service))
            and all(_labels(obj).get(PROFILE_LABEL) == profile for obj in workloads)
        ]

    def _in_any_profile(self) -> set[str]:
        return {
            service
            for service in self._selectors
            if (workloads := self._workloads_of(service))
            and all(PROFILE_LABEL in _labels(o) for o in workloads)
        }

    def start_services(self, services: Sequence[str] = (), profile: str | None = None) -> list[str]:
        """Scale the workloads of ``services`` (or of every Service in ``profile``) to the replicas their manifests
        declare, or, for a workload of a profile shipped at 0, to its ``drdrill.io/profile-replicas`` (1 unless
        it says)."""
        names = list(services)
        if profile is not None:
            names = self.in_profile(profile)
            if not names:
                raise StagingError(
                    f"{self.compose_file}: no workload carries the label {PROFILE_LABEL}: {profile}; label the "
                    f"Deployments of profile {profile!r} with it (and ship them with replicas: 0)"
                )
        for service in names:
            for obj in self._workloads_of(service):
                if obj["kind"] in SCALABLE:
                    name = str(obj["metadata"]["name"])
                    set_scale(self._client(), self.project, obj["kind"], name, _started_replicas(obj))
        self._log(f"{self.project}: scaled up {', '.join(names)}")
        return names

    def await_ready(self, services: Sequence[str], timeout_s: float) -> None:
        self._await_ready(list(services), timeout_s)

    def _unsupported(self, what: str) -> StagingError:
        return StagingError(
            f"{what} is not drilled on a Kubernetes staging yet; drill it with --drill-staging=compose"
        )

    def disconnect(self, service: str) -> None:
        raise self._unsupported(f"cutting {service} from its networks")

    def reconnect(self, service: str) -> None:
        raise self._unsupported(f"reattaching {service} to its networks")

    def remove_volume(self, volume: str) -> list[str]:
        raise self._unsupported(f"removing volume {volume}")

    def exec(
        self,
        service: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> ExecResult:
        """``kubectl exec`` in a running pod of the Service (its first container). kubectl cannot choose the
        user, so an exec as another ``user`` (``name`` or ``name:group``; the group is the one named like the user
        unless given) runs through the container's ``setpriv`` (util-linux), which must run as root."""
        if user:
            name, _, group = user.partition(":")
            argv = ["setpriv", f"--reuid={name}", f"--regid={group or name}", "--init-groups", *argv]
        core = client.CoreV1Api(self._client())
        pods = [
            pod
            for pod in live_pods(core, self.project, self._selector(service))
            if pod.status is not None and pod.status.phase == "Running"
        ]
        if not pods:
            return ExecResult(1, f"no running pod of {service} in {self.project}")
        assert self._context is not None and pods[0].metadata is not None
        prefix = ["env", *(f"{k}={v}" for k, v in (env or {}).items())] if env else []
        command = [str(kubectl_path()), "--kubeconfig", str(self._kubeconfig), "--context", self._context.name,
                   "exec", "--namespace", self.project, str(pods[0].metadata.name), "--", *prefix, *argv]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            late = bytes(exc.stdout or b"") + bytes(exc.stderr or b"")
            return ExecResult(None, ANSI_CODES.sub("", late.decode(errors="replace")))
        return ExecResult(
            done.returncode, ANSI_CODES.sub("", (done.stdout + done.stderr).decode(errors="replace"))
        )

    # -- zones are nodes -----------------------------------------------------------------------------------

    def _zone_nodes(self, zones: frozenset[str]) -> list[str]:
        if not self._local:
            raise StagingError(
                "a zone's power cut or freeze stops its node containers, which only the local cluster has "
                f"(context {cluster.CONTEXT}); on another cluster drain the zone instead"
            )
        names = [node.name for node in cluster.NODES if node.zone in zones]
        if not names:
            raise StagingError(f"the local cluster has no node in {', '.join(sorted(zones))}")
        return names

    def _services_on(self, pods: Sequence[client.V1Pod], nodes: Sequence[str] | None = None) -> set[str]:
        """The Services of ``pods`` (those on ``nodes`` when given)."""
        return {
            service
            for pod in pods
            if pod.spec is not None and (nodes is None or pod.spec.node_name in nodes)
            and pod.metadata is not None
            and (service := self._service_of(pod.metadata.labels or {})) is not None
        }  # fmt: skip

    def lose_zones(self, zones: frozenset[str], mode: str) -> list[str]:
        """Power off (SIGKILL) or freeze every node container of ``zones`` (the local cluster), or drain them
        (any cluster: cordoned, the drill's pods evicted): the scheduler and the system find out as they would.
        Returns the services whose pods ran there."""
        if mode == "drain":
            return self._drain(zones)
        verb = {"power": "kill", "freeze": "pause"}.get(mode)
        if verb is None:
            raise self._unsupported(f"a zone loss in mode {mode!r}")
        names = self._zone_nodes(zones)
        placed = client.CoreV1Api(self._client()).list_namespaced_pod(self.project).items
        there = self._services_on(placed, names)
        _docker(verb, *names)
        self._lost.update(dict.fromkeys(names, mode))
        self._touched.update(names)
        self._instrument_refuses(names, "-I")
        said = f"{'power cut' if mode == 'power' else 'frozen'}: node(s) {', '.join(names)}"
        self._log(f"{self.project}: {said} ({', '.join(sorted(there)) or 'no pod of the drill'} there)")
        return sorted(there)

    def _drain(self, zones: frozenset[str]) -> list[str]:
        """Cordon every node of ``zones`` and evict the drill's pods there through the Eviction API (each ends
        with its grace period, and a disruption budget is obeyed); their controllers make them again wherever
        the scheduler still may place them. The cluster's own pods are left where they are."""
        there: set[str] = set()
        said: list[str] = []
        for zone in sorted(zones):
            drain = ZoneDrain(self._client(), zone, namespace=self.project)
            self._drained[zone] = drain  # kept before apply: a half-done drain is uncordoned too
            try:
                said.append(drain.apply())
            except (KubeFaultError, ApiException) as exc:
                raise StagingError(f"could not drain zone {zone}: {exc}") from None
            finally:
                there |= self._services_on(drain.evicted)
        self._log(
            f"{self.project}: {'; '.join(said)} ({', '.join(sorted(there)) or 'no pod of the drill'} there)"
        )
        return sorted(there)

    def _uncordon(self, zones: Sequence[str]) -> list[str]:
        """Revert the drains of ``zones``; every zone is tried, whatever failed before it. Returns the failures."""
        failed: list[str] = []
        for zone in zones:
            drain = self._drained.pop(zone, None)
            if drain is None:
                continue
            try:
                self._log(f"{self.project}: {drain.revert()}")
            except ApiException as exc:
                self._drained[zone] = drain
                failed.append(f"uncordoning zone {zone}: {exc.reason}")
        return failed

    def restore_zones(self, zones: frozenset[str]) -> str:
        drained = sorted(z for z in zones if z in self._drained)
        if drained:
            failed = self._uncordon(drained)
            if failed:
                raise StagingError("; ".join(failed))
            return f"zone(s) {', '.join(drained)} uncordoned"
        names = [n for n in self._zone_nodes(zones) if n in self._lost]
        self._bring_back(names)
        return f"node(s) {', '.join(names)} back"

    def _bring_back(self, names: Sequence[str]) -> None:
        """Lift the instrument's rules for ``names``, then start (power) or unpause (freeze) each node: every
        node is tried, whatever failed before it; raises naming what failed."""
        failed: list[str] = []
        try:
            self._instrument_refuses(names, "-D")
        except ApiException as exc:
            failed.append(f"removing the instrument's rules: {exc.reason}")
        for name in names:
            try:
                _docker("start" if self._lost.pop(name) == "power" else "unpause", name)
            except StagingError as exc:
                failed.append(str(exc))
        if failed:
            raise StagingError("; ".join(failed))

    def _instrument_refuses(self, lost: Sequence[str], verb: str) -> None:
        """While ``lost`` nodes are down, the run's Toxiproxy is refused at once (ICMP host unreachable) when it
        dials their pods, instead of waiting for a SYN that is never answered: Toxiproxy dials each upstream in
        its accept loop with no timeout, so one such dial held every new connection of the link and its API (a
        repoint waited 25 s and failed). The system's own connections are left alone: they see the silence of a
        power cut. On compose the run's Toxiproxy gives up an unanswered dial after one SYN retry (override.py).
        ``verb`` is ``-I`` (add the rules) or ``-D`` (remove them)."""
        cidrs = [node.pod_cidr for node in cluster.NODES if node.name in lost]
        if not cidrs or not self.proxies:
            return
        core = client.CoreV1Api(self._client())
        for pod in core.list_namespaced_pod(
            self.project, label_selector=_label_selector(TOXIPROXY_LABELS)
        ).items:
            node = pod.spec.node_name if pod.spec else None
            address = pod.status.pod_ip if pod.status else None
            if not node or not address or node in lost:
                continue
            for cidr in cidrs:
                rule = [
                    "FORWARD",
                    "-s",
                    address,
                    "-d",
                    cidr,
                    "-j",
                    "REJECT",
                    "--reject-with",
                    "icmp-host-unreachable",
                ]
                try:
                    _docker("exec", node, "iptables", "-w", "5", verb, *rule)
                except StagingError:
                    if verb == "-I":
                        raise  # removing a rule that is gone (the node restarted) is not a problem

    # -- watching ------------------------------------------------------------------------------------------

    def watch(
        self, on_event: Callable[[ContainerEvent], None], on_error: Callable[[str], None]
    ) -> PodWatcher:
        return PodWatcher(
            client.CoreV1Api(self._client()), self.project, self._service_of, on_event, on_error
        )

    # -- removing ------------------------------------------------------------------------------------------

    def stop(self) -> int:
        """Stop the relays, bring back nodes a drill left lost, delete the namespace and wait until it is gone."""
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.stop()
        problems: list[str] = self._uncordon(sorted(self._drained))  # a drained zone left cordoned
        if self._lost:  # a zone that does not come back by itself: brought back now
            try:
                self._bring_back(list(self._lost))
            except StagingError as exc:
                problems.append(str(exc))
        if self._touched:  # brought back by the revert or just now: the next drill finds the cluster whole
            problems += self._await_nodes(sorted(self._touched))
            self._touched.clear()
        if self.started and self._space is not None:
            core = client.CoreV1Api(self._client())
            try:  # pods on a node that was lost never finish by themselves: removed at once
                core.delete_collection_namespaced_pod(self.project, grace_period_seconds=0)
            except ApiException as exc:
                if exc.status != 404:
                    problems.append(f"deleting the pods of {self.project}: {exc.reason}")
            if not self._space.delete():
                problems.append(f"namespace {self.project} still terminating; delete it by hand")
        self.started = False
        if self._api is not None:
            self._api.close()  # type: ignore[no-untyped-call]
            self._api = None
        if problems:
            raise StagingError("; ".join(problems))
        return 0

    def _await_nodes(self, names: Sequence[str]) -> list[str]:
        """Wait until the nodes a drill stopped are Ready again, so the next drill finds the cluster whole."""
        core = client.CoreV1Api(self._client())
        deadline = time.monotonic() + NODE_BACK_S
        while time.monotonic() < deadline:
            ready = {
                str(node.metadata.name)
                for node in core.list_node().items
                if node.metadata is not None and node.status is not None
                and any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
            }  # fmt: skip
            if set(names) <= ready:
                self._log(f"node(s) {', '.join(names)} Ready again")
                return []
            time.sleep(1.0)
        return [
            f"node(s) {', '.join(names)} not Ready {NODE_BACK_S:.0f} s after the drill; see ./dev cluster status"
        ]


def _docker(*args: str) -> None:
    """``docker`` on a node container, through the cluster module's call; a failure is a :class:`StagingError`."""
    try:
        cluster._docker(*args, what=f"docker {' '.join(args)}")
    except cluster.ClusterError as exc:
        raise StagingError(str(exc)) from None


class PodChanges:
    """What changed in the namespace's pods, as container events: a container died (with its exit code), was
    OOM-killed, restarted or started; a deleted pod is a ``kill``."""

    def __init__(self, service_of: Callable[[Mapping[str, str]], str | None]) -> None:
        self._service_of = service_of
        self._seen: dict[tuple[str, str], tuple[int, str]] = {}  # (pod, container) -> (restarts, state)

    def events(self, kind: str, pod: Any) -> Iterator[ContainerEvent]:
        """What changed in ``pod`` since it was last seen (the first sight of a running container says nothing:
        it was there when the watch began, or is said by its start)."""
        meta = pod.metadata
        service = self._service_of((meta.labels if meta else None) or {})
        if service is None or meta is None:
            return
        if kind == "DELETED":
            yield ContainerEvent(service=service, action="kill")
            return
        for status in (pod.status.container_statuses if pod.status else None) or []:
            key = (str(meta.name), str(status.name))
            state = status.state
            now = (
                "terminated"
                if state is not None and state.terminated is not None
                else ("running" if state is not None and state.running is not None else "waiting")
            )
            restarts = int(status.restart_count or 0)
            before = self._seen.get(key)
            self._seen[key] = (restarts, now)
            if before is None:
                if now == "terminated":
                    yield _ended(service, state.terminated)
                continue
            if restarts > before[0]:
                ended = status.last_state.terminated if status.last_state is not None else None
                if before[1] == "running" and ended is not None:
                    yield _ended(service, ended)
                yield ContainerEvent(service=service, action="restart")
            elif now == "terminated" and before[1] != "terminated":
                yield _ended(service, state.terminated)
            elif now == "running" and before[1] != "running":
                yield ContainerEvent(service=service, action="start")


def _ended(service: str, terminated: Any) -> ContainerEvent:
    action = "oom" if terminated.reason == "OOMKilled" else "die"
    code = terminated.exit_code
    return ContainerEvent(service=service, action=action, exit_code=int(code) if code is not None else None)


class PodWatcher:
    """Reads the namespace's pod watch on a thread of its own and hands each :class:`PodChanges` event on."""

    def __init__(
        self,
        core: client.CoreV1Api,
        namespace: str,
        service_of: Callable[[Mapping[str, str]], str | None],
        on_event: Callable[[ContainerEvent], None],
        on_error: Callable[[str], None],
    ) -> None:
        self._core = core
        self._namespace = namespace
        self._changes = PodChanges(service_of)
        self._on_event = on_event
        self._on_error = on_error
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drdrill-replica-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        version: str | None = None
        while not self._stopped.is_set():
            try:
                stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
                    self._core.list_namespaced_pod,
                    self._namespace,
                    timeout_seconds=WATCH_SLICE_S,
                    **({"resource_version": version} if version else {}),
                )
                for raw in stream:
                    if self._stopped.is_set():
                        return
                    pod = raw["object"]
                    version = pod.metadata.resource_version if pod.metadata else version
                    for event in self._changes.events(str(raw["type"]), pod):
                        self._on_event(event)
            except Exception as exc:  # a broken stream is said once, and the watch goes on
                if self._stopped.is_set():
                    return
                if isinstance(exc, ApiException) and exc.status == 410:
                    version = None  # too old: start again from now
                    continue
                self._on_error(f"the pod watch broke: {type(exc).__name__}: {exc}")
                self._stopped.wait(1.0)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=WATCH_SLICE_S + 3)
