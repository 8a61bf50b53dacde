"""Fault declarations, typed per family and told apart by ``kind``.

A fault names the component it hits by ``target``. Zone and region loss hit a place, not one component:
their ``target`` is the zone or region name, and which containers are there comes from the plan's components
(their ``zone`` and ``staging.service``, and the plan's ``regions``), never from service names.
"""

from __future__ import annotations

import re
import typing
from datetime import timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from drdrill.plan.base import PlanModel
from drdrill.plan.durations import Duration, format_duration
from drdrill.plan.system import Match, _url

Stream = Literal["upstream", "downstream"]
LossMode = Literal["power", "freeze", "isolate", "drain"]
# A table or column a data fault names: plain SQL identifiers (optionally schema-qualified), never SQL text.
SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _sql_name(value: str) -> str:
    if not SQL_NAME.match(value):
        raise ValueError(f"{value!r} is not a table or column name (letters, digits and _, e.g. orders)")
    return value


class FaultWaitFor(PlanModel):
    """A fault applied only once a signal of the system has a value: at the worst moment (a worker holding
    work, a job half done), read through the system contract."""

    signal: str = Field(description="Name of a signal (staging_topology.system.signals).")
    equals: str | int | float | bool | None = None
    one_of: list[str | int | float | bool] | None = None
    timeout: Duration = Field(
        default=timedelta(seconds=30),
        description="Longer than this and the drill stops: the moment never came.",
    )
    poll: Duration = Field(default=timedelta(milliseconds=50), description="How often the signal is read.")

    @model_validator(mode="after")
    def _one(self) -> FaultWaitFor:
        if (self.equals is None) == (self.one_of is None):
            raise ValueError(f"signal {self.signal!r}: give exactly one of `equals` or `one_of`")
        if self.poll < timedelta(milliseconds=10):
            raise ValueError(f"poll must be at least 10ms, got {format_duration(self.poll)}")
        return self

    @property
    def match(self) -> Match:
        """The wanted value as a :class:`Match` on the signal's value."""
        return Match.model_validate({"path": "value", "equals": self.equals, "one_of": self.one_of})

    def describe(self) -> str:
        wanted = self.equals if self.one_of is None else " or ".join(str(v) for v in self.one_of)
        return f"signal {self.signal} is {wanted}"


class _Fault(PlanModel):
    note: str | None = Field(default=None, description="Why this fault, in a sentence.")
    wait_for: FaultWaitFor | None = Field(
        default=None,
        description="Apply it only once a signal of the system has a value (the faults before it are in place).",
    )

    # The fault family (network, container, zone, region, provider_http, data, model, credentials); each
    # family's base class sets it.
    family: ClassVar[str] = ""


class _TargetedFault(_Fault):
    target: str = Field(description="Name of the component this fault hits.")


# --- network (Toxiproxy) ------------------------------------------------------------------------------


class _NetworkFault(_TargetedFault):
    family: ClassVar[str] = "network"


class _Toxic(_NetworkFault):
    stream: Stream = "downstream"
    toxicity: float = Field(default=1.0, ge=0.0, le=1.0, description="Share of connections affected, 0..1.")


class Down(_NetworkFault):
    """The proxy in front of the target refuses every connection."""

    kind: Literal["down"]


class Latency(_Toxic):
    """Delay every chunk by ``latency_ms`` (+/- ``jitter_ms``)."""

    kind: Literal["latency"]
    latency_ms: int = Field(ge=0)
    jitter_ms: int = Field(default=0, ge=0)


class Timeout(_Toxic):
    """Stop all data and close the connection after ``timeout_ms`` (0: hold it until reverted)."""

    kind: Literal["timeout"]
    timeout_ms: int = Field(ge=0)


class Bandwidth(_Toxic):
    """Limit the connection to ``rate_kbps`` kilobytes per second."""

    kind: Literal["bandwidth"]
    rate_kbps: int = Field(ge=0)


class ResetPeer(_Toxic):
    """Reset the connection (TCP RST) after ``timeout_ms``."""

    kind: Literal["reset_peer"]
    timeout_ms: int = Field(default=0, ge=0)


class SlowClose(_Toxic):
    """Delay closing the connection by ``delay_ms``."""

    kind: Literal["slow_close"]
    delay_ms: int = Field(ge=0)


class Slicer(_Toxic):
    """Cut data into small packets of ``average_size`` bytes, ``delay_us`` apart."""

    kind: Literal["slicer"]
    average_size: int = Field(ge=1)
    size_variation: int = Field(default=0, ge=0)
    delay_us: int = Field(default=0, ge=0)


class LimitData(_Toxic):
    """Close the connection once ``bytes`` bytes have passed."""

    kind: Literal["limit_data"]
    bytes: int = Field(ge=0)


# --- container ----------------------------------------------------------------------------------------


class _ContainerFault(_TargetedFault):
    family: ClassVar[str] = "container"


class Stop(_ContainerFault):
    """Stop the target's container gracefully."""

    kind: Literal["stop"]


class Kill(_ContainerFault):
    """Kill the target's container with ``signal``."""

    kind: Literal["kill"]
    signal: Literal["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"] = "SIGKILL"


class Pause(_ContainerFault):
    """Freeze the target's container: it holds its connections but answers nothing."""

    kind: Literal["pause"]


class Replace(_ContainerFault):
    """Throw the target's container away and create a new one, as an orchestrator does after a node loss: a new
    id, a new hostname, empty anonymous volumes (named volumes stay, as a network disk would)."""

    kind: Literal["replace"]


# --- zone and region ----------------------------------------------------------------------------------


class _PlaceLoss(_Fault):
    mode: LossMode = Field(
        default="power",
        description=(
            "power: its containers cut from their networks, then killed (SIGKILL), as a power cut; freeze: its "
            "containers paused (they accept connections and answer nothing); isolate: its containers keep "
            "running, cut from every network (a partition); drain: the soft loss, the place emptied on purpose: "
            "on Kubernetes its nodes cordoned and the drill's pods evicted (each ends with its grace period, its "
            "controller makes it again where it may), on compose its containers stopped gracefully (SIGTERM, "
            "SIGKILL after 2 s) and started at the revert. On Kubernetes power and freeze act on the local "
            "cluster's node containers; isolate is compose only."
        ),
    )


class ZoneLoss(_PlaceLoss):
    """Every component in ``zone`` becomes unreachable at once."""

    kind: Literal["zone_loss"]
    zone: str
    comes_back: bool = Field(
        default=True,
        description="The zone returns when the fault is reverted (false: it stays lost until the drill ends).",
    )

    family: ClassVar[str] = "zone"

    @property
    def target(self) -> str:
        """The zone lost."""
        return self.zone


class RegionLoss(_PlaceLoss):
    """Every zone of ``region`` is lost."""

    kind: Literal["region_loss"]
    region: str
    comes_back: bool = Field(
        default=False,
        description="The region returns when the fault is reverted (a lost region usually does not).",
    )

    family: ClassVar[str] = "region"

    @property
    def target(self) -> str:
        """The region lost."""
        return self.region


# --- AI provider, at the HTTP level -------------------------------------------------------------------


class _ProviderFault(_TargetedFault):
    family: ClassVar[str] = "provider_http"


def _at_least_a_millisecond(name: str, value: timedelta | None) -> timedelta | None:
    if value is not None and value < timedelta(milliseconds=1):
        raise ValueError(f"{name} must be at least 1ms, got {format_duration(value)}")
    return value


class _SharedProviderFault(_ProviderFault):
    error_rate: float = Field(default=1.0, ge=0.0, le=1.0, description="Share of requests it spoils, 0..1.")
    heal_after: Duration | None = Field(
        default=None,
        description="The provider answers again by itself this long after the fault is set, while the fault "
        "stays in place until the drill reverts it (a transient outage).",
    )

    @field_validator("heal_after")
    @classmethod
    def _heal_after(cls, value: timedelta | None) -> timedelta | None:
        return _at_least_a_millisecond("heal_after", value)


class HttpError(_SharedProviderFault):
    """The provider answers a share of requests with an HTTP error status, all along or flapping."""

    kind: Literal["http_error"]
    status: int = Field(ge=400, le=599)
    retry_after: Duration | None = Field(
        default=None, description="Retry-After sent with 429/503/529 answers."
    )
    period: Duration | None = Field(
        default=None, description="Flapping: the errors come and go with this period (none: all along)."
    )
    down_for: Duration | None = Field(
        default=None, description="Flapping: how long of each period the errors last (default: half of it)."
    )

    @model_validator(mode="after")
    def _flapping(self) -> HttpError:
        if self.down_for is not None and self.period is None:
            raise ValueError("down_for is part of flapping: give the period as well")
        if self.period is not None:
            _at_least_a_millisecond("period", self.period)
            down = self.down_for if self.down_for is not None else self.period / 2
            if not timedelta(milliseconds=1) <= down < self.period:
                raise ValueError(
                    f"down_for must be at least 1ms and shorter than the period ({format_duration(self.period)}), "
                    f"got {format_duration(down)}"
                )
        return self


class RateLimit(_SharedProviderFault):
    """A rate-limit storm: the provider answers 429 with Retry-After, and counts the calls that came sooner."""

    kind: Literal["rate_limit"]
    retry_after: Duration = Field(description="Retry-After sent with every 429.")


class Hang(_SharedProviderFault):
    """The provider accepts the request and never answers, until the fault is reverted (or heals)."""

    kind: Literal["hang"]


class SlowFirstToken(_SharedProviderFault):
    """The provider holds the first token of every answer for ``delay`` (a whole answer: all of it)."""

    kind: Literal["slow_first_token"]
    delay: Duration


class TruncatedStream(_SharedProviderFault):
    """The provider's streamed answer stops after ``after_chunks`` chunks: the connection drops, no end marker
    (a whole answer breaks off halfway)."""

    kind: Literal["truncated_stream"]
    after_chunks: int = Field(ge=0)


class MalformedBody(_SharedProviderFault):
    """The provider answers 200 with a body that breaks off mid-JSON."""

    kind: Literal["malformed_body"]


class MalformedChunk(_SharedProviderFault):
    """In a streamed answer, the chunk after ``after_chunks`` content chunks is not valid JSON."""

    kind: Literal["malformed_chunk"]
    after_chunks: int = Field(default=0, ge=0)


class SchemaChange(_SharedProviderFault):
    """The provider changed its response schema: the answer's text is no longer where its clients read it."""

    kind: Literal["schema_change"]


# --- data ---------------------------------------------------------------------------------------------


class _DataFault(_TargetedFault):
    family: ClassVar[str] = "data"


class _StoreFault(_DataFault):
    store: str | None = Field(
        default=None,
        description="The data store (staging_topology.data_stores) it goes through; default: the target's own.",
    )
    table: str = Field(description="The table it hits.")

    @field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        return _sql_name(value)


class CorruptRows(_StoreFault):
    """Overwrite ``column`` of ``rows`` rows of ``table`` with a wrong ``value``, through the data store: what
    a faulty migration does. Nothing crashes; the damage stays until a recovery repairs it."""

    kind: Literal["corrupt_rows"]
    column: str = Field(description="The column overwritten.")
    value: str | int | float | bool | None = Field(default=None, description="The wrong value (null: NULL).")
    rows: int = Field(default=1, ge=1)
    where: str | None = Field(
        default=None, description="SQL condition picking the rows, e.g. status = 'processed'."
    )

    @field_validator("column")
    @classmethod
    def _column(cls, value: str) -> str:
        return _sql_name(value)


class DropTable(_StoreFault):
    """Drop ``table`` through the data store."""

    kind: Literal["drop_table"]


class CorruptFile(_DataFault):
    """Flip ``bytes`` bytes of a file inside the target's container (a file of its volume, or every file of a
    directory), at positions drawn from ``seed``: a disk that returns other bytes than were written."""

    kind: Literal["corrupt_file"]
    path: str = Field(description="Absolute path of a file or directory inside the target's container.")
    bytes: int = Field(default=64, ge=1, le=1_000_000)
    seed: int = Field(default=0, description="Picks the positions: the same seed flips the same bytes.")

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or "\x00" in value:
            raise ValueError(
                f"path must be absolute inside the container, e.g. /data/index.bin; got {value!r}"
            )
        return value


class LoseVolume(_DataFault):
    """The disk under the target's named ``volume`` is gone: its container is removed and the volume with it.
    The service stays down until a recovery starts it again (on a new, empty volume)."""

    kind: Literal["lose_volume"]
    volume: str = Field(description="A named volume of the compose file that the target's service mounts.")


# --- model --------------------------------------------------------------------------------------------


class DegradeAccuracy(_TargetedFault):
    """The provider updates the model behind the target's name: the new version gives a wrong answer on
    ``wrong_label_rate`` of inputs; a request that pins the previous version is answered as before."""

    kind: Literal["degrade_accuracy"]
    wrong_label_rate: float = Field(gt=0.0, le=1.0)
    provider_rolls_back: bool = Field(
        default=True,
        description=(
            "Whether the provider takes the update back when the fault is reverted. false: the new version "
            "stays under the model's name to the end of the drill, as a real provider's update does, so the "
            "golden set after recovery is answered as well as the system's own rollback made it."
        ),
    )

    family: ClassVar[str] = "model"


# --- credentials --------------------------------------------------------------------------------------


class _CredentialFault(_TargetedFault):
    secret: str = Field(description="Name of a secret listed under `secrets` in plan.yaml.")

    family: ClassVar[str] = "credentials"


class SecretUse(PlanModel):
    """One place that took the secret: a request drdrill makes with the leaked value while the fault holds, as
    whoever found it would (e.g. the provider's API with the key); once rotated, it must be refused."""

    name: str | None = Field(
        default=None, description="What took it, as the verdict names it; default: the URL's compose service."
    )
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(description="http://{service:port}/path")
    headers: dict[str, str] = Field(
        min_length=1,
        description="Headers; the leaked value goes where `{secret}` is, e.g. Authorization: Bearer {secret}.",
    )
    json_body: object = Field(default=None, alias="json", description="JSON body, sent as it is.")
    refused: list[int] = Field(
        default_factory=lambda: [401, 403],
        min_length=1,
        description="Statuses that mean the secret was refused; any other 2xx means it was accepted.",
    )
    every: Duration = Field(default=timedelta(milliseconds=250), description="How often it is tried.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value, frozenset(), "uses.url")

    @model_validator(mode="after")
    def _secret_placed(self) -> SecretUse:
        if not any("{secret}" in v for v in self.headers.values()):
            raise ValueError("put {secret} in a header, e.g. Authorization: Bearer {secret}")
        if self.every < timedelta(milliseconds=50):
            raise ValueError(f"every must be at least 50ms, got {format_duration(self.every)}")
        return self

    @property
    def service(self) -> str:
        """The compose service the URL names."""
        return self.url.split("://", 1)[1].split("/", 1)[0].strip("{}").rsplit(":", 1)[0]

    @property
    def shown(self) -> str:
        """The name the verdicts give it."""
        return self.name or self.service


class LeakSecret(_CredentialFault):
    """Treat ``secret`` as leaked: it must be rotated and the old value must stop working.

    In a drill, the run's value of ``value_from`` (one of staging_topology.generated_secrets) is the leaked one:
    drdrill uses it at each of ``uses`` while the fault holds, as whoever found it would, and measures when
    every one of them refused it."""

    kind: Literal["leak_secret"]
    value_from: str | None = Field(
        default=None,
        description=(
            "A variable of staging_topology.generated_secrets: its value in this run is the leaked secret "
            "(needed for a drill; a tabletop exercise does without)."
        ),
    )
    uses: list[SecretUse] = Field(
        default_factory=list,
        description="Every place that took the secret, tried with the leaked value while the fault holds.",
    )


class RevokeSecret(_CredentialFault):
    """Revoke ``secret`` without warning: the target loses access until it gets a new one."""

    kind: Literal["revoke_secret"]


Fault = Annotated[
    Down
    | Latency
    | Timeout
    | Bandwidth
    | ResetPeer
    | SlowClose
    | Slicer
    | LimitData
    | Stop
    | Kill
    | Pause
    | Replace
    | ZoneLoss
    | RegionLoss
    | HttpError
    | RateLimit
    | Hang
    | SlowFirstToken
    | TruncatedStream
    | MalformedBody
    | MalformedChunk
    | SchemaChange
    | CorruptRows
    | DropTable
    | CorruptFile
    | LoseVolume
    | DegradeAccuracy
    | LeakSecret
    | RevokeSecret,
    Field(discriminator="kind"),
]
"""One fault of a scenario; ``kind`` picks the type."""

NETWORK_KINDS = (
    "down",
    "latency",
    "timeout",
    "bandwidth",
    "reset_peer",
    "slow_close",
    "slicer",
    "limit_data",
)
CONTAINER_KINDS = ("stop", "kill", "pause", "replace")
PROVIDER_KINDS = (
    "http_error",
    "rate_limit",
    "hang",
    "slow_first_token",
    "truncated_stream",
    "malformed_body",
    "malformed_chunk",
    "schema_change",
)
DATA_KINDS = ("corrupt_rows", "drop_table", "corrupt_file", "lose_volume")
STORE_KINDS = ("corrupt_rows", "drop_table")
FAULT_KINDS = tuple(
    sorted(
        typing.get_args(member.model_fields["kind"].annotation)[0]
        for member in typing.get_args(typing.get_args(Fault)[0])
    )
)
"""Every fault kind, sorted."""
