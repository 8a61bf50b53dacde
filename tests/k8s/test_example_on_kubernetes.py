"""The Q&A example's own manifests (examples/qa-service/kubernetes/) run on the local cluster: applied into a
drill namespace, ready, and a question asked through the loopback relay is answered by the worker through the
provider Service, across the two zones."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kubernetes import client

from drdrill.staging.kube import cluster, manifests, namespace, reach

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "examples" / "qa-service" / "kubernetes"


@pytest.fixture
def qa(kube: client.ApiClient, bin_dir: Path) -> Iterator[namespace.DrillNamespace]:
    space = namespace.DrillNamespace(kube, f"lane-qa-{secrets.token_hex(3)}", lambda line: None)
    placed = manifests.for_drill(manifests.render(MANIFESTS), space.name, space.run_id)
    cluster.load_images(manifests.images(placed), lambda line: None)
    space.create()
    try:
        space.apply(placed, bin_dir / "kubectl", cluster.kubeconfig_path(), cluster.CONTEXT)
        took = space.await_ready(180)
        print(f"the Q&A example ready {took:.1f} s after apply")
        yield space
    finally:
        assert space.delete()


def test_a_question_is_answered_through_the_relay(qa: namespace.DrillNamespace) -> None:
    api = qa._core.api_client
    pods = client.CoreV1Api(api).list_namespaced_pod(qa.name, label_selector="app in (api, worker)").items
    assert {pod.spec.node_name for pod in pods} == {"drdrill-zone-a", "drdrill-zone-b"}
    relay = reach.ServiceRelay(api.configuration, qa.name, "api", 8000, lambda line: None)
    try:
        base = f"http://{relay.address[0]}:{relay.address[1]}"
        asked = httpx.post(
            f"{base}/questions",
            json={"request_id": str(uuid.uuid4()), "question": "When is the library open on Saturday?"},
            timeout=10,
        )
        assert asked.status_code == 202, asked.text
        job = asked.json()["job_id"]
        deadline = time.monotonic() + 60
        while True:
            status = httpx.get(f"{base}/jobs/{job}", timeout=10).json()
            if status.get("status") in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status.get("status") == "done", status
    finally:
        relay.stop()
