"""The DR plan as typed data: the system, objectives, degraded modes, communication, backups, scenarios."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from drdrill.plan.actions import RecoveryAction
from drdrill.plan.base import PlanModel
from drdrill.plan.durations import (
    GRID,
    ON_THE_GRID,
    Duration,
    StagingDuration,
    format_duration,
    humanize_duration,
)
from drdrill.plan.faults import Fault
from drdrill.plan.hostaccess import allowance_problem
from drdrill.plan.stores import DataStore
from drdrill.plan.system import Link, NotificationChannel, ServiceReadiness, SystemContract, UnitWords

Tier = Literal[1, 2, 3]
Disruption = Literal["software", "infrastructure", "region", "data"]
ComponentKind = Literal[
    "service", "worker", "data_store", "ai_provider", "vector_index", "queue", "integration"
]
DegradedKind = Literal["reduced_accuracy", "reduced_throughput", "manual_fallback", "queue_and_hold"]
Metric = Literal[
    "error_rate",
    "latency",
    "health_check",
    "accuracy",
    "integrity_check",
    "security_alert",
    "queue_depth",
    "human_review_rate",
    "contract_check",
    "quality_check",
]
# Metrics that are a pass/fail signal: no threshold to declare. quality_check is a system's own watch of its
# model's answers (a canary or golden set scored against a floor), as opposed to accuracy with a threshold.
BOOLEAN_METRICS = frozenset(
    {"health_check", "integrity_check", "security_alert", "contract_check", "quality_check"}
)
# Metrics a staging drill judges on its probes over a window.
PROBE_METRICS = frozenset({"error_rate", "latency"})


# --- the system ---------------------------------------------------------------------------------------


class Region(PlanModel):
    """A region and the availability zones in it."""

    zones: list[str] = Field(min_length=1)


class StagingMapping(PlanModel):
    """Where a production component lives in the staging replica."""

    service: str | None = Field(default=None, description="Compose service name in the staging topology.")
    proxy: str | None = Field(default=None, description="Toxiproxy proxy in front of the component.")


class Component(PlanModel):
    """A part of the production system: a service, data store, AI provider, vector index or queue."""

    name: SkipJsonSchema[str] = ""
    kind: ComponentKind
    description: str = ""
    zone: str | None = Field(default=None, description="Zone it runs in; leave out for an external provider.")
    vendor: str | None = Field(default=None, description="Vendor name, so notices never blame it by name.")
    depends_on: list[str] = Field(default_factory=list)
    backed_up_by: list[str] = Field(default_factory=list, description="Names of entries under `backups`.")
    staging: StagingMapping | None = None


class Role(PlanModel):
    """A recovery role and the people who can fill it."""

    name: SkipJsonSchema[str] = ""
    description: str = ""
    people: list[str] = Field(min_length=1)


class Secret(PlanModel):
    """A credential the system uses; rotation must not depend on one person."""

    name: SkipJsonSchema[str] = ""
    description: str = ""
    used_by: list[str] = Field(default_factory=list, description="Components that hold this secret.")
    rotated_by: list[str] = Field(default_factory=list, description="Roles allowed to rotate it.")


# --- objectives ---------------------------------------------------------------------------------------


class TierObjective(PlanModel):
    """RTO and RPO of a tier."""

    rto: Duration
    rpo: Duration


class ObjectiveOverride(PlanModel):
    """RTO and/or RPO for one tier under one disruption class."""

    rto: Duration | None = None
    rpo: Duration | None = None


class ClientSignoff(PlanModel):
    """The client agreed to these objectives."""

    client: str
    signed_by: str
    date: date


DEFAULT_TIERS: dict[Tier, TierObjective] = {
    1: TierObjective(rto=timedelta(hours=4), rpo=timedelta(0)),
    2: TierObjective(rto=timedelta(hours=12), rpo=timedelta(hours=1)),
    3: TierObjective(rto=timedelta(hours=48), rpo=timedelta(hours=24)),
}


class Objectives(PlanModel):
    """Tier objectives, optional overrides per disruption class, and the client's sign-off."""

    tiers: dict[Tier, TierObjective] = Field(
        default_factory=lambda: dict(DEFAULT_TIERS),
        description="RTO/RPO per tier; tiers left out keep the defaults (1: 4h/0s, 2: 12h/1h, 3: 48h/24h).",
    )
    disruptions: dict[Disruption, dict[Tier, ObjectiveOverride]] = Field(default_factory=dict)
    client_signoff: ClientSignoff | None = None

    @field_validator("tiers")
    @classmethod
    def _fill_defaults(cls, tiers: dict[Tier, TierObjective]) -> dict[Tier, TierObjective]:
        return {**DEFAULT_TIERS, **tiers}


class Objective(PlanModel):
    """The objective that applies to one scenario."""

    tier: int
    disruption: str
    rto: timedelta
    rpo: timedelta
    signed_off: bool


# --- detection, degraded modes, communication ---------------------------------------------------------


class DetectionCriterion(PlanModel):
    """A condition on a signal that, held for ``sustained``, means the failure is happening."""

    metric: Metric
    component: str | None = None
    above: float | None = None
    below: float | None = None
    baseline_factor: float | None = Field(default=None, gt=0, description="Above this multiple of baseline.")
    sustained: Duration = Field(description="Production window the condition must hold for.")
    staging_sustained: Duration | None = Field(
        default=None,
        description="Window a staging drill uses; defaults to the scenario's staging.detection_window.",
    )
    signal: str | None = Field(
        default=None,
        description=(
            "A pass/fail check the system reports itself, as one of its signals (staging_topology.system.signals, "
            "with `normal`): the criterion holds while that signal is not its normal value, e.g. an integrity "
            "check that counts corrupted rows."
        ),
    )
    measured_on: Literal["component", "system"] = Field(
        default="component",
        description=(
            "What a drill measures it on: the named component's own traffic (drdrill's requests through the "
            "component's link) when it has a link, or the system's steady-state probes."
        ),
    )

    @model_validator(mode="after")
    def _window_on_the_grid(self) -> DetectionCriterion:
        # A drill judges error_rate and latency on the probes that finished in the window: a window shorter than
        # the grid holds none, so the criterion could never hold. A pass/fail signal needs no window (0s: at once).
        if (
            self.metric in PROBE_METRICS
            and self.staging_sustained is not None
            and self.staging_sustained < GRID
        ):
            raise ValueError(
                f"staging_sustained {format_duration(self.staging_sustained)} is shorter than drdrill can honour "
                f"for {self.metric}: {ON_THE_GRID}, and a shorter window holds no probe; give at least "
                f"{format_duration(GRID)}"
            )
        return self

    @model_validator(mode="after")
    def _one_threshold(self) -> DetectionCriterion:
        if self.signal is not None and self.metric not in BOOLEAN_METRICS:
            raise ValueError(
                f"a signal is a pass/fail check: give `signal` to a metric among "
                f"{', '.join(sorted(BOOLEAN_METRICS))}, not {self.metric!r}"
            )
        given = [n for n in ("above", "below", "baseline_factor") if getattr(self, n) is not None]
        if self.metric in BOOLEAN_METRICS:
            if given:
                raise ValueError(f"metric {self.metric!r} is pass/fail: remove {', '.join(given)}")
        elif len(given) != 1:
            raise ValueError(
                f"metric {self.metric!r} needs exactly one of above, below, baseline_factor (got {len(given)})"
            )
        return self

    def describe(self) -> str:
        """The criterion in words, with production values."""
        subject = self.metric.replace("_", " ")
        if self.component:
            subject += f" of {self.component}"
        if self.above is not None:
            cond = f"{subject} above {self.above:g}"
        elif self.below is not None:
            cond = f"{subject} below {self.below:g}"
        elif self.baseline_factor is not None:
            cond = f"{subject} above {self.baseline_factor:g}x its baseline"
        else:
            cond = f"{subject} failing"
        return f"{cond} for {humanize_duration(self.sustained)}"


class Detection(PlanModel):
    """Detection criteria as data."""

    match: Literal["any", "all"] = "any"
    criteria: list[DetectionCriterion] = Field(min_length=1)


class DegradedMode(PlanModel):
    """A way to keep giving partial value while full operation is not possible."""

    name: SkipJsonSchema[str] = ""
    kind: DegradedKind
    description: str
    activation: list[str] = Field(min_length=1, description="When this mode is switched on.")
    authorized_roles: list[str] = Field(min_length=1, description="Roles that may switch it on.")
    automated_triggers: list[DetectionCriterion] = Field(default_factory=list)
    client_notice: str = Field(description="What the client is told, and what to expect meanwhile.")
    return_to_normal: list[str] = Field(min_length=1, description="How the system returns to full operation.")


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"match is not a regular expression: {exc}") from None
    return value


class NoticeStage(PlanModel):
    """One notice to the client: its deadline and its template."""

    deadline: Duration
    after: Literal["detection", "restoration"] = "detection"
    template: str
    automated_hook: str | None = Field(default=None, description="Hook that sends it without a person.")
    match: str | None = Field(
        default=None,
        description=(
            "Regular expression that recognises this stage in a notice the system sent (searched, ignoring "
            "case); without it a notice is recognised by the words of its template."
        ),
    )

    _match = field_validator("match")(_regex)


class UpdateStage(PlanModel):
    """Status updates during recovery."""

    cadence: Duration
    template: str
    automated_hook: str | None = None
    match: str | None = Field(default=None, description="As for a notice stage.")

    _match = field_validator("match")(_regex)


class NoticeOverride(PlanModel):
    """A scenario's change to one notice stage."""

    deadline: Duration | None = None
    template: str | None = None


class Communication(PlanModel):
    """The client communication protocol."""

    first_notice: NoticeStage
    initial_assessment: NoticeStage
    updates: UpdateStage
    resolution: NoticeStage
    post_incident_report: NoticeStage


class CommunicationOverrides(PlanModel):
    """Per-scenario changes to the protocol's deadlines or templates."""

    first_notice: NoticeOverride | None = None
    initial_assessment: NoticeOverride | None = None
    resolution: NoticeOverride | None = None
    post_incident_report: NoticeOverride | None = None


NOTICE_STAGES = ("first_notice", "initial_assessment", "updates", "resolution", "post_incident_report")


# --- backups ------------------------------------------------------------------------------------------


class BackupLocation(PlanModel):
    """Where a backup is kept."""

    location: str
    zone: str | None = None
    region: str | None = None


class Backup(PlanModel):
    """An entry of the backup inventory."""

    name: SkipJsonSchema[str] = ""
    category: Literal["model_artifacts", "configuration", "data_store", "processing_state"]
    description: str = ""
    frequency: Duration | Literal["continuous", "on_change"]
    stored_in: BackupLocation
    last_restore_verified: date | None = None
    verify_every: Duration = Field(default=timedelta(days=30), description="Restore test cadence.")


# --- scenario -----------------------------------------------------------------------------------------


class RecoveryStep(PlanModel):
    """One recovery step: automated (a ``hook`` or a declarative ``action`` the runner carries out) or manual
    (``owner`` + ``estimate``)."""

    title: str
    hook: str | None = Field(default=None, description="Automated step: the hook the runner executes.")
    action: RecoveryAction | None = Field(
        default=None, description="Automated step: exec, http, repoint, start or wait_until, no Python."
    )
    after_revert: bool = Field(
        default=False, description="Runs once the fault is reverted (a fail-back, a drain), not during it."
    )
    owner: str | None = Field(default=None, description="Role that carries out (or watches) the step.")
    estimate: Duration | None = Field(default=None, description="Manual step: declared duration.")
    components: list[str] = Field(default_factory=list)
    when: str | None = Field(default=None, description="Condition under which the step applies.")
    details: str | None = None

    @model_validator(mode="after")
    def _automated_or_manual(self) -> RecoveryStep:
        if self.hook is not None and self.action is not None:
            raise ValueError("a step has a 'hook' or an 'action', not both")
        if self.automated:
            which = "hook" if self.hook is not None else "action"
            if self.estimate is not None:
                raise ValueError(
                    f"an automated step (with '{which}') is measured, not estimated: remove 'estimate'"
                )
        elif self.owner is None or self.estimate is None:
            missing = " and ".join(n for n in ("owner", "estimate") if getattr(self, n) is None)
            raise ValueError(
                f"a manual step needs 'owner' and 'estimate' (missing {missing}), or a 'hook' or an 'action'"
            )
        elif self.after_revert:
            raise ValueError("'after_revert' is for automated steps (a 'hook' or an 'action')")
        return self

    @property
    def automated(self) -> bool:
        """True when a hook or a declarative action carries out this step."""
        return self.hook is not None or self.action is not None


class GoldenSet(PlanModel):
    """A labelled test set the system must score on before returning to full operation.

    ``path`` (relative to the scenario file) is a JSON-lines file, one ``{"input": ..., "expected": ...}`` a
    line. After recovery a drill submits every input through the system contract (``write``), waits until the
    final read says each is done, and compares what the system made of it (``final_read.output``) with the
    expected output.
    """

    path: str
    min_accuracy: float = Field(ge=0.0, le=1.0)
    timeout: StagingDuration = Field(
        default=timedelta(seconds=30), description="How long a drill waits for every input to be done."
    )


class IndexRecall(PlanModel):
    """A derived index (a vector index) judged after recovery by recall@k on a fixed query set.

    ``queries`` (relative to the scenario file) is a JSON-lines file, one ``{"query": ..., "expected": [ids]}``
    a line, ``expected`` being the exact nearest neighbours (at least ``k``). A drill asks the system's
    ``search`` for the ``k`` nearest of each query and counts how many of the expected ``k`` it returned.
    """

    queries: str
    k: int = Field(default=10, ge=1, le=1000)
    min_recall: float = Field(ge=0.0, le=1.0, description="The least mean recall@k that passes.")


class DataCheck(PlanModel):
    """A data check run after recovery: with ``sql``, run for real through a data store, and its first value
    compared with ``expect``; without, a check for the people running the recovery."""

    name: str
    description: str
    sql: str | None = None
    store: str | None = Field(
        default=None, description="The data store it runs in (default: the plan's only SQL store)."
    )
    expect: str | int | float | bool | None = Field(
        default=0, description="The value the query's first column of its first row must have."
    )


class Verification(PlanModel):
    """How recovery is verified."""

    golden_set: GoldenSet | None = None
    index_recall: IndexRecall | None = None
    data_checks: list[DataCheck] = Field(default_factory=list)


class StagingNotices(PlanModel):
    """Deadlines of the client notices in a staging drill (production's minutes and hours, in seconds)."""

    first_notice: Duration | None = None
    initial_assessment: Duration | None = None
    updates: Duration | None = Field(default=None, description="Longest gap between two notices.")
    resolution: Duration | None = None


MAX_WORKLOAD_RATE = 200.0
"""The most writes a second the workload is asked for: what it was measured to keep on a 2-core machine shared
with a load average of 9 (every write started, p99 start lag 23 ms, within the 50 ms the schedule verdict
allows, with 200 probes a second, against a replica answering at once in a process of its own;
benchmarks/workload_rate.py). On a quiet machine it keeps more; the benchmark says how much.
Beyond what it keeps, writes start late and the drill's schedule verdict fails; the plan is refused first."""


class StagingValues(PlanModel):
    """The time scale of a staging drill: seconds where production counts minutes and hours.

    Every window and timeout is at least 50ms (:data:`~drdrill.plan.durations.GRID`): a drill resolves nothing
    finer, so a shorter value is refused rather than silently rounded.
    """

    recovery_bound: StagingDuration = Field(description="Bound on the measured automated recovery.")
    detection_window: StagingDuration = timedelta(seconds=2)
    steady_window: StagingDuration = timedelta(seconds=5)
    warmup: StagingDuration = Field(
        default=timedelta(seconds=30),
        description=(
            "After the replica reports healthy, how long the system may take to answer three probes in a row "
            "before the baseline starts anyway (and judges what it sees)."
        ),
    )
    baseline: StagingDuration = Field(
        default=timedelta(seconds=5), description="At least one probe_interval, so a probe runs in it."
    )
    workload_rate: float = Field(default=10.0, gt=0, description="Writes a second; at most 200.")
    probe_interval: StagingDuration = timedelta(milliseconds=500)
    probe_timeout: StagingDuration = timedelta(seconds=3)
    drain_timeout: StagingDuration = timedelta(seconds=30)
    alert_within: Duration | None = Field(
        default=None,
        description=(
            "The system's own alerting must fire within this of the fault (when the plan routes its alerts to "
            "the sink); default: the longest staging window of the scenario's detection criteria plus the "
            "detection window."
        ),
    )
    notices: StagingNotices | None = Field(
        default=None,
        description=(
            "Staging deadlines of the client notices; a stage left out is scaled from production by the "
            "scenario's time scale (a detection criterion's staging window over its production window)."
        ),
    )
    rpo_bound: Duration | None = Field(
        default=None,
        description=(
            "The tier's RPO at staging time scale (e.g. 2s where production allows 1m): acknowledged writes "
            "lost over a longer span miss it; default: the tier's RPO itself."
        ),
    )

    @field_validator("workload_rate")
    @classmethod
    def _honest_rate(cls, rate: float) -> float:
        if not math.isfinite(rate) or rate > MAX_WORKLOAD_RATE:
            raise ValueError(
                f"{rate:g} writes a second is more than the workload can keep up with: it is trusted up to "
                f"{MAX_WORKLOAD_RATE:g} (measured on a 2-core machine: every write on its schedule; beyond, writes "
                f"start late and the drill samples the system less than it declares); give at most "
                f"{MAX_WORKLOAD_RATE:g}"
            )
        return rate

    @model_validator(mode="after")
    def _baseline_holds_a_probe(self) -> StagingValues:
        if self.baseline < self.probe_interval:
            raise ValueError(
                f"baseline {format_duration(self.baseline)} is shorter than probe_interval "
                f"{format_duration(self.probe_interval)}: no probe would measure the steady state before the "
                f"fault; give a baseline of at least {format_duration(self.probe_interval)}"
            )
        return self


class DrillRecord(PlanModel):
    """One past exercise of a scenario."""

    date: date
    kind: Literal["staging", "tabletop", "production"]
    result: Literal["pass", "partial", "fail"]
    notes: str = ""


class Drills(PlanModel):
    """How often the scenario must be exercised, and when it was."""

    # Simulated failures on staging are due semi-annually unless the plan says otherwise (tabletop exercises
    # are the quarterly ones); 182 days is half a year.
    cadence: Duration = Field(
        default=timedelta(days=182), description="Longest gap allowed between drills (default semi-annual)."
    )
    history: list[DrillRecord] = Field(default_factory=list)

    @property
    def last_drilled(self) -> date | None:
        """Date of the latest drill, if any."""
        return max((d.date for d in self.history), default=None)


class Inject(PlanModel):
    """A scripted event for a tabletop exercise."""

    at: Duration
    event: str
    questions: list[str] = Field(default_factory=list)


class Tabletop(PlanModel):
    """Extra material for the tabletop script of a scenario."""

    injects: list[Inject] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)


class Scenario(PlanModel):
    """A failure scenario: one file in ``scenarios/``; its name is the file stem."""

    name: SkipJsonSchema[str] = ""
    source: SkipJsonSchema[Path] = Path()
    title: str
    tier: Tier
    disruption: Disruption
    narrative: str
    impact: str = Field(description="What the failure does to the client's operations.")
    detection: Detection
    faults: list[Fault] = Field(default_factory=list)
    recovery: list[RecoveryStep] = Field(min_length=1)
    degraded_modes: list[str] = Field(
        default_factory=list, description="Names from plan.yaml degraded_modes."
    )
    expected_degraded_behaviour: str = ""
    verification: Verification = Field(default_factory=Verification)
    communication: CommunicationOverrides = Field(default_factory=CommunicationOverrides)
    staging: StagingValues
    drills: Drills = Field(default_factory=Drills)
    tabletop: Tabletop = Field(default_factory=Tabletop)

    @property
    def automated_steps(self) -> list[RecoveryStep]:
        """Steps carried out by hooks or declarative actions."""
        return [s for s in self.recovery if s.automated]

    def staging_window(self, criterion: DetectionCriterion) -> timedelta:
        """The window a staging drill uses for ``criterion``: its own, else ``staging.detection_window``."""
        if criterion.staging_sustained is not None:
            return criterion.staging_sustained
        return self.staging.detection_window

    @property
    def time_scale(self) -> float | None:
        """Staging seconds per production second: a detection criterion's staging window over its production
        window (the plan's own statement of how fast a drill runs); None when no criterion gives one."""
        for criterion in self.detection.criteria:
            if criterion.sustained > timedelta(0) and self.staging_window(criterion) > timedelta(0):
                return self.staging_window(criterion) / criterion.sustained
        return None

    def staging_deadline(self, stage: str, production: timedelta) -> tuple[timedelta, str] | None:
        """A notice stage's deadline in a staging drill, and where it came from: the scenario's
        ``staging.notices``, else the production deadline times :attr:`time_scale`; None when neither."""
        given = getattr(self.staging.notices, stage, None) if self.staging.notices is not None else None
        if given is not None:
            return given, f"staging.notices.{stage}"
        scale = self.time_scale
        if scale is None:
            return None
        return production * scale, f"{humanize_duration(production)} scaled by the scenario's time scale"

    @property
    def manual_estimate(self) -> timedelta:
        """Sum of the declared durations of the manual steps."""
        return sum((s.estimate for s in self.recovery if s.estimate is not None), timedelta(0))


def projected_rto(scenario: Scenario, measured_automated: timedelta) -> timedelta:
    """Projected production RTO: measured automated recovery time + declared manual step estimates."""
    return measured_automated + scenario.manual_estimate


# --- the plan -----------------------------------------------------------------------------------------


def _allowance(entry: str) -> str:
    problem = allowance_problem(entry)
    if problem is not None:
        raise ValueError(problem)
    return entry


HostAccessAllowance = Annotated[str, AfterValidator(_allowance)]
"""One entry of ``allow_host_access``: a setting drdrill would refuse, named as its refusal names it."""


class KubernetesStaging(PlanModel):
    """A Kubernetes staging: the plan's manifests applied in a namespace of the drill's own, on the cluster of
    one named kube context (and no other)."""

    context: str = Field(
        description=(
            "The kube context drdrill uses, and the only one: never the kubeconfig's current context. "
            "drdrill-local is the cluster `./dev cluster up` starts."
        )
    )
    manifests: str = Field(
        description=(
            "A manifest file, a folder of them, or a kustomize folder (kustomization.yaml), relative to "
            "plan.yaml; rendered with kubectl. Each Service is reached as {service:port}, by its name."
        )
    )
    kubeconfig: str | None = Field(
        default=None,
        description=(
            "The kubeconfig holding the context, relative to plan.yaml; default: the local cluster's for "
            "drdrill-local, else $KUBECONFIG or ~/.kube/config."
        ),
    )
    allow_remote_context: bool = Field(
        default=False,
        description=(
            "Drill a cluster whose API server is not on this machine. Off: such a context is refused, so a "
            "production cluster is never drilled by accident."
        ),
    )


class StagingTopology(PlanModel):
    """The staging replica: your compose file, and the contract drdrill drills it through."""

    compose_file: str | None = Field(default=None, description="Path relative to plan.yaml; any file name.")
    kubernetes: KubernetesStaging | None = Field(
        default=None,
        description=(
            "The same system on Kubernetes: drilled there with --drill-staging=kubernetes (the default when "
            "no compose_file is named)."
        ),
    )
    unit: UnitWords = Field(
        default_factory=lambda: UnitWords(one="write", many="writes"),
        description="What one unit of work is called in every view (e.g. one: ticket, many: tickets).",
    )
    services: dict[str, ServiceReadiness] = Field(
        default_factory=dict, description="Readiness per compose service; unlisted services only need to run."
    )
    links: dict[str, Link] = Field(
        default_factory=dict, description="Connections cut through Toxiproxy, by proxy name."
    )
    system: SystemContract | None = Field(
        default=None, description="The declarative HTTP contract; or a pytest_drdrill_system hook."
    )
    infrastructure: list[str] = Field(
        default_factory=list, description="Compose services that belong to no plan component (lint only)."
    )
    data_stores: dict[str, DataStore] = Field(
        default_factory=dict,
        description="Postgres or Redis stores drdrill reaches itself: data faults, data checks, final read.",
    )
    notifications: dict[str, NotificationChannel] = Field(
        default_factory=dict,
        description=(
            "The system's alerting and client notices, by channel name, pointed at drdrill's notification sink "
            "(HTTP webhooks and SMTP) during a drill."
        ),
    )
    generated_secrets: list[str] = Field(
        default_factory=list,
        description=(
            "Variables drdrill sets to a new random value for each run, for the compose file to interpolate "
            "(e.g. a database password: ${DB_PASSWORD}); never written to the scorecard."
        ),
    )

    allow_host_access: dict[str, list[HostAccessAllowance]] = Field(
        default_factory=dict,
        description=(
            "Compose settings that give one service part of the host, allowed knowingly, by service: e.g. "
            '{worker: [privileged, "bind:/data"]}. Without an entry drdrill refuses each such setting; every '
            "entry is shown on the scorecard. See docs/plan-format.md."
        ),
    )

    @field_validator("generated_secrets")
    @classmethod
    def _variable_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return names


class Plan(PlanModel):
    """The whole plan: ``plan.yaml`` plus every scenario file next to it."""

    source_dir: SkipJsonSchema[Path] = Path()
    scenarios: SkipJsonSchema[dict[str, Scenario]] = Field(default_factory=dict)
    name: str
    client: str
    description: str = ""
    regions: dict[str, Region] = Field(default_factory=dict)
    components: dict[str, Component] = Field(min_length=1)
    roles: dict[str, Role] = Field(default_factory=dict)
    secrets: dict[str, Secret] = Field(default_factory=dict)
    objectives: Objectives = Field(default_factory=Objectives)
    degraded_modes: dict[str, DegradedMode] = Field(default_factory=dict)
    communication: Communication
    backups: dict[str, Backup] = Field(default_factory=dict)
    staging_topology: StagingTopology = Field(default_factory=StagingTopology)

    @field_validator("components", "roles", "secrets", "degraded_modes", "backups", mode="after")
    @classmethod
    def _name_entries(cls, entries: dict[str, PlanModel]) -> dict[str, PlanModel]:
        # The key is the name; copy it in so each entry knows it.
        return {key: entry.model_copy(update={"name": key}) for key, entry in entries.items()}

    def objectives_for(self, scenario: Scenario) -> Objective:
        """The tier objective for ``scenario``, overridden for its disruption class where the plan says so."""
        base = self.objectives.tiers[scenario.tier]
        override = self.objectives.disruptions.get(scenario.disruption, {}).get(scenario.tier)
        rto = override.rto if override and override.rto is not None else base.rto
        rpo = override.rpo if override and override.rpo is not None else base.rpo
        return Objective(
            tier=scenario.tier,
            disruption=scenario.disruption,
            rto=rto,
            rpo=rpo,
            signed_off=self.objectives.client_signoff is not None,
        )

    def zone_region(self, zone: str) -> str | None:
        """The region holding ``zone``."""
        return next((name for name, region in self.regions.items() if zone in region.zones), None)

    def notice(self, scenario: Scenario, stage: str) -> NoticeStage:
        """The effective notice stage for ``scenario`` (plan protocol + scenario override)."""
        base: NoticeStage = getattr(self.communication, stage)
        override: NoticeOverride | None = getattr(scenario.communication, stage, None)
        if override is None:
            return base
        update = {
            k: v
            for k, v in (("deadline", override.deadline), ("template", override.template))
            if v is not None
        }
        return base.model_copy(update=update)
