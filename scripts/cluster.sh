# shellcheck shell=bash
# The local Kubernetes cluster drdrill drills on when a plan names a Kubernetes staging. Source it after
# scripts/setup.sh, then:
#
#   drdrill_ensure_cluster_binaries   build Kubernetes, etcd, containerd, runc and CoreDNS from the Go module proxy,
#                                     cached by a hash of what they are built from (cold ~15 min, then a second)
#
# Nothing is pulled from a container registry: every binary is built here and every image is made locally.

DRDRILL_K8S_VERSION="v1.37.2"
DRDRILL_CONTAINERD_VERSION="v2.4.2"
DRDRILL_RUNC_VERSION="v1.4.3"
DRDRILL_COREDNS_VERSION="v1.15.0"
DRDRILL_CLUSTER_BUILD="$DRDRILL_ROOT/cluster/go"
# What the Kubernetes module builds (k8s.io/kubernetes/cmd/<name>), besides the module's own etcd and pause.
DRDRILL_K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl)

# A hash of everything the binaries are built from: the module files, the pinned versions, the Go toolchain.
_drdrill_cluster_stamp() {
    {
        cat "$DRDRILL_CLUSTER_BUILD/go.mod" "$DRDRILL_CLUSTER_BUILD/go.sum" "$DRDRILL_CLUSTER_BUILD/etcd/main.go" \
            "$DRDRILL_CLUSTER_BUILD/pause/main.go"
        echo "$DRDRILL_K8S_VERSION $DRDRILL_CONTAINERD_VERSION $DRDRILL_RUNC_VERSION $DRDRILL_COREDNS_VERSION"
        echo "${DRDRILL_K8S_COMMANDS[*]}"
        go version
    } | sha256sum | cut -c1-16
}

# The directory that holds (or will hold) the built binaries for this checkout.
drdrill_cluster_bin_dir() {
    echo "$DRDRILL_CACHE/cluster/$(_drdrill_cluster_stamp)/bin"
}

drdrill_ensure_cluster_binaries() {
    command -v go >/dev/null || {
        _drdrill_fail "no Go toolchain: the local cluster is built from Go modules (apt-get install golang-go)"
        return 1
    }
    local dir
    dir=$(drdrill_cluster_bin_dir)
    if [ -f "$dir/.complete" ]; then
        _drdrill_say "cluster binaries: present ($dir)"
        return 0
    fi
    # runc is a cgo program: it needs libseccomp's headers to build.
    if ! dpkg -s libseccomp-dev pkg-config >/dev/null 2>&1; then
        _drdrill_apt_install libseccomp-dev pkg-config || return 1
    fi
    local work log started=$SECONDS
    work="$(mktemp -d "${TMPDIR:-/tmp}/drdrill-cluster-build.XXXXXX")" || return 1
    log="$work/build.log"
    _drdrill_say "cluster binaries: building Kubernetes $DRDRILL_K8S_VERSION, etcd, containerd, runc, CoreDNS (cold ~15 min; log: $log)..."
    local minor=${DRDRILL_K8S_VERSION#v1.}
    minor=${minor%%.*}
    local stamp="-s -w"
    stamp+=" -X k8s.io/component-base/version.gitVersion=$DRDRILL_K8S_VERSION"
    stamp+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    stamp+=" -X k8s.io/client-go/pkg/version.gitVersion=$DRDRILL_K8S_VERSION"
    stamp+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    local packages=() name
    for name in "${DRDRILL_K8S_COMMANDS[@]}"; do packages+=("k8s.io/kubernetes/cmd/$name"); done
    mkdir -p "$work/bin"
    # Static binaries (no cgo): they run in the node image whatever its C library. runc alone needs cgo.
    if ! (cd "$DRDRILL_CLUSTER_BUILD" && CGO_ENABLED=0 go build -trimpath -ldflags "$stamp" -o "$work/bin/" \
        "${packages[@]}" ./etcd ./pause) >>"$log" 2>&1; then
        _drdrill_fail "building Kubernetes and etcd failed; log: $log"
        return 1
    fi
    if ! GOBIN="$work/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
        -tags "no_btrfs no_zfs no_devmapper no_aufs" \
        "github.com/containerd/containerd/v2/cmd/containerd@$DRDRILL_CONTAINERD_VERSION" \
        "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$DRDRILL_CONTAINERD_VERSION" \
        "github.com/containerd/containerd/v2/cmd/ctr@$DRDRILL_CONTAINERD_VERSION" >>"$log" 2>&1; then
        _drdrill_fail "building containerd failed; log: $log"
        return 1
    fi
    if ! GOBIN="$work/bin" CGO_ENABLED=1 go install -trimpath -ldflags "-s -w -extldflags -static" \
        -tags "seccomp netgo osusergo" "github.com/opencontainers/runc@$DRDRILL_RUNC_VERSION" >>"$log" 2>&1; then
        _drdrill_fail "building runc failed; log: $log"
        return 1
    fi
    if ! GOBIN="$work/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
        "github.com/coredns/coredns@$DRDRILL_COREDNS_VERSION" >>"$log" 2>&1; then
        _drdrill_fail "building CoreDNS failed; log: $log"
        return 1
    fi
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir"
    mv "$work/bin" "$dir"
    touch "$dir/.complete"
    rm -rf "$work"
    _drdrill_say "cluster binaries: built in $((SECONDS - started)) s ($dir, $(du -sh "$dir" | cut -f1))"
}
