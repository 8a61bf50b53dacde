"""The local cluster is a real one: three nodes in two zones, pods on the pod network, Services, cluster DNS, and a
zone that can be lost (its node container killed: the power cut) and brought back. Faults and measurements here go
through the official Kubernetes Python client, as the drills' Kubernetes back-end will."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, stream

from drdrill.staging.kube import cluster, faults, namespace
from tests.k8s.conftest import until

IMAGE = "drdrill/provider-sim:local"
# Long enough for the node monitor (20 s grace, 4 s status updates) and the eviction it starts.
ZONE_LOSS_BOUND_S = 90.0
ZONE_A = next(node for node in cluster.NODES if node.zone == "zone-a")


@pytest.fixture(scope="module")
def image_loaded(kube: client.ApiClient) -> str:
    cluster.load_images([IMAGE], lambda line: None)
    return IMAGE


def _deployment(name: str, replicas: int, pod_spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {
                            "name": name,
                            "image": IMAGE,
                            "imagePullPolicy": "Never",
                            "ports": [{"containerPort": 8000}],
                            "readinessProbe": {
                                "httpGet": {"path": "/health", "port": 8000},
                                "periodSeconds": 1,
                            },
                        }
                    ],
                    **pod_spec,
                },
            },
        },
    }


# The eviction a plan's manifests ask for: pods leave an unreachable node after 2 s (the default is 300 s).
FAST_EVICTION = {
    "tolerations": [
        {
            "key": f"node.kubernetes.io/{taint}",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 2,
        }
        for taint in ("unreachable", "not-ready")
    ]
}
SPREAD = {
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": cluster.ZONE_LABEL,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": "spread"}},
        }
    ]
}


def _ready_pods(core: client.CoreV1Api, namespace: str, app: str) -> list[client.V1Pod]:
    pods = core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return [
        pod
        for pod in pods
        if pod.metadata.deletion_timestamp is None
        and any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
    ]


def _node_ready(core: client.CoreV1Api, name: str) -> bool:
    node = core.read_node(name)
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def test_three_nodes_in_two_zones_and_a_tainted_control_plane(kube: client.ApiClient) -> None:
    nodes = {node.metadata.name: node for node in client.CoreV1Api(kube).list_node().items}
    assert set(nodes) == {node.name for node in cluster.NODES}
    zones = {name: (node.metadata.labels or {}).get(cluster.ZONE_LABEL) for name, node in nodes.items()}
    assert zones == {node.name: node.zone for node in cluster.NODES}
    control = nodes["drdrill-control-plane"]
    assert [taint.key for taint in control.spec.taints or []] == ["drdrill.io/control-plane"]
    assert nodes["drdrill-zone-a"].status.node_info.kubelet_version == "v1.37.2"


def test_a_service_answers_across_nodes_by_its_dns_name(
    kube: client.ApiClient, namespace: str, image_loaded: str
) -> None:
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    apps.create_namespaced_deployment(namespace, _deployment("spread", 2, {**SPREAD}))
    core.create_namespaced_service(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "spread"},
            "spec": {"selector": {"app": "spread"}, "ports": [{"port": 80, "targetPort": 8000}]},
        },
    )
    until("two ready pods", lambda: len(_ready_pods(core, namespace, "spread")) == 2, 60)
    pods = _ready_pods(core, namespace, "spread")
    assert {pod.spec.node_name for pod in pods} == {"drdrill-zone-a", "drdrill-zone-b"}
    # From the pod in zone-a: its peer in zone-b by pod address (the route between nodes), and the Service by
    # its cluster DNS name (CoreDNS on the control plane, kube-proxy's rules).
    here = next(pod for pod in pods if pod.spec.node_name == "drdrill-zone-a")
    there = next(pod for pod in pods if pod.spec.node_name == "drdrill-zone-b")
    # kube-proxy programs a new Service within seconds of its endpoints: the script gives it 15.
    script = (
        "import time, urllib.request as u\n"
        f"print(u.urlopen('http://{there.status.pod_ip}:8000/health', timeout=5).status)\n"
        "deadline = time.monotonic() + 15\n"
        "while True:\n"
        "    try:\n"
        f"        print(u.urlopen('http://spread.{namespace}.svc.cluster.local/health', timeout=5).status)\n"
        "        break\n"
        "    except OSError:\n"
        "        if time.monotonic() > deadline: raise\n"
        "        time.sleep(0.25)\n"
    )
    # exec speaks a websocket: on a client of its own (the stream helper patches the client it is given), closed.
    exec_api = config.new_client_from_config(str(cluster.kubeconfig_path()), context=cluster.CONTEXT)
    try:
        output = _exec(client.CoreV1Api(exec_api), here, namespace, script)
    finally:
        exec_api.close()
    assert output.split() == ["200", "200"], output


def _exec(core: client.CoreV1Api, pod: client.V1Pod, namespace: str, script: str) -> str:
    response = stream.stream(
        core.connect_get_namespaced_pod_exec,
        pod.metadata.name,
        namespace,
        command=["python3", "-c", script],
        stderr=True,
        stdout=True,
        stdin=False,
        tty=False,
        _preload_content=False,
    )
    try:
        response.run_forever(timeout=60)
        return str(response.read_stdout()) + str(response.read_stderr())
    finally:
        response.close()


@pytest.fixture
def zone_a_back(kube: client.ApiClient) -> Iterator[None]:
    """Whatever the test did to zone-a, its node container runs again and its node is Ready afterwards."""
    yield
    subprocess.run(["docker", "start", ZONE_A.name], capture_output=True, check=True)
    core = client.CoreV1Api(kube)
    until("zone-a Ready again", lambda: _node_ready(core, ZONE_A.name), 90)


def _lose_zone_a() -> float:
    """The power cut in zone-a, as the drills' zone fault does it."""
    assert faults.ZonePowerCut("zone-a").apply() == "power cut in zone zone-a: node(s) drdrill-zone-a stopped"
    return time.monotonic()


def test_losing_a_zone_reschedules_a_spread_deployment_and_strands_a_pinned_one(
    kube: client.ApiClient, namespace: str, image_loaded: str, zone_a_back: None
) -> None:
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    apps.create_namespaced_deployment(namespace, _deployment("spread", 2, {**SPREAD, **FAST_EVICTION}))
    # The broken twin: one replica pinned to zone-a, as a plan that never thought about zones would have it.
    pinned = {"nodeSelector": {cluster.ZONE_LABEL: "zone-a"}, **FAST_EVICTION}
    apps.create_namespaced_deployment(namespace, _deployment("pinned", 1, pinned))
    until("both deployments ready", lambda: len(_ready_pods(core, namespace, "spread")) == 2
           and len(_ready_pods(core, namespace, "pinned")) == 1, 60)  # fmt: skip
    assert {pod.spec.node_name for pod in _ready_pods(core, namespace, "spread")} == {
        "drdrill-zone-a",
        "drdrill-zone-b",
    }

    lost_at = _lose_zone_a()
    detected = until("zone-a's node NotReady", lambda: not _node_ready(core, ZONE_A.name), ZONE_LOSS_BOUND_S)

    def recovered() -> bool:
        ready = _ready_pods(core, namespace, "spread")
        return len(ready) == 2 and {pod.spec.node_name for pod in ready} == {"drdrill-zone-b"}

    until("the spread deployment whole again in zone-b", recovered, ZONE_LOSS_BOUND_S)
    recovered_s = time.monotonic() - lost_at
    print(
        f"zone-a lost: node NotReady after {detected:.1f} s, spread deployment whole after {recovered_s:.1f} s"
    )

    # The pinned twin has nowhere to go: its replacement stays Pending, unschedulable, for as long as zone-a is
    # down.
    def pinned_stranded() -> bool:
        pods = [p for p in core.list_namespaced_pod(namespace, label_selector="app=pinned").items
                if p.metadata.deletion_timestamp is None]  # fmt: skip
        return bool(pods) and all(
            p.status.phase == "Pending"
            and any(
                c.type == "PodScheduled" and c.reason == "Unschedulable" for c in p.status.conditions or []
            )
            for p in pods
        )

    until("the pinned twin's replacement unschedulable", pinned_stranded, 30)
    assert _ready_pods(core, namespace, "pinned") == []


def test_a_lost_zone_comes_back(kube: client.ApiClient, zone_a_back: None) -> None:
    core = client.CoreV1Api(kube)
    _lose_zone_a()
    until("zone-a's node NotReady", lambda: not _node_ready(core, ZONE_A.name), ZONE_LOSS_BOUND_S)
    power = faults.ZonePowerCut("zone-a", stopped=[ZONE_A.name])
    assert power.revert() == "power back in zone zone-a: node(s) drdrill-zone-a started"
    took = until("zone-a Ready again", lambda: _node_ready(core, ZONE_A.name), 90)
    print(f"zone-a Ready {took:.1f} s after its node container started again")


def test_status_reports_the_cluster_up(kube: client.ApiClient, bin_dir: Path) -> None:
    lines: list[str] = []
    assert cluster.status(bin_dir, lines.append)
    assert "node drdrill-zone-b (worker, zone-b): Ready" in lines


def test_a_drill_namespace_is_labelled_owned_removed_and_swept_after_a_kill(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    drill = namespace.DrillNamespace(kube, f"lane-{secrets.token_hex(3)}", lambda line: None)
    drill.create()
    found = core.read_namespace(drill.name)
    assert found.metadata.labels[namespace.LABEL_MANAGED] == "true"
    assert found.metadata.annotations[namespace.ANNOTATION_OWNER].endswith(f":{os.getpid()}")
    assert drill.delete() and drill.delete()  # gone, and safe twice

    # A namespace whose owner was killed is swept; one whose owner lives is left alone.
    dead = subprocess.Popen(["sleep", "0"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        names = {}
        for role, pid in (("dead", dead.pid), ("alive", alive.pid)):
            names[role] = namespace.namespace_name(f"lane-{role}-{secrets.token_hex(3)}")
            meta = client.V1ObjectMeta(
                name=names[role],
                labels={namespace.LABEL_MANAGED: "true"},
                annotations={namespace.ANNOTATION_OWNER: f"{socket.gethostname()}:{pid}"},
            )
            core.create_namespace(client.V1Namespace(metadata=meta))
        swept = namespace.sweep(kube, lambda line: None)
        assert names["dead"] in swept and names["alive"] not in swept
        assert core.read_namespace(names["alive"]).status.phase == "Active"
    finally:
        alive.kill()
        alive.wait()
        namespace._delete(core, names["alive"], 60, lambda line: None)
