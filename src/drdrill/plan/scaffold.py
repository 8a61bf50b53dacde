"""A first plan from an existing compose file: what ``drdrill init --compose`` writes.

The scaffold guesses what it can see in the compose file (a component per service, its kind from its name and
image, readiness per service, links from the environment variables that point a consumer at an AI provider) and
leaves the rest as TODOs in comments. It validates as written, so ``drdrill validate`` passes at once; the system
contract is a commented block to fill in, because a guessed contract would drill the wrong thing.

The YAML is written as text, not dumped, so that it reads like a hand-written plan with its comments.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from drdrill.plan.compose import ComposeFile, ComposeService
from drdrill.plan.loader import PLAN_FILE

SCENARIO_FILE = "provider-outage.yaml"

# (kind, words in a service's name or image), in the order they are tried: a Postgres image named
# "provider-db" is a data store, a service named "llm-gateway" an AI provider.
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vector_index", ("qdrant", "weaviate", "milvus", "chroma")),
    ("data_store", ("postgres", "mysql", "mariadb", "mongo", "cassandra")),
    ("queue", ("redis", "valkey", "rabbitmq", "kafka", "nats")),
    ("ai_provider", ("llm", "provider", "openai", "ollama", "vllm")),
    ("worker", ("worker",)),
)
_DATA_KINDS = ("data_store", "queue", "vector_index")
# The port a data store listens on when its service declares none.
_DEFAULT_PORTS = {
    "qdrant": 6333,
    "weaviate": 8080,
    "milvus": 19530,
    "chroma": 8000,
    "postgres": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "mongo": 27017,
    "cassandra": 9042,
    "redis": 6379,
    "valkey": 6379,
    "rabbitmq": 5672,
    "kafka": 9092,
    "nats": 4222,
}
# host:port inside an environment value, e.g. http://provider:8000/v1 or provider:8000.
_HOST_PORT = re.compile(r"(?<![\w.-])(?P<host>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<port>\d{1,5})(?!\d)")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})


def _q(text: str) -> str:
    """``text`` as a YAML scalar: bare when that reads back as the same string, else double-quoted."""
    return text if _PLAIN.match(text) and text.lower() not in _YAML_WORDS else json.dumps(text)


def guess_kind(service: ComposeService) -> str:
    """A component kind for a compose service, from the words in its name and image."""
    words = f"{service.name} {service.image or ''}".lower()
    for kind, hints in _KIND_WORDS:
        if any(h in words for h in hints):
            return kind
    return "service"


def _is_toxiproxy(service: ComposeService) -> bool:
    return "toxiproxy" in f"{service.name} {service.image or ''}".lower()


def _port(service: ComposeService, kind: str) -> int | None:
    """The port to probe: a data store's usual one when declared (or nothing is), else the lowest declared."""
    if kind in _DATA_KINDS:
        words = f"{service.name} {service.image or ''}".lower()
        usual = next((p for word, p in _DEFAULT_PORTS.items() if word in words), None)
        if usual is not None and (not service.ports or usual in service.ports):
            return usual
    return min(service.ports) if service.ports else None


@dataclass
class _Link:
    name: str
    consumer: str
    upstream: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class _Draft:
    """What the scaffold found in the compose file."""

    compose: ComposeFile
    kinds: dict[str, str]
    infrastructure: list[str]
    links: dict[str, _Link]

    @property
    def providers(self) -> list[str]:
        return [n for n, k in self.kinds.items() if k == "ai_provider"]


def _find_links(compose: ComposeFile, providers: list[str]) -> dict[str, _Link]:
    """One link per AI provider: the first consumer whose environment points at it (host:port)."""
    links: dict[str, _Link] = {}
    for consumer in compose.services.values():
        for variable, value in consumer.environment.items():
            if value is None or "$" in value or "{" in value or not _ENV_NAME.match(variable):
                continue  # interpolated or templated: the real value is not in the file
            for match in _HOST_PORT.finditer(value):
                host = match["host"]
                if host not in providers or host == consumer.name:
                    continue
                declared = compose.services[host].ports
                if declared and int(match["port"]) not in declared:
                    continue  # not a port the provider declares: a guess the plan's checks would refuse
                link = links.setdefault(host, _Link(host, consumer.name, f"{host}:{match['port']}"))
                if link.consumer == consumer.name and link.upstream == f"{host}:{match['port']}":
                    link.env[variable] = value.replace(match[0], "{proxy}", 1)
    return links


def _draft(compose: ComposeFile) -> _Draft:
    kinds: dict[str, str] = {}
    infrastructure: list[str] = []
    for name, service in compose.services.items():
        if _is_toxiproxy(service):
            infrastructure.append(
                name
            )  # drdrill brings its own Toxiproxy; a user's one belongs to no component
        else:
            kinds[name] = guess_kind(service)
    providers = [n for n, k in kinds.items() if k == "ai_provider"]
    return _Draft(compose, kinds, infrastructure, _find_links(compose, providers))


def scaffold(compose: ComposeFile, out_dir: Path, name: str | None = None) -> dict[Path, str]:
    """The files of a first plan for ``compose``, to be written in ``out_dir``: ``{path: text}``."""
    draft = _draft(compose)
    plan_name = name or compose.name or compose.path.resolve().parent.name or "my-system"
    relative = Path(os.path.relpath(compose.path.resolve(), out_dir.resolve())).as_posix()
    return {
        out_dir / PLAN_FILE: "\n".join(_plan_lines(draft, plan_name, relative)) + "\n",
        out_dir / SCENARIO_FILE: "\n".join(_scenario_lines(draft)) + "\n",
    }


# --- plan.yaml ------------------------------------------------------------------------------------------


def _plan_lines(draft: _Draft, name: str, compose_file: str) -> Iterator[str]:
    yield f"# DR plan scaffolded by `drdrill init` from {compose_file}."
    yield "# Fill in every TODO, then: drdrill validate <this directory>; drdrill lint <this directory>."
    yield "# The guide: docs/drill-your-own-system.md; every key: docs/plan-format.md."
    yield f"name: {_q(name)}"
    yield "client: TODO the client this system runs for"
    yield "description: TODO what the system does, in two sentences."
    yield ""
    yield from _component_lines(draft)
    yield ""
    yield from _FIXED_PLAN.splitlines()
    yield ""
    yield from _topology_lines(draft, compose_file)


def _component_lines(draft: _Draft) -> Iterator[str]:
    yield "# One component per compose service; each kind is a guess from the service's name and image:"
    yield "# service, worker, data_store, ai_provider, vector_index, queue or integration."
    yield "components:"
    services = draft.compose.services
    for name, kind in draft.kinds.items():
        yield f"  {_q(name)}:"
        yield f"    kind: {kind}"
        yield "    description: TODO what it does."
        if kind == "ai_provider":
            yield "    vendor: TODO the provider's company, so no notice blames it by name"
        depends = [d for d in services[name].depends_on if d in draft.kinds]
        link = draft.links.get(name)
        depends += [p for p, lnk in draft.links.items() if lnk.consumer == name and p not in depends]
        if depends:
            yield f"    depends_on: [{', '.join(_q(d) for d in depends)}]"
        proxy = f"proxy: {_q(link.name)}, " if link is not None else ""
        yield f"    staging: {{{proxy}service: {_q(name)}}}"


_FIXED_PLAN = """\
roles:
  incident-lead:
    description: Runs the incident, decides on degraded modes, owns the timeline.
    people: [TODO first person, TODO second person]
  platform-engineer:
    description: Operates the infrastructure, databases and deployments.
    people: [TODO first person, TODO second person]
  client-liaison:
    description: Sends every notice to the client and takes their questions.
    people: [TODO first person, TODO second person]

objectives:
  # Tier 1 by default: RTO 4h, RPO 0. TODO agree them with the client and record the sign-off:
  # client_signoff: {client: TODO, signed_by: TODO, date: 2026-01-31}
  tiers:
    1: {rto: 4h, rpo: 0s}

degraded_modes:
  queue-and-hold:
    kind: queue_and_hold
    description: TODO the system keeps accepting work and holds it until a provider answers again.
    activation:
      - Every AI provider fails and the outage is expected to be short.
    authorized_roles: [incident-lead]
    client_notice: >
      New requests are being received and stored safely, but processing is paused. They will be
      processed in arrival order once processing resumes; nothing you submit is lost.
    return_to_normal:
      - Confirm a provider answers again, then let the backlog drain oldest-first.

communication:
  first_notice:
    deadline: 15m
    template: >
      We have detected a problem affecting {system}. Our team is investigating now.
      Your next update will arrive by {next_update}.
  initial_assessment:
    deadline: 1h
    template: >
      Current assessment of the problem affecting {system}: {impact}
      Degraded mode in effect: {degraded_mode}. Our recovery objective for this kind of event is {rto}.
  updates:
    cadence: 1h
    template: >
      Recovery of {system} is in progress. Status: {status}. Next update by {next_update}.
  resolution:
    deadline: 30m
    after: restoration
    template: >
      {system} is back to normal operation. Summary of what happened and what we did: {summary}.
  post_incident_report:
    deadline: 48h
    template: >
      Incident report for {system}: confirmed root cause, timeline, impact on your operations,
      recovery actions, and the changes we are making so it does not happen again."""


def _topology_lines(draft: _Draft, compose_file: str) -> Iterator[str]:
    yield "staging_topology:"
    yield "  # Started as it is; drdrill adds what a drill needs in a generated override, never editing it."
    yield f"  compose_file: {_q(compose_file)}"
    yield "  unit: {one: write, many: writes}   # TODO what one unit of work is called: ticket/tickets, ..."
    yield "  # When each service counts as started: http:// answering 2xx, or tcp:// accepting a connection."
    readiness = list(_readiness_lines(draft))
    yield "  services:" if any(not line.lstrip().startswith("#") for line in readiness) else "  services: {}"
    yield from readiness
    if draft.infrastructure:
        yield "  infrastructure: [" + ", ".join(_q(n) for n in draft.infrastructure) + "]"
    yield from _link_lines(draft)
    yield from _system_lines(draft)


def _readiness_lines(draft: _Draft) -> Iterator[str]:
    services = draft.compose.services
    for name, kind in draft.kinds.items():
        port = _port(services[name], kind)
        if port is None:
            yield f"    # {name}: declares no port, so it only needs to be running"
        elif kind in _DATA_KINDS:
            yield f"    {_q(name)}: {{ready: {json.dumps(f'tcp://{{{name}:{port}}}')}}}"
        else:
            url = json.dumps(f"http://{{{name}:{port}}}/health")
            yield f"    {_q(name)}: {{ready: {url}}}   # TODO the path that answers 2xx once it is ready"


def _link_lines(draft: _Draft) -> Iterator[str]:
    yield "  # Connections a fault cuts through Toxiproxy: drdrill sets each variable on the consumer to reach"
    yield "  # the upstream through the proxy ({proxy} is the proxy's host:port). Found in the compose file's"
    yield "  # environment; add the ones it missed."
    if not draft.links:
        yield "  links: {}"
        yield '  #   provider: {consumer: app, upstream: "provider:8000", env: {LLM_URL: "http://{proxy}/v1"}}'
        return
    yield "  links:"
    for link in draft.links.values():
        env = ", ".join(f"{k}: {json.dumps(v)}" for k, v in link.env.items())
        yield f"    {_q(link.name)}:"
        yield f"      consumer: {_q(link.consumer)}"
        yield f"      upstream: {json.dumps(link.upstream)}"
        yield f"      env: {{{env}}}"


def _entry_point(draft: _Draft) -> str:
    """``{service:port}`` of the service a client talks to, for the examples of the contract."""
    services = draft.compose.services
    for kind in ("service", "worker"):
        for name, found in draft.kinds.items():
            port = _port(services[name], found)
            if found == kind and port is not None:
                return f"{{{name}:{port}}}"
    return "{api:8080}"


SYSTEM_BEGIN = "  # --- the system contract (uncomment and fill in) ---"


def _system_lines(draft: _Draft) -> Iterator[str]:
    api = _entry_point(draft)
    status = next(
        (
            f"{{{n}:{_port(draft.compose.services[n], k)}}}"
            for n, k in draft.kinds.items()
            if k == "worker" and _port(draft.compose.services[n], k) is not None
        ),
        api,
    )
    yield "  # How drdrill writes one unit, probes the steady state and reads back what the system holds."
    yield "  # Declare it here for a JSON-over-HTTP system, or return a system from a pytest_drdrill_system hook"
    yield "  # in a conftest.py beside this file (docs/drill-your-own-system.md). Until then a drill refuses to start."
    yield SYSTEM_BEGIN
    for line in _SYSTEM.replace("API", api).replace("STATUS", status).splitlines():
        yield f"  # {line}" if line else "  #"


_SYSTEM = """\
system:
  payloads: ["TODO a sample input your system accepts"]
  # One unit of work. Synchronous: a 2xx means the system holds the write.
  write:
    request: {method: POST, url: "http://API/TODO", json: {id: "{id}", text: "{payload}"}}
    ack: {status: [200, 201]}
    # Asynchronous instead: 202 and the JSON path of the job id in the answer.
    # ack: {status: [202], job_id: job_id}
  # The steady state, polled every probe_interval: a write read back as done within the probe timeout
  # (use {job_id} in the url for an asynchronous write), or a health check with a latency bound.
  probe:
    read_back:
      url: "http://API/TODO/{id}"
      done: {path: status, equals: done}
    # health: {url: "http://API/health", within: 500ms}
  # Everything the system holds after the drill: the input of the RPO ledger (acknowledged - read = lost).
  final_read:
    url: "http://API/TODO"
    items: items
    id: id
  # Which provider serves, polled during the drill: it dates the failover and the fail-back.
  signals:
    failover:
      url: "http://STATUS/TODO"
      path: active_provider
      normal: primary
      failed_over: [backup]"""


# --- provider-outage.yaml -------------------------------------------------------------------------------


def _scenario_lines(draft: _Draft) -> Iterator[str]:
    providers = draft.providers
    primary = next((p for p in providers if p in draft.links), providers[0] if providers else None)
    backup = next((p for p in providers if p != primary), None)
    yield "# Scaffolded by `drdrill init`: the AI provider stops answering. Fill in the TODOs."
    yield "title: AI provider outage"
    yield "tier: 1"
    yield "disruption: software"
    yield "narrative: >"
    yield "  TODO the story: the hosted model the system depends on stops answering; nothing in our own"
    yield "  infrastructure is wrong, and all we can do is route around it."
    yield "impact: TODO what the client's operations lose while no provider answers."
    yield "detection:"
    yield "  criteria:"
    component = f"component: {_q(primary)}, " if primary else ""
    yield f"    - {{metric: error_rate, {component}above: 0.5, sustained: 5m, staging_sustained: 2s}}"
    yield from _fault_lines(draft, primary)
    yield "recovery:"
    if backup is not None:
        consumer = draft.links[backup].consumer if backup in draft.links else None
        touched = [consumer, backup] if consumer else [backup]
        yield from _commented_step(
            [
                "Automated steps wait for the system's failover signal: uncomment these two once plan.yaml",
                "declares signals.failover (its system contract); drdrill validate refuses them without it.",
            ],
            [
                "title: Fail over to the backup provider",
                "hook: provider-failover",
                "owner: platform-engineer",
                f"components: [{', '.join(_q(c) for c in touched)}]",
            ],
        )
    yield "  - title: Send the first notice to the client"
    yield "    owner: client-liaison"
    yield "    estimate: 10m"
    yield "  - title: If no provider answers, switch on queue-and-hold"
    yield "    owner: incident-lead"
    yield "    estimate: 5m"
    if backup is not None:
        yield from _commented_step(
            [],
            [
                "title: After the primary recovers, fail back",
                "hook: provider-failback",
                f"components: [{_q(primary or backup)}]",
            ],
        )
    yield "degraded_modes: [queue-and-hold]"
    yield "staging:"
    yield "  recovery_bound: 30s      # the automated recovery must finish within this in staging"
    yield "  workload_rate: 10        # writes per second"


def _commented_step(why: list[str], keys: list[str]) -> Iterator[str]:
    """A recovery step written commented out: its hook needs what the scaffold cannot declare for you."""
    for line in why:
        yield f"  # {line}"
    first, *rest = keys
    yield f"  # - {first}"
    for key in rest:
        yield f"  #   {key}"


def _fault_lines(draft: _Draft, primary: str | None) -> Iterator[str]:
    if primary is None:
        yield "# TODO no AI provider was found in the compose file. Put drdrill's simulator in its place"
        yield "# (image drdrill/provider-sim:local), add it to plan.yaml as an ai_provider, and inject e.g.:"
        yield "#   - {kind: http_error, target: <provider>, status: 503}"
        yield "faults: []"
        return
    yield "faults:"
    if primary in draft.links:
        yield "  - kind: down"
        yield f"    target: {_q(primary)}"
        yield "    note: Every connection to the provider is refused, as in a full provider outage."
    else:
        yield "  # TODO no link reaches this provider through Toxiproxy (see links in plan.yaml), so the"
        yield "  # outage stops its container instead."
        yield "  - kind: stop"
        yield f"    target: {_q(primary)}"
