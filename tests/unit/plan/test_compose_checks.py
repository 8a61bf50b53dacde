"""The staging topology is checked against the plan's compose file when the plan loads, with exact errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.plan import PlanError, load_plan
from drdrill.plan.compose import ComposeError, format_ports, read_compose
from tests.unit.plan.conftest import WritePlan
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

COMPOSE = """\
x-base: &base
  build: .
  environment:
    - LOG_LEVEL=info
    - DEBUG
services:
  api:
    <<: *base
    image: example/api:local
    ports: ["127.0.0.1:8080:8080"]
    expose: ["9000-9002"]
    networks: [front, back]
    depends_on:
      db: {condition: service_started}
  model:
    image: drdrill/provider-sim:local
    expose: ["8000"]
  db:
    image: postgres:16
networks:
  front: {}
  back:
volumes:
  data: {}
"""

TOPOLOGY = """\
staging_topology:
  compose_file: ../stack/compose.yaml
  services:
    api: {ready: "http://{api:8080}/health"}
    db: {ready: "tcp://{db:5432}"}
  links:
    model: {consumer: api, upstream: "model:8000", env: {MODEL_URL: "http://{proxy}/v1"}}
  system:
    write:
      request: {url: "http://{api:8080}/items", json: {id: "{id}"}}
    final_read: {url: "http://{api:8080}/items", items: items}
    signals:
      failover: {url: "http://{api:9001}/status", path: provider, normal: model, failed_over: [backup]}
"""


@pytest.fixture
def write_stack(write_plan: WritePlan, tmp_path: Path) -> WritePlan:
    """Write the plan (MINIMAL_PLAN + a topology) and ``stack/compose.yaml``; returns the plan directory."""

    def write(topology: str = TOPOLOGY, compose: str | None = COMPOSE, plan: str = MINIMAL_PLAN) -> Path:
        if compose is not None:
            (tmp_path / "stack").mkdir(exist_ok=True)
            (tmp_path / "stack" / "compose.yaml").write_text(compose, encoding="utf-8")
        return write_plan(plan + topology, s=MINIMAL_SCENARIO)

    return write


def errors(directory: Path) -> list[str]:
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    return str(info.value).splitlines()


def edit(old: str, new: str, text: str = TOPOLOGY) -> str:
    assert old in text
    return text.replace(old, new)


KNOWN = "(known in stack/compose.yaml: api, db, model)"


def test_a_topology_that_matches_its_compose_file_loads(write_stack: WritePlan) -> None:
    plan = load_plan(write_stack())
    assert plan.staging_topology.links["model"].upstream_service == "model"


def test_a_plan_whose_services_are_not_in_its_compose_file_names_each_one(write_stack: WritePlan) -> None:
    other = "services:\n  web: {image: example/web}\n  llm: {image: example/llm}\n"
    known = "(known in stack/compose.yaml: llm, web)"
    assert errors(write_stack(compose=other)) == [
        f"plan/plan.yaml:9:24: components.api.staging.service: unknown compose service 'api' {known}",
        f"plan/plan.yaml:12:38: components.model.staging.service: unknown compose service 'model' {known}",
        f"plan/plan.yaml:27:5: staging_topology.services.api: unknown compose service 'api' {known}",
        "plan/plan.yaml:27:18: staging_topology.services.api.ready: {api:8080}: unknown compose service 'api' "
        + known,
        f"plan/plan.yaml:28:5: staging_topology.services.db: unknown compose service 'db' {known}",
        "plan/plan.yaml:28:17: staging_topology.services.db.ready: {db:5432}: unknown compose service 'db' "
        + known,
        f"plan/plan.yaml:30:23: staging_topology.links.model.consumer: unknown compose service 'api' {known}",
        f"plan/plan.yaml:30:38: staging_topology.links.model.upstream: unknown compose service 'model' {known}",
        "plan/plan.yaml:33:22: staging_topology.system.write.request.url: {api:8080}: unknown compose "
        f"service 'api' {known}",
        "plan/plan.yaml:34:23: staging_topology.system.final_read.url: {api:8080}: unknown compose service "
        f"'api' {known}",
        "plan/plan.yaml:36:23: staging_topology.system.signals.failover.url: {api:9001}: unknown compose "
        f"service 'api' {known}",
    ]


@pytest.mark.parametrize(
    ("topology", "plan", "expected"),
    [
        pytest.param(
            edit('final_read: {url: "http://{api:8080}', 'final_read: {url: "http://{apj:8080}'),
            MINIMAL_PLAN,
            "plan/plan.yaml:34:23: staging_topology.system.final_read.url: {apj:8080}: unknown compose "
            f"service 'apj'; did you mean 'api'? {KNOWN}",
            id="did-you-mean",
        ),
        pytest.param(
            edit('"http://{api:8080}/items", items', '"http://{api:8081}/items", items'),
            MINIMAL_PLAN,
            "plan/plan.yaml:34:23: staging_topology.system.final_read.url: {api:8081}: port 8081 is not one "
            "service 'api' declares; did you mean 8080? (its ports and expose in stack/compose.yaml: "
            "8080, 9000-9002)",
            id="port-not-declared",
        ),
        pytest.param(
            edit('upstream: "model:8000"', 'upstream: "model:8001"'),
            MINIMAL_PLAN,
            "plan/plan.yaml:30:38: staging_topology.links.model.upstream: port 8001 is not one service "
            "'model' declares; did you mean 8000? (its ports and expose in stack/compose.yaml: 8000)",
            id="upstream-port-not-declared",
        ),
        pytest.param(
            TOPOLOGY,
            MINIMAL_PLAN.replace("proxy: model,", "proxy: modle,"),
            "plan/plan.yaml:12:22: components.model.staging.proxy: unknown link 'modle'; did you mean "
            "'model'? (known: model)",
            id="proxy-is-no-link",
        ),
        pytest.param(
            edit(
                '  links:\n    model: {consumer: api, upstream: "model:8000", env: {MODEL_URL: "http://{proxy}/v1"}}\n',
                "",
            ),
            MINIMAL_PLAN,
            "plan/plan.yaml:12:22: components.model.staging.proxy: unknown link 'model' (the plan declares "
            "no links)",
            id="proxy-without-links",
        ),
        pytest.param(
            TOPOLOGY,
            MINIMAL_PLAN.replace("service: model}", "service: db}"),
            "plan/plan.yaml:12:22: components.model.staging.proxy: link 'model' leads to service 'model', but "
            "the component's staging service is 'db'; a proxy stands in front of its own component",
            id="proxy-of-another-service",
        ),
        pytest.param(
            edit("consumer: api", "consumer: model"),
            MINIMAL_PLAN,
            "plan/plan.yaml:30:40: staging_topology.links.model.upstream: 'model' is this link's consumer "
            "too; a link runs from its consumer to another service",
            id="consumer-is-upstream",
        ),
        pytest.param(
            TOPOLOGY + "  infrastructure: [toxiproxy]\n",
            MINIMAL_PLAN,
            f"plan/plan.yaml:37:20: staging_topology.infrastructure[0]: unknown compose service 'toxiproxy' {KNOWN}",
            id="infrastructure",
        ),
        pytest.param(
            edit("  compose_file: ../stack/compose.yaml\n", ""),
            MINIMAL_PLAN,
            "plan/plan.yaml:24:1: staging_topology: services, links and system describe a compose stack, but "
            "no compose_file names it; add compose_file: <your compose file, relative to plan.yaml>",
            id="no-compose-file",
        ),
        pytest.param(
            edit("../stack/compose.yaml", "../stack/compose.yml"),
            MINIMAL_PLAN,
            "plan/plan.yaml:25:17: staging_topology.compose_file: stack/compose.yml: no such file "
            "(compose_file is relative to plan.yaml)",
            id="compose-file-missing",
        ),
        pytest.param(
            edit("../stack/compose.yaml", "../stack"),
            MINIMAL_PLAN,
            "plan/plan.yaml:25:17: staging_topology.compose_file: stack: is a directory, not a regular file: "
            "drdrill reads only regular files (name the compose file itself)",
            id="compose-file-is-a-directory",
        ),
    ],
)
def test_one_mistake_one_error_at_the_plans_value(
    write_stack: WritePlan, topology: str, plan: str, expected: str
) -> None:
    assert errors(write_stack(topology, plan=plan)) == [expected]


@pytest.mark.parametrize(
    ("compose", "expected"),
    [
        pytest.param(
            "services:\n  api: [unclosed\n",
            "stack/compose.yaml:3:1: invalid YAML: while parsing a flow sequence expected ',' or ']', but got "
            "'<stream end>'",
            id="does-not-parse",
        ),
        pytest.param(
            "- api\n",
            "stack/compose.yaml:1:1: top level should be a mapping with `services:`, got a list",
            id="not-a-mapping",
        ),
        pytest.param(
            COMPOSE.replace('expose: ["8000"]', 'expose: ["8000:80"]'),
            "stack/compose.yaml:17:14: services.model.expose[0]: cannot read the container port '8000:80'; "
            'write it as "8080" or "8000-8010"',
            id="bad-expose",
        ),
        pytest.param(
            COMPOSE.replace(
                "    image: postgres:16\n", "    image: postgres:16\n    ports: [{target: web}]\n"
            ),
            "stack/compose.yaml:20:13: services.db.ports[0]: cannot read the container port 'web'; "
            'write it as "8080", "127.0.0.1:8080:80" or {target: 80}',
            id="bad-long-port",
        ),
        pytest.param(
            "version: '3'\n",
            "plan/plan.yaml:25:17: staging_topology.compose_file: stack/compose.yaml: has no `services` mapping; "
            "a compose file lists its services under `services:`",
            id="no-services",
        ),
        pytest.param(
            "services: {}\n",
            "plan/plan.yaml:25:17: staging_topology.compose_file: stack/compose.yaml: declares no services "
            "under `services:`",
            id="empty-services",
        ),
    ],
)
def test_a_compose_file_that_cannot_be_read(write_stack: WritePlan, compose: str, expected: str) -> None:
    assert errors(write_stack(compose=compose)) == [expected]


def test_a_service_without_ports_may_be_reached_on_any(write_stack: WritePlan) -> None:
    load_plan(write_stack(edit("tcp://{db:5432}", "tcp://{db:6543}")))


def test_an_interpolated_port_leaves_the_ports_unchecked(write_stack: WritePlan) -> None:
    compose = COMPOSE.replace('expose: ["8000"]', 'expose: ["8000", "${EXTRA_PORT}"]')
    load_plan(write_stack(edit('"model:8000"', '"model:8001"'), compose=compose))


def test_a_paper_plan_without_compose_file_is_not_checked(write_plan: WritePlan) -> None:
    load_plan(write_plan(MINIMAL_PLAN, s=MINIMAL_SCENARIO))


def test_a_compose_file_beside_plan_yaml_is_no_scenario(write_stack: WritePlan, tmp_path: Path) -> None:
    directory = write_stack(edit("../stack/compose.yaml", "compose.yaml"), compose=None)
    (directory / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    assert list(load_plan(directory).scenarios) == ["s"]


# --- the reader -----------------------------------------------------------------------------------------


def test_reader_knows_merges_expose_networks_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE, encoding="utf-8")
    compose = read_compose(path)
    api = compose.services["api"]
    assert (api.image, api.has_build, api.networks) == ("example/api:local", True, ("front", "back"))
    assert api.ports == {8080, 9000, 9001, 9002}
    assert dict(api.environment) == {"LOG_LEVEL": "info", "DEBUG": None}
    assert (api.depends_on, compose.services["model"].depends_on) == (("db",), ())
    assert compose.services["db"].ports == frozenset()
    assert compose.services["db"].has_build is False
    assert (compose.networks, compose.volumes) == (("front", "back"), ("data",))


def test_reader_knows_port_syntaxes_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        """\
name: shop
services:
  base:
    image: example/base
    ports: ["3000", 3001, "127.0.0.1:8001:81", "[::1]:6001:6002/udp", {target: 7000, published: 17000}]
    environment: {A: 1, B: true, C: null}
  child:
    extends: base
    container_name: child-1
    ports: ["9090-9091:8080-8081"]
    environment: [B=false]
    networks: {front: {aliases: [kid]}}
    profiles: [debug]
  remote:
    extends: {file: other.yaml, service: web}
""",
        encoding="utf-8",
    )
    compose = read_compose(path)
    child = compose.services["child"]
    assert compose.name == "shop"
    assert compose.services["base"].ports == {3000, 3001, 81, 6002, 7000}
    assert child.ports == {3000, 3001, 81, 6002, 7000, 8080, 8081}
    assert dict(child.environment) == {"A": "1", "B": "false", "C": None}
    assert (child.image, child.container_name, child.networks, child.profiles) == (
        "example/base",
        "child-1",
        ("front",),
        ("debug",),
    )
    assert compose.services["remote"].ports_known is False


def test_reader_refuses_an_extends_loop(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  a: {extends: b}\n  b: {extends: a}\n", encoding="utf-8")
    with pytest.raises(ComposeError) as info:
        read_compose(path)
    assert [i.message for i in info.value.issues] == [
        "services.b.extends: extends 'a', and the chain loops: a -> b -> a",
        "services.a.extends: extends 'b', and the chain loops: b -> a -> b",
    ]


def test_ports_are_shown_as_ranges() -> None:
    assert format_ports(frozenset({9002, 8080, 9000, 9001, 22})) == "22, 8080, 9000-9002"
    assert format_ports(frozenset()) == "none"


def test_a_compose_file_is_parsed_once_per_content_and_again_once_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  api: {image: example/api:local}\n")
    first = read_compose(path)
    assert read_compose(path) is first  # every scenario of a plan reads the same file: one parse
    path.write_text("services:\n  api: {image: example/api:local}\n  db: {image: example/db:local}\n")
    changed = read_compose(path)
    assert changed is not first and sorted(changed.services) == ["api", "db"]
    path.write_text("services: [api]\n")
    with pytest.raises(ComposeError, match="no `services` mapping"):
        read_compose(path)  # a file that broke since is refused, never answered from what it was
