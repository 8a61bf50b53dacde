"""The ground-truth target's side of a drill: record the target's own outage instants, and compare them.

The target (drdrill's provider simulator, ``compose.yaml``) dates each outage on CLOCK_MONOTONIC, which a
container shares with the host: no compose service runs in a time namespace. The runner's journal is dated on
the same clock (``time.monotonic_ns()``), so the target's instants and the journal's compare directly. The
recovery step ``record-truth`` fetches ``GET /_sim/truth`` after the revert and writes it into the journal as
a note, bracketed by the runner's clock: the scorecard then carries its own ground truth, and a clock that did
not agree would show (the target's "now" would fall outside the bracket).

Errors are ``measured - true`` of the scorecard's figures, on the drill's own time axis (from the journal's
fault start), which is how the scorecard states their bounds. The true time to detect is when the target set
the fault (every request after it fails); the true time to recover is when the outage healed (no failover:
the system is back when the target answers again). Both true times include ``apply_latency_ns``, the span
from the journal's stamp of the fault (taken before the admin call) to the target setting it: every figure
is that much longer than the outage itself, by the runner's choice to start the clock early.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from drdrill.faults.provider import SIMULATOR_PORT
from drdrill.journal import Kind, Type
from drdrill.plan.durations import parse_duration
from drdrill.recovery import RecoveryContext, RecoveryHook, RecoveryStepFailed
from drdrill.units import NS_PER_S

TRUTH_NOTE = "ground-truth"
PROBE = "canary"


def record_truth(ctx: RecoveryContext) -> str:
    """Fetch the target's outage instants and write them into the journal, bracketed by the runner's clock."""
    if len(ctx.components) != 1 or ctx.components[0] not in ctx.services:
        raise RecoveryStepFailed("record-truth needs the step to name the one component that is the target")
    url = f"{ctx.replica.url(ctx.services[ctx.components[0]], SIMULATOR_PORT)}/_sim/truth"
    # The client is built outside the bracket: building one (its TLS context) takes longer than the request.
    with httpx.Client(timeout=5.0) as client:
        before = ctx.clock.monotonic_ns()
        try:
            answer = client.get(url)
            after = ctx.clock.monotonic_ns()
            answer.raise_for_status()
            truth = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RecoveryStepFailed(f"the target did not tell its truth at {url}: {exc}") from exc
    data = {"before_ns": before, "after_ns": after, "truth": truth}
    ctx.journal.record(Kind.NOTE, Type.INFO, TRUTH_NOTE, data=data)
    return f"{len(truth['outages'])} outage(s) recorded by the target"


HOOKS: Mapping[str, RecoveryHook] = {"record-truth": RecoveryHook(record_truth, after_revert=True)}


@dataclass(frozen=True)
class Bound:
    """How far the measured instant may be from the true one: ``-early <= measured - true <= late`` (ns)."""

    early_ns: int
    late_ns: int
    source: str  # "scorecard" (the bound the scorecard states) or "sampling" (what the probes could resolve)

    def holds(self, error_ns: int) -> bool:
        return -self.early_ns <= error_ns <= self.late_ns


@dataclass(frozen=True)
class DrillTruth:
    """One drill of the target: the measured figures against the truth it recorded, in nanoseconds."""

    detect_error_ns: int | None  # measured - true time to detect; None: the drill measured none
    recover_error_ns: int | None  # measured - true time to recover
    outage_ns: int  # the outage's length, by the target's own clock
    detect_bound: Bound
    recover_bound: Bound
    apply_latency_ns: int  # from the journal's fault start to the target setting the fault
    first_faulty_lag_ns: int | None  # how long after the outage began the target first spoiled an answer
    first_sound_lag_ns: int | None  # how long after it ended the target first answered soundly
    clock_skew_ns: int  # the target's "now" minus the midpoint of the runner's bracket around the fetch
    clock_bracket_ns: int  # the bracket's width: how exactly the skew is known
    probe_interval_ns: int


class NoTruth(LookupError):  # noqa: N818 - the message says what is missing
    """The scorecard does not hold what a comparison needs (the note, one outage, its end, probes around it)."""


def _events(card: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return [e for e in card["timeline"] if e["kind"] == kind]


def probe_spans(card: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(invoke, completion) of every probe that completed, in invocation order."""
    started: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    for event in _events(card, "probe"):
        if event["type"] == "invoke":
            started[event["process"]] = event["t_ns"]
        elif event.get("process") in started:
            spans.append((started.pop(event["process"]), event["t_ns"]))
    return sorted(spans)


def sampling_bound(spans: Sequence[tuple[int, int]], edge_ns: int) -> Bound:
    """What the probes could resolve of an edge: from the last probe started before it to the answer of the
    first probe started after it.

    That span holds the edge, so no probe-based estimate inside it is further from the edge than its width:
    the probe interval as the pacing kept it, plus the first probe's own latency.
    """
    before = [began for began, _ in spans if began < edge_ns]
    after = [done for began, done in spans if began >= edge_ns]
    if not before or not after:
        raise NoTruth(f"no probe on both sides of the edge at {edge_ns} ns")
    width = after[0] - before[-1]
    return Bound(early_ns=width, late_ns=width, source="sampling")


def _seconds_to_ns(value: Any) -> int | None:
    return None if value is None else round(float(value) * NS_PER_S)


def stated_bound(measurements: Mapping[str, Any], figure: str) -> Bound | None:
    """The error bound the scorecard states for ``figure`` (e.g. ``time_to_detect``), if it states one.

    Read as "the true value lies within ``-minus``/``+plus`` of the measured one": a key of the measurements
    that names the figure and a bound (``time_to_detect_bound_s``...), or ``bounds[<figure>_s]``; its value a
    number (either way), a pair ``[minus, plus]`` or a mapping with ``minus`` and ``plus``, in seconds.
    """
    candidates: list[Any] = []
    bounds = measurements.get("bounds")
    if isinstance(bounds, Mapping):
        candidates += [bounds.get(f"{figure}_s"), bounds.get(figure)]
    candidates += [
        value
        for key, value in measurements.items()
        if key.startswith(figure) and "bound" in key and "by_plan" not in key
    ]
    for value in candidates:
        if isinstance(value, int | float) and not isinstance(value, bool):
            minus = plus = float(value)
        elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            minus, plus = (abs(float(v)) for v in value)
        elif isinstance(value, Mapping) and "minus" in value and "plus" in value:
            minus, plus = abs(float(value["minus"])), abs(float(value["plus"]))
        else:
            continue
        # true in [measured - minus, measured + plus]  <=>  measured - true in [-plus, +minus]
        return Bound(early_ns=round(plus * NS_PER_S), late_ns=round(minus * NS_PER_S), source="scorecard")
    return None


def drill_truth(card: Mapping[str, Any]) -> DrillTruth:
    """Compare one scorecard of the target with the truth its journal recorded; NoTruth says what is missing."""
    notes = [e for e in _events(card, "note") if e["name"] == TRUTH_NOTE]
    if len(notes) != 1:
        raise NoTruth(
            f"{len(notes)} {TRUTH_NOTE!r} notes in the timeline; the record-truth step must run once"
        )
    note = notes[0]["data"]
    outages = note["truth"]["outages"]
    if len(outages) != 1 or outages[0]["end_ns"] is None:
        raise NoTruth(f"the target recorded {len(outages)} outage(s), wanted one that ended: {outages}")
    outage = outages[0]
    starts = [e["t_ns"] for e in _events(card, "fault") if e["type"] == "start"]
    if not starts:
        raise NoTruth("no fault was applied")
    fault_start = starts[0]
    m = card["measurements"]
    ttd, ttr = _seconds_to_ns(m["time_to_detect_s"]), _seconds_to_ns(m["time_to_recover_s"])
    spans = probe_spans(card)
    interval = parse_duration(card["config"]["staging"]["probe_interval"])
    bracket = note["after_ns"] - note["before_ns"]
    outage_ns = outage["end_ns"] - outage["set_ns"]
    apply_ns = outage["set_ns"] - fault_start
    return DrillTruth(
        detect_error_ns=None if ttd is None else fault_start + ttd - outage["set_ns"],
        recover_error_ns=None if ttr is None else fault_start + ttr - outage["end_ns"],
        outage_ns=outage_ns,
        detect_bound=stated_bound(m, "time_to_detect") or sampling_bound(spans, outage["set_ns"]),
        recover_bound=stated_bound(m, "time_to_recover") or sampling_bound(spans, outage["end_ns"]),
        apply_latency_ns=apply_ns,
        first_faulty_lag_ns=_lag(outage["first_faulty_ns"], outage["set_ns"]),
        first_sound_lag_ns=_lag(outage["first_sound_ns"], outage["end_ns"]),
        clock_skew_ns=note["truth"]["now_ns"] - (note["before_ns"] + bracket // 2),
        clock_bracket_ns=bracket,
        probe_interval_ns=round(interval.total_seconds() * NS_PER_S),
    )


def _lag(instant: int | None, edge: int) -> int | None:
    return None if instant is None else instant - edge


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0..1) of a non-empty sample: a value that was measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
