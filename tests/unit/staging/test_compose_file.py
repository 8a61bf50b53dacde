"""compose/claims/compose.yaml, a plain user compose file, uses drdrill's images the way any user's can.

What a drill adds (labels, loopback ports, Toxiproxy) lives in the generated override, not here; these
tests check the example's side of the bargain: its own image built `FROM drdrill/base:local`, and
drdrill's provider simulator, fed the example's rules file, standing in for a hosted model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from drdrill.simulator import provider_sim
from drdrill.staging import images
from tests.unit.staging.claims_apps import load_app

CLAIMS = Path(__file__).resolve().parents[3] / "compose" / "claims"
PROVIDERS = ("provider-primary", "provider-backup")


def load() -> dict[str, Any]:
    document = YAML(typ="safe", pure=True).load(CLAIMS / "compose.yaml")
    assert isinstance(document, dict)
    return document


COMPOSE = load()
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def test_providers_are_drdrills_simulator_image() -> None:
    simulator = images.image_specs(None)[0].local_tag
    assert simulator == "drdrill/provider-sim:local"
    for name in PROVIDERS:
        assert SERVICES[name]["image"] == simulator
        assert "build" not in SERVICES[name]  # drdrill builds it, the example only names it


def test_providers_read_the_claims_rules_file() -> None:
    for name in PROVIDERS:
        env = SERVICES[name]["environment"]
        mounts = {
            volume.split(":")[1]: volume.split(":")[0]
            for volume in SERVICES[name]["volumes"]
            if ":" in volume
        }
        assert mounts[env["SIM_RULES_FILE"]] == "./sim/labels.json", name
        assert env["PORT"] == "8000"


def test_the_rules_give_exactly_the_labels_the_worker_accepts() -> None:
    rules = provider_sim.load_rules(str(CLAIMS / "sim" / "labels.json"))
    worker = load_app("worker")
    assert set(rules.answers) == set(worker.LABELS)
    assert rules.default == "other"


def test_app_services_build_on_drdrills_local_base() -> None:
    built = [name for name, service in SERVICES.items() if "build" in service]
    assert built
    for name in built:
        build = SERVICES[name]["build"]
        assert build["args"]["BASE_IMAGE"] == images.BASE_LOCAL_TAG, name
        assert (CLAIMS / build["context"] / build["dockerfile"]).is_file(), name
        # The example's own images are not drdrill's: prune and `status` never touch them.
        assert not SERVICES[name]["image"].startswith("drdrill/"), name


def test_claims_dockerfiles_never_pull() -> None:
    dockerfiles = sorted((CLAIMS / "images").glob("*.Dockerfile"))
    assert [path.name for path in dockerfiles] == ["claims-app.Dockerfile"]
    for dockerfile in dockerfiles:
        froms = [line.split() for line in dockerfile.read_text().splitlines() if line.startswith("FROM ")]
        assert froms == [["FROM", "${BASE_IMAGE}"]], dockerfile.name
