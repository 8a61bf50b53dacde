"""A real local Kubernetes cluster for drills, on this Docker host, with nothing pulled.

Three node containers on their own Docker network: a control plane (etcd, kube-apiserver, controller-manager,
scheduler, and a kubelet for the cluster's DNS only) and two workers labelled ``topology.kubernetes.io/zone``
``zone-a`` and ``zone-b``. Every node runs containerd and kubelet and kube-proxy as processes (no kubeadm), from
binaries built from the Go module proxy (``scripts/cluster.sh``). The API server is published on 127.0.0.1 only.

    python -m drdrill.staging.kube.cluster up --bin DIR     # build the node image, start the nodes, wait Ready
    python -m drdrill.staging.kube.cluster status           # nodes, zones, readiness; exit 1 when not up
    python -m drdrill.staging.kube.cluster load IMAGE...    # copy local images into every node (no registry)
    python -m drdrill.staging.kube.cluster down             # remove the nodes, their volumes and the network

The node containers run with every capability this machine allows except ``CAP_SYS_RESOURCE`` (which it does
not grant, so ``--privileged`` and kind fail here), and containerd is told not to raise ``oom_score_adj``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from drdrill.cachedir import cache_dir
from drdrill.staging import images
from drdrill.staging.kube import pki

Log = Callable[[str], None]

CONTEXT = "drdrill-local"
NETWORK = "drdrill-k8s"
LABEL = "io.drdrill.cluster"
NODE_REPOSITORY = "drdrill-cluster/node"
ROOTFS_REPOSITORY = "drdrill-cluster/rootfs"
PAUSE_IMAGE = "drdrill-cluster/pause:local"
COREDNS_IMAGE = "drdrill-cluster/coredns:local"
SERVICE_CIDR = "10.96.0.0/16"
API_SERVICE_ADDRESS = "10.96.0.1"
DNS_ADDRESS = "10.96.0.10"
CLUSTER_CIDR = "10.244.0.0/16"
ZONE_LABEL = "topology.kubernetes.io/zone"
ROLE_LABEL = "drdrill.io/role"
CONTROL_PLANE_TAINT = "drdrill.io/control-plane=true:NoSchedule"
DEFAULT_API_PORT = 16443
# The node image's Debian packages beyond minbase: the pod network (bridge and host-local CNI plugins, iptables,
# conntrack), what kubelet and containerd call (mount, nsenter, socat for port-forward) and a TLS trust store.
NODE_PACKAGES: tuple[str, ...] = (
    "iptables",
    "iproute2",
    "containernetworking-plugins",
    "conntrack",
    "socat",
    "ca-certificates",
    "procps",
    "kmod",
    "libseccomp2",
)
NODE_IMPORT_CHANGES: tuple[str, ...] = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    f'LABEL {LABEL}="rootfs"',
    'CMD ["/bin/bash"]',
)
# The binaries scripts/cluster.sh builds; the node image holds all of them.
BINARIES: tuple[str, ...] = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "runc",
)
READY_TIMEOUT_S = 240.0
DOCKER_TIMEOUT_S = 60.0


class ClusterError(RuntimeError):
    """The local cluster cannot be built, started or reached; the message says what and what to do."""


@dataclass(frozen=True)
class Node:
    """One node container: its name (also the Kubernetes node name), role, zone and pod subnet."""

    name: str
    role: str  # "control-plane" or "worker"
    zone: str | None
    pod_cidr: str

    @property
    def labels(self) -> str:
        labels = [f"{ROLE_LABEL}={self.role}"]
        if self.zone is not None:
            labels.append(f"{ZONE_LABEL}={self.zone}")
        return ",".join(labels)


NODES: tuple[Node, ...] = (
    Node("drdrill-control-plane", "control-plane", None, "10.244.0.0/24"),
    Node("drdrill-zone-a", "worker", "zone-a", "10.244.1.0/24"),
    Node("drdrill-zone-b", "worker", "zone-b", "10.244.2.0/24"),
)


# ------------------------------------------------------------------------------------------------ places


def state_dir() -> Path:
    """The cluster's certificates, node configurations and the host's kubeconfig."""
    return cache_dir() / "cluster" / "state"


def kubeconfig_path() -> Path:
    """The kubeconfig the host (and a drill) reaches the local cluster with: context ``drdrill-local``."""
    return state_dir() / "kubeconfig"


def api_port() -> int:
    return int(os.environ.get("DRDRILL_CLUSTER_API_PORT", str(DEFAULT_API_PORT)))


def node_script() -> Path:
    return Path(__file__).resolve().parent / "node" / "drdrill-node"


# ------------------------------------------------------------------------------------------------ docker


def _docker(*args: str, what: str, stdin: bytes | None = None, timeout: float = DOCKER_TIMEOUT_S) -> str:
    done = subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise ClusterError(f"{what} failed: {done.stderr.decode(errors='replace').strip()[-600:]}")
    return done.stdout.decode(errors="replace")


def _exists(kind: str, name: str) -> bool:
    done = subprocess.run(["docker", kind, "inspect", name], capture_output=True, check=False)
    return done.returncode == 0


# ------------------------------------------------------------------------------------------------ images


def _digest_files(paths: Sequence[Path], extra: Sequence[str]) -> str:
    def parts() -> Iterator[bytes]:
        for value in extra:
            yield value.encode()
        for path in paths:
            yield path.name.encode()
            yield path.read_bytes()

    return images._digest(parts())


def rootfs_tag() -> str:
    """The node root filesystem's tag: a hash of its packages, import options and the base builder."""
    recipe = json.dumps(
        {
            "builder": images.BUILDER_VERSION,
            "suite": images.SUITE,
            "packages": sorted(NODE_PACKAGES),
            "changes": list(NODE_IMPORT_CHANGES),
        },
        sort_keys=True,
    )
    return f"{ROOTFS_REPOSITORY}:{images._digest(iter([recipe.encode()]))}"


def _ensure_rootfs(log: Log) -> str:
    tag = rootfs_tag()
    if images._image_id(tag) is not None:
        log(f"node root filesystem cached ({tag})")
        return tag
    log(
        f"building the node root filesystem (debootstrap {images.SUITE} with {len(NODE_PACKAGES)} packages)..."
    )
    started = time.monotonic()
    work = cache_dir()
    work.mkdir(parents=True, exist_ok=True)
    rootfs = work / f"rootfs-node-{tag.rsplit(':', 1)[1]}"
    images._remove_rootfs(rootfs)
    try:
        images._debootstrap(rootfs, log, NODE_PACKAGES)
        images._import_rootfs(rootfs, tag, NODE_IMPORT_CHANGES)
    finally:
        images._remove_rootfs(rootfs)
    log(f"node root filesystem built ({tag}) in {time.monotonic() - started:.1f}s")
    return tag


def _require_binaries(bin_dir: Path) -> None:
    missing = [name for name in BINARIES if not (bin_dir / name).is_file()]
    if missing:
        raise ClusterError(
            f"{bin_dir} lacks {', '.join(missing)}: build the cluster binaries first "
            "(`./dev cluster up` does, or `source scripts/setup.sh scripts/cluster.sh && "
            "drdrill_ensure_cluster_binaries`)"
        )


NODE_DOCKERFILE = f"""ARG ROOTFS
FROM ${{ROOTFS}}
LABEL {LABEL}="node"
COPY bin/ /usr/local/bin/
COPY drdrill-node /usr/local/bin/drdrill-node
ENTRYPOINT ["/usr/local/bin/drdrill-node"]
"""


def node_tag(bin_dir: Path, rootfs: str) -> str:
    """The node image's tag: a hash of the root filesystem tag, the binaries' build stamp and the node script."""
    stamp = bin_dir.parent.name  # scripts/cluster.sh names the directory by the hash of what it built from
    return f"{NODE_REPOSITORY}:{_digest_files([node_script()], [rootfs, stamp, NODE_DOCKERFILE])}"


def _build_context(files: Sequence[tuple[Path, str]], dockerfile: str) -> tempfile.TemporaryDirectory[str]:
    context = tempfile.TemporaryDirectory(prefix="drdrill-cluster-image-")
    root = Path(context.name)
    for source, destination in files:
        target = root / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (root / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return context


def _ensure_node_image(bin_dir: Path, log: Log) -> str:
    rootfs = _ensure_rootfs(log)
    tag = node_tag(bin_dir, rootfs)
    if images._image_id(tag) is not None:
        log(f"node image cached ({tag})")
        return tag
    log("building the node image...")
    started = time.monotonic()
    files = [(bin_dir / name, f"bin/{name}") for name in BINARIES] + [(node_script(), "drdrill-node")]
    with _build_context(files, NODE_DOCKERFILE) as context:
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}
        done = subprocess.run(
            [
                "docker",
                "build",
                "--quiet",
                "--pull=false",
                "--build-arg",
                f"ROOTFS={rootfs}",
                "-t",
                tag,
                context,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(f"building the node image failed: {done.stderr.strip()[-600:]}")
    log(f"node image built ({tag}) in {time.monotonic() - started:.1f}s")
    return tag


def _import_binary_image(binary: Path, tag: str, entrypoint: Sequence[str], log: Log) -> None:
    """An image of one static binary and nothing else, by ``docker import`` (no base, no registry)."""
    if images._image_id(tag) is not None:
        labels = _docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag, what="inspect")
        if _digest_files([binary], []) in labels:
            return
    digest = _digest_files([binary], [])
    with tempfile.TemporaryDirectory(prefix="drdrill-cluster-binary-") as tmp:
        shutil.copy2(binary, Path(tmp) / binary.name)
        tar = subprocess.run(
            ["tar", "-C", tmp, "--numeric-owner", "--owner=0", "--group=0", "-c", binary.name],
            capture_output=True,
            check=True,
        ).stdout
    _docker(
        "import",
        "--change",
        f"ENTRYPOINT {json.dumps(list(entrypoint))}",
        "--change",
        f'LABEL {LABEL}="image" io.drdrill.content="{digest}"',
        "-",
        tag,
        what=f"importing {tag}",
        stdin=tar,
    )
    log(f"image {tag} made from {binary.name}")


# ------------------------------------------------------------------------------------------------ configuration


def _node_files(node: Node, address: str, addresses: dict[str, str], control_plane: str) -> dict[str, str]:
    """Every configuration file of ``node`` but its certificates, by file name."""
    server = "https://127.0.0.1:6443" if node.role == "control-plane" else f"https://{control_plane}:6443"
    env = {
        "NODE_NAME": node.name,
        "NODE_IP": address,
        "ROLE": node.role,
        "ZONE": node.zone or "",
        "POD_CIDR": node.pod_cidr,
        "SERVICE_CIDR": SERVICE_CIDR,
        "CLUSTER_CIDR": CLUSTER_CIDR,
        "NODE_LABELS": node.labels,
        "NODE_TAINTS": CONTROL_PLANE_TAINT if node.role == "control-plane" else "",
        "API_SERVER": server,
    }
    routes = "".join(
        f"{other.pod_cidr} {addresses[other.name]}\n" for other in NODES if other.name != node.name
    )
    conflist = {
        "cniVersion": "1.0.0",
        "name": "drdrill",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": node.pod_cidr}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    containerd = f"""version = 3
root = "/var/lib/containerd"
state = "/run/containerd"

[plugins.'io.containerd.cri.v1.runtime']
  # This machine grants no CAP_SYS_RESOURCE: runc must not try to raise a container's oom_score_adj.
  restrict_oom_score_adj = true

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = "/usr/local/bin/runc"

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ["/usr/lib/cni"]
  conf_dir = "/etc/cni/net.d"

[plugins.'io.containerd.cri.v1.images']
  # Images come from `docker save` into the node; nothing is pulled.
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "{PAUSE_IMAGE}"
"""
    kubelet = f"""apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {{enabled: false}}
  webhook: {{enabled: true}}
  x509: {{clientCAFile: /etc/drdrill-node/pki/ca.crt}}
authorization: {{mode: Webhook}}
tlsCertFile: /etc/drdrill-node/pki/kubelet.crt
tlsPrivateKeyFile: /etc/drdrill-node/pki/kubelet.key
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
cgroupDriver: cgroupfs
# Each node's pods under a cgroup of their own: the nodes share the host's cgroup tree.
cgroupRoot: /{node.name}
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [{DNS_ADDRESS}]
resolvConf: ""
podCIDR: {node.pod_cidr}
maxPods: 60
evictionHard: {{memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%"}}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
nodeStatusUpdateFrequency: 4s
serializeImagePulls: false
"""
    proxy = f"""apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {{kubeconfig: /etc/drdrill-node/kube-proxy.kubeconfig}}
mode: iptables
clusterCIDR: {CLUSTER_CIDR}
# The node's conntrack table is the host kernel's: leave its sizes and timeouts alone.
conntrack: {{maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}}
"""
    return {
        "node.env": "".join(f"{key}={json.dumps(value)}\n" for key, value in env.items()),
        "routes": routes,
        "10-drdrill.conflist": json.dumps(conflist, indent=2) + "\n",
        "containerd.toml": containerd,
        "kubelet.yaml": kubelet,
        "kube-proxy.yaml": proxy,
    }


def _write_configuration(addresses: dict[str, str], log: Log) -> None:
    root = state_dir()
    authority = root / "pki"
    # The node directories are bind mounts of running containers: fill them, never replace them.
    shutil.rmtree(authority, ignore_errors=True)
    pki.make_ca(authority)
    control_plane = next(node for node in NODES if node.role == "control-plane")
    cp_address = addresses[control_plane.name]
    pki.issue(
        authority,
        pki.Identity(
            "apiserver",
            "kube-apiserver",
            dns_names=(
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "localhost",
                control_plane.name,
            ),
            addresses=(API_SERVICE_ADDRESS, cp_address, "127.0.0.1"),
        ),
    )
    clients = {
        "admin": pki.Identity("admin", "drdrill-admin", ("system:masters",)),
        "apiserver-kubelet-client": pki.Identity(
            "apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",)
        ),
        "controller-manager": pki.Identity("controller-manager", "system:kube-controller-manager"),
        "scheduler": pki.Identity("scheduler", "system:kube-scheduler"),
        "kube-proxy": pki.Identity("kube-proxy", "system:kube-proxy"),
    }
    for identity in clients.values():
        pki.issue(authority, identity)
    for node in NODES:
        pki.issue(
            authority,
            pki.Identity(
                f"kubelet-{node.name}",
                f"system:node:{node.name}",
                ("system:nodes",),
                dns_names=(node.name,),
                addresses=(addresses[node.name],),
            ),
        )
    for node in NODES:
        directory = root / node.name
        (directory / "pki").mkdir(parents=True, exist_ok=True)
        local = "https://127.0.0.1:6443" if node.role == "control-plane" else f"https://{cp_address}:6443"
        for name in ("ca.crt",):
            shutil.copy2(authority / name, directory / "pki" / name)
        shutil.copy2(authority / f"kubelet-{node.name}.crt", directory / "pki" / "kubelet.crt")
        shutil.copy2(authority / f"kubelet-{node.name}.key", directory / "pki" / "kubelet.key")
        if node.role == "control-plane":
            for name in (
                "ca.key",
                "sa.key",
                "sa.pub",
                "apiserver.crt",
                "apiserver.key",
                "apiserver-kubelet-client.crt",
                "apiserver-kubelet-client.key",
            ):
                shutil.copy2(authority / name, directory / "pki" / name)
            for stem in ("admin", "controller-manager", "scheduler"):
                text = pki.kubeconfig(authority, stem, local, CONTEXT)
                (directory / f"{stem}.kubeconfig").write_text(text, encoding="utf-8")
        (directory / "kubelet.kubeconfig").write_text(
            pki.kubeconfig(authority, f"kubelet-{node.name}", local, CONTEXT), encoding="utf-8"
        )
        (directory / "kube-proxy.kubeconfig").write_text(
            pki.kubeconfig(authority, "kube-proxy", local, CONTEXT), encoding="utf-8"
        )
        for name, text in _node_files(node, addresses[node.name], addresses, cp_address).items():
            (directory / name).write_text(text, encoding="utf-8")
    kubeconfig_path().write_text(
        pki.kubeconfig(authority, "admin", f"https://127.0.0.1:{api_port()}", CONTEXT), encoding="utf-8"
    )
    kubeconfig_path().chmod(0o600)
    log(f"certificates and node configurations written ({root})")


# ------------------------------------------------------------------------------------------------ lifecycle


def _volume(node: Node, purpose: str) -> str:
    return f"{node.name}-{purpose}"


def _run_node(node: Node, tag: str) -> None:
    directory = state_dir() / node.name
    directory.mkdir(parents=True, exist_ok=True)
    args = [
        "run", "--detach", "--init", "--name", node.name, "--hostname", node.name,
        "--network", NETWORK, "--label", f"{LABEL}={CONTEXT}", "--label", f"{LABEL}.role={node.role}",
        # Every capability but the one this machine refuses (see the module's docstring).
        "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
        "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
        "--security-opt", "systempaths=unconfined", "--device-cgroup-rule", "a *:* rwm",
        "--device", "/dev/kmsg", "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "--volume", f"{_volume(node, 'containerd')}:/var/lib/containerd",
        "--volume", f"{_volume(node, 'kubelet')}:/var/lib/kubelet",
        "--volume", f"{directory}:/etc/drdrill-node:ro",
        "--tmpfs", "/run:rw,exec", "--tmpfs", "/tmp:rw,exec",
    ]  # fmt: skip
    if node.role == "control-plane":
        args += ["--publish", f"127.0.0.1:{api_port()}:6443"]
    _docker(*args, tag, what=f"starting node {node.name}")


def _addresses() -> dict[str, str]:
    found: dict[str, str] = {}
    for node in NODES:
        text = _docker(
            "inspect", "--format", f"{{{{(index .NetworkSettings.Networks \"{NETWORK}\").IPAddress}}}}", node.name,
            what=f"reading {node.name}'s address",
        ).strip()  # fmt: skip
        if not text:
            raise ClusterError(f"node {node.name} has no address on network {NETWORK}")
        found[node.name] = text
    return found


def kubectl(bin_dir: Path, *args: str, timeout: float = 30.0, stdin: str | None = None) -> str:
    """Run the built kubectl against the local cluster; raises with kubectl's words when it fails."""
    done = subprocess.run(
        [str(bin_dir / "kubectl"), "--kubeconfig", str(kubeconfig_path()), "--context", CONTEXT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise ClusterError(f"kubectl {' '.join(args)} failed: {done.stderr.strip()[-600:]}")
    return done.stdout


def _stopped_nodes() -> list[str]:
    done = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL}={CONTEXT}", "--filter", "status=exited",
         "--format", "{{.Names}}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.split()


def _node_log_tail(name: str, lines: int = 8) -> str:
    """The last lines of a stopped node's own log and of the daemon log that ended it."""
    shown = subprocess.run(
        ["docker", "logs", "--tail", str(lines), name], capture_output=True, text=True, check=False
    )
    with tempfile.TemporaryDirectory(prefix="drdrill-node-logs-") as tmp:
        subprocess.run(["docker", "cp", f"{name}:/var/log/drdrill", tmp], capture_output=True, check=False)
        tails = []
        for log_file in sorted(Path(tmp).glob("drdrill/*.log")):
            last = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
            if last and (" E" in last[0][:2] or "error" in last[0].lower() or "fail" in last[0].lower()):
                tails.append(f"  {log_file.stem}: {last[0][:400]}")
    return (shown.stdout + shown.stderr).strip() + ("\n" + "\n".join(tails) if tails else "")


def _wait(what: str, check: Callable[[], bool], timeout_s: float = READY_TIMEOUT_S) -> float:
    started = time.monotonic()
    while True:
        stopped = _stopped_nodes()
        if stopped:
            raise ClusterError(
                f"waiting for {what}, node {stopped[0]} stopped:\n{_node_log_tail(stopped[0])}"
            )
        try:
            if check():
                return time.monotonic() - started
        except (ClusterError, subprocess.TimeoutExpired):
            pass
        if time.monotonic() - started > timeout_s:
            raise ClusterError(
                f"{what} not within {timeout_s:.0f} s; node logs: docker exec NODE cat /var/log/drdrill/*.log"
            )
        time.sleep(0.5)


def _nodes_ready(bin_dir: Path) -> dict[str, bool]:
    listed = json.loads(kubectl(bin_dir, "get", "nodes", "-o", "json"))
    ready: dict[str, bool] = {}
    for item in listed["items"]:
        conditions = item["status"].get("conditions", [])
        ready[item["metadata"]["name"]] = any(
            c["type"] == "Ready" and c["status"] == "True" for c in conditions
        )
    return ready


def load_images(tags: Sequence[str], log: Log, nodes: Sequence[Node] = NODES) -> None:
    """Copy local images into every node's containerd (``docker save`` | ``ctr import``): no registry. A node
    that already holds an image of the same id (a marker in its containerd volume) is skipped."""
    for tag in tags:
        image_id = images._image_id(tag)
        if image_id is None:
            raise ClusterError(f"image {tag} is not on this Docker host: build it first")
        marker = f"/var/lib/containerd/drdrill-loaded/{image_id.replace(':', '-')}"
        wanted = [node for node in nodes if not _node_has(node, marker)]
        if not wanted:
            log(f"image {tag} already in every node")
            continue
        saved = subprocess.run(["docker", "save", tag], capture_output=True, check=False)
        if saved.returncode != 0:
            raise ClusterError(f"docker save {tag} failed: {saved.stderr.decode(errors='replace').strip()}")
        for node in wanted:
            _docker(
                "exec", "-i", node.name, "ctr", "--namespace", "k8s.io", "images", "import", "-",
                what=f"loading {tag} into {node.name}", stdin=saved.stdout, timeout=300.0,
            )  # fmt: skip
            _docker("exec", node.name, "sh", "-c", f"mkdir -p {marker.rsplit('/', 1)[0]} && touch {marker}",
                    what=f"marking {tag} loaded in {node.name}")  # fmt: skip
        log(f"image {tag} loaded into {len(wanted)} node(s)")


def _node_has(node: Node, path: str) -> bool:
    done = subprocess.run(["docker", "exec", node.name, "test", "-e", path], capture_output=True, check=False)
    return done.returncode == 0


def _dns_manifest() -> str:
    return f"""apiVersion: v1
kind: ServiceAccount
metadata: {{name: coredns, namespace: kube-system}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: drdrill:coredns}}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: drdrill:coredns}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: drdrill:coredns}}
subjects: [{{kind: ServiceAccount, name: coredns, namespace: kube-system}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: coredns, namespace: kube-system}}
data:
  Corefile: |
    .:53 {{
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {{
            pods insecure
            ttl 5
        }}
        cache 5
    }}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: coredns, namespace: kube-system, labels: {{k8s-app: kube-dns}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{k8s-app: kube-dns}}}}
  template:
    metadata: {{labels: {{k8s-app: kube-dns}}}}
    spec:
      serviceAccountName: coredns
      # On the control plane: a drill that takes a zone down leaves the cluster's DNS standing.
      nodeSelector: {{{ROLE_LABEL}: control-plane}}
      tolerations: [{{key: drdrill.io/control-plane, operator: Exists, effect: NoSchedule}}]
      dnsPolicy: Default
      containers:
      - name: coredns
        image: {COREDNS_IMAGE}
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        volumeMounts: [{{name: config, mountPath: /etc/coredns}}]
        ports:
        - {{containerPort: 53, name: dns, protocol: UDP}}
        - {{containerPort: 53, name: dns-tcp, protocol: TCP}}
        readinessProbe: {{httpGet: {{path: /ready, port: 8181}}, periodSeconds: 2}}
      volumes: [{{name: config, configMap: {{name: coredns}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: kube-dns, namespace: kube-system, labels: {{k8s-app: kube-dns}}}}
spec:
  clusterIP: {DNS_ADDRESS}
  selector: {{k8s-app: kube-dns}}
  ports:
  - {{name: dns, port: 53, protocol: UDP}}
  - {{name: dns-tcp, port: 53, protocol: TCP}}
"""


def up(bin_dir: Path, log: Log) -> None:
    """Build what is missing, start the nodes, and wait until every node is Ready and DNS answers."""
    started = time.monotonic()
    _require_binaries(bin_dir)
    images.check_docker()
    tag = _ensure_node_image(bin_dir, log)
    _import_binary_image(bin_dir / "pause", PAUSE_IMAGE, ["/pause"], log)
    _import_binary_image(bin_dir / "coredns", COREDNS_IMAGE, ["/coredns"], log)
    if all(_exists("container", node.name) for node in NODES) and _answers(bin_dir):
        running = {_docker("inspect", "-f", "{{.Config.Image}}", node.name, what="reading a node's image").strip()
                   for node in NODES}  # fmt: skip
        if running == {tag}:
            log("cluster already up")
            return
        log(f"the nodes run {', '.join(sorted(running))}, not {tag}: recreating them")
    down(log, quiet=True)
    _docker(
        "network", "create", "--label", f"{LABEL}={CONTEXT}", NETWORK, what="creating the cluster network"
    )
    for node in NODES:
        _run_node(node, tag)
    addresses = _addresses()
    _write_configuration(addresses, log)
    for node in NODES:
        (state_dir() / node.name / "ready").touch()
    link = state_dir() / "kubectl"  # the kubectl a drill on this cluster renders and applies with
    link.unlink(missing_ok=True)
    link.symlink_to(bin_dir / "kubectl")
    took = _wait("the API server answering", lambda: _answers(bin_dir))
    log(f"API server answering at https://127.0.0.1:{api_port()} ({took:.1f}s)")
    for node in NODES:
        _wait(f"containerd on {node.name}", partial(_containerd_answers, node))
    load_images([PAUSE_IMAGE, COREDNS_IMAGE], log)
    took = _wait(
        "every node Ready",
        lambda: (ready := _nodes_ready(bin_dir)).keys() >= {n.name for n in NODES} and all(ready.values()),
    )
    log(f"{len(NODES)} nodes Ready ({took:.1f}s)")
    kubectl(bin_dir, "apply", "-f", "-", stdin=_dns_manifest())
    took = _wait("the cluster DNS ready", lambda: _dns_ready(bin_dir))
    log(f"cluster DNS ready ({took:.1f}s)")
    log(
        f"cluster up in {time.monotonic() - started:.1f}s; kubeconfig {kubeconfig_path()} (context {CONTEXT})"
    )


def _answers(bin_dir: Path) -> bool:
    if not kubeconfig_path().is_file():
        return False
    try:
        return kubectl(bin_dir, "get", "--raw", "/readyz", timeout=5.0).strip() == "ok"
    except (ClusterError, subprocess.TimeoutExpired):
        return False


def _containerd_answers(node: Node) -> bool:
    done = subprocess.run(["docker", "exec", node.name, "ctr", "version"], capture_output=True, check=False)
    return done.returncode == 0


def _dns_ready(bin_dir: Path) -> bool:
    text = kubectl(
        bin_dir, "-n", "kube-system", "get", "deployment", "coredns", "-o", "jsonpath={.status.readyReplicas}"
    )
    return text.strip() == "1"


def down(log: Log, quiet: bool = False) -> int:
    """Remove the node containers, their volumes, the network and the state; returns how many objects went."""
    removed = 0
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={LABEL}={CONTEXT}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if listed:
        _docker("rm", "--force", "--volumes", *listed, what="removing the node containers")
        removed += len(listed)
    for node in NODES:
        for purpose in ("containerd", "kubelet"):
            if _exists("volume", _volume(node, purpose)):
                _docker("volume", "rm", "--force", _volume(node, purpose), what="removing a node volume")
                removed += 1
    if _exists("network", NETWORK):
        _docker("network", "rm", NETWORK, what="removing the cluster network")
        removed += 1
    if state_dir().exists():
        shutil.rmtree(state_dir())
    for node in NODES:
        _remove_cgroups(Path("/sys/fs/cgroup"), node.name)
    if not quiet:
        log(f"cluster down ({removed} object(s) removed)")
    return removed


def _remove_cgroups(root: Path, name: str) -> None:
    """Remove the cgroups a node's pods left in the host's tree (``<hierarchy>/<node>/...``), deepest first; a
    cgroup that still holds a process stays (rmdir refuses)."""
    for hierarchy in sorted(root.glob("*")):
        top = hierarchy / name
        if hierarchy.is_symlink() or not top.is_dir():
            continue
        for directory in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(OSError):
            top.rmdir()


def status(bin_dir: Path | None, log: Log) -> bool:
    """Say which nodes run and whether each is Ready, with its zone; True when the whole cluster is up."""
    running = {
        node.name: _exists("container", node.name)
        and _docker("inspect", "--format", "{{.State.Running}}", node.name, what="inspect").strip() == "true"
        for node in NODES
    }
    for node in NODES:
        log(f"{node.name}: container {'running' if running[node.name] else 'not running'}")
    if not any(running.values()) or bin_dir is None:
        return False
    try:
        ready = _nodes_ready(bin_dir)
    except ClusterError as exc:
        log(f"API server: not answering ({exc})")
        return False
    for node in NODES:
        zone = node.zone or "no zone"
        log(f"node {node.name} ({node.role}, {zone}): {'Ready' if ready.get(node.name) else 'not Ready'}")
    return all(ready.get(node.name, False) for node in NODES)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv

    def say(line: str) -> None:
        print(line, flush=True)

    bin_dir: Path | None = None
    if "--bin" in args:
        at = args.index("--bin")
        bin_dir = Path(args[at + 1])
        args = args[:at] + args[at + 2 :]
    try:
        if args == ["up"] and bin_dir is not None:
            up(bin_dir, say)
            return 0
        if args == ["down"]:
            down(say)
            return 0
        if args == ["status"]:
            return 0 if status(bin_dir, say) else 1
        if args[:1] == ["load"] and len(args) > 1:
            load_images(args[1:], say)
            return 0
    except (ClusterError, pki.PkiError, images.ImageBuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        "usage: python -m drdrill.staging.kube.cluster [--bin DIR] up|down|status|load IMAGE...",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
