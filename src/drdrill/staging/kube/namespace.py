"""A drill's own namespace on a Kubernetes staging, and the safety around it.

drdrill talks only to the kube context the plan names, and only when that context's API server is on this
machine (a loopback address), unless the plan says a remote one is meant: a drill kills and floods what it
starts, and a production cluster must never be one by accident. Each drill gets a namespace of its own, labelled
``io.drdrill.managed=true`` and ``io.drdrill.run=<run id>`` and annotated with its owner (``host:pid``), removed
on every exit path; :func:`sweep` removes the namespaces whose owner process is gone (a drill killed with
SIGKILL), as the compose back-end's label sweep does for containers.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from drdrill.staging.kube import manifests
from drdrill.staging.stack import is_local, owner_gone, owner_tag

LABEL_MANAGED = "io.drdrill.managed"
LABEL_RUN = "io.drdrill.run"
ANNOTATION_OWNER = "io.drdrill.owner"
DELETE_BOUND_S = 120.0

Log = Callable[[str], None]


class KubeStagingError(RuntimeError):
    """The drill's objects could not be applied or did not become ready; the message says which and why."""


class ContextRefusedError(RuntimeError):
    """The plan's kube context is missing, unreadable, or not this machine's; the message says what to change."""


@dataclass(frozen=True)
class Context:
    """The kube context a drill may use: its name and its API server."""

    name: str
    server: str


def _contexts(kubeconfig: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The kubeconfig's contexts (name -> cluster) and clusters (name -> server)."""
    try:
        document: Any = YAML(typ="safe").load(kubeconfig.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContextRefusedError(f"cannot read the kubeconfig {kubeconfig}: {exc.strerror}") from exc
    except YAMLError as exc:
        raise ContextRefusedError(f"{kubeconfig} is not a kubeconfig (YAML: {exc})") from exc
    if not isinstance(document, Mapping):
        raise ContextRefusedError(f"{kubeconfig} is not a kubeconfig (no contexts)")
    contexts = {
        str(item.get("name")): str((item.get("context") or {}).get("cluster"))
        for item in document.get("contexts") or []
        if isinstance(item, Mapping)
    }
    clusters = {
        str(item.get("name")): str((item.get("cluster") or {}).get("server", ""))
        for item in document.get("clusters") or []
        if isinstance(item, Mapping)
    }
    return contexts, clusters


def check_context(kubeconfig: Path, name: str, *, allow_remote: bool = False) -> Context:
    """The context ``name`` of ``kubeconfig`` when a drill may use it; raises :class:`ContextRefusedError` otherwise.

    Only the named context is ever used (never the kubeconfig's current one), and its API server must be on a
    loopback address unless ``allow_remote`` (the plan's explicit ``allow_remote_context: true``)."""
    contexts, clusters = _contexts(kubeconfig)
    if name not in contexts:
        known = ", ".join(sorted(contexts)) or "none"
        raise ContextRefusedError(
            f"the plan names kube context {name!r}, which {kubeconfig} does not have (it has: {known}); "
            "fix staging_topology.kubernetes.context"
        )
    server = clusters.get(contexts[name], "")
    if not server:
        raise ContextRefusedError(f"kube context {name!r} in {kubeconfig} names no cluster with a server")
    if not allow_remote and not is_local(server):
        host = urlsplit(server).hostname or server
        raise ContextRefusedError(
            f"kube context {name!r} reaches an API server at {host}, not on this machine: a drill kills and "
            "floods what it runs, so drdrill drives only a local cluster; if this cluster is meant, say "
            "allow_remote_context: true under staging_topology.kubernetes"
        )
    return Context(name, server)


def namespace_name(run_id: str) -> str:
    """A run's namespace: ``drdrill-<run id>``, lowercased and cut to the 63 characters a name may have."""
    return f"drdrill-{run_id}".lower()[:63].rstrip("-")


class DrillNamespace:
    """One drill's namespace: created labelled and owned, deleted (and waited for) on the way out."""

    def __init__(self, api: client.ApiClient, run_id: str, log: Log) -> None:
        self._core = client.CoreV1Api(api)
        self.run_id = run_id
        self.name = namespace_name(run_id)
        self._log = log

    def create(self) -> None:
        meta = client.V1ObjectMeta(
            name=self.name,
            labels={LABEL_MANAGED: "true", LABEL_RUN: self.run_id},
            annotations={ANNOTATION_OWNER: owner_tag()},
        )
        self._core.create_namespace(client.V1Namespace(metadata=meta))
        self._log(f"namespace {self.name} created")

    def apply(self, objects: list[dict[str, Any]], kubectl: Path, kubeconfig: Path, context: str) -> None:
        """Create or update ``objects`` (already placed in this namespace) with ``kubectl apply``, in the context
        the plan names and only there."""
        done = subprocess.run(
            [str(kubectl), "--kubeconfig", str(kubeconfig), "--context", context, "apply",
             "--namespace", self.name, "-f", "-"],
            input=manifests.dump(objects), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise KubeStagingError(f"kubectl apply in {self.name} failed: {done.stderr.strip()[-800:]}")
        self._log(f"applied {len(objects)} object(s) in {self.name}")

    def not_ready(self) -> list[str]:
        """The workloads of the namespace whose pods are not all ready, each with why (empty: all ready)."""
        apps = client.AppsV1Api(self._core.api_client)
        waiting: list[str] = []
        for kind, items in (
            ("Deployment", apps.list_namespaced_deployment(self.name).items),
            ("StatefulSet", apps.list_namespaced_stateful_set(self.name).items),
        ):
            for item in items:
                wanted = item.spec.replicas if item.spec and item.spec.replicas is not None else 1
                ready = (item.status.ready_replicas if item.status else None) or 0
                if ready < wanted:
                    waiting.append(
                        f"{kind} {item.metadata.name if item.metadata else '?'}: {ready}/{wanted} ready"
                    )
        for daemon in apps.list_namespaced_daemon_set(self.name).items:
            status = daemon.status
            if status is not None and (status.number_ready or 0) < status.desired_number_scheduled:
                waiting.append(
                    f"DaemonSet {daemon.metadata.name if daemon.metadata else '?'}: not on every node"
                )
        return waiting

    def pod_troubles(self) -> list[str]:
        """Why pods of the namespace wait: each container's waiting reason (an image never loaded says
        ErrImageNeverPull), or an unschedulable pod's message."""
        troubles: list[str] = []
        for pod in self._core.list_namespaced_pod(self.name).items:
            name = pod.metadata.name if pod.metadata else "?"
            status = pod.status
            if status is None:
                continue
            for container in status.container_statuses or []:
                waiting = container.state.waiting if container.state else None
                if waiting is not None and waiting.reason not in (
                    None,
                    "ContainerCreating",
                    "PodInitializing",
                ):
                    troubles.append(
                        f"pod {name}: {container.name} {waiting.reason}: {waiting.message or ''}".strip()
                    )
            for condition in status.conditions or []:
                if condition.type == "PodScheduled" and condition.status == "False":
                    troubles.append(f"pod {name}: not scheduled: {condition.message}")
        return troubles

    def await_ready(self, timeout_s: float) -> float:
        """Wait until every workload of the namespace is ready; returns how long it took. Raises, naming each
        workload not ready and why its pods wait, when ``timeout_s`` passes first."""
        started = time.monotonic()
        while True:
            waiting = self.not_ready()
            if not waiting:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                details = "; ".join(waiting + self.pod_troubles())
                raise KubeStagingError(f"namespace {self.name} not ready within {timeout_s:.0f} s: {details}")
            time.sleep(0.25)

    def delete(self, bound_s: float = DELETE_BOUND_S) -> bool:
        """Delete the namespace and wait until it is gone (its pods with it); False when it outlives the bound.
        Safe twice, and when it was never created."""
        return _delete(self._core, self.name, bound_s, self._log)


def _delete(core: client.CoreV1Api, name: str, bound_s: float, log: Log) -> bool:
    try:
        core.delete_namespace(name, grace_period_seconds=0, propagation_policy="Background")
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        try:
            core.read_namespace(name)
        except ApiException as exc:
            if exc.status == 404:
                log(f"namespace {name} removed")
                return True
            raise
        time.sleep(0.25)
    log(f"namespace {name} still terminating after {bound_s:.0f} s")
    return False


def sweep(api: client.ApiClient, log: Log, bound_s: float = DELETE_BOUND_S) -> list[str]:
    """Delete every drdrill namespace whose owner process is gone; returns their names. A live run's namespace,
    and another machine's, are left alone."""
    core = client.CoreV1Api(api)
    removed: list[str] = []
    for item in core.list_namespace(label_selector=f"{LABEL_MANAGED}=true").items:
        meta = item.metadata
        if meta is None or not meta.name:
            continue
        owner = (meta.annotations or {}).get(ANNOTATION_OWNER, "")
        if meta.deletion_timestamp is None and not owner_gone(owner):
            continue
        if _delete(core, meta.name, bound_s, log):
            removed.append(meta.name)
    if removed:
        log(f"swept {len(removed)} namespace(s) of killed drills: {', '.join(removed)}")
    return removed
