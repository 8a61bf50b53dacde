"""The system contract as plan data: how drdrill starts, reaches, loads, probes and reads back *your* system.

Everything here lives under ``staging_topology`` in ``plan.yaml``. Nothing here knows Docker: the compose file
is only named, and :mod:`drdrill.plan.compose` checks the names against it. URLs are templates:

- ``{service:port}`` is where the host reaches that compose service's container port (always 127.0.0.1);
- ``{id}`` is the id drdrill gives one write (or probe), ``{payload}`` one of the plan's sample payloads,
  ``{job_id}`` what an asynchronous write's acknowledgement returned;
- ``{proxy}`` (in a link's ``env`` only) is the ``host:port`` of the Toxiproxy listener of that link.

JSON paths are dotted keys with list indices, e.g. ``status``, ``data.items``, ``results.0.id`` (a leading
``$.`` is allowed). Python systems (the ``pytest_drdrill_system`` hook) may leave parts of this out.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from drdrill.plan.base import PlanModel
from drdrill.plan.durations import Duration, StagingDuration, at_least

# {service:port} inside a URL template: a compose service name and a container port.
SERVICE_PORT = re.compile(r"\{(?P<service>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<port>\d{1,5})\}")
PLACEHOLDER = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")
UPSTREAM = re.compile(r"^(?P<service>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<port>\d{1,5})$")
JSON_PATH = re.compile(r"^(\$\.)?[^.\s]+(\.[^.\s]+)*$")
# What a write may be answered with, so that templates are checked at load time rather than mid-drill.
WRITE_PLACEHOLDERS = frozenset({"id", "payload"})
READ_PLACEHOLDERS = frozenset({"id", "job_id"})
MIN_POLL = timedelta(milliseconds=10)
"""The shortest read-back poll: each poll is an HTTP request, and one every 10ms per probe already loads a
staging system more than its probes do."""


def template_problem(template: str, allowed: frozenset[str], what: str) -> str | None:
    """Why a URL or body template is wrong (an unknown placeholder), or None."""
    for match in PLACEHOLDER.finditer(template):
        if match["name"] not in allowed:
            choices = ", ".join(f"{{{a}}}" for a in sorted(allowed)) or "none"
            return f"unknown placeholder {{{match['name']}}} in {what}; allowed here: {choices} and {{service:port}}"
    return None


def _url(value: str, allowed: frozenset[str], what: str) -> str:
    if not value.startswith(("http://", "tcp://")):
        raise ValueError(f"{what} must start with http:// or tcp://, e.g. http://{{api:8080}}/health")
    problem = template_problem(value, allowed, what)
    if problem:
        raise ValueError(problem)
    host = value.split("://", 1)[1].split("/", 1)[0]
    if not SERVICE_PORT.fullmatch(host):
        raise ValueError(
            f"{what} must name its host as {{service:port}} (a compose service and its container port), "
            f"e.g. http://{{api:8080}}/health; got host {host!r}"
        )
    return value


def _path(value: str) -> str:
    if not JSON_PATH.match(value):
        raise ValueError(f"not a JSON path: {value!r}; write dotted keys, e.g. status or data.items.0.id")
    return value


class UnitWords(PlanModel):
    """What one unit of work is called, so every view speaks the plan's words."""

    one: str = Field(min_length=1, description="Singular, e.g. ticket, question, document.")
    many: str = Field(min_length=1, description="Plural, e.g. tickets, questions, documents.")


class ServiceReadiness(PlanModel):
    """When one compose service counts as started."""

    ready: str = Field(
        description="http://{service:port}/path answering 2xx, or tcp://{service:port} accepting a connection."
    )

    @field_validator("ready")
    @classmethod
    def _check(cls, value: str) -> str:
        return _url(value, frozenset(), "ready")


class Link(PlanModel):
    """A connection drdrill cuts through Toxiproxy: which consumers reach which upstream, and how they are told."""

    consumer: str | list[str] = Field(
        description="Compose service that opens the connection (or a list of them, all told the same)."
    )
    upstream: str = Field(description="service:port it connects to, e.g. provider:8000.")
    env: dict[str, str] = Field(
        min_length=1,
        description="Variables set on the consumer to point it at the proxy, e.g. LLM_URL: http://{proxy}/v1.",
    )
    probe: Literal["request", "connect"] = Field(
        default="request",
        description=(
            "How drdrill samples this link's own traffic for a detection criterion on its component: `request` "
            "sends a small HTTP request through the proxy and waits for the first byte of any answer (or the "
            "upstream closing); `connect` only opens a connection (for an upstream that must not be sent bytes)."
        ),
    )

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, value: str) -> str:
        if not UPSTREAM.match(value):
            raise ValueError(f"upstream must be service:port, e.g. provider:8000; got {value!r}")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, env: dict[str, str]) -> dict[str, str]:
        for name, value in env.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if "{proxy}" not in value:
                raise ValueError(f"{name}: the value must contain {{proxy}}, e.g. http://{{proxy}}/v1")
            problem = template_problem(value, frozenset({"proxy"}), f"env {name}")
            if problem:
                raise ValueError(problem)
        return env

    @field_validator("consumer")
    @classmethod
    def _consumers(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("consumer: give one service, or a list of distinct services")
        return value

    @property
    def consumers(self) -> tuple[str, ...]:
        """Every service that reaches the upstream through this link."""
        return (self.consumer,) if isinstance(self.consumer, str) else tuple(self.consumer)

    @property
    def upstream_service(self) -> str:
        return self.upstream.rsplit(":", 1)[0]

    @property
    def upstream_port(self) -> int:
        return int(self.upstream.rsplit(":", 1)[1])


class Match(PlanModel):
    """A JSON value compared with what the system answered."""

    path: str
    equals: str | int | float | bool | None = None
    one_of: list[str | int | float | bool] | None = None

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        return _path(value)

    @model_validator(mode="after")
    def _one(self) -> Match:
        if (self.equals is None) == (self.one_of is None):
            raise ValueError("give exactly one of `equals` or `one_of`")
        return self

    def matches(self, found: object) -> bool:
        """True when the value found at the path is the expected one."""
        wanted = [self.equals] if self.one_of is None else list(self.one_of)
        return any(found == w or str(found) == str(w) for w in wanted)


class HttpRequest(PlanModel):
    """One HTTP request, as a template."""

    method: Literal["GET", "POST", "PUT", "PATCH"] = "POST"
    url: str
    json_body: Any = Field(
        default=None, alias="json", description="JSON body; strings may hold placeholders."
    )
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: StagingDuration = timedelta(seconds=2)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value, WRITE_PLACEHOLDERS, "url")


class Acknowledgement(PlanModel):
    """Which answers acknowledge a write: a synchronous 2xx, or an asynchronous 202 with a job id."""

    status: list[int] = Field(default_factory=lambda: [200, 201], min_length=1)
    job_id: str | None = Field(
        default=None, description="JSON path of the job id in an asynchronous acknowledgement."
    )

    @field_validator("job_id")
    @classmethod
    def _job(cls, value: str | None) -> str | None:
        return None if value is None else _path(value)


class WriteSpec(PlanModel):
    """What one write is, and what the system's answers to it mean (Jepsen's ok / fail / info)."""

    request: HttpRequest
    ack: Acknowledgement = Field(default_factory=Acknowledgement)
    refused: list[int] = Field(
        default_factory=lambda: [400, 404, 409, 422, 503],
        description="Statuses meaning the write certainly did not take effect; any other answer is unknown.",
    )

    @model_validator(mode="after")
    def _disjoint(self) -> WriteSpec:
        both = sorted(set(self.ack.status) & set(self.refused))
        if both:
            raise ValueError(f"status {both[0]} is both an acknowledgement and a refusal")
        return self


class ReadBack(PlanModel):
    """A probe that writes one unit and reads it back until it is done (the whole path works)."""

    url: str = Field(description="Where the unit's state is read, e.g. http://{api:8080}/jobs/{job_id}.")
    done: Match
    failed: Match | None = Field(default=None, description="A state that means the unit will never be done.")
    poll: Annotated[Duration, at_least(MIN_POLL, "a shorter poll only spins on the system")] = timedelta(
        milliseconds=50
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value, READ_PLACEHOLDERS, "read_back.url")


class HealthProbe(PlanModel):
    """A probe that asks a health endpoint, with a latency bound."""

    url: str
    status: list[int] = Field(default_factory=lambda: [200], min_length=1)
    within: Duration | None = Field(default=None, description="Slower than this is a failed probe.")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value, frozenset(), "health.url")


class ProbeSpec(PlanModel):
    """The steady-state probe: a write read back as done in time, or a health check."""

    read_back: ReadBack | None = None
    health: HealthProbe | None = None

    @model_validator(mode="after")
    def _one(self) -> ProbeSpec:
        if (self.read_back is None) == (self.health is None):
            raise ValueError("give exactly one of `read_back` or `health`")
        return self


class RedisRead(PlanModel):
    """A final read of a Redis store: two commands whose replies list the ids held and the ids done."""

    held: list[str] = Field(min_length=1, description="A command listing every id held, e.g. [HKEYS, jobs].")
    done: list[str] = Field(
        min_length=1, description="A command listing the ids done, e.g. [HKEYS, answers]."
    )
    outputs: list[str] | None = Field(
        default=None, description="A command whose reply maps an id to its output, e.g. [HGETALL, labels]."
    )


class FinalReadSpec(PlanModel):
    """The read that lists what the system holds after the drill: the input of the RPO ledger.

    Over HTTP (``url``, ``items``, ...), or straight from a data store the plan declares (``store`` with
    ``redis`` commands or a ``sql`` query), so a system whose results sit in Redis or Postgres needs no Python.
    A store behind a link is read wherever the link leads after the recovery.
    """

    url: str | None = None
    items: str | None = Field(
        default=None, description="JSON path of the list of units in the answer, e.g. items or data.tickets."
    )
    store: str | None = Field(
        default=None, description="A data store (staging_topology.data_stores) to read."
    )
    redis: RedisRead | None = None
    sql: str | None = Field(
        default=None,
        description=(
            "A query whose rows are one unit each: id, then whether it is done (boolean), then optionally how "
            "many times it was done and its output, e.g. SELECT id, status = 'done', attempts, label FROM jobs."
        ),
    )
    id: str = Field(default="id", description="JSON path of a unit's id inside one item.")
    done: Match | None = Field(
        default=None,
        description="When an item is done (processed); without it every item held counts as done.",
    )
    times: str | None = Field(
        default=None,
        description="JSON path of how many times an item was done, so work done twice is counted.",
    )
    output: str | None = Field(
        default=None,
        description="JSON path of what the system made of an item (a label, an answer): a golden set judges it.",
    )
    timeout: StagingDuration = timedelta(seconds=10)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value, frozenset(), "final_read.url")

    @field_validator("id")
    @classmethod
    def _paths(cls, value: str) -> str:
        return _path(value)

    @field_validator("items", "times", "output")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return None if value is None else _path(value)

    @model_validator(mode="after")
    def _one_source(self) -> FinalReadSpec:
        if (self.url is None) == (self.store is None):
            raise ValueError("read over HTTP (`url` and `items`) or from a data store (`store`), not both")
        if self.url is not None:
            if self.items is None:
                raise ValueError("an HTTP final read needs `items`: the JSON path of the list of units")
            if self.redis is not None or self.sql is not None:
                raise ValueError("`redis` and `sql` read a data store: give `store`, not `url`")
        elif (self.redis is None) == (self.sql is None):
            raise ValueError("a final read from a store gives `redis` commands or a `sql` query, not both")
        return self

    @property
    def over_http(self) -> bool:
        """Read over HTTP (else straight from a data store)."""
        return self.url is not None


SEARCH_PLACEHOLDERS = frozenset({"query", "k"})


class SearchRequest(HttpRequest):
    """A search request, as a template: ``{query}`` is the query text, ``{k}`` how many results are wanted."""

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value, SEARCH_PLACEHOLDERS, "search.url")


class SearchSpec(PlanModel):
    """How to ask the system for the nearest items of a query (a vector index): a drill judges recall@k on it."""

    request: SearchRequest
    results: str = Field(description="JSON path of the list of results in the answer, e.g. results.")
    id: str = Field(default="id", description="JSON path of a result's id inside one result.")

    @field_validator("results", "id")
    @classmethod
    def _paths(cls, value: str) -> str:
        return _path(value)


class SignalSpec(PlanModel):
    """Something the system says about itself, polled while the drill runs (which provider, which mode)."""

    url: str | None = Field(
        default=None, description="Left out when a Python system reads the signal itself."
    )
    path: str | None = None
    normal: str | None = Field(default=None, description="The value in normal operation, e.g. primary.")
    failed_over: list[str] = Field(
        default_factory=list, description="Values that mean the system runs on its fallback, e.g. [backup]."
    )
    modes: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "The `mode` signal: each value the system reports -> the plan's degraded mode it means, e.g. "
            "{queued: queue-and-hold}; `normal` is full operation."
        ),
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value, frozenset(), "signal url")

    @model_validator(mode="after")
    def _pair(self) -> SignalSpec:
        if (self.url is None) != (self.path is None):
            raise ValueError(
                "give both `url` and `path`, or neither (a Python system reads the signal itself)"
            )
        if self.path is not None:
            _path(self.path)
        return self


FAILOVER_SIGNAL = "failover"
MODE_SIGNAL = "mode"  # which degraded mode the system says it runs in (normal: full operation)


class NotificationChannel(PlanModel):
    """Where the system sends one kind of message, pointed at drdrill's notification sink during a drill.

    ``role: alert`` is the system's own alerting (its on-call pager, chat, e-mail): the first alert after the
    fault is the system's own time to detect. ``role: notice`` is what the client is told: each notice is
    matched to a stage of the plan's communication protocol and checked against its deadline and its words.
    """

    role: Literal["alert", "notice"]
    consumer: str = Field(description="Compose service that sends the messages.")
    env: dict[str, str] = Field(
        min_length=1,
        description=(
            "Variables set on the consumer to point it at the sink: {webhook} is the HTTP base URL of this "
            "channel (append the path your tool posts to, e.g. {webhook}/v2/enqueue for PagerDuty Events v2), "
            "{smtp_host} and {smtp_port} its SMTP server."
        ),
    )

    @field_validator("env")
    @classmethod
    def _env(cls, env: dict[str, str]) -> dict[str, str]:
        for name, value in env.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name")
            problem = template_problem(value, SINK_PLACEHOLDERS, f"env {name}")
            if problem:
                raise ValueError(problem)
        if not any(p in value for value in env.values() for p in ("{webhook}", "{smtp_host}", "{smtp_port}")):
            raise ValueError("no value names the sink: use {webhook}, or {smtp_host} and {smtp_port}")
        return env


SINK_PLACEHOLDERS = frozenset({"webhook", "smtp_host", "smtp_port"})


class SystemContract(PlanModel):
    """The declarative HTTP form of the system contract (a Python system may replace any part of it)."""

    payloads: list[str] = Field(
        default_factory=lambda: ["drdrill sample payload"],
        min_length=1,
        description="Sample payloads cycled through the writes' {payload}.",
    )
    write: WriteSpec | None = None
    probe: ProbeSpec | None = None
    final_read: FinalReadSpec | None = None
    search: SearchSpec | None = Field(
        default=None, description="A search of a derived index (a vector index), for recall@k after recovery."
    )
    signals: dict[str, SignalSpec] = Field(
        default_factory=dict,
        description="Signals by name; `failover` (with normal / failed_over) dates failover and fail-back.",
    )

    @model_validator(mode="after")
    def _probe_needs_write(self) -> SystemContract:
        if self.probe is not None and self.probe.read_back is not None and self.write is None:
            raise ValueError("a read_back probe writes a unit first: declare `write` too")
        if (
            self.probe is not None
            and self.probe.read_back is not None
            and self.write is not None
            and "{job_id}" in self.probe.read_back.url
            and self.write.ack.job_id is None
        ):
            raise ValueError("read_back.url uses {job_id}, but write.ack declares no job_id path")
        return self


def service_ports(template: str) -> list[tuple[str, int]]:
    """The ``(service, port)`` pairs a template names."""
    return [(m["service"], int(m["port"])) for m in SERVICE_PORT.finditer(template)]
