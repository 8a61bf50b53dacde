"""The ground-truth comparison (tests/truth/target.py) on scripted scorecards: errors, bounds, what is missing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.truth.target import (
    TRUTH_NOTE,
    Bound,
    NoTruth,
    drill_truth,
    percentile,
    sampling_bound,
    stated_bound,
)

MS = 1_000_000
T0 = 10_000 * MS  # the journal's fault start


def card(
    ttd_s: float | None = 0.052, ttr_s: float | None = 1.553, measurements: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A drill: fault dated at T0, set by the target 2 ms later, healed 1.5 s after that; probes every 50 ms
    from T0 - 100 ms, each taking 3 ms, failing while the outage was in place."""
    set_ns, end_ns = T0 + 2 * MS, T0 + 1502 * MS
    timeline: list[dict[str, Any]] = [{"kind": "fault", "type": "start", "name": "f", "t_ns": T0}]
    for n in range(40):
        began = T0 - 100 * MS + n * 50 * MS
        failed = set_ns <= began + MS < end_ns  # the write reaches the target 1 ms after the probe starts
        timeline += [
            {"kind": "probe", "type": "invoke", "name": "canary", "process": f"p{n}", "t_ns": began},
            {
                "kind": "probe",
                "type": "fail" if failed else "ok",
                "name": "canary",
                "process": f"p{n}",
                "t_ns": began + 3 * MS,
            },
        ]
    truth = {
        "now_ns": T0 + 2001 * MS,
        "outages": [
            {
                "set_ns": set_ns,
                "end_ns": end_ns,
                "heal_ns": end_ns,
                "cleared_ns": T0 + 1900 * MS,
                "first_faulty_ns": T0 + 51 * MS,
                "first_sound_ns": T0 + 1551 * MS,
            }
        ],
    }
    note = {"before_ns": T0 + 2000 * MS, "after_ns": T0 + 2002 * MS, "truth": truth}
    timeline.append(
        {"kind": "note", "type": "info", "name": TRUTH_NOTE, "t_ns": T0 + 2002 * MS, "data": note}
    )
    return {
        "timeline": timeline,
        "config": {"staging": {"probe_interval": "50ms"}},
        "measurements": {"time_to_detect_s": ttd_s, "time_to_recover_s": ttr_s, **(measurements or {})},
    }


def test_errors_are_the_figures_against_the_truth_and_sit_inside_the_sampling_bound() -> None:
    truth = drill_truth(card())
    assert truth.detect_error_ns == 50 * MS  # the target set the fault at T0 + 2 ms: the true time to detect
    assert truth.recover_error_ns == 51 * MS  # it healed at T0 + 1502 ms
    assert truth.outage_ns == 1500 * MS
    assert truth.apply_latency_ns == 2 * MS
    # the probe started at T0 + 0 ms (before the set) and the one at T0 + 50 ms, answered at 53 ms
    assert truth.detect_bound == Bound(53 * MS, 53 * MS, "sampling")
    # last probe started before the end: T0 + 1500 ms; first after: T0 + 1550 ms, answered at 1553 ms
    assert truth.recover_bound == Bound(53 * MS, 53 * MS, "sampling")
    assert truth.detect_bound.holds(truth.detect_error_ns)
    assert truth.recover_bound.holds(truth.recover_error_ns)
    assert (truth.clock_skew_ns, truth.clock_bracket_ns) == (0, 2 * MS)
    assert (truth.first_faulty_lag_ns, truth.first_sound_lag_ns) == (49 * MS, 49 * MS)
    assert truth.probe_interval_ns == 50 * MS


def test_a_recovery_dated_one_probe_late_is_outside_the_bound() -> None:
    truth = drill_truth(card(ttr_s=1.606))
    assert truth.recover_error_ns == 104 * MS
    assert not truth.recover_bound.holds(truth.recover_error_ns)
    early = drill_truth(card(ttd_s=0.0, ttr_s=1.44))
    assert early.recover_error_ns == -62 * MS and not early.recover_bound.holds(early.recover_error_ns)


def test_a_bound_the_scorecard_states_replaces_the_sampling_one() -> None:
    # 0.052 s (+0/-0.050 s): the truth lies up to 50 ms before the measured value (here 50 ms before it)
    stated = {"time_to_detect_bound_s": {"minus": 0.05, "plus": 0.0}, "time_to_recover_bound_s": [0.06, 0.01]}
    truth = drill_truth(card(measurements=stated))
    assert truth.detect_bound == Bound(early_ns=0, late_ns=50 * MS, source="scorecard")
    assert truth.detect_bound.holds(50 * MS) and not truth.detect_bound.holds(51 * MS)
    assert truth.recover_bound == Bound(early_ns=10 * MS, late_ns=60 * MS, source="scorecard")
    assert stated_bound({"bounds": {"time_to_recover_s": 0.02}}, "time_to_recover") == Bound(
        20 * MS, 20 * MS, "scorecard"
    )
    assert (
        stated_bound({"time_to_detect_by_plan_bound_s": 1.0, "time_to_detect_s": 0.5}, "time_to_detect")
        is None
    )


def test_what_a_comparison_needs_is_said_when_missing() -> None:
    no_note = card()
    no_note["timeline"] = [e for e in no_note["timeline"] if e["kind"] != "note"]
    with pytest.raises(NoTruth, match="0 'ground-truth' notes in the timeline"):
        drill_truth(no_note)
    unended = card()
    unended["timeline"][-1]["data"]["truth"]["outages"][0]["end_ns"] = None
    with pytest.raises(NoTruth, match="wanted one that ended"):
        drill_truth(unended)
    with pytest.raises(NoTruth, match="no probe on both sides"):
        sampling_bound([(5, 6)], 1)
    assert drill_truth(card(ttd_s=None, ttr_s=None)).recover_error_ns is None


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (10.0, 19.0, 20.0)
    assert percentile([3.0], 0.95) == 3.0
