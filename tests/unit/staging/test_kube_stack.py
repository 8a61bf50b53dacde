"""The Kubernetes staging back-end without a cluster: which back-end a plan gets, what it changes in the user's
manifests (Toxiproxy added, the links' consumers pointed at it, secrets filled in), how pod changes become the
journal's container events, and a zone loss that loses nodes, not services."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from ruamel.yaml import YAML

from drdrill.errors import DrdrillError, EnvironmentNotReadyError, StagingError
from drdrill.faults.zone import PlaceLoss
from drdrill.plan import Plan, load_plan
from drdrill.staging import images
from drdrill.staging.kube import cluster
from drdrill.staging.kube import stack as kube_stack
from drdrill.staging.kube.namespace import Context
from drdrill.staging.kube.stack import KubernetesStack, PodChanges
from drdrill.staging.select import staging_factory, staging_name
from drdrill.staging.stack import StagingStack

ROOT = Path(__file__).resolve().parents[3]
QA = ROOT / "examples" / "qa-service"


@pytest.fixture(scope="module")
def qa_plan() -> Plan:
    return load_plan(QA / "plan")


@pytest.fixture
def prepared(qa_plan: Plan, monkeypatch: pytest.MonkeyPatch) -> tuple[KubernetesStack, list[list[str]]]:
    """The Q&A example's Kubernetes staging, prepared: images 'present', loading recorded."""
    loaded: list[list[str]] = []
    monkeypatch.setenv(kube_stack.KUBECTL_ENV, "/nonexistent/kubectl")  # a plain file needs no kubectl
    monkeypatch.setattr(images, "_image_id", lambda tag: f"sha256:{tag}")
    monkeypatch.setattr(cluster, "load_images", lambda tags, log: loaded.append(list(tags)))
    stack = KubernetesStack(qa_plan, "abc123", lambda line: None)
    stack.prepare()
    return stack, loaded


def _env(stack: KubernetesStack, workload: str) -> dict[str, str]:
    (obj,) = [o for o in stack._objects if o["kind"] == "Deployment" and o["metadata"]["name"] == workload]
    (container,) = obj["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"]}


def test_the_links_consumers_are_pointed_at_the_namespaces_toxiproxy(
    prepared: tuple[KubernetesStack, list[list[str]]],
) -> None:
    stack, _ = prepared
    worker = _env(stack, "worker")
    assert worker["REDIS_URL"] == "redis://drdrill-toxiproxy:18001/0"
    assert worker["LLM_URL"] == "http://drdrill-toxiproxy:18002/v1"
    assert worker["LLM_BACKUP_URL"] == "http://drdrill-toxiproxy:18003/v1"
    assert worker["FAILOVER_AFTER"] == "3"  # the user's own settings stay
    assert _env(stack, "api")["REDIS_URL"] == "redis://drdrill-toxiproxy:18001/0"
    assert "REDIS_URL" not in _env(stack, "provider-primary")  # not a consumer: untouched
    assert "worker: LLM_URL=http://drdrill-toxiproxy:18002/v1" in stack.override_text


def test_toxiproxy_runs_in_the_namespace_outside_the_zones_with_every_links_listener(
    prepared: tuple[KubernetesStack, list[list[str]]],
) -> None:
    stack, loaded = prepared
    added = {o["kind"]: o for o in stack._objects if o["metadata"]["name"] == "drdrill-toxiproxy"}
    assert set(added) == {"ConfigMap", "Deployment", "Service"}
    assert all(o["metadata"]["namespace"] == "drdrill-abc123" for o in added.values())
    assert [p["port"] for p in added["Service"]["spec"]["ports"]] == [8474, 18001, 18002, 18003]
    pod = added["Deployment"]["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "drdrill.io/control-plane", "operator": "Exists"}]
    assert pod["containers"][0]["imagePullPolicy"] == "Never"
    assert '"upstream": "provider-primary:8000"' in added["ConfigMap"]["data"]["proxies.json"]
    # The local cluster gets every image, drdrill's Toxiproxy too, before anything is applied.
    assert loaded == [
        ["drdrill-example/qa-app:local", "drdrill/provider-sim:local", "drdrill/toxiproxy:local"]
    ]


def test_a_services_address_must_be_a_port_of_a_service_of_the_manifests(
    prepared: tuple[KubernetesStack, list[list[str]]],
) -> None:
    stack, _ = prepared
    with pytest.raises(StagingError, match=r"no Service 'api' with port 9000 \(Services: api:8000, "):
        stack.address("api", 9000)
    with pytest.raises(LookupError, match="not running"):
        stack.address("api", 8000)  # a port the manifests have, before the start


def test_a_consumer_without_a_service_is_refused_naming_the_link(
    qa_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(QA / "plan", tmp_path / "plan")
    (tmp_path / "kubernetes").mkdir()
    text = (QA / "kubernetes" / "qa-service.yaml").read_text()
    worker_service = "kind: Service\nmetadata: {name: worker}"
    assert worker_service in text
    (tmp_path / "kubernetes" / "qa-service.yaml").write_text(
        text.replace(worker_service, "kind: Service\nmetadata: {name: worker-svc}")
    )
    (tmp_path / "docker-compose.yml").write_text((QA / "docker-compose.yml").read_text())
    plan = load_plan(tmp_path / "plan")
    monkeypatch.setenv(kube_stack.KUBECTL_ENV, "/nonexistent/kubectl")
    with pytest.raises(
        StagingError, match="link 'queue' names consumer 'worker', but no Service 'worker' selects"
    ):
        KubernetesStack(plan, "abc123", lambda line: None).prepare()


def test_generated_secrets_fill_the_manifests_and_missing_images_are_named() -> None:
    filled = kube_stack._with_secrets(
        {"env": [{"value": "postgres://app:${DB_PASSWORD}@db/app"}, {"value": "${OTHER}"}]},
        {"DB_PASSWORD": "s3cret"},
    )
    assert filled == {"env": [{"value": "postgres://app:s3cret@db/app"}, {"value": "${OTHER}"}]}


def test_the_back_end_is_compose_unless_asked_or_the_plan_has_only_kubernetes(qa_plan: Plan) -> None:
    assert staging_name(qa_plan, None) == "compose"
    assert staging_name(qa_plan, "kubernetes") == "kubernetes"
    assert staging_factory("compose") is StagingStack
    assert staging_factory("kubernetes") is KubernetesStack
    only_kube = qa_plan.model_copy(
        update={"staging_topology": qa_plan.staging_topology.model_copy(update={"compose_file": None})}
    )
    assert staging_name(only_kube, None) == "kubernetes"
    with pytest.raises(DrdrillError, match="--drill-staging=compose, but the plan names no compose_file"):
        staging_name(only_kube, "compose")
    no_kube = qa_plan.model_copy(
        update={"staging_topology": qa_plan.staging_topology.model_copy(update={"kubernetes": None})}
    )
    with pytest.raises(DrdrillError, match=r"names no Kubernetes staging; add staging_topology\.kubernetes"):
        staging_name(no_kube, "kubernetes")


def _pod(name: str, *, restarts: int = 0, state: str = "running", code: int = 0, reason: str = "Error",
         last: tuple[int, str] | None = None, labels: dict[str, str] | None = None) -> client.V1Pod:  # fmt: skip
    terminated = client.V1ContainerStateTerminated(exit_code=code, reason=reason)
    now = (
        client.V1ContainerState(terminated=terminated)
        if state == "terminated"
        else client.V1ContainerState(running=client.V1ContainerStateRunning())
    )
    before = (
        client.V1ContainerState(
            terminated=client.V1ContainerStateTerminated(exit_code=last[0], reason=last[1])
        )
        if last
        else None
    )
    status = client.V1ContainerStatus(
        name="redis", image="x", image_id="sha256:1", ready=True, restart_count=restarts,
        state=now, last_state=before,
    )  # fmt: skip
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels if labels is not None else {"app": "redis"}),
        status=client.V1PodStatus(container_statuses=[status]),
    )


def test_pod_changes_become_the_journals_container_events() -> None:
    changes = PodChanges(lambda labels: "redis" if labels.get("app") == "redis" else None)

    def seen(kind: str, pod: client.V1Pod) -> list[tuple[str, str, int | None]]:
        return [(e.service, e.action, e.exit_code) for e in changes.events(kind, pod)]

    assert seen("ADDED", _pod("redis-1")) == []  # running when the watch began: nothing happened
    assert seen("MODIFIED", _pod("redis-1")) == []
    assert seen("MODIFIED", _pod("redis-1", restarts=1, last=(137, "OOMKilled"))) == [
        ("redis", "oom", 137),
        ("redis", "restart", None),
    ]
    assert seen("MODIFIED", _pod("redis-1", restarts=1, state="terminated", code=1)) == [("redis", "die", 1)]
    assert seen("MODIFIED", _pod("redis-1", restarts=2)) == [("redis", "restart", None)]
    assert seen("DELETED", _pod("redis-1", restarts=2)) == [("redis", "kill", None)]
    assert seen("ADDED", _pod("other", labels={"app": "nobody"})) == []  # no Service of the plan selects it


@dataclass
class NodeReplica:
    """A back-end whose zones are nodes: records what it was asked to lose and bring back."""

    calls: list[str] = field(default_factory=list)

    def node_zones(self) -> NodeReplica:
        return self

    def lose_zones(self, zones: frozenset[str], mode: str) -> list[str]:
        self.calls.append(f"lose {','.join(sorted(zones))} {mode}")
        return ["api", "redis"]  # what the scheduler had put there

    def restore_zones(self, zones: frozenset[str]) -> str:
        self.calls.append(f"restore {','.join(sorted(zones))}")
        return "back"

    def container(self, service: str) -> Any:
        raise AssertionError("a zone of nodes is not lost service by service")


def test_a_zone_of_nodes_is_lost_as_nodes_and_brought_back() -> None:
    replica = NodeReplica()
    loss = PlaceLoss(
        kind="region_loss", place="eu-west", services=["redis"], mode="power", comes_back=True,
        replica=replica, zones=frozenset({"zone-a", "zone-b"}),  # type: ignore[arg-type]
    )  # fmt: skip
    assert loss.stops == ("redis",)  # before: the plan's placement
    loss.apply()
    assert list(loss.stops) == ["api", "redis"]  # after: what the lost nodes ran, and the drill excuses
    loss.revert()
    assert replica.calls == ["lose zone-a,zone-b power", "restore zone-a,zone-b"]
    stays = PlaceLoss(
        kind="zone_loss", place="zone-a", services=["redis"], mode="freeze", comes_back=False,
        replica=replica,  # type: ignore[arg-type]
    )  # fmt: skip
    stays.apply()
    stays.revert()
    assert stays.stops == ()  # a frozen node's pods keep their processes
    assert replica.calls[2:] == ["lose zone-a freeze"]  # does not come back: the stack's stop brings it


def test_a_plan_whose_manifests_are_missing_says_where(tmp_path: Path) -> None:
    shutil.copytree(QA / "plan", tmp_path / "plan")
    (tmp_path / "docker-compose.yml").write_text((QA / "docker-compose.yml").read_text())
    from drdrill.plan import PlanError  # noqa: PLC0415

    with pytest.raises(PlanError) as caught:
        load_plan(tmp_path / "plan")
    assert "staging_topology.kubernetes.manifests:" in str(caught.value)
    assert "qa-service.yaml: no such file (it is relative to plan.yaml)" in str(caught.value)


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- {name: c, cluster: {server: "SERVER", insecure-skip-tls-verify: true}}
users:
- {name: u, user: {token: not-a-real-token}}
contexts:
- {name: staging, context: {cluster: c, user: u}}
current-context: staging
"""


def _plan_on(tmp_path: Path, server: str, qa_plan: Plan) -> Plan:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG.replace("SERVER", server))
    kube = qa_plan.staging_topology.kubernetes
    assert kube is not None
    spec = kube.model_copy(update={"context": "staging", "kubeconfig": str(tmp_path / "kubeconfig")})
    return qa_plan.model_copy(
        update={"staging_topology": qa_plan.staging_topology.model_copy(update={"kubernetes": spec})}
    )


def test_a_cluster_that_does_not_answer_is_refused_before_anything_is_made(
    tmp_path: Path, qa_plan: Plan
) -> None:
    stack = KubernetesStack(_plan_on(tmp_path, "https://127.0.0.1:1", qa_plan), "abc123", lambda line: None)
    with pytest.raises(
        EnvironmentNotReadyError, match=r"kube context 'staging' does not answer \(.*check the cluster is up"
    ):
        stack.environment()
    assert stack.stop() == 0  # nothing was made: nothing to remove


def test_a_context_on_another_machine_is_refused_unless_the_plan_allows_it(
    tmp_path: Path, qa_plan: Plan
) -> None:
    stack = KubernetesStack(_plan_on(tmp_path, "https://10.1.2.3:6443", qa_plan), "abc123", lambda line: None)
    with pytest.raises(EnvironmentNotReadyError, match=r"not on this machine.*allow_remote_context: true"):
        stack.environment()


CLAIMS = ROOT / "scenarios"


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> tuple[KubernetesStack, list[list[str]]]:
    """The bundled claims system's Kubernetes staging, prepared: images 'present', loading recorded."""
    loaded: list[list[str]] = []
    monkeypatch.setenv(kube_stack.KUBECTL_ENV, "/nonexistent/kubectl")  # plain manifests need no kubectl
    monkeypatch.setattr(images, "_image_id", lambda tag: f"sha256:{tag}")
    monkeypatch.setattr(cluster, "load_images", lambda tags, log: loaded.append(list(tags)))
    stack = KubernetesStack(load_plan(CLAIMS), "abc123", lambda line: None)
    stack.prepare()
    return stack, loaded


def _object(stack: KubernetesStack, kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in stack._objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_the_notification_sink_runs_in_the_namespace_outside_the_zones_on_a_port_per_channel(
    claims: tuple[KubernetesStack, list[list[str]]],
) -> None:
    stack, loaded = claims
    deployment = _object(stack, "Deployment", "drdrill-notify")
    assert deployment["metadata"]["namespace"] == "drdrill-abc123"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "drdrill.io/control-plane", "operator": "Exists"}]
    preferred = pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred[0]["preference"]["matchExpressions"] == [
        {"key": "drdrill.io/role", "operator": "In", "values": ["control-plane"]}
    ]
    (container,) = pod["containers"]
    assert container["image"] == "drdrill/notify-sink:local"
    assert container["imagePullPolicy"] == "Never"
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "SINK_CHANNELS": "on-call,client",
        "PORT": "8090",
        "SMTP_BASE_PORT": "2525",
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": 8090}
    service = _object(stack, "Service", "drdrill-notify")
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [
        ("http", 8090),
        ("smtp-0", 2525),
        ("smtp-1", 2526),
    ]
    assert stack._ports["drdrill-notify"] == [8090, 2525, 2526]  # reachable through address()
    assert "drdrill/notify-sink:local" in loaded[0]


def test_the_channels_consumer_is_pointed_at_the_sink_as_on_compose(
    claims: tuple[KubernetesStack, list[list[str]]],
) -> None:
    stack, _ = claims
    monitor = _env(stack, "monitor")
    assert monitor["ALERT_URL"] == "http://drdrill-notify:8090/on-call"
    assert monitor["NOTICE_SMTP_HOST"] == "drdrill-notify"
    assert monitor["NOTICE_SMTP_PORT"] == "2526"  # the second channel's SMTP server
    assert monitor["PRIMARY_URL"] == "http://drdrill-toxiproxy:18001/v1"  # and its links, as before
    assert "Deployment monitor: ALERT_URL=http://drdrill-notify:8090/on-call" in stack.override_text
    assert "ALERT_URL" not in _env(stack, "worker")


def test_readiness_waits_for_the_sink_and_not_for_the_services_of_a_profile(
    claims: tuple[KubernetesStack, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = claims
    monkeypatch.setattr(stack, "address", lambda service, port: ("127.0.0.1", port))
    checks = stack._readiness(None)
    assert checks["drdrill-notify /health"] == "http://127.0.0.1:8090/health"
    assert "drdrill-toxiproxy /version" in checks
    assert "intake-b http://{intake-b:8080}/health" in checks
    assert not [check for check in checks if check.split()[0] in ("intake-c", "worker-c", "search-c")]
    assert list(stack._readiness(["intake-c"])) == ["intake-c http://{intake-c:8080}/health"]


@dataclass
class Scales:
    """Stands in for the Kubernetes apps API: records each scale asked for."""

    asked: list[tuple[str, str, int]] = field(default_factory=list)

    def patch_namespaced_deployment_scale(self, name: str, namespace: str, body: dict[str, Any]) -> None:
        self.asked.append((namespace, name, body["spec"]["replicas"]))


def test_a_profile_is_started_by_scaling_up_the_deployments_labelled_with_it(
    claims: tuple[KubernetesStack, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = claims
    scales = Scales()
    monkeypatch.setattr(stack, "_client", lambda: None)
    monkeypatch.setattr(client, "AppsV1Api", lambda api: scales)
    assert _object(stack, "Deployment", "worker-c")["spec"]["replicas"] == 0  # shipped stopped
    started = stack.start_services(profile="secondary")
    assert started == ["postgres-restore", "intake-c", "worker-c", "search-c"]
    assert scales.asked == [("drdrill-abc123", name, 1) for name in started]
    stack.start_services(
        ["worker-c", "worker"]
    )  # named: a profile's to 1, any other to its manifest's replicas
    assert scales.asked[-2:] == [("drdrill-abc123", "worker-c", 1), ("drdrill-abc123", "worker", 1)]
    with pytest.raises(
        StagingError,
        match=r"kubernetes: no workload carries the label drdrill\.io/profile: tertiary; label the Deployments "
        r"of profile 'tertiary' with it \(and ship them with replicas: 0\)",
    ):
        stack.start_services(profile="tertiary")


def test_a_profiles_replicas_come_from_its_annotation() -> None:
    labels = {"labels": {"drdrill.io/profile": "dr"}}
    assert kube_stack._started_replicas({"metadata": labels, "spec": {"replicas": 0}}) == 1
    annotated = {**labels, "annotations": {"drdrill.io/profile-replicas": "3"}}
    assert kube_stack._started_replicas({"metadata": annotated, "spec": {"replicas": 0}}) == 3
    assert kube_stack._started_replicas({"kind": "Deployment", "spec": {"replicas": 0}}) == 0  # no profile
    assert kube_stack._started_replicas({"kind": "Deployment", "spec": {}}) == 1


def test_an_exec_as_another_user_runs_through_setpriv(
    claims: tuple[KubernetesStack, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = claims
    ran: list[list[str]] = []
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="postgres-standby-1"), status=client.V1PodStatus(phase="Running")
    )
    monkeypatch.setattr(stack, "_client", lambda: None)
    monkeypatch.setattr(stack, "_context", Context("drdrill-local", "https://127.0.0.1:16443"))
    monkeypatch.setattr(kube_stack, "live_pods", lambda core, namespace, selector: [pod])

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 0, b"done", b"")

    monkeypatch.setattr(subprocess, "run", run)
    result = stack.exec("postgres-standby", ["sh", "-c", "pg_ctl promote"], user="postgres", env={"A": "1"})
    assert result.exit_code == 0 and result.output == "done"
    assert ran[0][ran[0].index("--") :] == [
        "--", "env", "A=1", "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
        "sh", "-c", "pg_ctl promote",
    ]  # fmt: skip
    stack.exec("postgres-standby", ["id"], user="postgres:staff")
    assert ran[1][-4:] == ["--reuid=postgres", "--regid=staff", "--init-groups", "id"]


def test_the_providers_rules_on_kubernetes_are_the_compose_files_own() -> None:
    """The manifests carry ../sim/labels.json in a ConfigMap (a kustomization may not read outside its folder):
    the two must say the same, or the providers label differently on each staging."""
    settings = ROOT / "compose" / "claims" / "kubernetes" / "10-settings.yaml"
    (config_map,) = [
        doc for doc in YAML(typ="safe").load_all(settings.read_text()) if doc["kind"] == "ConfigMap"
    ]
    expected = json.loads((ROOT / "compose" / "claims" / "sim" / "labels.json").read_text())
    assert json.loads(config_map["data"]["labels.json"]) == expected
