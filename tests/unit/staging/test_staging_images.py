"""Content hashes and error messages of the local image builds (no Docker needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from drdrill.cachedir import cache_dir
from drdrill.staging import images

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the drdrill package's image inputs (simulator, Dockerfiles) that the test may edit."""
    target = tmp_path / "drdrill"
    source = images.package_dir()
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(source / "simulator", target / "simulator", ignore=ignore)
    shutil.copytree(source / "staging" / "dockerfiles", target / "staging" / "dockerfiles", ignore=ignore)
    monkeypatch.setattr(images, "package_dir", lambda: target)
    return target


@pytest.fixture
def toxiproxy_binary(tmp_path: Path) -> Path:
    binary = tmp_path / "toxiproxy-server"
    binary.write_bytes(b"\x7fELF not really")
    binary.chmod(0o755)
    return binary


def app_tags(binary: Path, base: str = "drdrill/base:abc") -> list[str]:
    return [images.image_tag(spec, base) for spec in images.image_specs(binary)]


def test_base_tag_is_stable_and_short() -> None:
    tag = images.base_tag()
    assert tag == images.base_tag()
    repository, digest = tag.split(":")
    assert repository == "drdrill/base"
    assert len(digest) == 12
    assert set(digest) <= set("0123456789abcdef")
    assert images.BASE_LOCAL_TAG == "drdrill/base:local"


def test_base_tag_ignores_package_order_but_not_content() -> None:
    packages = images.BASE_PACKAGES
    assert images.base_tag(tuple(reversed(packages))) == images.base_tag(packages)
    assert images.base_tag((*packages, "iproute2")) != images.base_tag(packages)
    assert images.base_tag(packages, suite="trixie") != images.base_tag(packages)


def test_image_tags_are_stable(package: Path, toxiproxy_binary: Path) -> None:
    first = app_tags(toxiproxy_binary)
    assert first == app_tags(toxiproxy_binary)
    assert [tag.split(":")[0] for tag in first] == [
        "drdrill/provider-sim",
        "drdrill/notify-sink",
        "drdrill/toxiproxy",
    ]
    assert [len(tag.split(":")[1]) for tag in first] == [12, 12, 12]


def test_specs_build_from_the_package_not_from_an_example(toxiproxy_binary: Path) -> None:
    """The Dockerfiles and the simulator ship inside the drdrill package (pyproject: **/Dockerfile)."""
    package = REPO / "src" / "drdrill"
    assert images.package_dir() == package
    specs = images.image_specs(toxiproxy_binary)
    assert [spec.local_tag for spec in specs] == [
        "drdrill/provider-sim:local",
        "drdrill/notify-sink:local",
        "drdrill/toxiproxy:local",
    ]
    simulator, sink, toxiproxy = specs
    assert sink.context == ((package / "simulator" / "notify_sink.py", "notify_sink.py"),)
    assert simulator.dockerfile == package / "staging" / "dockerfiles" / "provider-sim" / "Dockerfile"
    assert simulator.context == ((package / "simulator" / "provider_sim.py", "provider_sim.py"),)
    assert toxiproxy.dockerfile == package / "staging" / "dockerfiles" / "toxiproxy" / "Dockerfile"
    assert toxiproxy.context == ((toxiproxy_binary, "toxiproxy-server"),)
    assert '"**/Dockerfile"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_image_tag_changes_with_code_dockerfile_and_base(package: Path, toxiproxy_binary: Path) -> None:
    before = app_tags(toxiproxy_binary)
    assert app_tags(toxiproxy_binary, base="drdrill/base:other") != before

    simulator = package / "simulator" / "provider_sim.py"
    simulator.write_text(simulator.read_text() + "\n# changed\n")
    after_code = app_tags(toxiproxy_binary)
    assert after_code[0] != before[0]
    assert after_code[1:] == before[1:]  # neither the sink nor the toxiproxy image contains the simulator

    dockerfile = package / "staging" / "dockerfiles" / "toxiproxy" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\n# changed\n")
    after_dockerfile = app_tags(toxiproxy_binary)
    assert after_dockerfile[2] != after_code[2]
    assert after_dockerfile[:2] == after_code[:2]


def test_simulator_tag_follows_its_executable_bit_not_its_neighbours(
    package: Path, toxiproxy_binary: Path
) -> None:
    before = app_tags(toxiproxy_binary)[0]
    (package / "simulator" / "notes.md").write_text("not in the image\n")
    (package / "simulator" / "__pycache__").mkdir()
    (package / "simulator" / "__pycache__" / "provider_sim.cpython-311.pyc").write_bytes(b"\x00" * 16)
    assert app_tags(toxiproxy_binary)[0] == before
    (package / "simulator" / "provider_sim.py").chmod(0o755)
    assert app_tags(toxiproxy_binary)[0] != before


def directory_spec(tmp_path: Path) -> images.ImageSpec:
    """An image whose context is a whole directory, as a Dockerfile with `COPY apps/` would have."""
    apps = tmp_path / "ctx" / "apps"
    apps.mkdir(parents=True)
    (apps / "main.py").write_text("print(1)\n")
    dockerfile = tmp_path / "ctx" / "Dockerfile"
    dockerfile.write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY apps/ /apps/\n")
    return images.ImageSpec(
        name="dir", repository="drdrill/dir", dockerfile=dockerfile, context=((apps, "apps"),)
    )


def test_directory_context_tag_changes_with_new_file_and_executable_bit(tmp_path: Path) -> None:
    spec = directory_spec(tmp_path)
    before = images.image_tag(spec, "drdrill/base:abc")
    extra = tmp_path / "ctx" / "apps" / "extra.py"
    extra.write_text("X = 1\n")
    with_file = images.image_tag(spec, "drdrill/base:abc")
    assert with_file != before
    extra.chmod(0o755)
    assert images.image_tag(spec, "drdrill/base:abc") != with_file


def test_directory_context_tag_ignores_bytecode_caches(tmp_path: Path) -> None:
    spec = directory_spec(tmp_path)
    before = images.image_tag(spec, "drdrill/base:abc")
    cache = tmp_path / "ctx" / "apps" / "__pycache__"
    cache.mkdir()
    (cache / "main.cpython-311.pyc").write_bytes(b"\x00" * 16)
    (tmp_path / "ctx" / "apps" / "stray.pyc").write_bytes(b"\x00" * 16)
    assert images.image_tag(spec, "drdrill/base:abc") == before


def test_toxiproxy_tag_follows_the_binary(package: Path, toxiproxy_binary: Path) -> None:
    before = app_tags(toxiproxy_binary)[2]
    toxiproxy_binary.write_bytes(b"\x7fELF another build")
    assert app_tags(toxiproxy_binary)[2] != before


def test_no_toxiproxy_binary_leaves_only_the_simulator_image() -> None:
    assert [spec.repository for spec in images.image_specs(None)] == [
        "drdrill/provider-sim",
        "drdrill/notify-sink",
    ]


def dockerfile_lines(name: str) -> list[str]:
    path = images.dockerfiles_dir() / name / "Dockerfile"
    return [
        line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]


@pytest.mark.parametrize("name", ["provider-sim", "toxiproxy"])
def test_dockerfiles_build_on_the_local_base_and_never_pull(name: str) -> None:
    lines = dockerfile_lines(name)
    assert [line for line in lines if line.startswith("FROM ")] == ["FROM ${BASE_IMAGE}"]
    assert lines[0] == "ARG BASE_IMAGE"
    assert f'LABEL io.drdrill.managed="true" io.drdrill.image="{name}"' in lines


def test_toxiproxy_image_has_no_baked_proxies() -> None:
    lines = dockerfile_lines("toxiproxy")
    assert 'CMD ["/usr/local/bin/toxiproxy-server", "-host", "0.0.0.0", "-port", "8474"]' in lines
    assert "EXPOSE 8474" in lines
    assert not any("-config" in line or "json" in line for line in lines)
    assert [line.split()[1] for line in lines if line.startswith("COPY ")] == ["toxiproxy-server"]


def test_simulator_image_runs_the_script_on_port_8000() -> None:
    lines = dockerfile_lines("provider-sim")
    assert 'CMD ["python3", "provider_sim.py"]' in lines
    assert "EXPOSE 8000" in lines
    assert "COPY provider_sim.py /opt/drdrill/simulator/provider_sim.py" in lines
    assert "WORKDIR /opt/drdrill/simulator" in lines


def test_cache_dir_respects_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DRDRILL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "drdrill"
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"


def test_toxiproxy_lookup_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toxiproxy_binary: Path
) -> None:
    monkeypatch.setenv("DRDRILL_TOXIPROXY_SERVER", str(toxiproxy_binary))
    assert images.find_toxiproxy_server() == toxiproxy_binary
    monkeypatch.setenv("DRDRILL_TOXIPROXY_SERVER", str(tmp_path / "absent"))
    assert images.find_toxiproxy_server() is None


def test_missing_toxiproxy_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRDRILL_TOXIPROXY_SERVER", str(tmp_path / "absent"))
    with pytest.raises(
        images.ImageBuildError, match=r"toxiproxy-server not found: run `source scripts/setup\.sh"
    ):
        images.ensure_images(lambda line: None)


def test_missing_docker_names_the_fix(monkeypatch: pytest.MonkeyPatch, toxiproxy_binary: Path) -> None:
    monkeypatch.setenv("DRDRILL_TOXIPROXY_SERVER", str(toxiproxy_binary))
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(
        images.ImageBuildError, match=r"docker CLI not found: install Docker \(apt-get install docker\.io\)"
    ):
        images.ensure_images(lambda line: None)
    with pytest.raises(images.ImageBuildError, match="docker CLI not found"):
        images.missing_images()


def test_missing_debootstrap_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(images.ImageBuildError, match=r"apt-get install -y debootstrap"):
        images._debootstrap(tmp_path / "rootfs", lambda line: None)


def test_cli_usage_and_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert images.main(["build"]) == 2
    assert "usage: python -m drdrill.staging.images ensure|status|prune" in capsys.readouterr().err
    monkeypatch.setenv("DRDRILL_TOXIPROXY_SERVER", str(tmp_path / "absent"))
    assert images.main(["ensure"]) == 1
    assert capsys.readouterr().err.startswith("error: toxiproxy-server not found")


def test_long_commands_echo_their_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "PROGRESS_EVERY_S", 0.0)
    said: list[str] = []
    code, output = images._run_with_progress(
        ["sh", "-c", "echo 'I: Retrieving'; echo; echo 'I: Unpacking' >&2; exit 3"], said.append, "base image"
    )
    assert code == 3
    assert output == ["I: Retrieving", "I: Unpacking"]
    assert said == ["base image: I: Retrieving", "base image: I: Unpacking"]


WHEELS = "# --platform manylinux_2_28_x86_64 --python-version 3.11\nusearch==2.26.6 --hash=sha256:00\n"


def _fake_pip(calls: list[list[str]], made: dict[str, bytes]) -> Any:
    """pip download, played: record the command, write the wheels into --dest."""

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        dest = Path(command[command.index("--dest") + 1])
        for name, content in made.items():
            (dest / name).write_bytes(content)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_a_build_context_gets_its_pinned_wheels_once_then_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(tmp_path / "cache"))
    context = tmp_path / "ctx"
    context.mkdir()
    assert images.ensure_wheels(context, lambda line: None) is None  # no wheels.txt: nothing to fetch
    (context / "wheels.txt").write_text(WHEELS)
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", _fake_pip(calls, {"usearch-2.26.6-cp311.whl": b"zip"}))
    (context / "wheels").mkdir()
    (context / "wheels" / "numpy-1.0-old.whl").write_bytes(b"stale")

    target = images.ensure_wheels(context, lambda line: None)

    assert target == context / "wheels"
    assert sorted(p.name for p in target.iterdir()) == ["usearch-2.26.6-cp311.whl"]  # the stale one went
    (command,) = calls
    # binary wheels only, checked against their hashes, for the image's Python (the file's own target line)
    assert command[1:5] == ["-m", "pip", "download", "--quiet"]
    for flag in ("--only-binary=:all:", "--require-hashes", "--no-deps"):
        assert flag in command
    assert command[command.index("--platform") + 1] == "manylinux_2_28_x86_64"
    assert command[command.index("--python-version") + 1] == "3.11"
    # a second context with the same file is filled from the cache: pip is not asked again
    other = tmp_path / "ctx2"
    other.mkdir()
    (other / "wheels.txt").write_text(WHEELS)
    assert images.ensure_wheels(other, lambda line: None) == other / "wheels"
    assert len(calls) == 1 and (other / "wheels" / "usearch-2.26.6-cp311.whl").read_bytes() == b"zip"


def test_wheels_pip_cannot_fetch_are_an_error_that_says_what_pip_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "wheels.txt").write_text(WHEELS)

    def refuse(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES\n")

    monkeypatch.setattr(subprocess, "run", refuse)
    with pytest.raises(images.ImageBuildError) as caught:
        images.ensure_wheels(tmp_path, lambda line: None)
    assert str(caught.value) == (
        f"fetching the wheels of {tmp_path / 'wheels.txt'} failed (pip exited 1):\n"
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES"
    )
    # nothing is cached as fetched, so the next build asks pip again
    assert not list((tmp_path / "cache" / "wheels").glob("*/.complete"))
