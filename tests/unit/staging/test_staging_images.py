"""Content hashes and error messages of the local image builds (no Docker needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drdrill.staging import images

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def claims_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of compose/claims that the test may edit; images.py reads it via DRDRILL_COMPOSE_DIR."""
    target = tmp_path / "claims"
    shutil.copytree(REPO / "compose" / "claims", target, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("DRDRILL_COMPOSE_DIR", str(target))
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
    assert int(digest, 16) >= 0


def test_base_tag_ignores_package_order_but_not_content() -> None:
    packages = images.BASE_PACKAGES
    assert images.base_tag(tuple(reversed(packages))) == images.base_tag(packages)
    assert images.base_tag((*packages, "iproute2")) != images.base_tag(packages)
    assert images.base_tag(packages, suite="trixie") != images.base_tag(packages)


def test_app_tags_are_stable(claims_dir: Path, toxiproxy_binary: Path) -> None:
    first = app_tags(toxiproxy_binary)
    assert first == app_tags(toxiproxy_binary)
    assert [tag.split(":")[0] for tag in first] == ["drdrill/claims-app", "drdrill/toxiproxy"]


def test_app_tag_changes_with_code_dockerfile_and_base(claims_dir: Path, toxiproxy_binary: Path) -> None:
    before = app_tags(toxiproxy_binary)
    assert app_tags(toxiproxy_binary, base="drdrill/base:other") != before

    worker = claims_dir / "apps" / "worker.py"
    worker.write_text(worker.read_text() + "\n# changed\n")
    after_code = app_tags(toxiproxy_binary)
    assert after_code[0] != before[0]
    assert after_code[1] == before[1]  # the toxiproxy image does not contain the app code

    dockerfile = claims_dir / "images" / "claims-app.Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\n# changed\n")
    assert app_tags(toxiproxy_binary)[0] != after_code[0]


def test_app_tag_changes_with_new_file_and_executable_bit(claims_dir: Path, toxiproxy_binary: Path) -> None:
    before = app_tags(toxiproxy_binary)[0]
    extra = claims_dir / "apps" / "extra.py"
    extra.write_text("X = 1\n")
    with_file = app_tags(toxiproxy_binary)[0]
    assert with_file != before
    extra.chmod(0o755)
    assert app_tags(toxiproxy_binary)[0] != with_file


def test_app_tag_ignores_bytecode_caches(claims_dir: Path, toxiproxy_binary: Path) -> None:
    before = app_tags(toxiproxy_binary)
    cache = claims_dir / "apps" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "worker.cpython-311.pyc").write_bytes(b"\x00" * 16)
    assert app_tags(toxiproxy_binary) == before


def test_toxiproxy_tag_follows_binary_and_config(claims_dir: Path, toxiproxy_binary: Path) -> None:
    before = app_tags(toxiproxy_binary)[1]
    toxiproxy_binary.write_bytes(b"\x7fELF another build")
    after_binary = app_tags(toxiproxy_binary)[1]
    assert after_binary != before
    config = claims_dir / "toxiproxy" / "toxiproxy.json"
    config.write_text(config.read_text().replace("18002", "18003"))
    assert app_tags(toxiproxy_binary)[1] != after_binary


def test_no_toxiproxy_binary_leaves_only_the_app_image(claims_dir: Path) -> None:
    assert [spec.repository for spec in images.image_specs(None)] == ["drdrill/claims-app"]


def test_compose_dir_default_is_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRDRILL_COMPOSE_DIR", raising=False)
    assert images.compose_dir() == REPO / "compose" / "claims"
    assert (images.compose_dir() / "compose.yaml").is_file()


def test_cache_dir_respects_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DRDRILL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert images.cache_dir() == tmp_path / "xdg" / "drdrill"
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(tmp_path / "own"))
    assert images.cache_dir() == tmp_path / "own"


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
