"""ensure_images / missing_images against a fake docker CLI: build once, then everything is cached."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from drdrill.staging import images

FAKE_DOCKER = textwrap.dedent(
    """\
    #!/bin/bash
    # A docker CLI stand-in: images live in $FAKE_DOCKER_STATE as "<tag> <id>" lines.
    state="$FAKE_DOCKER_STATE"
    touch "$state"
    echo "$*" >>"$state.calls"
    id_of() { awk -v t="$1" '$1 == t {print $2}' "$state" | tail -n 1; }
    last() { local a; for a in "$@"; do :; done; printf '%s' "$a"; }
    case "$1" in
    version) echo "20.10.24" ;;
    image)
        id="$(id_of "$(last "$@")")"
        [ -n "$id" ] || exit 1
        echo "$id"
        ;;
    import)
        cat >/dev/null
        echo "$(last "$@") sha256:import$RANDOM" >>"$state"
        ;;
    build)
        tag=""
        while [ $# -gt 0 ]; do
            if [ "$1" = "--tag" ]; then tag="$2"; fi
            shift
        done
        echo "$tag sha256:build$RANDOM" >>"$state"
        ;;
    tag) echo "$3 $(id_of "$2")" >>"$state" ;;
    *) exit 2 ;;
    esac
    """
)


@pytest.fixture
def fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    toxiproxy = tmp_path / "toxiproxy-server"
    toxiproxy.write_bytes(b"fake server")
    state = tmp_path / "docker-state"
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_DOCKER_STATE", str(state))
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DRDRILL_TOXIPROXY_SERVER", str(toxiproxy))

    def fake_debootstrap(rootfs: Path, log: images.Log) -> None:
        (rootfs / "etc").mkdir(parents=True)
        (rootfs / "etc" / "debian_version").write_text("12.0\n")

    monkeypatch.setattr(images, "_debootstrap", fake_debootstrap)
    return state


def calls(state: Path) -> list[str]:
    path = Path(f"{state}.calls")
    return path.read_text().splitlines() if path.exists() else []


def commands(state: Path) -> list[str]:
    return [call.split()[0] for call in calls(state)]


def test_first_ensure_builds_everything_second_builds_nothing(fake_docker: Path, tmp_path: Path) -> None:
    assert len(images.missing_images()) == 4

    lines: list[str] = []
    images.ensure_images(lines.append)
    assert lines[0] == "building base image (debootstrap bookworm, ~1 min)..."
    assert any(
        line.startswith(f"base image built ({images.base_tag()} -> drdrill/base:local)") for line in lines
    )
    assert sum(line.startswith("building ") for line in lines) == 4
    assert commands(fake_docker).count("import") == 1
    assert commands(fake_docker).count("build") == 3
    assert not list((tmp_path / "cache").glob("rootfs-*")), "the rootfs is deleted after import"
    assert images.missing_images() == []

    before = len(calls(fake_docker))
    again: list[str] = []
    images.ensure_images(again.append)
    assert [line.split(" (")[0] for line in again] == [
        "base image cached",
        "provider simulator image cached",
        "notification sink image cached",
        "toxiproxy image cached",
    ]
    new_commands = [call.split()[0] for call in calls(fake_docker)[before:]]
    assert "build" not in new_commands
    assert "import" not in new_commands


def test_local_tags_point_at_the_hashed_builds(fake_docker: Path) -> None:
    images.ensure_images(lambda line: None)
    state = dict(line.split() for line in fake_docker.read_text().splitlines())
    base = images.base_tag()
    assert state["drdrill/base:local"] == state[base]  # what users' Dockerfiles build FROM
    local_tags = [spec.local_tag for spec in images.image_specs(images.find_toxiproxy_server())]
    assert local_tags == [
        "drdrill/provider-sim:local",
        "drdrill/notify-sink:local",
        "drdrill/toxiproxy:local",
    ]
    for spec in images.image_specs(images.find_toxiproxy_server()):
        assert state[spec.local_tag] == state[images.image_tag(spec, base)]


def test_a_stale_base_local_tag_is_missing_and_ensure_repoints_it(fake_docker: Path) -> None:
    images.ensure_images(lambda line: None)
    with fake_docker.open("a") as state:
        state.write("drdrill/base:local sha256:older\n")  # a base of other inputs still holds the tag
    assert images.missing_images() == [images.base_tag()]
    before = len(calls(fake_docker))
    images.ensure_images(lambda line: None)
    assert images.missing_images() == []
    new_commands = [call.split()[0] for call in calls(fake_docker)[before:]]
    assert "tag" in new_commands
    assert "build" not in new_commands
    assert "import" not in new_commands


def test_build_passes_the_base_and_never_pulls(fake_docker: Path) -> None:
    images.ensure_images(lambda line: None)
    builds = [call for call in calls(fake_docker) if call.startswith("build")]
    assert builds
    for build in builds:
        assert "--pull=false" in build
        assert f"BASE_IMAGE={images.base_tag()}" in build
