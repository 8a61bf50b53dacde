"""The user's Kubernetes manifests, made a drill's: rendered with the cluster's own tooling, placed in the drill's
namespace, labelled with the run, and told never to pull.

A plan's Kubernetes staging names plain manifests (a file, or a directory of ``*.yaml``/``*.yml`` files read in
name order) or a kustomize directory (one holding a ``kustomization.yaml``), rendered by ``kubectl kustomize``.
Every object lands in the drill's namespace: an object of a cluster-wide kind (a Namespace, a ClusterRole, a
PersistentVolume...) is refused, because a drill must leave nothing outside its namespace, and an object that
names another namespace is refused rather than moved silently. Every pod template gets the run's label and
``imagePullPolicy: Never``: the images come from this machine (``./dev cluster load``), never from a registry.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

LABEL_RUN = "io.drdrill.run"
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Kinds that exist once per cluster, not per namespace: a drill's manifests may not create them.
CLUSTER_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "APIService",
    }
)
# Where each workload kind keeps its pod template.
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


class ManifestError(ValueError):
    """The manifests cannot be a drill's; the message names the file, the document and the fix."""


@dataclass(frozen=True)
class Rendered:
    """The objects of the manifests, each with where it came from (file and document number, from 1)."""

    objects: list[dict[str, Any]]
    origins: list[str]


def _is_kustomization(source: Path) -> bool:
    return source.is_dir() and any((source / name).is_file() for name in KUSTOMIZATIONS)


def _sources(source: Path, kubectl: Path | None) -> Iterator[tuple[str, str]]:
    """(origin, YAML text) of each file the manifests consist of."""
    if _is_kustomization(source):
        if kubectl is None:
            raise ManifestError(f"{source} is a kustomize directory: rendering it needs kubectl")
        done = subprocess.run(
            [str(kubectl), "kustomize", str(source)], capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise ManifestError(f"kubectl kustomize {source} failed: {done.stderr.strip()[-600:]}")
        yield f"{source} (kustomize)", done.stdout
    elif source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise ManifestError(f"{source} holds no *.yaml or *.yml manifest and no kustomization.yaml")
        for path in files:
            yield str(path), path.read_text(encoding="utf-8")
    elif source.is_file():
        yield str(source), source.read_text(encoding="utf-8")
    else:
        raise ManifestError(
            f"manifests {source} not found: name a file, a directory of manifests or a kustomization"
        )


def render(source: Path, kubectl: Path | None = None) -> Rendered:
    """Every object of the manifests at ``source``, in order; raises naming the file and document when one is
    not a Kubernetes object."""
    objects: list[dict[str, Any]] = []
    origins: list[str] = []
    yaml = YAML(typ="safe")
    for origin, text in _sources(source, kubectl):
        try:
            documents = list(yaml.load_all(io.StringIO(text)))
        except YAMLError as exc:
            raise ManifestError(f"{origin}: not YAML ({exc})") from exc
        for number, document in enumerate(documents, start=1):
            if document is None:
                continue
            where = f"{origin}, document {number}"
            if not isinstance(document, dict) or not document.get("kind") or not document.get("apiVersion"):
                raise ManifestError(f"{where}: not a Kubernetes object (it needs apiVersion and kind)")
            if document["kind"] == "List":
                raise ManifestError(f"{where}: a List; write its items as documents of their own")
            objects.append(document)
            origins.append(where)
    if not objects:
        raise ManifestError(f"{source}: no Kubernetes object in the manifests")
    return Rendered(objects, origins)


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The pod spec(s) of an object: a Pod's own, a workload's template's."""
    holders = [obj] if obj.get("kind") == "Pod" else list(_templates(obj))
    for holder in holders:
        if isinstance(holder.get("spec"), dict):
            yield holder["spec"]


def _templates(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A workload's pod template (none for other kinds, or when the path to it is not a mapping)."""
    path = _TEMPLATE_PATHS.get(str(obj.get("kind")))
    if path is None:
        return
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        yield node


def _containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                yield container


def for_drill(rendered: Rendered, namespace: str, run_id: str) -> list[dict[str, Any]]:
    """The objects placed in ``namespace``, labelled with ``run_id``, pulling nothing; raises for an object a
    drill may not create."""
    placed: list[dict[str, Any]] = []
    for obj, origin in zip(rendered.objects, rendered.origins, strict=True):
        kind = str(obj["kind"])
        meta = obj.setdefault("metadata", {})
        name = meta.get("name", "?")
        if kind in CLUSTER_KINDS:
            raise ManifestError(
                f"{origin}: {kind} {name} is cluster-wide; a drill creates objects only in its own namespace "
                "(create it once in the cluster, outside the plan's manifests)"
            )
        declared = meta.get("namespace")
        if declared not in (None, namespace):
            raise ManifestError(
                f"{origin}: {kind} {name} names namespace {declared!r}; a drill runs in a namespace of its own: "
                "remove metadata.namespace"
            )
        meta["namespace"] = namespace
        meta.setdefault("labels", {})[LABEL_RUN] = run_id
        for template in _templates(obj):
            template.setdefault("metadata", {}).setdefault("labels", {})[LABEL_RUN] = run_id
        for spec in pod_specs(obj):
            for container in _containers(spec):
                if not container.get("image"):
                    raise ManifestError(
                        f"{origin}: {kind} {name}: container {container.get('name')} has no image"
                    )
                container["imagePullPolicy"] = "Never"
        placed.append(obj)
    return placed


def images(objects: list[dict[str, Any]]) -> list[str]:
    """Every image the objects' pods run, once each, in order: what must be loaded into the nodes."""
    seen: dict[str, None] = {}
    for obj in objects:
        for spec in pod_specs(obj):
            for container in _containers(spec):
                seen.setdefault(str(container["image"]), None)
    return list(seen)


def dump(objects: list[dict[str, Any]]) -> str:
    """The objects as one JSON ``List``, for ``kubectl apply -f -``. JSON, not YAML: kubectl reads YAML 1.1, where
    a string such as ``yes`` or ``no`` that YAML 1.2 writes bare would come back a bool."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=1, default=str)
