"""The build record that lets a drill skip ``docker build`` when nothing the build reads has changed."""

from __future__ import annotations

import os
from pathlib import Path

from drdrill.staging import buildcache

DOCKERFILE = """\
ARG BASE_IMAGE=drdrill/base:local
FROM ${BASE_IMAGE} AS deps
RUN true
FROM deps
COPY apps/ /opt/apps/
"""
IDS = {"drdrill/base:local": "sha256:base1", "other/base:1": "sha256:other"}


def _context(tmp_path: Path) -> Path:
    context = tmp_path / "ctx"
    (context / "apps").mkdir(parents=True)
    (context / "Dockerfile").write_text(DOCKERFILE)
    (context / "apps" / "intake.py").write_text("print('hello')\n")
    return context


def _print(context: Path, ids: dict[str, str] = IDS, args: dict[str, str] | None = None) -> str | None:
    return buildcache.fingerprint(context, context / "Dockerfile", args or {}, None, ids.get)


def test_the_bases_are_resolved_from_arg_defaults_and_build_args_and_stages_are_left_out() -> None:
    assert buildcache.base_images(DOCKERFILE, {}) == ["drdrill/base:local"]
    assert buildcache.base_images(DOCKERFILE, {"BASE_IMAGE": "other/base:1"}) == ["other/base:1"]
    assert buildcache.base_images("FROM --platform=linux/amd64 $B\n", {"B": "x:1"}) == ["x:1"]
    assert buildcache.base_images("FROM scratch\n", {}) == []


def test_a_from_with_no_value_cannot_be_told_so_it_always_builds(tmp_path: Path) -> None:
    assert buildcache.base_images("ARG BASE\nFROM ${BASE}\n", {}) is None
    context = _context(tmp_path)
    (context / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\n")
    assert _print(context) is None


def test_the_inputs_change_with_a_file_a_base_image_or_an_argument(tmp_path: Path) -> None:
    context = _context(tmp_path)
    first = _print(context)
    assert first is not None and first == _print(context)
    assert _print(context, {**IDS, "drdrill/base:local": "sha256:base2"}) != first
    assert _print(context, args={"BASE_IMAGE": "other/base:1"}) != first
    assert _print(context, {}) is None  # the base image is not on this machine
    assert buildcache.fingerprint(context, context / "Dockerfile", {}, "deps", IDS.get) != first  # a target
    source = context / "apps" / "intake.py"
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _print(context) != first
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _print(context) == first
    (context / "apps" / "worker.py").write_text("")
    assert _print(context) != first


def test_a_dockerfile_outside_its_context_counts_by_its_text(tmp_path: Path) -> None:
    context = _context(tmp_path)
    outside = tmp_path / "app.Dockerfile"
    outside.write_text(DOCKERFILE)
    first = buildcache.fingerprint(context, outside, {}, None, IDS.get)
    outside.write_text(DOCKERFILE + "ENV MODE=fast\n")
    assert buildcache.fingerprint(context, outside, {}, None, IDS.get) not in (first, None)


def test_a_context_that_is_no_local_folder_always_builds(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert buildcache.fingerprint(missing, missing / "Dockerfile", {}, None, IDS.get) is None


def test_an_image_is_unchanged_only_with_the_same_inputs_and_the_id_drdrill_built(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert not buildcache.unchanged(cache, "app:local", "inputs-1", "sha256:a")
    buildcache.record(cache, "app:local", "inputs-1", "sha256:a")
    buildcache.record(cache, "db:local", "inputs-9", "sha256:d")
    assert buildcache.unchanged(cache, "app:local", "inputs-1", "sha256:a")
    assert buildcache.unchanged(cache, "db:local", "inputs-9", "sha256:d")
    assert not buildcache.unchanged(cache, "app:local", "inputs-2", "sha256:a")  # something it reads changed
    assert not buildcache.unchanged(cache, "app:local", "inputs-1", "sha256:b")  # the tag moved since
    assert not buildcache.unchanged(cache, "app:local", None, "sha256:a")
    assert not buildcache.unchanged(cache, "app:local", "inputs-1", None)
    assert list(cache.iterdir()) == [cache / buildcache.RECORD_FILE]  # no partial file left


def test_an_unreadable_record_means_a_build(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / buildcache.RECORD_FILE).write_text("{not json")
    assert not buildcache.unchanged(cache, "app:local", "inputs-1", "sha256:a")
    buildcache.record(cache, "app:local", "inputs-1", "sha256:a")
    assert buildcache.unchanged(cache, "app:local", "inputs-1", "sha256:a")
