"""``drdrill init --compose``: a plan scaffolded from a compose file validates at once and overwrites nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from drdrill.cli import main
from drdrill.plan import load_plan
from drdrill.plan.compose import read_compose
from drdrill.plan.scaffold import SYSTEM_BEGIN, guess_kind

REPO = Path(__file__).resolve().parents[2]
CLAIMS = REPO / "compose" / "claims" / "compose.yaml"

# A made-up RAG stack: an async API, a Redis queue, a vector index, workers on one provider reached through
# an environment variable, and a Toxiproxy of its own.
SMALL = """\
name: askdocs
services:
  api:
    build: ./api
    image: askdocs/api:local
    ports: ["8000:8000"]
    depends_on: [queue]
  answerer:
    image: askdocs/worker:local
    environment:
      - REDIS_URL=redis://queue:6379/0
      - LLM_BASE_URL=http://llm:9000/v1
      - QDRANT_URL=http://vectors:6333
    depends_on: {queue: {condition: service_started}, llm: {condition: service_started}}
  queue:
    image: debian-redis:local
  vectors:
    image: qdrant/qdrant:v1.9
  llm:
    image: drdrill/provider-sim:local
    expose: ["9000"]
  "true":
    image: example/odd-name
  toxiproxy:
    image: ghcr.io/shopify/toxiproxy
"""


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "stack" / "compose.yaml"
    path.parent.mkdir()
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_init_from_the_claims_compose_file_validates_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--compose", str(CLAIMS), "--out", "dr"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "wrote dr/plan.yaml",
        "wrote dr/provider-outage.yaml",
        "dr: plan 'claims' is valid: 1 scenario, 15 components",
        "next: fill in the TODOs and the system contract, then drdrill validate dr",
    ]
    assert main(["validate", "dr"]) == 0
    plan = load_plan(tmp_path / "dr")
    kinds = {name: c.kind for name, c in plan.components.items()}
    assert kinds == {
        **dict.fromkeys(["postgres", "postgres-standby", "postgres-restore"], "data_store"),
        **dict.fromkeys(
            ["intake", "intake-b", "intake-c", "edge", "search", "search-c", "monitor"], "service"
        ),
        **dict.fromkeys(["worker", "worker-b", "worker-c"], "worker"),
        "provider-primary": "ai_provider",
        "provider-backup": "ai_provider",
    }
    topo = plan.staging_topology
    ready = {n: r.ready for n, r in topo.services.items()}
    assert {n: ready[n] for n in ("postgres", "intake", "worker", "provider-primary")} == {
        "postgres": "tcp://{postgres:5432}",
        "intake": "http://{intake:8080}/health",
        "worker": "http://{worker:8081}/health",
        "provider-primary": "http://{provider-primary:8000}/health",
    }
    assert len(ready) == 15
    # The worker's provider variables become links, exactly as the bundled plan declares them by hand.
    assert {n: (lk.consumer, lk.upstream, lk.env) for n, lk in topo.links.items()} == {
        "provider-primary": ("worker", "provider-primary:8000", {"PRIMARY_URL": "http://{proxy}/v1"}),
        "provider-backup": ("worker", "provider-backup:8000", {"BACKUP_URL": "http://{proxy}"}),
    }
    assert topo.system is None
    outage = plan.scenarios["provider-outage"]
    assert [(f.kind, f.target) for f in outage.faults] == [("down", "provider-primary")]
    # The failover steps wait for a failover signal, which the scaffold cannot declare: they are written
    # commented out, to be uncommented with the system contract, never as steps that fail every drill.
    assert outage.automated_steps == []
    assert [s.title for s in outage.recovery] == [
        "Send the first notice to the client",
        "If no provider answers, switch on queue-and-hold",
    ]


def test_init_from_a_small_compose_file(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--compose", str(small), "--out", "plan", "--name", "ask-docs"]) == 0
    assert main(["validate", "plan"]) == 0
    plan = load_plan(Path("plan"))
    assert plan.name == "ask-docs"
    assert plan.staging_topology.compose_file == "../stack/compose.yaml"
    assert {name: c.kind for name, c in plan.components.items()} == {
        "api": "service",
        "answerer": "worker",
        "queue": "queue",
        "vectors": "vector_index",
        "llm": "ai_provider",
        "true": "service",
    }
    assert plan.components["answerer"].depends_on == ["queue", "llm"]
    assert plan.staging_topology.infrastructure == ["toxiproxy"]
    assert {n: r.ready for n, r in plan.staging_topology.services.items()} == {
        "api": "http://{api:8000}/health",
        "queue": "tcp://{queue:6379}",
        "vectors": "tcp://{vectors:6333}",
        "llm": "http://{llm:9000}/health",
    }
    link = plan.staging_topology.links["llm"]
    assert (link.consumer, link.upstream, link.env) == (
        "answerer",
        "llm:9000",
        {"LLM_BASE_URL": "http://{proxy}/v1"},
    )
    outage = plan.scenarios["provider-outage"]
    assert [(f.kind, f.target) for f in outage.faults] == [("down", "llm")]
    assert outage.automated_steps == []  # one provider: nothing to fail over to


def test_the_commented_system_contract_validates_once_uncommented(small: Path) -> None:
    assert main(["init", "--compose", str(small), "--out", "plan"]) == 0
    path = Path("plan/plan.yaml")
    text = path.read_text(encoding="utf-8")
    head, block = text.split(SYSTEM_BEGIN + "\n")
    uncommented = "".join(line.replace("  # ", "  ", 1) + "\n" for line in block.splitlines())
    path.write_text(head + uncommented, encoding="utf-8")
    system = load_plan(Path("plan")).staging_topology.system
    assert system is not None
    assert system.write is not None
    assert system.write.request.url == "http://{api:8000}/TODO"
    assert system.signals["failover"].failed_over == ["backup"]


def _uncomment_steps(text: str) -> str:
    """``text`` with every commented-out recovery step uncommented (``  # - title: ...``, ``  #   hook: ...``)."""
    return re.sub(r"^  # (?=- |  )", "  ", text, flags=re.MULTILINE)


def test_the_scaffolded_failover_steps_are_refused_without_the_signal_and_valid_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--compose", str(CLAIMS), "--out", "dr"]) == 0
    scenario = Path("dr/provider-outage.yaml")
    scenario.write_text(_uncomment_steps(scenario.read_text(encoding="utf-8")), encoding="utf-8")
    capsys.readouterr()

    assert main(["validate", "dr"]) == 2

    fix = (
        "waits for the system's failover signal, but plan.yaml declares none; declare "
        "staging_topology.system.signals.failover (its `normal` and `failed_over` values) in plan.yaml, or make "
        "the step manual (`owner` and `estimate` instead of `hook`)"
    )
    assert capsys.readouterr().err.splitlines() == [
        f"dr/provider-outage.yaml:20:11: recovery[0].hook: hook 'provider-failover' {fix}",
        f"dr/provider-outage.yaml:30:11: recovery[3].hook: hook 'provider-failback' {fix}",
        "2 problem(s) in the plan",
    ]
    plan_file = Path("dr/plan.yaml")
    head, block = plan_file.read_text(encoding="utf-8").split(SYSTEM_BEGIN + "\n")
    uncommented = "".join(line.replace("  # ", "  ", 1) + "\n" for line in block.splitlines())
    plan_file.write_text(head + uncommented, encoding="utf-8")
    assert main(["validate", "dr"]) == 0
    hooks = [s.hook for s in load_plan(Path("dr")).scenarios["provider-outage"].automated_steps]
    assert hooks == ["provider-failover", "provider-failback"]


@pytest.mark.parametrize(
    ("step", "where", "message"),
    [
        (
            "{title: Restart the API, hook: restart-service}",
            "12:36: recovery[0].hook",
            "hook 'restart-service' restarts the step's components, but the step names none; add `components: "
            "[<component>]` with the components whose containers it restarts",
        ),
        (
            "{title: Restart the DB, hook: restart-service, components: [db]}",
            "12:65: recovery[0].components[0]",
            "hook 'restart-service' restarts the container of 'db', but that component has no staging service; "
            "give it `staging: {service: <compose service>}` in plan.yaml, or name another component",
        ),
    ],
)
def test_a_restart_step_needs_components_with_a_staging_service(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    step: str,
    where: str,
    message: str,
) -> None:
    shutil.copytree(REPO / "tests" / "unit" / "plan" / "data" / "mistakes", tmp_path / "plan")
    crash = tmp_path / "plan" / "api-crash.yaml"
    text = crash.read_text(encoding="utf-8")
    crash.write_text(text.replace("{title: Restart the API, hook: restart-service, components: [api]}", step))
    monkeypatch.chdir(tmp_path)

    assert main(["validate", "plan"]) == 2

    assert f"plan/api-crash.yaml:{where}: {message}" in capsys.readouterr().err.splitlines()


def test_init_never_overwrites_a_file(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("plan").mkdir()
    Path("plan/provider-outage.yaml").write_text("mine\n", encoding="utf-8")
    assert main(["init", "--compose", str(small), "--out", "plan"]) == 2
    assert capsys.readouterr().err == (
        "drdrill: error: plan/provider-outage.yaml already exists; drdrill init never overwrites a file: "
        "give another --out directory\n"
    )
    assert Path("plan/provider-outage.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not Path("plan/plan.yaml").exists()


def test_init_names_a_compose_file_it_cannot_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--compose", "missing.yaml"]) == 2
    assert capsys.readouterr().err == ("drdrill: error: --compose missing.yaml: no such file\n")
    Path("bad.yaml").write_text("services:\n  api: {ports: [web]}\n", encoding="utf-8")
    assert main(["init", "--compose", "bad.yaml"]) == 2
    assert capsys.readouterr().err == (
        "drdrill: error: --compose bad.yaml: bad.yaml:2:17: services.api.ports[0]: cannot read the container "
        'port \'web\'; write it as "8080", "127.0.0.1:8080:80" or {target: 80}\n'
    )


def test_a_provider_without_a_link_is_stopped_and_one_without_a_provider_gets_a_todo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text("services:\n  app: {image: x}\n  openai-proxy: {image: y}\n", encoding="utf-8")
    Path("b.yaml").write_text("services:\n  app: {image: x, ports: ['8080']}\n", encoding="utf-8")
    assert main(["init", "--compose", "a.yaml", "--out", "a"]) == 0
    assert main(["init", "--compose", "b.yaml", "--out", "b"]) == 0
    faults = load_plan(Path("a")).scenarios["provider-outage"].faults
    assert [(f.kind, f.target) for f in faults] == [("stop", "openai-proxy")]
    assert load_plan(Path("b")).scenarios["provider-outage"].faults == []
    assert (
        "# TODO no AI provider was found in the compose file." in Path("b/provider-outage.yaml").read_text()
    )


@pytest.mark.parametrize(
    ("compose", "kind"),
    [
        ("db: {image: 'postgres:16'}", "data_store"),
        ("cache: {image: 'redis:7'}", "queue"),
        ("index: {image: qdrant/qdrant}", "vector_index"),
        ("llm-gateway: {image: x}", "ai_provider"),
        ("ingest-worker: {image: x}", "worker"),
        ("web: {image: nginx}", "service"),
    ],
)
def test_kind_is_guessed_from_name_and_image(tmp_path: Path, compose: str, kind: str) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(f"services:\n  {compose}\n", encoding="utf-8")
    (service,) = read_compose(path).services.values()
    assert guess_kind(service) == kind
