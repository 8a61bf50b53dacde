"""A drill uses only the kube context its plan names, and only a local one unless the plan says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.staging.kube.namespace import ContextRefusedError, check_context, namespace_name


def _kubeconfig(tmp_path: Path, contexts: dict[str, str]) -> Path:
    lines = ["apiVersion: v1", "kind: Config", "clusters:"]
    for name, server in contexts.items():
        lines += [f"- name: {name}-cluster", "  cluster:", f"    server: {server}"]
    lines.append("contexts:")
    for name in contexts:
        lines += [f"- name: {name}", "  context:", f"    cluster: {name}-cluster"]
    lines.append(f"current-context: {next(iter(contexts))}")
    path = tmp_path / "kubeconfig"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_named_local_context_is_used_whatever_the_current_one(tmp_path: Path) -> None:
    path = _kubeconfig(
        tmp_path, {"prod": "https://10.0.0.5:6443", "drdrill-local": "https://127.0.0.1:16443"}
    )
    context = check_context(path, "drdrill-local")
    assert context.server == "https://127.0.0.1:16443"


def test_a_remote_context_is_refused_and_the_refusal_names_the_host_and_the_way_out(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, {"staging": "https://k8s.example.internal:6443"})
    with pytest.raises(
        ContextRefusedError, match=r"k8s\.example\.internal, not on this machine.*allow_remote_context"
    ):
        check_context(path, "staging")
    assert check_context(path, "staging", allow_remote=True).name == "staging"


def test_a_context_the_kubeconfig_lacks_is_named_with_the_ones_it_has(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, {"a": "https://127.0.0.1:1", "b": "https://127.0.0.1:2"})
    with pytest.raises(
        ContextRefusedError, match=r"'drdrill-local', which .* does not have \(it has: a, b\)"
    ):
        check_context(path, "drdrill-local")


def test_an_unreadable_or_foreign_kubeconfig_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContextRefusedError, match="cannot read the kubeconfig"):
        check_context(tmp_path / "missing", "x")
    broken = tmp_path / "broken"
    broken.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ContextRefusedError, match="is not a kubeconfig"):
        check_context(broken, "x")


def test_a_namespace_name_is_a_valid_kubernetes_name() -> None:
    assert namespace_name("20261204T0900Z-Zone-Failure-1f2e") == "drdrill-20261204t0900z-zone-failure-1f2e"
    long = namespace_name("x" * 80 + "-")
    assert len(long) <= 63 and not long.endswith("-")
