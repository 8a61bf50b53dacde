"""Which staging back-end drills the plan: compose (the default) or Kubernetes (``--drill-staging=kubernetes``, or
a plan that names only a Kubernetes staging)."""

from __future__ import annotations

from drdrill.errors import DrdrillError
from drdrill.plan import Plan
from drdrill.staging.backend import StagingFactory

BACKENDS = ("compose", "kubernetes")


def staging_name(plan: Plan, asked: str | None) -> str:
    """The back-end's name: the one asked for, else compose when the plan names a compose file, else kubernetes
    when it names a Kubernetes staging. Raises, saying what to add to the plan, when it names neither asked."""
    topo = plan.staging_topology
    where = plan.source_dir / "plan.yaml"
    if asked is not None and asked not in BACKENDS:
        raise DrdrillError(f"--drill-staging={asked}: give one of {', '.join(BACKENDS)}")
    wanted = asked or (
        "kubernetes" if topo.compose_file is None and topo.kubernetes is not None else "compose"
    )
    if wanted == "kubernetes" and topo.kubernetes is None:
        raise DrdrillError(
            f"{where}: --drill-staging=kubernetes, but the plan names no Kubernetes staging; add "
            "staging_topology.kubernetes: {context: drdrill-local, manifests: <file or folder>}"
        )
    if wanted == "compose" and topo.compose_file is None and topo.kubernetes is not None:
        raise DrdrillError(
            f"{where}: --drill-staging=compose, but the plan names no compose_file; add "
            "staging_topology.compose_file, or drill its Kubernetes staging"
        )
    return wanted


def staging_factory(name: str) -> StagingFactory:
    """The back-end class of ``name`` (the Kubernetes one imported only when asked for: its client is heavy)."""
    if name == "kubernetes":
        from drdrill.staging.kube.stack import KubernetesStack  # noqa: PLC0415 - only for a Kubernetes drill

        return KubernetesStack
    from drdrill.staging.stack import StagingStack  # noqa: PLC0415

    return StagingStack
