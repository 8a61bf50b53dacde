"""scripts/setup.sh as a fresh machine meets it, without touching this machine.

Each test sources the script in ``bash`` under ``set -euo pipefail`` (as ``./dev`` does) with a ``PATH`` that holds
only a few real tools and stand-ins for what the set-up drives: ``apt-get``, ``dpkg``, ``docker``, ``dockerd``,
``go`` and the venv's ``python``. The stand-ins record every call in a log and "install" by writing further
stand-ins, so an install branch runs end to end and the real apt-get or Docker engine is never called.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "setup.sh"
# Real tools the script uses besides the ones it installs or drives; everything else is absent.
REAL_TOOLS = (
    "awk",
    "basename",
    "cat",
    "cut",
    "dirname",
    "grep",
    "head",
    "install",
    "mkdir",
    "mktemp",
    "nohup",
    "rm",
    "setsid",
    "sha256sum",
    "sleep",
    "timeout",
    "touch",
)

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or any(shutil.which(t) is None for t in REAL_TOOLS),
    reason="needs bash and coreutils",
)

# Every stand-in appends "<name> <args>" to $FAKE_LOG. $FAKE_BIN is the stand-ins' directory (first on PATH).
SHIMS = {
    "id": """\
        #!/bin/sh
        echo 0
        """,
    "apt-get": """\
        #!/bin/sh
        echo "apt-get $*" >>"$FAKE_LOG"
        for arg in "$@"; do
            case "$arg" in
            docker.io)
                cp "$FAKE_SPARE/docker" "$FAKE_SPARE/dockerd" "$FAKE_BIN/" ;;
            debootstrap)
                cp "$FAKE_SPARE/debootstrap" "$FAKE_BIN/" ;;
            docker-compose)
                : >docker-compose_2.26.1-4_amd64.deb ;;
            esac
        done
        """,
    "dpkg": """\
        #!/bin/sh
        echo "dpkg $*" >>"$FAKE_LOG"
        mkdir -p "$3/usr/libexec/docker/cli-plugins"
        printf '#!/bin/sh\\necho 2.26.1\\n' >"$3/usr/libexec/docker/cli-plugins/docker-compose"
        chmod +x "$3/usr/libexec/docker/cli-plugins/docker-compose"
        """,
    "go": """\
        #!/bin/sh
        echo "go $* GOBIN=${GOBIN:+set} CGO_ENABLED=$CGO_ENABLED" >>"$FAKE_LOG"
        printf '#!/bin/sh\\necho toxiproxy-server version 2.12.0\\n' >"$GOBIN/server"
        chmod +x "$GOBIN/server"
        """,
    "python": """\
        #!/bin/sh
        echo "python $*" >>"$FAKE_LOG"
        case "$*" in
        "-m drdrill.staging.images status")
            printf '%s\\n' "$FAKE_IMAGES_STATUS"
            case "$FAKE_IMAGES_STATUS" in *": missing"*) exit 1 ;; esac ;;
        "-m drdrill.staging.images wheels "*)
            [ -z "${FAKE_PIP_OFFLINE:-}" ] || exit 1 ;;
        "-V") echo "Python 3.11.7" ;;
        esac
        """,
}
# Installed by the apt-get stand-in. docker answers once dockerd ran; its compose plugin once it is unpacked.
SPARE = {
    "docker": """\
        #!/bin/sh
        echo "docker $*" >>"$FAKE_LOG"
        case "$1" in
        version) [ -e "$FAKE_STATE/dockerd-running" ] && echo 24.0.7 ;;
        compose) [ -x "$DOCKER_CONFIG/cli-plugins/docker-compose" ] && "$DOCKER_CONFIG/cli-plugins/docker-compose" ;;
        *) exit 1 ;;
        esac
        """,
    "dockerd": """\
        #!/bin/sh
        echo "dockerd $*" >>"$FAKE_LOG"
        touch "$FAKE_STATE/dockerd-running"
        """,
    "debootstrap": """\
        #!/bin/sh
        echo "debootstrap $*" >>"$FAKE_LOG"
        """,
}
BASE_MISSING = "drdrill/base:0123abcd: missing\ndrdrill/claims-api:4567 (drdrill/claims-api:local): missing"
BASE_PRESENT = "drdrill/base:0123abcd: present\ndrdrill/claims-api:4567 (drdrill/claims-api:local): missing"


@dataclass
class Machine:
    """A fake fresh machine: stand-ins on PATH, a private HOME, cache and DRDRILL_ROOT."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def docker_config(self) -> Path:
        return self.root / "home" / ".docker"

    def install(self, name: str) -> None:
        """Put a program that is normally installed by the set-up on PATH already."""
        shutil.copy(self.root / "spare" / name, self.bin / name)

    def remove(self, name: str) -> None:
        (self.bin / name).unlink()

    def run(self, steps: str, images_status: str = BASE_MISSING) -> tuple[int, str, list[str]]:
        """Source setup.sh, run ``steps``; (exit status, stdout + stderr, the stand-ins' call log)."""
        log = self.root / "calls.log"
        log.write_text("", encoding="utf-8")
        env = {
            "PATH": f"{self.bin}:{self.root / 'tools'}",
            "HOME": str(self.root / "home"),
            "TMPDIR": str(self.root / "tmp"),
            "DOCKER_CONFIG": str(self.docker_config),
            "DRDRILL_ROOT": str(self.root / "project"),
            "DRDRILL_CACHE_DIR": str(self.cache),
            "DRDRILL_DEBOOTSTRAP": str(self.root / "nowhere" / "debootstrap"),
            "FAKE_LOG": str(log),
            "FAKE_BIN": str(self.bin),
            "FAKE_SPARE": str(self.root / "spare"),
            "FAKE_STATE": str(self.root / "state"),
            "FAKE_IMAGES_STATUS": images_status,
        }
        # The stale-pid-file check reads and may remove files under /var/run: record it instead.
        script = (
            f"set -euo pipefail\nsource {SETUP}\n"
            '_drdrill_clear_stale_pidfile() { echo "clear-pidfile $*" >>"$FAKE_LOG"; }\n'
            f"{steps}\n"
        )
        bash = shutil.which("bash")
        assert bash is not None
        done = subprocess.run(
            [bash, "--noprofile", "--norc", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        calls = log.read_text(encoding="utf-8").splitlines()
        return done.returncode, done.stdout + done.stderr, calls


def _write_shims(directory: Path, shims: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in shims.items():
        path = directory / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """No docker.io, no compose plugin, no toxiproxy-server, no debootstrap, no images; Go is present."""
    for name in ("home", "tmp", "state", "nowhere", "project/.venv/bin"):
        (tmp_path / name).mkdir(parents=True)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in REAL_TOOLS:
        real = shutil.which(tool)
        assert real is not None
        (tools / tool).symlink_to(real)
    for extra in ("cp", "chmod"):  # the stand-ins install stand-ins
        real = shutil.which(extra)
        assert real is not None
        (tools / extra).symlink_to(real)
    shims = dict(SHIMS)
    python = shims.pop("python")
    _write_shims(tmp_path / "bin", shims)
    _write_shims(tmp_path / "project" / ".venv" / "bin", {"python": python})
    _write_shims(tmp_path / "spare", SPARE)
    # A venv made for this very pyproject.toml (the stamp is its hash, as setup.sh writes it).
    pyproject = b"[project]\nname = 'drdrill'\n"
    (tmp_path / "project" / "pyproject.toml").write_bytes(pyproject)
    stamp = hashlib.sha256(pyproject).hexdigest()[:16]
    (tmp_path / "project" / ".venv" / ".drdrill-deps").write_text(f"{stamp}\n", encoding="utf-8")
    # The repository's stacks that unpack pinned wheels (one of the contexts setup.sh knows has none here).
    for context in ("compose/claims", "tests/ai/app"):
        (tmp_path / "project" / context).mkdir(parents=True)
        (tmp_path / "project" / context / "wheels.txt").write_text("openai==1 --hash=sha256:00\n")
    return Machine(tmp_path)


def _installs(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("apt-get") and " install " in f"{c} "]


def test_images_install_debootstrap_when_the_base_image_is_missing(machine: Machine) -> None:
    status, output, calls = machine.run("drdrill_ensure_images")
    assert status == 0, output
    assert _installs(calls) == ["apt-get install -y -q --no-install-recommends debootstrap"]
    assert calls.index("python -m drdrill.staging.images ensure") > calls.index(_installs(calls)[0])
    assert "debootstrap: missing, installing..." in output


def test_images_skip_debootstrap_when_only_other_images_are_missing(machine: Machine) -> None:
    status, output, calls = machine.run("drdrill_ensure_images", images_status=BASE_PRESENT)
    assert status == 0, output
    assert _installs(calls) == []
    assert calls[-1] == "python -m drdrill.staging.images ensure"


def test_images_skip_the_status_check_when_debootstrap_is_there(machine: Machine) -> None:
    machine.install("debootstrap")
    status, output, calls = machine.run("drdrill_ensure_images")
    assert status == 0, output
    assert calls == ["python -m drdrill.staging.images ensure"]


def test_docker_io_installed_and_dockerd_started(machine: Machine) -> None:
    status, output, calls = machine.run("drdrill_ensure_docker")
    assert status == 0, output
    assert _installs(calls) == ["apt-get install -y -q --no-install-recommends docker.io"]
    assert "dockerd " in calls
    assert output.splitlines()[0] == "docker engine: not installed, installing Debian's docker.io..."
    assert output.splitlines()[-1] == "docker engine: answering (server 24.0.7)"


def test_a_running_engine_is_left_alone(machine: Machine) -> None:
    machine.install("docker")
    (machine.root / "state" / "dockerd-running").touch()
    status, output, calls = machine.run("drdrill_ensure_docker")
    assert status == 0, output
    assert output == "docker engine: answering (server 24.0.7)\n"
    assert [c for c in calls if not c.startswith("docker ")] == []


def test_compose_plugin_unpacked_from_a_private_apt_source(machine: Machine) -> None:
    machine.install("docker")
    status, output, calls = machine.run("drdrill_ensure_compose")
    assert status == 0, output
    apt = [c for c in calls if c.startswith("apt-get")]
    assert [c.split()[-2:] for c in apt] == [["-q", "update"], ["download", "docker-compose"]]
    # Never /etc/apt: every apt-get call brings its own sources, lists and cache, and nothing is installed.
    assert all("-o Dir::Etc::SourceList=" in c and "-o Dir::State::status=/dev/null" in c for c in apt)
    assert _installs(calls) == []
    assert (machine.docker_config / "cli-plugins" / "docker-compose").is_file()
    assert output.splitlines()[-1] == (
        f"compose plugin: installed (v2.26.1, {machine.docker_config}/cli-plugins/docker-compose, "
        "from docker-compose_2.26.1-4_amd64.deb)"
    )


def test_toxiproxy_built_with_go_into_the_cache(machine: Machine) -> None:
    status, output, calls = machine.run("drdrill_ensure_toxiproxy")
    assert status == 0, output
    assert calls == [
        "go install -ldflags -s -w -X github.com/Shopify/toxiproxy/v2.Version=2.12.0 "
        "github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0 GOBIN=set CGO_ENABLED=0"
    ]
    assert (machine.cache / "bin" / "toxiproxy-server").is_file()
    assert output.splitlines()[-1] == (
        f"toxiproxy server: installed ({machine.cache}/bin/toxiproxy-server, toxiproxy-server version 2.12.0)"
    )


def test_toxiproxy_without_go_says_how_to_get_it(machine: Machine) -> None:
    machine.remove("go")
    status, output, _ = machine.run("drdrill_ensure_toxiproxy")
    assert status == 1
    assert output == (
        "error: toxiproxy-server not found and no Go toolchain: install Go (apt-get install golang-go) "
        "or put toxiproxy-server on PATH\n"
    )


def test_a_fresh_machine_gets_everything_in_order(machine: Machine) -> None:
    status, output, calls = machine.run("drdrill_ensure_all")
    assert status == 0, output
    assert _installs(calls) == [
        "apt-get install -y -q --no-install-recommends docker.io",
        "apt-get install -y -q --no-install-recommends debootstrap",
    ]
    assert [line.split(":")[0] for line in output.splitlines() if not line.startswith(" ")] == [
        "python venv",
        "docker engine",
        "docker engine",
        "docker engine",
        "compose plugin",
        "compose plugin",
        "toxiproxy server",
        "toxiproxy server",
        "debootstrap",
    ]
    project = machine.root / "project"
    assert calls[-2:] == [
        "python -m drdrill.staging.images ensure",
        f"python -m drdrill.staging.images wheels {project}/compose/claims {project}/tests/ai/app",
    ]
    # A second run finds every piece in place and installs nothing.
    status, output, calls = machine.run("drdrill_ensure_all", images_status=BASE_PRESENT)
    assert status == 0, output
    assert _installs(calls) == []
    assert [c for c in calls if c.startswith(("apt-get", "dpkg", "go", "dockerd"))] == []


def test_a_venv_made_for_other_dependencies_is_updated_once(machine: Machine) -> None:
    (machine.root / "project" / "pyproject.toml").write_text(
        "[project]\nname = 'drdrill'\n# a new dev tool\n"
    )
    status, output, calls = machine.run("drdrill_ensure_venv")
    assert status == 0, output
    venv = machine.root / "project" / ".venv"
    assert output.splitlines() == [
        f"python venv: pyproject.toml changed, updating drdrill[dev] in {venv} (~1 min)...",
        f"python venv: ready ({venv})",
    ]
    assert f"python -m pip install -q -e {machine.root / 'project'}[dev]" in calls
    status, output, calls = machine.run("drdrill_ensure_venv")
    assert output == f"python venv: present ({venv}, Python 3.11.7)\n"
    assert not [c for c in calls if "pip" in c]


def test_wheels_fetched_for_every_build_context_that_lists_them(machine: Machine) -> None:
    status, output, calls = machine.run("drdrill_ensure_wheels")
    assert status == 0, output
    project = machine.root / "project"
    # examples/qa-service is one of the contexts, but this project gives it no wheels.txt: it is not asked for
    assert calls == [
        f"python -m drdrill.staging.images wheels {project}/compose/claims {project}/tests/ai/app"
    ]


def test_wheels_that_cannot_be_fetched_fail_the_set_up_with_the_reason(machine: Machine) -> None:
    status, output, _ = machine.run("FAKE_PIP_OFFLINE=1 drdrill_ensure_wheels")
    assert status == 1
    assert output == (
        "error: fetching the pinned wheels failed (pip needs the package index once; then they are cached)\n"
    )


def test_no_wheels_file_no_fetch(machine: Machine) -> None:
    for context in ("compose/claims", "tests/ai/app"):
        (machine.root / "project" / context / "wheels.txt").unlink()
    status, output, calls = machine.run("drdrill_ensure_wheels")
    assert (status, output, calls) == (0, "wheels: no build context lists any\n", [])
