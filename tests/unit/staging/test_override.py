"""The generated compose override, from a resolved compose model and a plan: pure, so checked line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drdrill.plan import Plan, load_plan
from drdrill.staging.override import (
    LABEL_COMPONENT,
    LABEL_MANAGED,
    LABEL_OWNER,
    LABEL_RUN,
    LABEL_ZONE,
    SINK_SERVICE,
    TOXIPROXY_SERVICE,
    ComposeModel,
    Override,
    build_image_name,
    build_override,
    needed_ports,
    proxy_plans,
    toxiproxy_config,
)
from tests.unit.ticket_plan import COMPOSE, write_ticket_plan

LINKED = """\
  links:
    llm:
      consumer: responder
      upstream: model:9000
      env: {LLM_URL: "http://{proxy}/v1"}
"""


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    write_ticket_plan(tmp_path)
    text = (tmp_path / "plan.yaml").read_text()
    text = text.replace(
        "  unit: {one: ticket, many: tickets}\n", "  unit: {one: ticket, many: tickets}\n" + LINKED
    )
    (tmp_path / "plan.yaml").write_text(text)
    compose = COMPOSE + "  model:\n    image: example/model:1\n    expose: ['9000']\n"
    (tmp_path / "compose.yaml").write_text(compose)
    return load_plan(tmp_path)


def model() -> ComposeModel:
    return ComposeModel.from_config(
        {
            "services": {
                "api": {"image": "example/helpdesk-api:1", "ports": [{"target": 8080, "published": "8080"}]},
                "responder": {
                    "build": {"context": "."},
                    "container_name": "fixed",
                    "networks": {"back": {}},
                    "expose": ["7000-7002/tcp"],
                },
                "model": {"image": "example/model:1", "expose": ["9000"], "networks": ["back"]},
            },
            "networks": {"back": {}, "outside": {"external": True}},
            "volumes": {"data": {}, "shared": {"external": True}},
        }
    )


def test_the_compose_model_reads_ports_networks_and_the_files_own_objects() -> None:
    m = model()
    assert m.services["api"].ports == (8080,)
    assert m.services["responder"].ports == (7000,)  # the first of an exposed range
    assert m.services["responder"].networks == ("back",) and m.services["api"].networks == ("default",)
    assert m.services["responder"].has_container_name
    assert (m.networks, m.volumes) == (("back",), ("data",))  # external ones are not the run's to label


def test_every_service_is_labelled_runs_under_init_and_publishes_on_loopback_only(plan: Plan) -> None:
    ports = needed_ports(plan, model())
    assert ports == {"api": [8080], "responder": [7000], "model": [9000]}
    host_ports = {("api", 8080): 41001, ("responder", 7000): 41002, ("model", 9000): 41003}
    override = build_override(
        plan,
        model(),
        run_id="r1",
        owner="host:7",
        host_ports=host_ports,
        toxiproxy_api_port=41009,
        proxies_file="/tmp/run/proxies.json",
    )
    api = override.services["api"]
    assert api["init"] is True and api["pull_policy"] == "never"
    assert api["ports"] == ["127.0.0.1:41001:8080"]
    assert api["labels"] == {
        LABEL_MANAGED: "true",
        LABEL_RUN: "r1",
        LABEL_OWNER: "host:7",
        LABEL_ZONE: "zone-a",
        LABEL_COMPONENT: "api",
    }
    responder = override.services["responder"]
    assert (
        responder["image"]
        == build_image_name("helpdesk", "responder")
        == "drdrill-build/helpdesk-responder:latest"
    )
    assert responder["container_name"] is None
    assert responder["environment"] == {"LLM_URL": f"http://{TOXIPROXY_SERVICE}:18001/v1"}
    assert responder["depends_on"] == {TOXIPROXY_SERVICE: {"condition": "service_started"}}
    proxy = override.services[TOXIPROXY_SERVICE]
    assert proxy["ports"] == ["127.0.0.1:41009:8474"]
    assert proxy["networks"] == ["back"]  # it must reach the consumer and the upstream
    assert proxy["volumes"] == ["/tmp/run/proxies.json:/etc/drdrill/proxies.json:ro"]
    # the default network (api is on it) and the file's own network and volume carry the run's labels too
    assert set(override.networks) == {"default", "back"} and set(override.volumes) == {"data"}
    assert override.networks["back"] == {
        "labels": {LABEL_MANAGED: "true", LABEL_RUN: "r1", LABEL_OWNER: "host:7"}
    }

    text = override.render()
    assert '    ports: !override ["127.0.0.1:41001:8080"]' in text
    assert "    container_name: !reset null" in text
    assert "0.0.0.0" not in text.replace(
        '"-host", "0.0.0.0"', ""
    )  # only Toxiproxy listens inside its container


def test_links_become_proxies_listening_inside_the_toxiproxy_container(plan: Plan) -> None:
    (proxy,) = proxy_plans(plan)
    assert (proxy.name, proxy.listen_port, proxy.upstream, proxy.consumers) == (
        "llm",
        18001,
        "model:9000",
        ("responder",),
    )
    assert json.loads(toxiproxy_config([proxy])) == [
        {"name": "llm", "listen": "0.0.0.0:18001", "upstream": "model:9000", "enabled": True}
    ]


def _plain_override(plan: Plan, **extra: Any) -> Override:
    """The override of ``model()`` with no host port asked for."""
    return build_override(
        plan,
        model(),
        run_id="r1",
        owner="host:7",
        host_ports={},
        toxiproxy_api_port=41009,
        proxies_file="/tmp/run/proxies.json",
        **extra,
    )


def test_a_service_built_for_the_run_runs_the_image_built_by_its_id(plan: Plan) -> None:
    # Another build on the machine may move the tag while the drill runs (a recovery starts a service later):
    # the run's override names the image it built by id, so that service starts what this drill built.
    pinned = "sha256:" + "ab" * 32
    override = _plain_override(plan, pinned_images={"responder": pinned})
    assert override.services["responder"]["image"] == pinned
    assert "image" not in override.services["model"]  # not built by the run: its own image, as the file says


NOTIFIED = """  notifications:
    pager: {role: alert, consumer: responder, env: {PAGER_URL: "{webhook}/v2/enqueue"}}
    client: {role: notice, consumer: api, env: {SMTP_HOST: "{smtp_host}", SMTP_PORT: "{smtp_port}"}}
"""


def test_notification_channels_point_their_consumers_at_the_sink(tmp_path: Path) -> None:
    write_ticket_plan(tmp_path)
    text = (tmp_path / "plan.yaml").read_text()
    text = text.replace(
        "  unit: {one: ticket, many: tickets}\n", "  unit: {one: ticket, many: tickets}\n" + LINKED + NOTIFIED
    )
    (tmp_path / "plan.yaml").write_text(text)
    (tmp_path / "compose.yaml").write_text(
        COMPOSE + "  model:\n    image: example/model:1\n    expose: ['9000']\n"
    )
    plan = load_plan(tmp_path)
    override = build_override(
        plan,
        model(),
        run_id="r1",
        owner="host:7",
        host_ports={},
        toxiproxy_api_port=41009,
        proxies_file="/p.json",
        sink_port=41010,
    )
    responder, api = override.services["responder"], override.services["api"]
    assert responder["environment"] == {
        "LLM_URL": f"http://{TOXIPROXY_SERVICE}:18001/v1",
        "PAGER_URL": f"http://{SINK_SERVICE}:8090/pager/v2/enqueue",
    }
    assert responder["depends_on"] == {
        TOXIPROXY_SERVICE: {"condition": "service_started"},
        SINK_SERVICE: {"condition": "service_started"},
    }
    assert api["environment"] == {"SMTP_HOST": SINK_SERVICE, "SMTP_PORT": "2526"}  # the second channel's port
    sink = override.services[SINK_SERVICE]
    assert (sink["image"], sink["init"], sink["ports"]) == (
        "drdrill/notify-sink:local",
        True,
        ["127.0.0.1:41010:8090"],
    )
    assert sink["environment"]["SINK_CHANNELS"] == "pager,client"
    assert sink["networks"] == ["back", "default"]  # it must reach both consumers


def test_the_run_s_toxiproxy_gives_up_an_unanswered_dial_in_seconds(plan: Plan) -> None:
    # Its API waits for a link's accept loop, which dials the upstream with no timeout: with the kernel's 6 SYN
    # retries a dial into a zone that lost power held a repoint for its whole 127 s.
    override = _plain_override(plan)
    assert override.services[TOXIPROXY_SERVICE]["sysctls"] == {"net.ipv4.tcp_syn_retries": "1"}
