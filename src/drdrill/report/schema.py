"""The scorecard: one typed, versioned model from the builder to every view, JSON only at the boundary.

``drdrill.scorecard/2`` is the current major version. Within a major version keys are only ever added, so a
model here allows keys it does not know (a scorecard of a later minor release still reads, and writes back
with them), but every key a view reads is required and typed, and a key added later has a default so that an
earlier card still reads. A scorecard of schema /1 (written by drdrill before the system contract, for the
bundled system only) is upgraded to /2 once, as it is read, so old scorecards still render. Anything else is
refused with one line that says which key is wrong and what to do.

The builder (:mod:`drdrill.report.scorecard`) makes a :class:`Scorecard`; every view takes one; the JSON file
is written by :meth:`Scorecard.dumps` and read by :func:`load_checked`, the one place a scorecard file is read
(pytest's ``TestReport`` does the same: typed in memory, serialised only to cross a process or a file).

    python -m drdrill.report.schema schema/     # writes schema/scorecard.schema.json
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, ValidationError

from drdrill.plan.files import FileRefusedError, read_guarded

SCHEMA = "drdrill.scorecard/2"
V1 = "drdrill.scorecard/1"
V1_UNIT = ("claim", "claims")  # /1 scorecards came from the claims system only, and named no unit
V1_LEDGER_NAMES = {"processed": "done", "unprocessed": "not_done"}
# A drill that ran to its verdicts counts as a drill, whatever the verdicts; one that errored (the tool
# failed) or was aborted (interrupted) exercised nothing and says nothing about the system.
COUNTS_AS_DRILL = frozenset({"passed", "failed"})
SCHEMA_FILE = "scorecard.schema.json"
SCHEMA_ID = "https://drdrill.dev/schema/scorecard.schema.json"


def _iso_time(text: str) -> str:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("should be an ISO 8601 time with its UTC offset") from None
    if parsed.tzinfo is None:
        raise ValueError("should be an ISO 8601 time with its UTC offset")
    return text


IsoTime = Annotated[str, AfterValidator(_iso_time)]
Seconds = float | None
Bound = tuple[float, float] | None  # [minus, plus]: the true value lies in [figure - minus, figure + plus]


class CardModel(BaseModel):
    """A part of a scorecard: typed, keys added by later minor versions allowed, no infinite or NaN number."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)


class UnitWords(CardModel):
    """What the plan calls one unit of work and many (``ticket`` / ``tickets``)."""

    one: str
    many: str

    def count(self, n: int) -> str:
        """``1 ticket``, ``3 tickets``."""
        return f"{n} {self.one if n == 1 else self.many}"


class PlanRef(CardModel):
    name: str
    client: str
    source: str


class ScenarioRef(CardModel):
    name: str
    title: str
    tier: int
    disruption: str
    source: str
    faults: list[str]


class CriterionRef(CardModel):
    metric: str
    staging_window_s: Seconds
    production: str
    measured_on: str | None = None  # what the drill judged it on (added within /2; older cards lack it)


class ObjectivesCard(CardModel):
    rto_s: float
    rpo_s: float
    staging_recovery_bound_s: float
    steady_window_s: float
    manual_steps_s: float
    detection_criteria: list[CriterionRef]
    detection_match: Literal["any", "all"]
    staging_rpo_bound_s: Seconds = None  # the RPO at staging time scale, when the scenario gives one


LedgerName = Literal[
    "attempted",
    "acknowledged",
    "failed",
    "indeterminate",
    "read",
    "done",
    "not_done",
    "lost",
    "unexpected",
    "recovered",
]
TimeFigure = Literal[
    "time_to_detect_s",
    "time_to_detect_by_plan_s",
    "time_to_failover_s",
    "time_to_recover_s",
    "time_to_failback_s",
    "projected_rto_s",
]


class LedgerCounts(CardModel):
    """Sizes of the ledger's sets; the ones that need the final read are null without it."""

    attempted: int
    acknowledged: int
    failed: int
    indeterminate: int
    read: int | None
    done: int | None
    not_done: int | None
    lost: int | None
    unexpected: int | None
    recovered: int | None


class InFault(CardModel):
    good_probes: int
    acknowledged: int


class RpoWindowCard(CardModel):
    """The acknowledged writes lost, and when they were acknowledged counted back from the failure."""

    ids: list[str]
    oldest_before_failure_s: float
    newest_before_failure_s: float
    span_s: float


class DataCheckCard(CardModel):
    """One of the scenario's data checks as run after recovery: pass, fail, or unknown (``why``)."""

    name: str
    outcome: Literal["pass", "fail", "unknown"]
    value: JsonValue = None
    expect: JsonValue = None
    why: str | None = None


class MissCard(CardModel):
    """One item scored wrong: a golden input and what the system gave, or a query and how many it found."""

    text: str
    expected: str
    got: str


class ScoreCard(CardModel):
    """A score taken after recovery against its minimum (a golden set's accuracy, an index's recall@k):
    ``pass`` / ``fail``, or ``unknown`` with ``why`` when it could not be measured (then ``score`` is null)."""

    outcome: Literal["pass", "fail", "unknown"]
    minimum: float
    score: float | None = None
    right: float = 0
    total: int = 0
    answered: int = 0
    k: int | None = None
    misses: list[MissCard] = Field(default_factory=list)
    why: str | None = None


class StartLag(CardModel):
    """How late the workload's writes started against their due times, in seconds."""

    median_s: float
    p99_s: float  # nearest rank
    max_s: float


class WorkloadCard(CardModel):
    """Whether the workload kept its schedule (added within /2; older cards have none).

    ``mode``: ``async`` (writes on an event loop) or ``threads`` (a bounded pool). ``refused``: writes that fell
    due while ``max_in_flight`` were waiting on the system, which drdrill did not start (never queued).
    ``on_schedule_s``: the start lag within which a write counts as on schedule (the ``schedule`` verdict).
    """

    mode: str
    declared_rate_per_s: float
    achieved_rate_per_s: float | None = None  # writes started a second, first start to last
    scheduled: int | None = None  # writes that fell due
    started: int
    refused: int | None = None
    max_in_flight: int
    start_lag: StartLag | None = None
    on_schedule_s: float
    late: int = 0  # writes that started more than on_schedule_s late


class MeasurementsCard(CardModel):
    """Every figure in seconds; null when not measured, with the reason in ``not_measured``."""

    time_to_detect_s: Seconds
    time_to_detect_bound_s: Bound = None
    time_to_detect_by_plan_s: Seconds
    time_to_detect_by_plan_bound_s: Bound = None
    time_to_failover_s: Seconds
    time_to_failover_bound_s: Bound = None
    time_to_recover_s: Seconds
    time_to_recover_bound_s: Bound = None
    time_to_failback_s: Seconds
    time_to_failback_bound_s: Bound = None
    projected_rto_s: Seconds
    time_to_detect_by_system_s: Seconds = None  # the system's own alerting (added within /2)
    # Added within /2 (a card of an earlier /2 release has none): whether the samples saw any interruption.
    interruption_seen: bool | None = None
    unseen_gap_s: Seconds = None
    in_fault: InFault | None = None
    recovery_held_s: Seconds = None
    fault_held_s: Seconds = None
    baseline_probe_latency_s: Seconds = None
    # Added within /2: how long the system took, once healthy, to answer probes in a row before the baseline,
    # and whether it did within the plan's warm-up bound (None: a card from before the warm-up phase).
    warmup_s: Seconds = None
    warmup_settled: bool | None = None
    slow_probe_threshold_s: Seconds = None
    probes: int
    failed_probes: int
    ledger: LedgerCounts
    lost_ids: list[str]
    unexpected_ids: list[str] = Field(default_factory=list)
    not_done_ids: list[str] = Field(default_factory=list)
    lost_window_s: Seconds
    not_measured: dict[str, str] = Field(default_factory=dict)
    # Added within /2 (zone, region and data drills): the RPO window, work done twice, the data checks.
    rpo_window: RpoWindowCard | None = None
    done_twice: dict[str, int] | None = None  # null: the system does not say how many times it did a unit
    data_checks: list[DataCheckCard] = Field(default_factory=list)
    # Added within /2 (golden set and vector index after recovery): null when the scenario has none.
    golden_set: ScoreCard | None = None
    index_recall: ScoreCard | None = None
    workload: WorkloadCard | None = None  # added within /2

    def reason(self, figure: str) -> str | None:
        """Why ``figure`` (``time_to_recover_s``, or ``ledger.<name>``) is null, when the card says."""
        return self.not_measured.get(figure) or None

    def time(self, figure: TimeFigure) -> float | None:
        """A time in seconds, e.g. ``time_to_detect_s``; None when not measured."""
        value: float | None = getattr(self, figure)
        return value

    def bound(self, figure: TimeFigure) -> Bound:
        """``(minus, plus)`` seconds of ``figure``, when the card gives its sampling bound."""
        value: Bound = getattr(self, figure.removesuffix("_s") + "_bound_s", None)
        return value

    def ledger_count(self, name: LedgerName) -> int | None:
        """A ledger count; None when it was not measured."""
        value: int | None = getattr(self.ledger, name)
        return value


Outcome = Literal["pass", "fail", "unknown"]
Status = Literal["passed", "failed", "errored", "aborted"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "errored", "aborted")


class VerdictCard(CardModel):
    """One objective: met (``pass``), missed (``fail``) or not judged (``unknown``), and why."""

    name: str
    outcome: Outcome
    passed: bool
    measured: str
    objective: str
    message: str


class StepCard(CardModel):
    """One recovery step of the scenario and what the drill made of it (added within /2; older cards have
    no ``steps``).

    ``outcome``: ``ok`` or ``failed`` (its hook completed or raised), ``unfinished`` (the drill stopped during
    it), ``not_run`` (an automated step the drill never carried out), ``manual`` (a person's step: its
    estimate is what the projected RTO adds). ``serves`` is the verdict an automated step earns: ``recovery``
    (while the fault is held) or ``failback`` (after the revert).
    """

    title: str
    automated: bool
    outcome: Literal["ok", "failed", "not_run", "unfinished", "manual"]
    serves: Literal["recovery", "failback"] = "recovery"
    hook: str | None = None
    action: str | None = None  # a declarative action's kind (exec, http, repoint, start, wait_until)
    owner: str | None = None
    estimate_s: Seconds = None
    started_s: Seconds = None  # seconds from the start of the timeline
    duration_s: Seconds = None
    detail: str | None = None  # what the hook said it did, or why it failed


class ConfigurationCard(CardModel):
    """What shaped the system under drill (added within /2, filled by the runner; older cards have none).

    Two runs of one scenario that differ here did not drill the same system.
    """

    compose_file: str | None = None
    compose_digest: str | None = None  # "sha256:<hex>" of the compose file as compose read it
    environment: dict[str, str] = Field(default_factory=dict)  # variables compose substituted; secrets masked
    images: dict[str, str] = Field(default_factory=dict)  # compose service -> image id
    plan_digest: str | None = None  # "sha256:<hex>" of the plan's files
    # Compose settings that gave a service part of the host, allowed knowingly by the plan (allow_host_access)
    host_access_allowed: dict[str, list[str]] = Field(default_factory=dict)


class MessageCard(CardModel):
    """A message the notification sink received (added within /2): when, by which channel, and its words."""

    at_s: float  # seconds from the fault's start (negative: before it)
    channel: str
    role: str  # alert | notice
    shape: str  # slack | teams | pagerduty | opsgenie | generic | email
    text: str
    action: str | None = None
    subject: str | None = None
    stage: str | None = None  # a notice's recognised stage of the protocol
    problems: list[str] = Field(default_factory=list)  # what its words should not have said


class NoticeStageCard(CardModel):
    """One stage of the communication protocol judged against its staging deadline (added within /2)."""

    stage: str
    outcome: Outcome
    measured: str
    objective: str
    message: str
    deadline_s: Seconds = None
    due_s: Seconds = None  # from the fault's start
    sent_s: Seconds = None  # from the fault's start


class CommunicationCard(CardModel):
    """The system's own alerts and its client notices (added within /2; present when the plan routes them)."""

    time_to_detect_by_system_s: Seconds
    alerts_before_fault: int = 0
    detected_s: Seconds = None  # the client clock's start, from the fault's start
    detected_by: str | None = None
    restored_s: Seconds = None
    messages: list[MessageCard] = Field(default_factory=list)
    stages: list[NoticeStageCard] = Field(default_factory=list)


class ModeSpanCard(CardModel):
    """A stretch in a degraded mode, in seconds from the fault's start; ``left_s`` null: never left."""

    mode: str
    raw: str
    allowed: bool
    entered_s: float
    entered_minus_s: float = 0.0
    left_s: Seconds = None
    left_minus_s: float = 0.0


class ModesCard(CardModel):
    """The degraded modes the system reported (added within /2; present when it has a mode signal)."""

    allowed: list[str]
    spans: list[ModeSpanCard] = Field(default_factory=list)


class FaultReportCard(CardModel):
    """What a fault's target counted while the fault was in place (a provider's calls; added within /2)."""

    fault: str
    target: str
    counts: dict[str, int]


class EventCard(CardModel):
    """One journal event, its time also as seconds from the first event (``t_s``)."""

    seq: int
    t_ns: int
    utc: str
    kind: str
    type: str
    name: str
    t_s: float
    process: str | None = None
    value: str | None = None
    data: dict[str, JsonValue] = Field(default_factory=dict)


class Scorecard(CardModel):
    """One drill's result: the one artifact every view is built from."""

    schema_id: Literal["drdrill.scorecard/2"] = Field(alias="schema")
    drdrill_version: str
    run_id: str
    status: Status
    error: str | None
    started_utc: IsoTime | None  # every view dates a drill by it
    finished_utc: IsoTime | None
    duration_s: Seconds
    plan: PlanRef
    unit: UnitWords
    scenario: ScenarioRef
    objectives: ObjectivesCard
    measurements: MeasurementsCard
    verdicts: list[VerdictCard]
    cleanup: list[str]
    config: dict[str, JsonValue]
    environment: dict[str, JsonValue]
    timeline: list[EventCard]
    steps: list[StepCard] = Field(default_factory=list)
    configuration: ConfigurationCard | None = None
    communication: CommunicationCard | None = None
    degraded_modes: ModesCard | None = None
    fault_reports: list[FaultReportCard] = Field(default_factory=list)

    @property
    def counts_as_drill(self) -> bool:
        """Passed or failed: the drill ran to its verdicts."""
        return self.status in COUNTS_AS_DRILL

    @property
    def started(self) -> datetime | None:
        """Wall-clock start (UTC); None when the run recorded no event (it errored before starting)."""
        return None if self.started_utc is None else datetime.fromisoformat(self.started_utc)

    def verdict(self, name: str) -> VerdictCard | None:
        """The verdict called ``name`` (``recovery_bound``, ``rpo``, ...), if the drill judged it."""
        return next((v for v in self.verdicts if v.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The card as plain JSON data, keys as the schema names them (``schema``), unknown keys kept."""
        return self.model_dump(mode="json", by_alias=True)

    def dumps(self) -> str:
        """The card as the JSON text of a ``scorecard.json``."""
        return json.dumps(self.to_json(), indent=2) + "\n"


class ScorecardError(ValueError):
    """A file that is not a scorecard this drdrill can read; the message is one line with what to do."""


def upgrade(data: Mapping[str, Any]) -> dict[str, Any]:
    """A /1 scorecard as /2: its unit in the words it was written in, /2's ledger names, verdict outcomes."""
    if data.get("schema") != V1:
        return dict(data)
    card: dict[str, Any] = json.loads(json.dumps(data))  # a deep copy of plain JSON
    card["schema"] = SCHEMA
    if not card.get("unit"):
        card["unit"] = {"one": V1_UNIT[0], "many": V1_UNIT[1]}
    measurements = card.get("measurements")
    if isinstance(measurements, dict):
        ledger = measurements.get("ledger")
        if isinstance(ledger, dict):
            measurements["ledger"] = {V1_LEDGER_NAMES.get(k, k): v for k, v in ledger.items()}
        if "unprocessed_ids" in measurements and "not_done_ids" not in measurements:
            measurements["not_done_ids"] = measurements.pop("unprocessed_ids")
    for verdict in card.get("verdicts") or []:
        if isinstance(verdict, dict) and "outcome" not in verdict:
            verdict["outcome"] = "pass" if verdict.get("passed") else "fail"
    return card


def _where(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ())) or "the top level"


def parse_scorecard(data: object, source: str) -> Scorecard:
    """The scorecard JSON ``data`` (from ``source``, for the message) as a /2 :class:`Scorecard`; raises
    :class:`ScorecardError` with one line when it is none."""
    if not isinstance(data, dict):
        raise ScorecardError(f"{source}: not a drdrill scorecard: the file holds no JSON object")
    found = data.get("schema")
    if found not in (SCHEMA, V1):
        which = "it has no schema key" if found is None else f"its schema is {str(found)[:80]!r}"
        raise ScorecardError(
            f"{source}: not a drdrill scorecard this drdrill reads ({which}; it reads {SCHEMA!r} and {V1!r}); "
            "give the scorecard.json a drill wrote, or render it with the drdrill version that wrote it"
        )
    card = upgrade(data)
    try:
        return Scorecard.model_validate(card)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        also = f" (and {more} more problem(s))" if more else ""
        raise ScorecardError(
            f"{source}: not a valid {SCHEMA} scorecard: {_where(first)}: {first['msg'][:1].lower() + first['msg'][1:]}{also}; it was "
            "changed or cut short since the drill wrote it: re-run the drill, or restore the file"
        ) from None


MAX_SCORECARD_BYTES = 32 * 1024 * 1024
"""The largest scorecard read: a drill writes ~200 bytes per journal event, so this is ~150,000 events (a
10-writes-a-second drill of over two hours); a larger file is no scorecard drdrill wrote."""
MAX_JSON_DEPTH = 32
"""The deepest nesting read: a scorecard is 4 levels deep; deeper JSON is refused before any view recurses."""
MAX_JSON_FLOAT = 1e12
"""The largest fraction a scorecard holds: its floats are seconds, and 10^12 s is 31,000 years. Larger ones
overflow as soon as a view turns them into nanoseconds or a timedelta, so they are refused with NaN."""
MAX_JSON_INT = 2**63 - 1
"""The largest integer a scorecard holds (nanosecond clocks fit in 64 bits)."""
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _NotAFigureError(ValueError):
    """A JSON number that is no finite float (NaN, Infinity, 1e999) or beyond what any drill writes."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_JSON_FLOAT:
        raise _NotAFigureError(text)
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20:  # longer than any 64-bit integer: not converted at all (int() is quadratic)
        raise _NotAFigureError(text)
    value = int(text)
    if abs(value) > MAX_JSON_INT:
        raise _NotAFigureError(text)
    return value


def _no_constant(name: str) -> float:
    raise _NotAFigureError(name)


def _check_shape(data: object) -> str | None:
    """Why parsed JSON is refused (nested too deep, a string with a lone surrogate), or None.

    Iterative, so no depth of nesting can raise RecursionError here.
    """
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list) and depth > MAX_JSON_DEPTH:
            return f"its JSON is nested more than {MAX_JSON_DEPTH} levels deep (a scorecard has 4)"
        if isinstance(node, dict):
            for key, value in node.items():
                if _LONE_SURROGATE.search(key):
                    return "a key holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is no character"
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str) and _LONE_SURROGATE.search(node):
            return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is no character"
    return None


def parse_scorecard_json(raw: bytes, source: str) -> object:
    """The JSON value of ``raw`` (read from ``source``), refusing what no drill writes; :class:`ScorecardError`.

    Refused at parse time, each with one line: bytes that are not UTF-8, text that is not JSON, a number that
    is not finite (``NaN``, ``Infinity``, ``1e999``, which Python's json module accepts but JSON does not) or
    beyond :data:`MAX_JSON_FLOAT` / :data:`MAX_JSON_INT`, nesting deeper than :data:`MAX_JSON_DEPTH`, a lone
    surrogate in a string.
    """
    changed = "it was changed since the drill wrote it: re-run the drill, or restore the file"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScorecardError(f"{source}: not a drdrill scorecard: not UTF-8 (byte {exc.start:,})") from None
    try:
        data = json.loads(text, parse_float=_finite, parse_int=_bounded_int, parse_constant=_no_constant)
    except _NotAFigureError as exc:
        number = str(exc) if len(str(exc)) <= 40 else f"{str(exc)[:20]}… ({len(str(exc)):,} characters)"
        raise ScorecardError(
            f"{source}: not a drdrill scorecard: the number {number} is no figure a drill writes (not finite, or "
            f"over 1e12); {changed}"
        ) from None
    except RecursionError:
        raise ScorecardError(
            f"{source}: not a drdrill scorecard: its JSON is nested more than {MAX_JSON_DEPTH} levels deep "
            "(a scorecard has 4)"
        ) from None
    except json.JSONDecodeError as exc:
        raise ScorecardError(
            f"{source}: not a drdrill scorecard: not JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    problem = _check_shape(data)
    if problem is not None:
        raise ScorecardError(f"{source}: not a drdrill scorecard: {problem}")
    return data


def load_checked(path: Path) -> Scorecard:
    """Read and check the scorecard at ``path``: the one place a scorecard file is read; raises
    :class:`ScorecardError` (a ValueError) with one line.

    The file is read by the guarded reader (a regular file only, never more than :data:`MAX_SCORECARD_BYTES`,
    a FIFO never blocks) and parsed by :func:`parse_scorecard_json`.
    """
    try:
        raw = read_guarded(
            path,
            limit=MAX_SCORECARD_BYTES,
            kind_fix="give the scorecard.json a drill wrote",
            size_fix="give the scorecard.json a drill wrote",
            noun="scorecard",
        )
    except FileRefusedError as exc:
        raise ScorecardError(f"{path}: cannot read the scorecard: {exc.reason}") from None
    return parse_scorecard(parse_scorecard_json(raw, str(path)), str(path))


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the current scorecard version."""
    schema = Scorecard.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m drdrill.report.schema DIR", file=sys.stderr)
        return 2
    target = Path(args[0]) / SCHEMA_FILE
    target.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
