"""Declarative recovery actions: what an automated recovery step does when no Python hook carries it out.

A step names one action (``action: {exec: {...}}``), so a user recovers their own stack without writing Python:

- ``exec``: a command in a service's container; exit 0 is done, its output is kept;
- ``http``: one request, and the statuses that mean done;
- ``repoint``: a link's upstream moved to another ``service:port`` through Toxiproxy (a DNS or virtual-IP switch);
- ``start``: services, or a compose profile, brought up (the secondary region comes up), and their readiness;
- ``wait_until``: a condition on the system's signals, or a steady-state probe that passes.

Every action is timed and journalled as a step; one that fails costs the drill the verdict its step serves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from drdrill.plan.base import PlanModel
from drdrill.plan.durations import Duration
from drdrill.plan.system import UPSTREAM, Match, _url

ActionKind = Literal["exec", "http", "repoint", "start", "wait_until"]
ACTION_KINDS: tuple[ActionKind, ...] = ("exec", "http", "repoint", "start", "wait_until")


class ExecAction(PlanModel):
    """A command run in a running service's container (``docker exec``); exit status 0 means done."""

    service: str = Field(description="Compose service whose container runs the command.")
    command: list[str] | str = Field(
        description="The command: a list of arguments, or one string run with `sh -c`."
    )
    user: str | None = Field(default=None, description="User to run it as, e.g. postgres.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    timeout: Duration = Field(default=timedelta(seconds=30), description="Longer than this is a failure.")

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str] | str) -> list[str] | str:
        if not value or (isinstance(value, list) and not all(value)):
            raise ValueError("give the command as a non-empty string or list of non-empty arguments")
        return value

    @property
    def argv(self) -> list[str]:
        """The command as arguments (a string runs under ``sh -c``)."""
        return ["sh", "-c", self.command] if isinstance(self.command, str) else list(self.command)


class HttpAction(PlanModel):
    """One HTTP request to a service of the replica; an answer with one of ``status`` means done."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(description="http://{service:port}/path")
    json_body: object = Field(default=None, alias="json", description="JSON body, sent as it is.")
    headers: dict[str, str] = Field(default_factory=dict)
    status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204], min_length=1)
    timeout: Duration = timedelta(seconds=10)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value, frozenset(), "http.url")


class RepointAction(PlanModel):
    """A link's upstream moved to another ``service:port``: new connections through it reach that service, and
    the ones open through it are closed (what a DNS or virtual-IP switch does)."""

    link: str = Field(description="Name of a link under staging_topology.links.")
    to: str = Field(description="service:port it leads to from now on, e.g. postgres-standby:5432.")

    @field_validator("to")
    @classmethod
    def _to(cls, value: str) -> str:
        if not UPSTREAM.match(value):
            raise ValueError(f"to must be service:port, e.g. postgres-standby:5432; got {value!r}")
        return value

    @property
    def service(self) -> str:
        return self.to.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.to.rsplit(":", 1)[1])


class StartAction(PlanModel):
    """Services (or every service of a compose profile) brought up, then awaited by the plan's readiness."""

    services: list[str] = Field(default_factory=list, description="Compose services to start.")
    profile: str | None = Field(default=None, description="A compose profile whose services to start.")
    timeout: Duration = Field(default=timedelta(seconds=60), description="Until they are ready.")

    @model_validator(mode="after")
    def _one(self) -> StartAction:
        if bool(self.services) == (self.profile is not None):
            raise ValueError("give `services` (a list of compose services) or `profile`, not both")
        return self


class WaitUntilAction(PlanModel):
    """Wait until a signal of the system has a value (``signal`` with ``equals`` / ``one_of``), or any value but
    one (``not_equals``: e.g. until an integrity check flags something), or a steady-state probe passes
    (``probe: true``)."""

    signal: str | None = Field(
        default=None, description="Name of a signal (staging_topology.system.signals)."
    )
    equals: str | int | float | bool | None = None
    one_of: list[str | int | float | bool] | None = None
    not_equals: str | int | float | bool | None = Field(
        default=None, description="Wait until the signal is read and is not this value."
    )
    probe: bool = Field(default=False, description="Wait until a steady-state probe passes.")
    timeout: Duration = timedelta(seconds=60)
    poll: Duration = timedelta(milliseconds=200)

    @model_validator(mode="after")
    def _condition(self) -> WaitUntilAction:
        if (self.signal is not None) == self.probe:
            raise ValueError("wait for a `signal` (with `equals` or `one_of`) or for `probe: true`")
        given = [n for n in ("equals", "one_of", "not_equals") if getattr(self, n) is not None]
        if self.signal is not None and len(given) != 1:
            raise ValueError(
                f"signal {self.signal!r}: give exactly one of `equals`, `one_of` or `not_equals`"
            )
        return self

    @property
    def match(self) -> Match | None:
        """The signal's wanted value as a :class:`Match` (None for a probe or ``not_equals``)."""
        if self.signal is None or self.not_equals is not None:
            return None
        return Match.model_validate({"path": "value", "equals": self.equals, "one_of": self.one_of})

    def holds(self, value: str | None) -> bool:
        """The signal's value (None: not read) is the one waited for."""
        if value is None or value.startswith("unreadable"):
            return False
        if self.not_equals is not None:
            return value != str(self.not_equals)
        match = self.match
        return match is not None and match.matches(value)


class RecoveryAction(PlanModel):
    """Exactly one of the declarative actions."""

    exec: ExecAction | None = None
    http: HttpAction | None = None
    repoint: RepointAction | None = None
    start: StartAction | None = None
    wait_until: WaitUntilAction | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RecoveryAction:
        given = [kind for kind in ACTION_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an action is exactly one of {', '.join(ACTION_KINDS)}; got {', '.join(given) or 'none'}"
            )
        return self

    @property
    def kind(self) -> ActionKind:
        """Which action this is."""
        return next(kind for kind in ACTION_KINDS if getattr(self, kind) is not None)

    @property
    def timeout(self) -> timedelta:
        """How long the action may take (a repoint is one API call: its client's timeout bounds it)."""
        spec = getattr(self, self.kind)
        found = getattr(spec, "timeout", None)
        return found if isinstance(found, timedelta) else timedelta(seconds=10)

    def describe(self) -> str:
        """One line for the journal and every view: what the action does."""
        if self.exec is not None:
            shown = self.exec.command if isinstance(self.exec.command, str) else " ".join(self.exec.command)
            return f"exec in {self.exec.service}: {shown}"
        if self.http is not None:
            return f"http {self.http.method} {self.http.url}"
        if self.repoint is not None:
            return f"repoint link {self.repoint.link} to {self.repoint.to}"
        if self.start is not None:
            what = f"profile {self.start.profile}" if self.start.profile else ", ".join(self.start.services)
            return f"start {what}"
        assert self.wait_until is not None
        wait = self.wait_until
        if wait.probe:
            return "wait until a steady-state probe passes"
        if wait.not_equals is not None:
            return f"wait until signal {wait.signal} is not {wait.not_equals}"
        wanted = wait.equals if wait.one_of is None else " or ".join(str(v) for v in wait.one_of)
        return f"wait until signal {wait.signal} is {wanted}"
