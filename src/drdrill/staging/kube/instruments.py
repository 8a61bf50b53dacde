"""drdrill's own instruments in a drill's namespace: Toxiproxy (the links) and the notification sink (the system's
alerts and client notices), each a Deployment and a Service, as the compose override adds them as services.

Both run where a drill's zone loss does not reach them: they tolerate the local cluster's control-plane taint and
prefer that node, which is in no zone. An instrument lost with the zone it measures would make the drill measure
itself. Pure: from the run's proxies or the plan to objects; the back-end places and applies them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drdrill.plan import Plan
from drdrill.staging.kube import cluster
from drdrill.staging.override import (
    SINK_HTTP_PORT,
    SINK_IMAGE,
    SINK_SERVICE,
    TOXIPROXY_API_PORT,
    TOXIPROXY_IMAGE,
    TOXIPROXY_SERVICE,
    ProxyPlan,
    sink_environment,
    sink_smtp_ports,
    toxiproxy_config,
)

NAME_LABEL = "app.kubernetes.io/name"
TOXIPROXY_LABELS = {NAME_LABEL: TOXIPROXY_SERVICE}
SINK_LABELS = {NAME_LABEL: SINK_SERVICE}
PROXIES_MOUNT = "/etc/drdrill-toxiproxy"
CONTROL_PLANE_TAINT_KEY = cluster.CONTROL_PLANE_TAINT.split("=", 1)[0]


def _instrument(
    name: str,
    selector: Mapping[str, str],
    run_labels: Mapping[str, str],
    container: dict[str, Any],
    ports: Sequence[tuple[str, int]],
    volumes: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """A Deployment of one pod outside the zones, and its Service with ``ports`` (name, port)."""
    labels = {**selector, **run_labels}
    role = {"key": cluster.ROLE_LABEL, "operator": "In", "values": ["control-plane"]}
    pod: dict[str, Any] = {
        "terminationGracePeriodSeconds": 1,
        "tolerations": [{"key": CONTROL_PLANE_TAINT_KEY, "operator": "Exists"}],
        "affinity": {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "preference": {"matchExpressions": [role]}}
                ]
            }
        },
        "containers": [
            {**container, "imagePullPolicy": "Never", "ports": [{"containerPort": p} for _, p in ports]}
        ],
    }
    if volumes:
        pod["volumes"] = list(volumes)
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(selector)},
                "template": {"metadata": {"labels": labels}, "spec": pod},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {"selector": dict(selector), "ports": [{"name": n, "port": p} for n, p in ports]},
        },
    ]


def toxiproxy_objects(proxies: Sequence[ProxyPlan], run_labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The run's Toxiproxy: its proxies as a ConfigMap, a Deployment, and a Service with the API and each link's
    listener."""
    ports = [("api", TOXIPROXY_API_PORT)] + [(f"link-{i}", p.listen_port) for i, p in enumerate(proxies)]
    container = {
        "name": "toxiproxy",
        "image": TOXIPROXY_IMAGE,
        "command": ["/usr/local/bin/toxiproxy-server", "-host", "0.0.0.0", "-port", str(TOXIPROXY_API_PORT),
                    "-config", f"{PROXIES_MOUNT}/proxies.json"],
        "readinessProbe": {"tcpSocket": {"port": TOXIPROXY_API_PORT}, "periodSeconds": 1},
        "volumeMounts": [{"name": "proxies", "mountPath": PROXIES_MOUNT}],
    }  # fmt: skip
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": TOXIPROXY_SERVICE, "labels": {**TOXIPROXY_LABELS, **run_labels}},
        "data": {"proxies.json": toxiproxy_config(proxies)},
    }
    volumes = [{"name": "proxies", "configMap": {"name": TOXIPROXY_SERVICE}}]
    return [
        config_map,
        *_instrument(TOXIPROXY_SERVICE, TOXIPROXY_LABELS, run_labels, container, ports, volumes),
    ]


def sink_objects(plan: Plan, run_labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The run's notification sink: a Deployment, and a Service with its HTTP port (webhooks, and the messages the
    drill reads) and one SMTP port per channel of the plan. Ready once its HTTP side answers ``/health``."""
    ports = [("http", SINK_HTTP_PORT)] + [(f"smtp-{i}", p) for i, p in enumerate(sink_smtp_ports(plan))]
    container = {
        "name": "notify-sink",
        "image": SINK_IMAGE,
        "env": [{"name": k, "value": v} for k, v in sink_environment(plan).items()],
        "readinessProbe": {"httpGet": {"path": "/health", "port": SINK_HTTP_PORT}, "periodSeconds": 1},
    }
    return _instrument(SINK_SERVICE, SINK_LABELS, run_labels, container, ports)
