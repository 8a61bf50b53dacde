"""The container faults through the back-end seam (:class:`ServiceFaults`), without a cluster: compose acts on the
service's container, Kubernetes on its pods and workloads (a stand-in for the Kubernetes API records each call),
and a drained zone of nodes cordons and evicts only the drill's pods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from drdrill.clock import FakeClock
from drdrill.errors import FaultError, StagingError, UnsupportedFaultError
from drdrill.faults.container import ContainerFault, DockerContainers
from drdrill.staging.backend import ControlSlot, NodeZones, ServiceFaults
from drdrill.staging.kube.stack import KubernetesStack
from drdrill.staging.stack import StagingStack
from tests.unit.fake_drill import FakeContainer, FakeHelpdesk, FakeStaging
from tests.unit.staging.test_kube_stack import prepared, qa_plan

__all__ = ["prepared", "qa_plan"]  # the prepared Q&A example's Kubernetes staging, shared with its tests

Prepared = tuple[KubernetesStack, list[list[str]]]


@dataclass
class Items:
    items: list[Any]


def _pod(name: str, app: str, node: str, owner: str = "ReplicaSet") -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(
            name=name,
            namespace="drdrill-abc123",
            labels={"app": app},
            owner_references=[client.V1OwnerReference(api_version="v1", kind=owner, name=app, uid="u")],
        ),
        spec=client.V1PodSpec(node_name=node, containers=[]),
    )


def _app_node(pod: client.V1Pod) -> tuple[str, str]:
    assert pod.metadata is not None and pod.metadata.labels and pod.spec is not None
    return pod.metadata.labels["app"], str(pod.spec.node_name)


@dataclass
class Core:
    """Stands in for the Kubernetes core API: the nodes and pods it is given; records what is done to them. It
    has no ``list_pod_for_all_namespaces``: a drill's drain must not reach beyond its namespace."""

    pods: list[client.V1Pod] = field(default_factory=list)
    zones: dict[str, list[str]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    refuse_eviction: int | None = None

    def list_namespaced_pod(
        self, namespace: str, label_selector: str = "", field_selector: str = ""
    ) -> Items:
        assert namespace == "drdrill-abc123"
        on = field_selector.removeprefix("spec.nodeName=")
        apps = {label_selector.removeprefix("app=")} if label_selector else None
        return Items(
            [
                p
                for p in self.pods
                if (not field_selector or _app_node(p)[1] == on) and (apps is None or _app_node(p)[0] in apps)
            ]
        )

    def delete_namespaced_pod(self, name: str, namespace: str, grace_period_seconds: int | None) -> None:
        self.done.append(f"delete {name} grace={grace_period_seconds}")

    def list_node(self, label_selector: str) -> Items:
        zone = label_selector.split("=", 1)[1]
        return Items([client.V1Node(metadata=client.V1ObjectMeta(name=n)) for n in self.zones.get(zone, [])])

    def patch_node(self, name: str, body: dict[str, Any]) -> None:
        self.done.append(f"{'cordon' if body['spec']['unschedulable'] else 'uncordon'} {name}")

    def create_namespaced_pod_eviction(self, name: str, namespace: str, body: client.V1Eviction) -> None:
        if self.refuse_eviction is not None:
            raise ApiException(status=self.refuse_eviction, reason="Too Many Requests")
        self.done.append(f"evict {namespace}/{name}")


@dataclass
class Apps:
    """Stands in for the Kubernetes apps API's scale subresource of Deployments."""

    replicas: dict[str, int]
    done: list[str] = field(default_factory=list)

    def read_namespaced_deployment_scale(self, name: str, namespace: str) -> client.V1Scale:
        return client.V1Scale(spec=client.V1ScaleSpec(replicas=self.replicas[name]))

    def patch_namespaced_deployment_scale(self, name: str, namespace: str, body: dict[str, Any]) -> None:
        self.replicas[name] = body["spec"]["replicas"]
        self.done.append(f"scale {name} {body['spec']['replicas']}")

    def read_namespaced_stateful_set_scale(self, name: str, namespace: str) -> client.V1Scale:
        raise AssertionError("the Q&A example runs no StatefulSet")

    patch_namespaced_stateful_set_scale = read_namespaced_stateful_set_scale


@pytest.fixture
def kube(prepared: Prepared, monkeypatch: pytest.MonkeyPatch) -> tuple[KubernetesStack, Core, Apps]:
    stack, _ = prepared
    core = Core(
        pods=[
            _pod("api-1", "api", "drdrill-zone-a"),
            _pod("api-2", "api", "drdrill-zone-b"),
            _pod("redis-1", "redis", "drdrill-zone-a"),
            _pod("agent-1", "node-agent", "drdrill-zone-a", owner="DaemonSet"),
        ],
        zones={"zone-a": ["drdrill-zone-a"], "zone-b": ["drdrill-zone-b"]},
    )
    apps = Apps({"worker": 2})
    monkeypatch.setattr(stack, "_client", lambda: None)
    monkeypatch.setattr(client, "CoreV1Api", lambda api: core)
    monkeypatch.setattr(client, "AppsV1Api", lambda api: apps)
    return stack, core, apps


def test_kubernetes_plays_the_container_faults_itself_and_compose_through_the_container(
    prepared: Prepared,
) -> None:
    stack, _ = prepared
    assert isinstance(stack, ServiceFaults) and isinstance(stack, NodeZones)
    assert isinstance(DockerContainers(FakeStaging({})), ServiceFaults)
    # compose's stack is not a ServiceFaults: its container faults stay on the container, as before
    assert not isinstance(StagingStack.__new__(StagingStack), ServiceFaults)
    slot = ControlSlot()
    slot.attach(stack)
    assert slot.service_faults() is stack
    compose = ControlSlot()
    compose.attach(FakeStaging({}))
    assert compose.service_faults() is None


def test_a_kill_deletes_the_services_pods_with_no_grace_or_with_theirs_for_sigterm(
    kube: tuple[KubernetesStack, Core, Apps],
) -> None:
    stack, core, _ = kube
    fault = ContainerFault(stack, "api", "api", "kill")
    fault.check_backend(stack)
    assert fault.label == "kill api (SIGKILL: pods deleted with no grace, their controller makes new ones)"
    fault.apply()
    assert core.done == ["delete api-1 grace=0", "delete api-2 grace=0"]
    fault.revert()  # nothing to bring back: the Deployment makes new pods
    assert core.done == ["delete api-1 grace=0", "delete api-2 grace=0"]
    term = ContainerFault(stack, "api", "api", "kill", "SIGTERM")
    term.check_backend(stack)
    assert (
        term.label
        == "kill api (SIGTERM: pods deleted with their grace period, their controller makes new ones)"
    )
    term.apply()
    assert core.done[2:] == ["delete api-1 grace=None", "delete api-2 grace=None"]


def test_a_stop_scales_the_services_workloads_to_zero_and_the_revert_to_what_they_had(
    kube: tuple[KubernetesStack, Core, Apps],
) -> None:
    stack, _, apps = kube
    fault = ContainerFault(stack, "worker", "worker", "stop")
    fault.check_backend(stack)
    assert fault.label == "stop worker (workloads scaled to 0, scaled back at the revert)"
    fault.apply()
    assert apps.done == ["scale worker 0"]
    fault.revert()
    fault.revert()  # safe twice: scaled back once
    assert apps.done == ["scale worker 0", "scale worker 2"]
    assert (
        stack.bring_back_service("worker")
        == "nothing to bring back: worker's pods are made again by their controller"
    )


def test_a_pause_and_a_kill_by_another_signal_are_refused_by_kubernetes_but_not_by_compose(
    prepared: Prepared,
) -> None:
    stack, _ = prepared
    with pytest.raises(
        UnsupportedFaultError, match=r"^a pod cannot be paused through the Kubernetes API; .*freeze"
    ):
        ContainerFault(stack, "worker", "worker", "pause").check_backend(stack)
    with pytest.raises(UnsupportedFaultError, match=r"never SIGQUIT; give signal: SIGTERM or SIGKILL"):
        ContainerFault(stack, "worker", "worker", "kill", "SIGQUIT").check_backend(stack)
    with pytest.raises(FaultError, match="could not pause the container of worker: a pod cannot be paused"):
        ContainerFault(stack, "worker", "worker", "pause").apply()  # had preflight been skipped
    compose = ContainerFault(FakeStaging({}), "worker", "worker", "pause")
    compose.check_backend(FakeStaging({}))  # compose pauses the container: nothing refused
    assert compose.label == "pause worker"


def test_on_compose_the_fault_acts_on_the_services_container_as_before() -> None:
    container = FakeContainer(FakeHelpdesk(FakeClock()))
    staging = FakeStaging({"worker": container})
    fault = ContainerFault(staging, "worker", "worker", "kill", "SIGTERM")
    fault.apply()
    fault.revert()
    assert container.calls == ["kill SIGTERM", "start"]
    assert fault.label == "kill worker (SIGTERM)"
    with pytest.raises(FaultError, match=r"cannot apply stop ghost: no container for service 'ghost'"):
        ContainerFault(staging, "ghost", "ghost", "stop").apply()


def test_a_drained_zone_cordons_its_nodes_evicts_only_the_drills_pods_and_is_uncordoned(
    kube: tuple[KubernetesStack, Core, Apps],
) -> None:
    stack, core, _ = kube
    assert stack.lose_zones(frozenset({"zone-a"}), "drain") == ["api", "redis"]
    assert core.done == [
        "cordon drdrill-zone-a",
        "evict drdrill-abc123/api-1",
        "evict drdrill-abc123/redis-1",
    ]  # the DaemonSet's pod stays, as kubectl drain leaves it; zone-b untouched
    assert stack.restore_zones(frozenset({"zone-a"})) == "zone(s) zone-a uncordoned"
    assert core.done[3:] == ["uncordon drdrill-zone-a"]


def test_a_drained_zone_left_cordoned_is_uncordoned_when_the_replica_stops(
    kube: tuple[KubernetesStack, Core, Apps],
) -> None:
    stack, core, _ = kube
    core.refuse_eviction = 429  # a disruption budget: the drain stops, its node already cordoned
    with pytest.raises(
        StagingError,
        match=r"could not drain zone zone-a: evicting pod drdrill-abc123/api-1: a PodDisruptionBudget forbids it",
    ):
        stack.lose_zones(frozenset({"zone-a"}), "drain")
    assert core.done == ["cordon drdrill-zone-a"]
    assert stack.stop() == 0
    assert core.done == ["cordon drdrill-zone-a", "uncordon drdrill-zone-a"]
