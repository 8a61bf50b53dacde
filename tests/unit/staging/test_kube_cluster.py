"""The local cluster's node configurations, without Docker: each node's network, cgroups, labels and taints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from drdrill.staging.kube import cluster

ADDRESSES = {
    "drdrill-control-plane": "172.30.0.2",
    "drdrill-zone-a": "172.30.0.3",
    "drdrill-zone-b": "172.30.0.4",
}


def _files(name: str) -> dict[str, str]:
    node = next(node for node in cluster.NODES if node.name == name)
    return cluster._node_files(node, ADDRESSES[name], ADDRESSES, ADDRESSES["drdrill-control-plane"])


def _env(name: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in _files(name)["node.env"].splitlines())
    return {key: json.loads(value) for key, value in pairs}


def test_two_workers_in_two_zones_and_a_control_plane_without_one() -> None:
    zones = {node.name: node.zone for node in cluster.NODES}
    assert zones == {"drdrill-control-plane": None, "drdrill-zone-a": "zone-a", "drdrill-zone-b": "zone-b"}
    assert (
        _env("drdrill-zone-a")["NODE_LABELS"] == "drdrill.io/role=worker,topology.kubernetes.io/zone=zone-a"
    )
    assert _env("drdrill-control-plane")["NODE_LABELS"] == "drdrill.io/role=control-plane"


def test_only_the_control_plane_is_tainted() -> None:
    assert _env("drdrill-control-plane")["NODE_TAINTS"] == cluster.CONTROL_PLANE_TAINT
    assert _env("drdrill-zone-a")["NODE_TAINTS"] == ""


def test_each_node_routes_to_the_other_nodes_pods_and_bridges_its_own() -> None:
    routes = _files("drdrill-zone-a")["routes"].splitlines()
    assert routes == ["10.244.0.0/24 172.30.0.2", "10.244.2.0/24 172.30.0.4"]
    conflist = json.loads(_files("drdrill-zone-a")["10-drdrill.conflist"])
    assert conflist["plugins"][0]["ipam"]["ranges"] == [[{"subnet": "10.244.1.0/24"}]]
    subnets = {node.pod_cidr for node in cluster.NODES}
    assert len(subnets) == len(cluster.NODES)


def test_workers_reach_the_api_server_at_the_control_plane_and_it_at_loopback() -> None:
    assert _env("drdrill-zone-b")["API_SERVER"] == "https://172.30.0.2:6443"
    assert _env("drdrill-control-plane")["API_SERVER"] == "https://127.0.0.1:6443"


def test_each_kubelet_has_a_cgroup_root_of_its_own_and_tolerates_cgroup_v1() -> None:
    roots = set()
    for node in cluster.NODES:
        kubelet = YAML(typ="safe").load(_files(node.name)["kubelet.yaml"])
        roots.add(kubelet["cgroupRoot"])
        assert kubelet["failCgroupV1"] is False
        assert kubelet["clusterDNS"] == [cluster.DNS_ADDRESS]
        assert kubelet["podCIDR"] == node.pod_cidr
    assert len(roots) == len(cluster.NODES)


def test_containerd_never_raises_oom_score_adj_and_uses_the_local_sandbox_image() -> None:
    text = _files("drdrill-zone-a")["containerd.toml"]
    assert "restrict_oom_score_adj = true" in text
    assert f'sandbox = "{cluster.PAUSE_IMAGE}"' in text


def test_a_missing_binary_is_named_with_the_way_to_build_it(tmp_path: Path) -> None:
    for name in cluster.BINARIES:
        if name != "kubelet":
            (tmp_path / name).write_text("", encoding="utf-8")
    with pytest.raises(cluster.ClusterError, match=r"lacks kubelet: build the cluster binaries first"):
        cluster._require_binaries(tmp_path)


def test_the_node_image_tag_follows_the_binaries_and_the_root_filesystem(tmp_path: Path) -> None:
    one, two = tmp_path / "aaaa" / "bin", tmp_path / "bbbb" / "bin"
    assert cluster.node_tag(one, "rootfs:1") != cluster.node_tag(two, "rootfs:1")
    assert cluster.node_tag(one, "rootfs:1") != cluster.node_tag(one, "rootfs:2")
    assert cluster.node_tag(one, "rootfs:1") == cluster.node_tag(one, "rootfs:1")


def test_usage_without_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cluster.main([]) == 2
    assert "up|down|status|load" in capsys.readouterr().err


def test_down_removes_a_nodes_cgroups_deepest_first_and_leaves_others(tmp_path: Path) -> None:
    for hierarchy in ("memory", "cpu,cpuacct"):
        (tmp_path / hierarchy / "drdrill-zone-a" / "kubepods" / "besteffort" / "pod1").mkdir(parents=True)
        (tmp_path / hierarchy / "docker").mkdir(parents=True)
    (tmp_path / "cpu").symlink_to(tmp_path / "cpu,cpuacct")
    cluster._remove_cgroups(tmp_path, "drdrill-zone-a")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "cpu",
        "cpu,cpuacct",
        "cpu,cpuacct/docker",
        "memory",
        "memory/docker",
    ]
