"""Faults on a Kubernetes staging, through the Kubernetes API (the official client), each with its revert.

- :class:`PodKill`: the pods a selector names are deleted with no grace (SIGKILL); their controller replaces them.
- :class:`ScaleToZero`: a Deployment or StatefulSet scaled to 0 replicas; the revert scales it back.
- :class:`ZoneDrain`: every node of a zone cordoned and its pods evicted (the Eviction API, so disruption
  budgets hold): the soft zone loss; the revert uncordons.
- :class:`ZonePowerCut`: every node of a zone stops at once, on the local cluster (its node containers are
  killed: the power cut); the revert starts them again. The scheduler and the system find out as they would.

Each ``apply`` returns what it did, in words for the journal.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from drdrill.staging.kube import cluster

ZONE_LABEL = cluster.ZONE_LABEL


class KubeFaultError(RuntimeError):
    """A fault could not be applied or reverted; the message says which and why."""


def live_pods(core: client.CoreV1Api, namespace: str, selector: str) -> list[client.V1Pod]:
    """The pods ``selector`` names in ``namespace``, those being deleted left out."""
    return [
        pod
        for pod in core.list_namespaced_pod(namespace, label_selector=selector).items
        if pod.metadata is not None and pod.metadata.deletion_timestamp is None
    ]


@dataclass
class PodKill:
    """Delete the pods ``selector`` names in ``namespace`` with no grace period (SIGKILL), or with ``grace_s``
    (None: each pod's own ``terminationGracePeriodSeconds``, SIGTERM first)."""

    api: client.ApiClient
    namespace: str
    selector: str
    grace_s: int | None = 0
    killed: list[str] = field(default_factory=list)

    def apply(self) -> str:
        core = client.CoreV1Api(self.api)
        pods = live_pods(core, self.namespace, self.selector)
        if not pods:
            raise KubeFaultError(
                f"no running pod matches {self.selector!r} in {self.namespace}: nothing to kill"
            )
        for pod in pods:
            name = str(pod.metadata.name) if pod.metadata else "?"
            try:
                core.delete_namespaced_pod(name, self.namespace, grace_period_seconds=self.grace_s)
            except ApiException as exc:
                if exc.status != 404:
                    raise KubeFaultError(f"deleting pod {name}: {exc.reason}") from exc
            self.killed.append(name)
        grace = "no grace" if self.grace_s == 0 else "their grace period"
        return f"killed {len(self.killed)} pod(s) ({', '.join(self.killed)}), deleted with {grace}"

    def revert(self) -> str:
        return "nothing to revert: the controller replaces killed pods"


SCALABLE = ("Deployment", "StatefulSet")  # the workloads with a scale subresource drdrill changes


def scale_of(api: client.ApiClient, namespace: str, kind: str, name: str) -> int:
    """The replicas workload ``kind`` (one of :data:`SCALABLE`) ``name`` is scaled to."""
    apps = client.AppsV1Api(api)
    read = (
        apps.read_namespaced_deployment_scale
        if kind == "Deployment"
        else apps.read_namespaced_stateful_set_scale
    )
    scale = read(name, namespace)
    return int(scale.spec.replicas or 0) if scale.spec else 0


def set_scale(api: client.ApiClient, namespace: str, kind: str, name: str, replicas: int) -> None:
    """Scale workload ``kind`` (one of :data:`SCALABLE`) ``name`` to ``replicas``."""
    apps = client.AppsV1Api(api)
    patch = (
        apps.patch_namespaced_deployment_scale
        if kind == "Deployment"
        else apps.patch_namespaced_stateful_set_scale
    )
    patch(name, namespace, {"spec": {"replicas": replicas}})


@dataclass
class ScaleToZero:
    """Scale ``kind`` (Deployment or StatefulSet) ``name`` to zero; the revert restores its replicas."""

    api: client.ApiClient
    namespace: str
    kind: str
    name: str
    before: int | None = None

    def _scale(self, replicas: int | None = None) -> int:
        if self.kind not in SCALABLE:
            raise KubeFaultError(f"scale_to_zero takes a Deployment or a StatefulSet, not a {self.kind}")
        if replicas is None:
            return scale_of(self.api, self.namespace, self.kind, self.name)
        set_scale(self.api, self.namespace, self.kind, self.name, replicas)
        return replicas

    def apply(self) -> str:
        self.before = self._scale()
        self._scale(0)
        return f"scaled {self.kind} {self.name} from {self.before} to 0"

    def revert(self) -> str:
        if self.before is None:
            return "not applied: nothing to revert"
        self._scale(self.before)
        return f"scaled {self.kind} {self.name} back to {self.before}"


def zone_nodes(api: client.ApiClient, zone: str) -> list[str]:
    """The names of the nodes labelled with ``zone``; raises when there is none."""
    nodes = client.CoreV1Api(api).list_node(label_selector=f"{ZONE_LABEL}={zone}").items
    names = [str(node.metadata.name) for node in nodes if node.metadata is not None]
    if not names:
        raise KubeFaultError(
            f"no node is labelled {ZONE_LABEL}={zone}: the plan's zone is not in this cluster"
        )
    return names


@dataclass
class ZoneDrain:
    """Cordon every node of ``zone`` and evict its pods (DaemonSet pods stay, as ``kubectl drain`` leaves them);
    only those of ``namespace`` when given (a drill's: the cluster's own pods are not the system drilled)."""

    api: client.ApiClient
    zone: str
    namespace: str | None = None
    cordoned: list[str] = field(default_factory=list)
    evicted: list[client.V1Pod] = field(default_factory=list)

    def apply(self) -> str:
        core = client.CoreV1Api(self.api)
        for node in zone_nodes(self.api, self.zone):
            core.patch_node(node, {"spec": {"unschedulable": True}})
            self.cordoned.append(node)
            on_node = f"spec.nodeName={node}"
            pods = (
                core.list_pod_for_all_namespaces(field_selector=on_node).items
                if self.namespace is None
                else core.list_namespaced_pod(self.namespace, field_selector=on_node).items
            )
            for pod in pods:
                meta = pod.metadata
                if meta is None or not meta.name or not meta.namespace:
                    continue
                if any(ref.kind == "DaemonSet" for ref in meta.owner_references or []):
                    continue
                eviction = client.V1Eviction(
                    metadata=client.V1ObjectMeta(name=meta.name, namespace=meta.namespace)
                )
                try:
                    core.create_namespaced_pod_eviction(meta.name, meta.namespace, eviction)
                    self.evicted.append(pod)
                except ApiException as exc:
                    if exc.status == 429:  # the Eviction API's answer when a disruption budget forbids it
                        raise KubeFaultError(
                            f"evicting pod {meta.namespace}/{meta.name}: a PodDisruptionBudget forbids it "
                            f"({exc.reason}); the drain stops there, as kubectl drain would keep waiting"
                        ) from exc
                    if exc.status != 404:
                        raise KubeFaultError(
                            f"evicting pod {meta.namespace}/{meta.name}: {exc.reason}"
                        ) from exc
        return f"drained zone {self.zone}: {len(self.cordoned)} node(s) cordoned, {len(self.evicted)} pod(s) evicted"

    def revert(self) -> str:
        """Uncordon what :meth:`apply` cordoned (safe twice: the second time there is nothing left)."""
        core = client.CoreV1Api(self.api)
        done = 0
        while self.cordoned:
            core.patch_node(self.cordoned[0], {"spec": {"unschedulable": False}})
            self.cordoned.pop(0)
            done += 1
        return f"uncordoned {done} node(s) of zone {self.zone}"


@dataclass
class ZonePowerCut:
    """Stop every node container of ``zone`` on the local cluster at once (SIGKILL); the revert starts them."""

    zone: str
    nodes: Sequence[cluster.Node] = cluster.NODES
    stopped: list[str] = field(default_factory=list)

    def _docker(self, *args: str) -> None:
        done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise KubeFaultError(f"docker {' '.join(args)}: {done.stderr.strip()}")

    def apply(self) -> str:
        names = [node.name for node in self.nodes if node.zone == self.zone]
        if not names:
            raise KubeFaultError(f"the local cluster has no node in zone {self.zone}")
        self._docker("kill", *names)
        self.stopped = names
        return f"power cut in zone {self.zone}: node(s) {', '.join(names)} stopped"

    def revert(self) -> str:
        if not self.stopped:
            return "not applied: nothing to revert"
        self._docker("start", *self.stopped)
        return f"power back in zone {self.zone}: node(s) {', '.join(self.stopped)} started"
