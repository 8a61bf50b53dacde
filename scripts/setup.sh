# shellcheck shell=bash
# Machine setup for drdrill drills. Source it, then call the functions you need:
#
#   source scripts/setup.sh
#   drdrill_ensure_venv && drdrill_ensure_docker && drdrill_ensure_compose \
#     && drdrill_ensure_toxiproxy && drdrill_ensure_images && drdrill_ensure_wheels
#   # or all at once: drdrill_ensure_all
#
# Every function is idempotent: when its piece is already in place it prints one line and returns.
# Nothing is pulled from a container registry. System-wide changes happen only when a piece is
# missing: `apt-get install` (docker.io, debootstrap) and starting dockerd. /etc/apt is never touched:
# the compose plugin comes from Debian trixie through a private apt configuration.

DRDRILL_ROOT="${DRDRILL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
DRDRILL_CACHE="${DRDRILL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/drdrill}"
DRDRILL_TOXIPROXY_VERSION="v2.12.0"
DRDRILL_TOXIPROXY_MODULE="github.com/Shopify/toxiproxy/v2/cmd/server"
DRDRILL_DEBIAN_MIRROR="${DRDRILL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DRDRILL_DEBIAN_KEYRING="/usr/share/keyrings/debian-archive-keyring.gpg"
# Where debootstrap is installed when the sbin directories are not on PATH (a test points it elsewhere).
DRDRILL_DEBOOTSTRAP="${DRDRILL_DEBOOTSTRAP:-/usr/sbin/debootstrap}"

# testcontainers: talk to the docker host directly (this may run inside a container, where its
# default is the bridge gateway) and do without Ryuk, whose image cannot be pulled; drdrill's own
# label sweep does the cleanup instead.
export TESTCONTAINERS_CONNECTION_MODE=docker_host
export TESTCONTAINERS_RYUK_DISABLED=true
case ":$PATH:" in
*":$DRDRILL_CACHE/bin:"*) ;;
*) export PATH="$PATH:$DRDRILL_CACHE/bin" ;;
esac

_drdrill_say() { printf '%s\n' "$*"; }
_drdrill_fail() {
    printf 'error: %s\n' "$*" >&2
    return 1
}
_drdrill_is_root() { [ "$(id -u)" = 0 ]; }

# Run apt-get install for packages missing on this machine (root only). Quiet but with one line.
_drdrill_apt_install() {
    _drdrill_is_root || {
        _drdrill_fail "need root to apt-get install $*: run as root or install them yourself"
        return 1
    }
    _drdrill_say "  apt-get install $* ..."
    mkdir -p "$DRDRILL_CACHE"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        >"$DRDRILL_CACHE/apt-install.log" 2>&1; then
        # The package lists may be missing or stale on a fresh machine: refresh once and retry.
        apt-get update -q >>"$DRDRILL_CACHE/apt-install.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
            >>"$DRDRILL_CACHE/apt-install.log" 2>&1 || {
            _drdrill_fail "apt-get install $* failed (log: $DRDRILL_CACHE/apt-install.log)"
            return 1
        }
    fi
}

# The venv is stamped with a hash of pyproject.toml: a checkout whose dependencies changed (a new test tool, say)
# gets them installed on its next run, instead of failing later on an import.
_drdrill_deps_stamp() {
    { cat "$DRDRILL_ROOT/pyproject.toml" 2>/dev/null || true; } | sha256sum | cut -c1-16
}

drdrill_ensure_venv() {
    local venv="$DRDRILL_ROOT/.venv" want have
    want=$(_drdrill_deps_stamp)
    have=$(cat "$venv/.drdrill-deps" 2>/dev/null || true)
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import drdrill, pytest, testcontainers, redis' 2>/dev/null; then
        if [ "$have" = "$want" ]; then
            _drdrill_say "python venv: present ($venv, $("$venv/bin/python" -V 2>&1))"
            return 0
        fi
        _drdrill_say "python venv: pyproject.toml changed, updating drdrill[dev] in $venv (~1 min)..."
    else
        command -v python3 >/dev/null || {
            _drdrill_fail "python3 not found: install Python >= 3.11 (apt-get install python3 python3-venv)"
            return 1
        }
        _drdrill_say "python venv: creating $venv and installing drdrill[dev] (~1 min)..."
    fi
    mkdir -p "$DRDRILL_CACHE"
    if ! { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } >"$DRDRILL_CACHE/venv.log" 2>&1; then
        _drdrill_fail "python3 -m venv failed (apt-get install python3-venv?); log: $DRDRILL_CACHE/venv.log"
        return 1
    fi
    "$venv/bin/python" -m pip install -q -e "${DRDRILL_ROOT}[dev]" >>"$DRDRILL_CACHE/venv.log" 2>&1 || {
        _drdrill_fail "pip install -e .[dev] failed; log: $DRDRILL_CACHE/venv.log"
        return 1
    }
    printf '%s\n' "$want" >"$venv/.drdrill-deps"
    _drdrill_say "python venv: ready ($venv)"
}

_drdrill_engine_version() {
    timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null
}

# A dockerd that was killed (not stopped) leaves its pid file behind, and a new dockerd refuses to start
# while that pid names any process, even a zombie nobody reaped. Remove the file unless the pid is a live
# process of that name.
_drdrill_clear_stale_pidfile() {
    local file=$1 name=$2 pid state comm
    [ -f "$file" ] || return 0
    pid=$(cat "$file" 2>/dev/null)
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
        state=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
        comm=$(cat "/proc/$pid/comm" 2>/dev/null)
        if [ "$state" != "Z" ] && [ "$comm" = "$name" ]; then
            return 0
        fi
    fi
    _drdrill_say "docker engine: removing stale $file (pid ${pid:-?} is not a running $name)"
    rm -f "$file"
}

drdrill_ensure_docker() {
    local version
    mkdir -p "$DRDRILL_CACHE"
    if command -v docker >/dev/null && version="$(_drdrill_engine_version)" && [ -n "$version" ]; then
        _drdrill_say "docker engine: answering (server $version)"
        return 0
    fi
    if ! command -v dockerd >/dev/null; then
        _drdrill_say "docker engine: not installed, installing Debian's docker.io..."
        _drdrill_apt_install docker.io || return 1
    fi
    command -v docker >/dev/null || {
        _drdrill_fail "docker CLI not found after installing docker.io"
        return 1
    }
    # Maybe it is installed and only needs starting: through systemd when that runs, else by hand.
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        _drdrill_is_root || {
            _drdrill_fail "docker engine not answering and not root: ask an admin to run 'systemctl start docker', or add yourself to the docker group"
            return 1
        }
        _drdrill_say "docker engine: starting (systemctl start docker)..."
        systemctl start docker >/dev/null 2>&1 || true
    fi
    if ! version="$(_drdrill_engine_version)" || [ -z "$version" ]; then
        _drdrill_is_root || {
            _drdrill_fail "docker engine not answering and not root: start dockerd as root, or add yourself to the docker group"
            return 1
        }
        if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
            _drdrill_fail "docker engine at DOCKER_HOST=$DOCKER_HOST not answering; not starting a local dockerd"
            return 1
        fi
        _drdrill_clear_stale_pidfile /var/run/docker.pid dockerd
        _drdrill_clear_stale_pidfile /var/run/docker/containerd/containerd.pid containerd
        _drdrill_say "docker engine: starting dockerd (log: $DRDRILL_CACHE/dockerd.log)..."
        # Detached from this shell (its own session), so it outlives the terminal or CI step.
        setsid nohup dockerd >"$DRDRILL_CACHE/dockerd.log" 2>&1 </dev/null &
        local waited=0
        until version="$(_drdrill_engine_version)" && [ -n "$version" ]; do
            waited=$((waited + 1))
            if [ "$waited" -ge 60 ]; then
                _drdrill_fail "dockerd did not answer within 30 s; see $DRDRILL_CACHE/dockerd.log"
                return 1
            fi
            sleep 0.5
        done
    fi
    _drdrill_say "docker engine: answering (server $version)"
}

_drdrill_compose_version() {
    docker compose version --short 2>/dev/null
}

drdrill_ensure_compose() {
    local version plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    if version="$(_drdrill_compose_version)" && [ -n "$version" ]; then
        _drdrill_say "compose plugin: present (v${version#v})"
        return 0
    fi
    if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
        _drdrill_fail "docker compose v2 missing and no apt-get/dpkg: install the compose plugin (https://docs.docker.com/compose/install/linux/)"
        return 1
    fi
    _drdrill_say "compose plugin: missing, fetching Debian trixie's docker-compose package..."
    local tmp
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/drdrill-compose.XXXXXX")" || return 1
    mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/pkg"
    # A private apt configuration: its own sources, lists and cache; /etc/apt stays as it is.
    local source_options
    if [ -r "$DRDRILL_DEBIAN_KEYRING" ] &&
        gpg --no-default-keyring --keyring "$DRDRILL_DEBIAN_KEYRING" --list-keys 2>/dev/null | grep -q '(13/trixie)'; then
        source_options="[signed-by=$DRDRILL_DEBIAN_KEYRING]"
    else
        # Fallback for keyrings older than trixie: the download is then not signature-checked.
        _drdrill_say "  warning: $DRDRILL_DEBIAN_KEYRING has no trixie key; using [trusted=yes]"
        source_options="[trusted=yes]"
    fi
    echo "deb $source_options $DRDRILL_DEBIAN_MIRROR trixie main" >"$tmp/trixie.list"
    local apt_opts=(
        -o "Dir::Etc::SourceList=$tmp/trixie.list"
        -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$tmp/lists"
        -o "Dir::Cache=$tmp/cache"
        -o "Dir::State::status=/dev/null"
        -o "Debug::NoLocking=1"
        -o "APT::Sandbox::User=root"
    )
    if ! apt-get "${apt_opts[@]}" -q update >"$tmp/apt.log" 2>&1; then
        _drdrill_fail "apt-get update of the private trixie source failed; log: $tmp/apt.log"
        return 1
    fi
    if ! (cd "$tmp/pkg" && apt-get "${apt_opts[@]}" -q download docker-compose >>"$tmp/apt.log" 2>&1); then
        _drdrill_fail "apt-get download docker-compose (trixie) failed; log: $tmp/apt.log"
        return 1
    fi
    local deb=""
    for deb in "$tmp"/pkg/docker-compose_*.deb; do break; done
    if [ ! -f "$deb" ] || ! dpkg -x "$deb" "$tmp/root"; then
        _drdrill_fail "unpacking the docker-compose package failed; see $tmp"
        return 1
    fi
    local binary=""
    for candidate in "$tmp/root/usr/libexec/docker/cli-plugins/docker-compose" \
        "$tmp/root/usr/lib/docker/cli-plugins/docker-compose" "$tmp/root/usr/bin/docker-compose"; do
        if [ -x "$candidate" ]; then
            binary="$candidate"
            break
        fi
    done
    [ -n "$binary" ] || {
        _drdrill_fail "no docker-compose binary inside $deb"
        return 1
    }
    mkdir -p "$plugin_dir"
    install -m 0755 "$binary" "$plugin_dir/docker-compose"
    rm -rf "$tmp"
    version="$(_drdrill_compose_version)" || {
        _drdrill_fail "docker compose still not answering after installing $plugin_dir/docker-compose"
        return 1
    }
    _drdrill_say "compose plugin: installed (v${version#v}, $plugin_dir/docker-compose, from $(basename "$deb"))"
}

drdrill_ensure_toxiproxy() {
    local target_dir="$DRDRILL_CACHE/bin"
    local found
    if found="$(command -v toxiproxy-server)"; then
        _drdrill_say "toxiproxy server: present ($found)"
        return 0
    fi
    command -v go >/dev/null || {
        _drdrill_fail "toxiproxy-server not found and no Go toolchain: install Go (apt-get install golang-go) or put toxiproxy-server on PATH"
        return 1
    }
    _drdrill_say "toxiproxy server: go install $DRDRILL_TOXIPROXY_MODULE@$DRDRILL_TOXIPROXY_VERSION (~1 min)..."
    local gobin
    gobin="$(mktemp -d "${TMPDIR:-/tmp}/drdrill-gobin.XXXXXX")" || return 1
    # A static binary: it runs in the base image whatever the host's C library.
    # The version is stamped as Toxiproxy's own release builds do, so GET /version says v2.12.0.
    if ! GOBIN="$gobin" CGO_ENABLED=0 go install \
        -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=${DRDRILL_TOXIPROXY_VERSION#v}" \
        "$DRDRILL_TOXIPROXY_MODULE@$DRDRILL_TOXIPROXY_VERSION" >"$gobin/go.log" 2>&1; then
        _drdrill_fail "go install of toxiproxy failed; log: $gobin/go.log"
        return 1
    fi
    mkdir -p "$target_dir"
    install -m 0755 "$gobin/server" "$target_dir/toxiproxy-server"
    rm -rf "$gobin"
    _drdrill_say "toxiproxy server: installed ($target_dir/toxiproxy-server, $("$target_dir/toxiproxy-server" -version 2>&1 | head -n 1))"
}

drdrill_ensure_images() {
    local python="$DRDRILL_ROOT/.venv/bin/python"
    [ -x "$python" ] || python="python3"
    if ! command -v debootstrap >/dev/null && [ ! -x "$DRDRILL_DEBOOTSTRAP" ]; then
        # Needed only when the base image must be built: ask first whether it is.
        # Not a pipe: `status` exits 1 exactly when an image is missing, and under `set -o pipefail` that
        # would make the test false and skip the install when it is needed.
        local status
        status="$("$python" -m drdrill.staging.images status 2>/dev/null)" || true
        if grep -q '^drdrill/base:.*: missing' <<<"$status"; then
            _drdrill_say "debootstrap: missing, installing..."
            _drdrill_apt_install debootstrap || return 1
        fi
    fi
    "$python" -m drdrill.staging.images ensure
}

# The build contexts of this repository's own stacks whose images unpack pinned wheels (each one's wheels.txt:
# the official AI SDKs, a vector index library): fetched on the host by hash, cached, never committed, so an
# image build reaches no package index. A drill fetches them too before it builds; here a fresh machine gets
# them at set-up, while it is online.
DRDRILL_WHEEL_CONTEXTS=(compose/claims examples/qa-service tests/ai/app)

drdrill_ensure_wheels() {
    local python="$DRDRILL_ROOT/.venv/bin/python" context contexts=()
    [ -x "$python" ] || python="python3"
    for context in "${DRDRILL_WHEEL_CONTEXTS[@]}"; do
        [ -f "$DRDRILL_ROOT/$context/wheels.txt" ] && contexts+=("$DRDRILL_ROOT/$context")
    done
    if [ "${#contexts[@]}" -eq 0 ]; then
        _drdrill_say "wheels: no build context lists any"
        return 0
    fi
    "$python" -m drdrill.staging.images wheels "${contexts[@]}" || {
        _drdrill_fail "fetching the pinned wheels failed (pip needs the package index once; then they are cached)"
        return 1
    }
}

drdrill_ensure_all() {
    drdrill_ensure_venv && drdrill_ensure_docker && drdrill_ensure_compose &&
        drdrill_ensure_toxiproxy && drdrill_ensure_images && drdrill_ensure_wheels
}
