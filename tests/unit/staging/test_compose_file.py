"""compose/claims/compose.yaml keeps the staging contract: local images, labels, loopback-only ports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from drdrill.staging import images

CLAIMS = Path(__file__).resolve().parents[3] / "compose" / "claims"
SERVICES = {"postgres", "intake", "worker", "provider-primary", "provider-backup", "toxiproxy"}
ROLES = {
    "postgres": "db",
    "intake": "api",
    "worker": "worker",
    "provider-primary": "ai-provider",
    "provider-backup": "ai-provider",
    "toxiproxy": "chaos-proxy",
}
CONTAINER_PORTS = {
    "postgres": 5432,
    "intake": 8080,
    "worker": 8081,
    "provider-primary": 8000,
    "provider-backup": 8000,
    "toxiproxy": 8474,
}
OWNERSHIP = {
    "io.drdrill.managed": "true",
    "io.drdrill.run": "${DRDRILL_RUN_ID:-dev}",
    "io.drdrill.owner": "${DRDRILL_OWNER:-unknown}",
}


def load() -> dict[str, Any]:
    document = YAML(typ="safe", pure=True).load(CLAIMS / "compose.yaml")
    assert isinstance(document, dict)
    return document


COMPOSE = load()


def test_services_are_the_contract_set() -> None:
    assert set(COMPOSE["services"]) == SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_is_local_managed_and_stops_fast(name: str) -> None:
    service = COMPOSE["services"][name]
    assert service["init"] is True
    assert service["pull_policy"] == "never"
    assert service["image"].startswith("drdrill/")
    assert service["image"].endswith(":local")
    assert service["stop_grace_period"] == "2s"
    labels = service["labels"]
    assert {key: labels[key] for key in OWNERSHIP} == OWNERSHIP
    assert labels["io.drdrill.zone"] in {"zone-a", "zone-b"}
    assert labels["io.drdrill.role"] == ROLES[name]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_are_loopback_and_pinned_by_the_drill_or_ephemeral(name: str) -> None:
    (port,) = COMPOSE["services"][name]["ports"]
    assert re.fullmatch(rf"127\.0\.0\.1:\$\{{DRDRILL_PORT_[A-Z]+:-\}}:{CONTAINER_PORTS[name]}", port), port


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_healthcheck_is_sub_second(name: str) -> None:
    check = COMPOSE["services"][name]["healthcheck"]
    assert check["interval"] == "${DRDRILL_HEALTH_INTERVAL:-500ms}"
    assert check["test"][0] == "CMD"


def test_network_and_volume_carry_ownership_labels() -> None:
    for section in ("networks", "volumes"):
        for name, body in COMPOSE[section].items():
            assert {key: body["labels"][key] for key in OWNERSHIP} == OWNERSHIP, (section, name)


def test_providers_sit_in_different_zones() -> None:
    zones = {name: COMPOSE["services"][name]["labels"]["io.drdrill.zone"] for name in SERVICES}
    assert zones["provider-primary"] != zones["provider-backup"]


def test_worker_reaches_providers_through_toxiproxy() -> None:
    env = COMPOSE["services"]["worker"]["environment"]
    assert env["PRIMARY_URL"] == "http://toxiproxy:18001/v1"
    assert env["BACKUP_URL"] == "http://toxiproxy:18002/v1"
    depends = COMPOSE["services"]["worker"]["depends_on"]
    assert depends["toxiproxy"]["condition"] == "service_started"


def test_toxiproxy_config_matches_contract() -> None:
    proxies = json.loads((CLAIMS / "toxiproxy" / "toxiproxy.json").read_text())
    assert {p["name"]: (p["listen"], p["upstream"]) for p in proxies} == {
        "primary-provider": ("0.0.0.0:18001", "provider-primary:8000"),
        "backup-provider": ("0.0.0.0:18002", "provider-backup:8000"),
    }


def test_compose_images_are_the_ones_images_py_builds(tmp_path: Path) -> None:
    binary = tmp_path / "toxiproxy-server"
    binary.write_bytes(b"binary")
    built = {spec.local_tag for spec in images.image_specs(binary)}
    used = {service["image"] for service in COMPOSE["services"].values()}
    assert used == built


def test_dockerfiles_never_pull() -> None:
    for dockerfile in (CLAIMS / "images").glob("*.Dockerfile"):
        froms = [line.split() for line in dockerfile.read_text().splitlines() if line.startswith("FROM ")]
        assert froms == [["FROM", "${BASE_IMAGE}"]], dockerfile.name
