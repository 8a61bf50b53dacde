"""The Kubernetes staging's pieces on the real local cluster: a user's manifests applied into a drill's namespace
and awaited, and each fault through the Kubernetes API with its revert."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kubernetes import client

from drdrill.staging.kube import cluster, faults, manifests, namespace, reach
from tests.k8s.conftest import until

IMAGE = "drdrill/provider-sim:local"
APP = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: sim}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: sim}}}}
  template:
    metadata: {{labels: {{app: sim}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: sim
        image: "{IMAGE}"
        readinessProbe: {{httpGet: {{path: /health, port: 8000}}, periodSeconds: 1}}
---
apiVersion: v1
kind: Service
metadata: {{name: sim}}
spec: {{selector: {{app: sim}}, ports: [{{port: 80, targetPort: 8000}}]}}
"""


@pytest.fixture
def drill(kube: client.ApiClient) -> Iterator[namespace.DrillNamespace]:
    cluster.load_images([IMAGE], lambda line: None)
    space = namespace.DrillNamespace(kube, f"lane-{secrets.token_hex(3)}", lambda line: None)
    space.create()
    yield space
    assert space.delete()


@pytest.fixture
def sim(drill: namespace.DrillNamespace, bin_dir: Path, tmp_path: Path) -> namespace.DrillNamespace:
    """The drill namespace with APP applied and both replicas ready."""
    (tmp_path / "app.yaml").write_text(APP, encoding="utf-8")
    _apply(drill, tmp_path, bin_dir)
    drill.await_ready(90)
    return drill


def _apply(space: namespace.DrillNamespace, source: Path, bin_dir: Path) -> list[str]:
    placed = manifests.for_drill(manifests.render(source, bin_dir / "kubectl"), space.name, space.run_id)
    space.apply(placed, bin_dir / "kubectl", cluster.kubeconfig_path(), cluster.CONTEXT)
    return manifests.images(placed)


def test_a_kustomization_is_rendered_applied_in_the_drill_namespace_and_awaited(
    drill: namespace.DrillNamespace, bin_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "app.yaml").write_text(APP, encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [app.yaml]\nlabels:\n- pairs: {team: claims}\n  includeTemplates: true\n",
        encoding="utf-8",
    )
    assert _apply(drill, tmp_path, bin_dir) == [IMAGE]
    took = drill.await_ready(90)
    pods = client.CoreV1Api(drill._core.api_client).list_namespaced_pod(drill.name).items
    assert len(pods) == 2
    assert all(pod.metadata.labels["team"] == "claims" for pod in pods)  # the kustomization's own label
    assert all(pod.metadata.labels[manifests.LABEL_RUN] == drill.run_id for pod in pods)
    print(f"two replicas ready {took:.1f} s after apply")


def test_an_image_never_loaded_is_named_when_the_namespace_is_not_ready(
    drill: namespace.DrillNamespace, bin_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "app.yaml").write_text(APP.replace(IMAGE, "shop/never-built:1"), encoding="utf-8")
    _apply(drill, tmp_path, bin_dir)
    with pytest.raises(namespace.KubeStagingError, match=r"Deployment sim: 0/2 ready.*ErrImageNeverPull"):
        drill.await_ready(15)


def test_pod_kill_is_replaced_by_the_controller(
    sim: namespace.DrillNamespace,
) -> None:
    drill = sim
    core = client.CoreV1Api(drill._core.api_client)
    before = {pod.metadata.name for pod in core.list_namespaced_pod(drill.name).items}
    kill = faults.PodKill(drill._core.api_client, drill.name, "app=sim")
    assert kill.apply().startswith("killed 2 pod(s)")
    took = until("two new pods ready", lambda: not drill.not_ready(), 60)
    after = {
        pod.metadata.name
        for pod in core.list_namespaced_pod(drill.name).items
        if pod.metadata.deletion_timestamp is None
    }
    assert len(after) == 2 and not after & before
    print(f"two killed pods replaced and ready in {took:.1f} s")
    with pytest.raises(faults.KubeFaultError, match="no running pod matches 'app=none'"):
        faults.PodKill(drill._core.api_client, drill.name, "app=none").apply()


def test_scale_to_zero_and_back(sim: namespace.DrillNamespace) -> None:
    drill = sim
    scale = faults.ScaleToZero(drill._core.api_client, drill.name, "Deployment", "sim")
    assert scale.apply() == "scaled Deployment sim from 2 to 0"
    core = client.CoreV1Api(drill._core.api_client)
    until("no pod left", lambda: not [p for p in core.list_namespaced_pod(drill.name).items], 60)
    assert scale.revert() == "scaled Deployment sim back to 2"
    drill.await_ready(60)


def test_a_zone_drain_moves_the_pods_and_the_revert_uncordons(
    sim: namespace.DrillNamespace,
) -> None:
    drill = sim
    api = drill._core.api_client
    drain = faults.ZoneDrain(api, "zone-a")
    try:
        assert drain.apply().startswith("drained zone zone-a: 1 node(s) cordoned")
        core = client.CoreV1Api(api)

        def all_in_zone_b() -> bool:
            pods = [
                p for p in core.list_namespaced_pod(drill.name).items if p.metadata.deletion_timestamp is None
            ]
            return not drill.not_ready() and {p.spec.node_name for p in pods} == {"drdrill-zone-b"}

        until("both replicas ready in zone-b", all_in_zone_b, 60)
    finally:
        assert drain.revert() == "uncordoned 1 node(s) of zone zone-a"
    assert not client.CoreV1Api(api).read_node("drdrill-zone-a").spec.unschedulable
    with pytest.raises(
        faults.KubeFaultError, match=r"no node is labelled topology\.kubernetes\.io/zone=zone-z"
    ):
        faults.ZoneDrain(api, "zone-z").apply()


def _get(address: tuple[str, int]) -> int | str:
    try:
        return int(httpx.get(f"http://{address[0]}:{address[1]}/health", timeout=5).status_code)
    except httpx.HTTPError as exc:
        return type(exc).__name__


def test_a_relay_on_loopback_follows_the_service_through_pod_kills_and_refuses_when_none_is_ready(
    sim: namespace.DrillNamespace,
) -> None:
    drill = sim
    api = drill._core.api_client
    said: list[str] = []
    relay = reach.ServiceRelay(api.configuration, drill.name, "sim", 80, said.append)
    try:
        assert relay.address[0] == "127.0.0.1"
        assert [_get(relay.address) for _ in range(4)] == [200] * 4
        assert {e.pod for e in reach.ready_endpoints(api, drill.name, "sim", 80)} == {
            p.metadata.name for p in client.CoreV1Api(api).list_namespaced_pod(drill.name).items
        }
        faults.PodKill(api, drill.name, "app=sim").apply()
        took = until("the relay answering from the new pods", lambda: _get(relay.address) == 200, 60)
        print(f"relay answering {took:.1f} s after both pods were killed")
        faults.ScaleToZero(api, drill.name, "Deployment", "sim").apply()
        until("no ready endpoint", lambda: not reach.ready_endpoints(api, drill.name, "sim", 80), 30)
        started = time.monotonic()
        assert _get(relay.address) in ("RemoteProtocolError", "ReadError", "ConnectError")
        assert time.monotonic() - started < 2.0  # refused at once, never hanging
        with pytest.raises(LookupError, match="has no port 81"):
            reach.ready_endpoints(api, drill.name, "sim", 81)
    finally:
        relay.stop()
        relay.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{relay.address[1]}/health", timeout=2)
