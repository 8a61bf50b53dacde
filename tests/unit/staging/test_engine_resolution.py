"""The engine drdrill would drive is resolved as the Docker CLI resolves it, from real config directories:
DOCKER_HOST, then DOCKER_CONTEXT, then ``currentContext`` of ``$DOCKER_CONFIG/config.json``; refused unless local."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from drdrill.staging.stack import engine_refusal, is_local, resolve_engine

ALLOW = "or set DRDRILL_ALLOW_REMOTE_DOCKER=1 to drill on that engine on purpose"


def _context(config: Path, name: str, host: str) -> None:
    """What `docker context create NAME --docker host=HOST` writes."""
    meta = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    endpoint = {"Host": host, "SkipTLSVerify": False}
    (meta / "meta.json").write_text(
        json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": endpoint}})
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A Docker config directory with a remote context `far` and a local one `near`, `far` in use."""
    directory = tmp_path / "docker"
    directory.mkdir()
    _context(directory, "far", "tcp://203.0.113.7:2376")
    _context(directory, "near", "unix:///run/user/1000/docker.sock")
    (directory / "config.json").write_text(json.dumps({"auths": {}, "currentContext": "far"}))
    return directory


def test_the_current_context_of_the_config_is_refused_when_remote(config: Path) -> None:
    assert engine_refusal({"DOCKER_CONFIG": str(config)}) == (
        f"the Docker CLI's current context 'far' (currentContext in {config}/config.json), whose endpoint is "
        "tcp://203.0.113.7:2376, is not this machine's Docker engine, and drdrill only drives the local one; "
        f"switch to the local engine with `docker context use default`, {ALLOW}"
    )


def test_the_config_is_found_under_home_without_docker_config(config: Path, tmp_path: Path) -> None:
    config.rename(tmp_path / ".docker")
    refusal = engine_refusal({"HOME": str(tmp_path)})
    assert refusal is not None and refusal.startswith(
        f"the Docker CLI's current context 'far' (currentContext in {tmp_path}/.docker/config.json)"
    )


def test_docker_context_overrides_the_current_context(config: Path) -> None:
    assert engine_refusal({"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "near"}) is None
    assert engine_refusal({"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "default"}) is None
    (config / "config.json").write_text(json.dumps({"currentContext": "near"}))
    assert engine_refusal({"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "far"}) == (
        "DOCKER_CONTEXT=far, whose endpoint is tcp://203.0.113.7:2376, is not this machine's Docker engine, and "
        f"drdrill only drives the local one; unset DOCKER_CONTEXT, {ALLOW}"
    )


def test_docker_host_overrides_every_context(config: Path) -> None:
    env = {"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "far"}
    assert engine_refusal({**env, "DOCKER_HOST": "unix:///var/run/docker.sock"}) is None
    assert engine_refusal({**env, "DOCKER_HOST": "tcp://198.51.100.1:2375"}) == (
        "DOCKER_HOST=tcp://198.51.100.1:2375 is not this machine's Docker engine, and drdrill only drives the "
        f"local one; unset DOCKER_HOST, {ALLOW}"
    )


def test_a_local_current_context_and_no_config_at_all_are_local(config: Path, tmp_path: Path) -> None:
    (config / "config.json").write_text(json.dumps({"currentContext": "near"}))
    assert resolve_engine({"DOCKER_CONFIG": str(config)}).host == "unix:///run/user/1000/docker.sock"
    assert engine_refusal({"DOCKER_CONFIG": str(config)}) is None
    assert resolve_engine({"DOCKER_CONFIG": str(tmp_path / "none")}).host == "unix:///var/run/docker.sock"


def test_the_allowance_lets_a_remote_context_through(config: Path) -> None:
    assert engine_refusal({"DOCKER_CONFIG": str(config), "DRDRILL_ALLOW_REMOTE_DOCKER": "1"}) is None


def test_a_context_that_is_not_defined_is_refused(config: Path) -> None:
    (config / "config.json").write_text(json.dumps({"currentContext": "gone"}))
    assert engine_refusal({"DOCKER_CONFIG": str(config)}) == (
        f"the Docker CLI's current context 'gone' (currentContext in {config}/config.json) is not defined in "
        f"{config}/contexts, so the engine it means is unknown; switch to the local engine with `docker context "
        "use default` (docker context ls lists the defined ones)"
    )


@pytest.mark.parametrize("content", ["{not json", "[1]"])
def test_a_config_that_is_no_json_object_is_refused(config: Path, content: str) -> None:
    (config / "config.json").write_text(content)
    refusal = engine_refusal({"DOCKER_CONFIG": str(config)})
    assert refusal is not None and refusal.startswith(f"{config}/config.json: not ")


def test_a_fifo_config_never_blocks(config: Path) -> None:
    (config / "config.json").unlink()
    os.mkfifo(config / "config.json")
    refusal = engine_refusal({"DOCKER_CONFIG": str(config)})
    assert refusal is not None and "is a named pipe (FIFO), not a regular file" in refusal


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("unix:///var/run/docker.sock", True),
        ("npipe:////./pipe/docker_engine", True),
        ("tcp://127.0.0.1:2375", True),
        ("tcp://127.8.9.10:2375", True),
        ("tcp://localhost:2375", True),
        ("tcp://[::1]:2375", True),
        ("127.0.0.1:2375", True),
        ("tcp://10.0.0.5:2375", False),
        ("ssh://me@127.0.0.1", False),
        ("tcp://localhost.example.com:2375", False),
        ("tcp://[::1:2375", False),
    ],
)
def test_what_counts_as_local(host: str, local: bool) -> None:
    assert is_local(host) is local


def test_a_drill_under_a_remote_current_context_cannot_start(
    pytester: pytest.Pytester, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.bundled import copy_bundled_plan  # noqa: PLC0415 - only this test needs the bundled plan

    copy_bundled_plan(pytester.path / "scenarios")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.delenv("DRDRILL_ALLOW_REMOTE_DOCKER", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    result = pytester.runpytest_subprocess("--drill=provider-outage", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*drill provider-outage cannot start: the Docker CLI's current context 'far' (currentContext in *"]
    )
