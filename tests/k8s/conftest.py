"""The Kubernetes lane: tests on the real local cluster (``./dev cluster up``), after the compose drills.

Without a running cluster they are skipped on a laptop, and fail when ``DRDRILL_REQUIRE_KUBERNETES=1`` (CI).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from drdrill.staging.kube import cluster

ROOT = Path(__file__).resolve().parents[2]
UNCLOSED_CLIENT_SOCKET = "ignore:Exception ignored in.*ssl.SSLSocket:pytest.PytestUnraisableExceptionWarning"
TEST_LABELS = {"io.drdrill.test": "kubernetes-lane"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.kubernetes)
            # The Kubernetes client's connection pool lets a TLS socket go unclosed when it replaces a
            # connection (kubernetes-client/python#309): the warning names the client's socket, not ours.
            item.add_marker(pytest.mark.filterwarnings(UNCLOSED_CLIENT_SOCKET))
            item.add_marker(pytest.mark.filterwarnings("ignore:unclosed <ssl.SSLSocket:ResourceWarning"))


def _bin_dir() -> Path:
    script = "source scripts/setup.sh && source scripts/cluster.sh && drdrill_cluster_bin_dir"
    found = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def until(what: str, check: Callable[[], bool], bound_s: float) -> float:
    """Poll ``check`` every 0.25 s until it holds; returns how long that took, or fails naming ``what``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > bound_s:
            raise AssertionError(f"{what} not within {bound_s:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - started


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    return _bin_dir()


@pytest.fixture(scope="session")
def kube(bin_dir: Path) -> Iterator[client.ApiClient]:
    """An API client of the local cluster, or a skip (a failure with DRDRILL_REQUIRE_KUBERNETES=1)."""
    lines: list[str] = []
    if not cluster.status(bin_dir, lines.append):
        reason = "the local cluster is not up (./dev cluster up): " + "; ".join(lines)
        if os.environ.get("DRDRILL_REQUIRE_KUBERNETES") == "1":
            pytest.fail(f"DRDRILL_REQUIRE_KUBERNETES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    api = config.new_client_from_config(str(cluster.kubeconfig_path()), context=cluster.CONTEXT)
    yield api
    api.close()


@pytest.fixture
def namespace(kube: client.ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A namespace of the test's own, deleted afterwards (and its pods with it)."""
    stem = request.node.name.replace("_", "-")[5:36].strip("-").lower()
    name = f"drdrill-test-{stem}-{secrets.token_hex(3)}"
    core = client.CoreV1Api(kube)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=TEST_LABELS)))
    yield name
    core.delete_namespace(name, grace_period_seconds=0)


@pytest.fixture(scope="session", autouse=True)
def namespaces_gone() -> Iterator[None]:
    """After the lane, every test namespace is gone (not only deleting): the cluster is left as it was found."""
    yield
    if not cluster.kubeconfig_path().is_file():
        return  # the cluster never came up: nothing to wait for
    api = config.new_client_from_config(str(cluster.kubeconfig_path()), context=cluster.CONTEXT)
    core = client.CoreV1Api(api)
    selector = ",".join(f"{key}={value}" for key, value in TEST_LABELS.items())
    deadline = time.monotonic() + 120
    try:
        while core.list_namespace(label_selector=selector, _request_timeout=5).items:
            assert time.monotonic() < deadline, "test namespaces still there 120 s after the lane"
            time.sleep(0.5)
    finally:
        api.close()
