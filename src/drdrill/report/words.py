"""A scorecard in the plan's own words: its unit of work, each objective, and why a figure is missing.

Every view says a figure through these, so none speaks of one system's units in another system's words, or
shows a figure that was not measured as 0 or as a pass. They read the typed
:class:`~drdrill.report.schema.Scorecard` (a schema /1 card was upgraded when it was read) and format
seconds with :mod:`drdrill.units`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.report.schema import Scorecard, StepCard, TimeFigure
from drdrill.units import bounded_s, duration_s, fine_s, span_s, unseen_outage

ID_LIMIT = 50  # ids listed in full up to this many; beyond, the first ones and a count

# What each kind of fault did, in a client's words ({t}: what it hit). A fault's label in the journal starts with
# its kind and its target, e.g. "latency llm-main (latency=2000)"; the client page says this instead.
FAULT_WORDS = {
    "down": "cut {t} off the network",
    "latency": "slowed every exchange with {t}",
    "timeout": "made {t} stop answering while keeping its connections open",
    "bandwidth": "throttled the network link to {t}",
    "reset_peer": "made connections to {t} break off abruptly",
    "slow_close": "made connections to {t} close slowly",
    "slicer": "broke the traffic to {t} into small pieces",
    "limit_data": "cut connections to {t} after a few bytes",
    "stop": "stopped {t}",
    "kill": "crashed {t}",
    "pause": "froze {t}",
    "replace": "replaced {t} with a new copy of itself",
    "zone_loss": "took down availability zone {t}",
    "region_loss": "took down region {t}",
    "http_error": "made the AI provider {t} answer with errors",
    "rate_limit": "made the AI provider {t} turn requests away as over its rate limit",
    "hang": "made the AI provider {t} hang without answering",
    "slow_first_token": "made the AI provider {t} slow to start answering",
    "truncated_stream": "made the AI provider {t} cut its answers short",
    "malformed_body": "made the AI provider {t} send answers that cannot be read",
    "malformed_chunk": "made the AI provider {t} send streamed answers that cannot be read",
    "schema_change": "made the AI provider {t} change the shape of its answers",
    "corrupt_rows": "corrupted records stored in {t}",
    "drop_table": "deleted a table in {t}",
    "corrupt_file": "damaged a file kept by {t}",
    "lose_volume": "destroyed the stored data of {t}",
    "degrade_accuracy": "made the AI model behind {t} give worse answers",
    "leak_secret": "treated a credential used by {t} as leaked",
    "revoke_secret": "revoked a credential of {t} without warning",
}


def fault_words(label: str) -> str:
    """What a fault did, in a client's words, from its journal label; a label of another shape is given as it
    is (a scorecard written by another version)."""
    kind, _, rest = label.partition(" ")
    target = rest.split(" ", 1)[0]
    template = FAULT_WORDS.get(kind)
    return template.format(t=target) if template and target else label


@dataclass(frozen=True)
class Figure:
    """A measured figure, or the reason it was not measured (``value`` None)."""

    value: float | None
    reason: str | None = None

    @property
    def measured(self) -> bool:
        """True when there is a value."""
        return self.value is not None

    def missing_text(self) -> str:
        """What a view shows in place of a null figure: "not measured", with the reason when there is one.

        Some reasons already say so ("not measured, because no fault was applied"); they are not repeated.
        """
        if not self.reason:
            return "not measured"
        return self.reason if self.reason.startswith("not measured") else f"not measured ({self.reason})"


def figure(card: Scorecard, key: TimeFigure) -> Figure:
    """A time in seconds, or why it was not measured."""
    m = card.measurements
    return Figure(m.time(key), m.reason(key))


def lost(card: Scorecard) -> Figure:
    """Acknowledged units of work missing from the final read, or why that is unknown."""
    value = card.measurements.ledger.lost
    return Figure(None if value is None else float(value), card.measurements.reason("ledger.lost"))


def no_interruption_seen(card: Scorecard) -> bool:
    """The probes and writes saw no symptom while the fault was held (older scorecards never say so)."""
    return card.measurements.interruption_seen is False


def timed(card: Scorecard, key: TimeFigure, missing: str = "not observed") -> str:
    """A time as every view shows it: '0.61 s (+0/-0.50 s)', the no-interruption sentence for a recovery
    nothing interrupted, or why it is missing."""
    m = card.measurements
    value = m.time(key)
    if key == "time_to_recover_s" and value is not None and no_interruption_seen(card):
        return unseen_outage(m.unseen_gap_s or 0.0)
    if value is None:
        return m.reason(key) or missing
    return bounded_s(value, m.bound(key))


def recovery_text(card: Scorecard) -> str:
    """How the service came back on staging, as a clause: "the service was back after 3.60 s", or why not."""
    m = card.measurements
    why = m.reason("time_to_recover_s") or ""
    if m.time_to_recover_s is None and why.startswith("not measured"):
        return f"the recovery was {why}"
    if m.time_to_recover_s is None:
        return "the service did not come back while the fault was held"
    if no_interruption_seen(card):
        return (
            f"the probes and writes saw no interruption (an outage of at most {span_s(m.unseen_gap_s or 0.0)} "
            "could fall between their samples)"
        )
    return f"the service was back after {timed(card, 'time_to_recover_s')}"


def criteria_sentence(card: Scorecard) -> str:
    """When the plan's detection criteria held, as a sentence: held after a time, never held, not checked."""
    m = card.measurements
    if not card.objectives.detection_criteria:
        return "the plan declares no detection criteria that the probes can evaluate"
    if m.time_to_detect_by_plan_s is not None:
        return f"the plan's detection criteria held {timed(card, 'time_to_detect_by_plan_s')} after the fault started"
    why = m.reason("time_to_detect_by_plan_s")
    if why is None:  # scorecards before the reason was kept
        no_fault = (m.reason("time_to_detect_s") or "").endswith("no fault was applied")
        why = (
            "not checked, because no fault was applied"
            if no_fault
            else "never held over a whole staging window of the fault"
        )
    return (
        f"the plan's detection criteria were {why}"
        if why.startswith("not checked")
        else f"the plan's detection criteria {why}"
    )


def objective_name(card: Scorecard, verdict: str) -> str:
    """The objective a verdict judges, in the plan's words (its unit, its tier's RTO), never a tool's key."""
    o, unit = card.objectives, card.unit
    names = {
        "baseline": "steady state before the fault",
        "recovery_bound": f"recovery on staging within the staging bound of {duration_s(o.staging_recovery_bound_s)}",
        "projected_rto": f"the tier {card.scenario.tier} RTO of {duration_s(o.rto_s)}",
        "rpo": f"no acknowledged {unit.one} lost" if not o.rpo_s else f"the RPO of {duration_s(o.rpo_s)}",
        "drained": f"every acknowledged {unit.one} done after the fault",
        "no_unexpected_data": f"no {unit.many} the drill never wrote",
        "failback": "the automated fail-back steps",
        "replica": "every part of the system stays up unless the disaster itself stops it",
        "no_duplicates": f"no {unit.one} done twice",
        "data_checks": "every data check after recovery",
        "golden_set": "golden-set accuracy after recovery",
        "index_recall": "recall of the rebuilt index after recovery",
        "schedule": f"every {unit.one} written on its schedule, so the drill samples as densely as declared",
    }
    return names.get(verdict, verdict.replace("_", " "))


def workload_sentence(card: Scorecard) -> str:
    """What the workload did against its schedule: 'workload: 200 tickets a second declared, 199.9 a second started
    (async, at most 256 in flight); start lag 0.4 ms median, 2.1 ms p99, 9.8 ms max; 0 refused'."""
    w = card.measurements.workload
    if w is None:
        return "workload: not recorded by the drdrill that wrote this scorecard"
    achieved = "none" if w.achieved_rate_per_s is None else f"{w.achieved_rate_per_s:.4g}"
    text = (
        f"workload: {w.declared_rate_per_s:g} {card.unit.many} a second declared, {achieved} a second started "
        f"({w.mode}, at most {w.max_in_flight} in flight)"
    )
    if w.start_lag is not None:
        lag = w.start_lag
        text += f"; start lag {fine_s(lag.median_s)} median, {fine_s(lag.p99_s)} p99, {fine_s(lag.max_s)} max"
    refused = "not recorded (the workload did not stop)" if w.refused is None else str(w.refused)
    return f"{text}; {w.late} more than {fine_s(w.on_schedule_s)} late; {refused} refused"


def ids_text(ids: Sequence[str], limit: int = ID_LIMIT) -> str:
    """Unit ids for people: all of them, or the first ``limit`` and how many more."""
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} and {len(ids) - limit} more ({len(ids)} in all)"


def outcome_word(outcome: str) -> str:
    """``PASS``, ``FAIL`` or ``UNKNOWN``."""
    return {"pass": "PASS", "fail": "FAIL"}.get(outcome, "UNKNOWN")


def step_kind(step: StepCard) -> str:
    """What carries out a step, for people: a declarative action by its kind ("exec action"), "automated"
    for a Python hook (its name is the tool's word, not the client's), or "manual"."""
    if not step.automated:
        return "manual"
    return f"{step.action} action" if step.action is not None else "automated"


STEP_OUTCOMES = {
    "ok": "completed",
    "failed": "failed",
    "not_run": "not run",
    "unfinished": "cut off: the drill stopped during it",
    "manual": "manual: not run by the drill",
}


@dataclass(frozen=True)
class DataRow:
    """One figure of the data after recovery, as every view lists it: what, against what, what was found, and
    its outcome (``pass`` / ``fail`` / ``unknown``)."""

    measure: str
    objective: str
    result: str
    outcome: str


def _rpo_bound(card: Scorecard) -> str:
    o = card.objectives
    if o.staging_rpo_bound_s is not None:
        return (
            f"the staging RPO bound of {duration_s(o.staging_rpo_bound_s)} (the tier's {duration_s(o.rpo_s)})"
        )
    return f"the RPO of {duration_s(o.rpo_s)}" if o.rpo_s else f"no acknowledged {card.unit.one} lost"


def _verdict_outcome(card: Scorecard, name: str, default: str = "unknown") -> str:
    return next((v.outcome for v in card.verdicts if v.name == name), default)


def rpo_window_row(card: Scorecard) -> DataRow:
    """The RPO as a window: the lost ids and when they were acknowledged before the failure."""
    m, unit = card.measurements, card.unit
    window = m.rpo_window
    outcome = _verdict_outcome(card, "rpo")
    if m.ledger.lost is None:
        result = lost(card).missing_text()
    elif window is None:
        result = f"no acknowledged {unit.one} lost"
    else:
        first, last = window.oldest_before_failure_s, window.newest_before_failure_s
        when = (
            f"{duration_s(abs(first))} {'before' if first >= 0 else 'after'}"
            if first == last
            else f"between {duration_s(first)} and {duration_s(last)} before"
            if last >= 0
            else f"from {duration_s(first)} before to {duration_s(-last)} after"
        )
        result = (
            f"{unit.count(len(window.ids))} lost, acknowledged {when} the failure, spanning "
            f"{duration_s(window.span_s)}: {ids_text(window.ids, limit=10)}"
        )
    return DataRow("RPO window", _rpo_bound(card), result, outcome)


def done_twice_row(card: Scorecard) -> DataRow:
    """Work done more than once, as the final read says."""
    m, unit = card.measurements, card.unit
    twice = m.done_twice
    if m.ledger.lost is None:
        result = lost(card).missing_text()
    elif twice is None:
        result = "not measured: the system does not say how many times it did each one (final_read.times)"
    elif not twice:
        result = f"no {unit.one} done more than once"
    else:
        shown = ", ".join(f"{i} ({n} times)" for i, n in list(twice.items())[:10])
        more = f" and {len(twice) - 10} more" if len(twice) > 10 else ""
        result = f"{unit.count(len(twice))} done more than once: {shown}{more}"
    return DataRow(
        "Work done twice", f"no {unit.one} done twice", result, _verdict_outcome(card, "no_duplicates")
    )


def data_rows(card: Scorecard) -> list[DataRow]:
    """The data after recovery, every view's rows: the RPO window, work done twice, each data check, the golden
    set's accuracy and the index's recall (each only when the drill or the scenario has it)."""
    m = card.measurements
    rows = [rpo_window_row(card), done_twice_row(card)]
    for check in m.data_checks:
        if check.outcome == "unknown":
            result = f"not run: {check.why}" if check.why else "not run"
        else:
            result = f"found {check.value!r}"
        rows.append(DataRow(f"Data check '{check.name}'", f"{check.expect!r}", result, check.outcome))
    for label, score in (("Golden-set accuracy", m.golden_set), ("Index recall", m.index_recall)):
        if score is None:
            continue
        k = f"@{score.k}" if score.k is not None else ""
        objective = f"at least {score.minimum:.2f}"
        if score.score is None:
            result = (
                f"not measured: {(score.why or 'no reason given').removeprefix('not measured, because ')}"
            )
        elif score.k is not None:
            result = f"recall{k} {score.score:.2f} on {score.total} queries"
        else:
            result = f"{score.score:.2f} ({score.right:g} of {score.total} right, {score.answered} answered)"
        if score.misses and score.score is not None and score.outcome == "fail":
            x = score.misses[0]
            result += f"; e.g. {x.text[:80]!r} gave {x.got!r}, expected {x.expected!r}"
        rows.append(DataRow(label, objective, result, score.outcome))
    return rows


# -- the system's own alerting, the client notices, degraded modes, what a provider counted -------------------

STAGE_WORDS = {
    "first_notice": "first notice",
    "initial_assessment": "initial assessment",
    "updates": "status update",
    "resolution": "resolution notice",
    "degraded": "degraded-mode notice",
}
PROVIDER_COUNTS = (
    ("requests", "calls"),
    ("errors", "answers spoiled"),
    ("retry_after_sent", "told to wait (Retry-After)"),
    ("early_calls", "calls before Retry-After allowed them"),
    ("cut", "answers cut mid-way"),
    ("refused_keys", "calls refused for their key"),
    ("running", "calls still unanswered when counted (their end not counted)"),
)


def routes_alerts(card: Scorecard) -> bool:
    """The drill read the system's own alerts (the plan routes them to the sink)."""
    return (
        card.communication is not None or card.measurements.reason("time_to_detect_by_system_s") is not None
    )


def system_detection(card: Scorecard) -> str:
    """The system's own time to detect, in words, beside drdrill's; or why it was not measured."""
    comm = card.communication
    if comm is None:
        return card.measurements.reason("time_to_detect_by_system_s") or (
            "not measured, because the plan routes no alert of the system to drdrill's notification sink"
        )
    value = card.measurements.time_to_detect_by_system_s
    if value is None:
        return (
            card.measurements.reason("time_to_detect_by_system_s") or "not measured: no alert after the fault"
        )
    first = next((m for m in comm.messages if m.role == "alert" and m.at_s >= 0), None)
    how = f" (first alert on {first.channel}, {first.shape})" if first is not None else ""
    return f"{duration_s(value)}{how}"


def message_lines(card: Scorecard, limit: int = 12) -> list[str]:
    """Each alert and notice the sink received: when (from the fault), by which channel, and its first words."""
    comm = card.communication
    if comm is None:
        return []
    lines = []
    for m in comm.messages[:limit]:
        stage = f", {STAGE_WORDS.get(m.stage, m.stage)}" if m.stage else ""
        words = (m.subject or m.text).replace("\n", " ")
        shown = words if len(words) <= 80 else words[:77] + "..."
        lines.append(f"{m.role} at {m.at_s:.2f} s on {m.channel} ({m.shape}{stage}): {shown!r}")
    if len(comm.messages) > limit:
        lines.append(f"... and {len(comm.messages) - limit} more")
    return lines


def mode_text(card: Scorecard) -> str | None:
    """The degraded modes the system reported, in words; None when it reports no mode."""
    modes = card.degraded_modes
    if modes is None:
        return None
    if not modes.spans:
        return "normal operation throughout"
    parts = []
    for span in modes.spans:
        left = "not left" if span.left_s is None else f"back to normal at {span.left_s:.2f} s"
        allowed = "" if span.allowed else " (not allowed by the scenario)"
        parts.append(f"{span.mode!r}{allowed} from {span.entered_s:.2f} s, {left}")
    return "; ".join(parts)


def provider_counts(card: Scorecard) -> list[str]:
    """What each fault's target counted while the fault was in place, in words."""
    lines = []
    for report in card.fault_reports:
        said = ", ".join(f"{report.counts[k]} {w}" for k, w in PROVIDER_COUNTS if k in report.counts)
        lines.append(f"{report.target} counted while the fault held: {said}")
    return lines
