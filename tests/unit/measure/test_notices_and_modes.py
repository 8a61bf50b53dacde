"""The system's own alerts, the client notices against their staging deadlines, their words, and the degraded
modes, measured from literal timelines with exact values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import ALERT, MODE, NOTICE, PREVIOUS_POLL, RECEIVED, Event, Journal, Kind, Type
from drdrill.measure.modes import ModeObjectives, judge_modes, mode_report
from drdrill.measure.notices import NoticeObjectives, StageRule, communication, template_words, wording_result
from drdrill.plan.wording import plan_rules

T0 = 10_000_000_000  # the fault's start


def s(seconds: float) -> int:
    return round(seconds * 1e9)


FIRST = "We have detected a problem affecting {system}. Our team is investigating now. Next update by {next_update}."
ASSESS = "Current assessment of the problem affecting {system}: {impact}. Degraded mode in effect: {degraded_mode}."
UPDATE = "Recovery of {system} is in progress. Status: {status}. Next update by {next_update}."
RESOLVED = "{system} is back to normal operation. Summary of what happened and what we did: {summary}."

RULES = NoticeObjectives(
    stages=(
        StageRule(
            "first_notice",
            "detection",
            s(3),
            "staging.notices.first_notice",
            "15 minutes after detection",
            template_words(FIRST),
        ),
        StageRule(
            "initial_assessment",
            "detection",
            s(6),
            "scaled",
            "1 hour after detection",
            template_words(ASSESS),
        ),
        StageRule("updates", "notice", s(4), "scaled", "every hour", template_words(UPDATE)),
        StageRule(
            "resolution",
            "restoration",
            s(2),
            "scaled",
            "30 minutes after restoration",
            template_words(RESOLVED),
        ),
    ),
    wording=plan_rules(["Acme AI"], ["label-worker"], timedelta(hours=4)),
)


def message(at_s: float, role: str, text: str, channel: str = "client", action: str | None = None) -> Event:
    data = {
        RECEIVED: T0 + s(at_s),
        "shape": "email" if role == NOTICE else "pagerduty",
        "text": text,
        "action": action,
    }
    return Event(0, T0 + s(at_s) + s(0.2), "", Kind.MESSAGE, Type.INFO, channel, value=role, data=data)


def end(at_s: float) -> Event:
    return Event(0, T0 + s(at_s), "", Kind.NOTE, Type.INFO, "drain")


def test_every_stage_in_time_and_the_systems_own_detection() -> None:
    events = [
        message(-1.0, ALERT, "noise before the fault", "on-call", "trigger"),
        message(1.5, ALERT, "primary provider error rate high", "on-call", "trigger"),
        message(
            2.0,
            NOTICE,
            "We have detected a problem affecting claims. Our team is investigating now. Next update by 10:00.",
        ),
        message(
            5.0,
            NOTICE,
            "Current assessment of the problem affecting claims: slower labels. Degraded mode in effect: backup.",
        ),
        message(
            8.0, NOTICE, "Recovery of claims is in progress. Status: on the standby. Next update by 11:00."
        ),
        message(
            10.5,
            NOTICE,
            "Claims is back to normal operation. Summary of what happened and what we did: switched back.",
        ),
        end(12.0),
    ]
    comm = communication(events, RULES, T0, probe_detect_ns=s(1.8), recovered_ns=s(9.0))
    assert comm.time_to_detect_by_system_ns == s(1.5)
    assert (comm.detected_ns, comm.detected_by) == (s(1.5), "the system's own alert")
    assert comm.alerts_before_fault == 1
    assert [m.stage for m in comm.notices] == ["first_notice", "initial_assessment", "updates", "resolution"]
    outcomes = {r.stage: (r.outcome, r.message) for r in comm.stages}
    assert outcomes == {
        "first_notice": (
            "pass",
            "first notice sent 0.50 s after detection by the system's own alert, within 3.00 s",
        ),
        "initial_assessment": (
            "pass",
            "initial assessment sent 3.50 s after detection by the system's own alert, within 6.00 s",
        ),
        "updates": (
            "pass",
            "2 update(s) between the first notice and the resolution; no gap longer than 4.00 s",
        ),
        "resolution": ("pass", "resolution notice sent 1.50 s after restoration, within 2.00 s"),
    }
    wording = wording_result(comm)
    assert wording is not None and wording.outcome == "pass"


def test_a_late_a_missing_and_a_badly_worded_notice_fail_naming_the_stage_and_the_delay() -> None:
    events = [
        message(
            6.2,
            NOTICE,
            "We have detected a problem affecting claims. Acme AI is down; our team is investigating now, the label-worker will be restored in 30 minutes.",
        ),
        end(20.0),
    ]
    comm = communication(events, RULES, T0, probe_detect_ns=s(1.2), recovered_ns=s(9.0))
    assert comm.time_to_detect_by_system_ns is None
    assert comm.detected_by == "drdrill's probes"
    by_stage = {r.stage: r for r in comm.stages}
    assert (by_stage["first_notice"].outcome, by_stage["first_notice"].message) == (
        "fail",
        "first notice sent 2.00 s late: 5.00 s after detection by drdrill's probes, deadline 3.00 s",
    )
    assert (by_stage["initial_assessment"].outcome, by_stage["initial_assessment"].message) == (
        "fail",
        "initial assessment never sent: it was due 6.00 s after detection by drdrill's probes (at 7.20 s into the fault)",
    )
    assert by_stage["resolution"].outcome == "fail"
    assert by_stage["updates"].outcome == "pass"  # 6.2 s until restoration at 9.0 s: no gap over 4 s
    wording = wording_result(comm)
    assert wording is not None and wording.outcome == "fail"
    assert wording.message == (
        "the notice at 6.20 s: first notice names 'Acme AI'; speak of a provider outage and the failover in place; "
        "the notice at 6.20 s: first notice promises a fix within 30 minutes, shorter than the recovery objective "
        "(RTO 4 hours); the notice at 6.20 s: first notice uses internal jargon ('label-worker'); say what it "
        "means to the client"
    )


@pytest.mark.parametrize(
    ("resolved_at", "expected"),
    [
        # detection 1.2 s, assessment due 6.00 s later: at 7.20 s into the fault
        (
            3.0,
            (
                "pass",
                "initial assessment not needed: the resolution notice came 1.80 s after detection by drdrill's "
                "probes, before the initial assessment was due (6.00 s)",
            ),
        ),
        (
            7.5,
            (
                "fail",
                "initial assessment never sent: it was due 6.00 s after detection by drdrill's probes (at 7.20 s "
                "into the fault)",
            ),
        ),
    ],
)
def test_a_resolution_before_the_assessment_was_due_takes_its_place_and_one_after_does_not(
    resolved_at: float, expected: tuple[str, str]
) -> None:
    events = [
        message(2.0, NOTICE, "We have detected a problem affecting claims. Our team is investigating now."),
        message(
            resolved_at,
            NOTICE,
            "Claims is back to normal operation. Summary of what happened and what we did: switched back.",
        ),
        end(20.0),
    ]
    comm = communication(events, RULES, T0, probe_detect_ns=s(1.2), recovered_ns=s(2.5))
    assert [m.stage for m in comm.notices] == ["first_notice", "resolution"]
    by_stage = {r.stage: r for r in comm.stages}
    assert (by_stage["initial_assessment"].outcome, by_stage["initial_assessment"].message) == expected


def test_a_deadline_still_ahead_when_the_drill_ended_is_not_judged_and_no_detection_no_clock() -> None:
    comm = communication([end(2.0)], RULES, T0, probe_detect_ns=s(0.5), recovered_ns=None)
    first = next(r for r in comm.stages if r.stage == "first_notice")
    assert (first.outcome, first.message) == (
        "unknown",
        "not judged: the drill ended 1.50 s before the first notice was due",
    )
    resolution = next(r for r in comm.stages if r.stage == "resolution")
    assert (
        resolution.message
        == "not judged: service was never seen restored, so the resolution notice's deadline has no start"
    )
    undetected = communication([end(9.0)], RULES, T0, probe_detect_ns=None, recovered_ns=None)
    assert next(r for r in undetected.stages if r.stage == "first_notice").message == (
        "not judged: the failure was never detected, so the first notice's deadline has no start"
    )


def test_a_long_silence_between_notices_misses_the_update_cadence() -> None:
    events = [
        message(
            1.0,
            NOTICE,
            "We have detected a problem affecting claims. Our team is investigating now. Next update by 9.",
        ),
        message(
            7.5, NOTICE, "Claims is back to normal operation. Summary of what happened and what we did: it."
        ),
        end(9.0),
    ]
    comm = communication(events, RULES, T0, probe_detect_ns=s(0.5), recovered_ns=s(6.0))
    updates = next(r for r in comm.stages if r.stage == "updates")
    assert (updates.outcome, updates.message) == (
        "fail",
        "no notice for 6.50 s between 1.00 s and 7.50 s into the fault (until the resolution), longer than the "
        "update cadence of 4.00 s",
    )


def mode(at_s: float, state: str, raw: str, polled_s: float) -> Event:
    data = {"raw": raw, PREVIOUS_POLL: T0 + s(polled_s)}
    return Event(0, T0 + s(at_s), "", Kind.SIGNAL, Type.INFO, MODE, value=state, data=data)


OBJECTIVES = ModeObjectives(("reduced-accuracy",), (("reduced-accuracy", ("Check the primary.",)),))


def test_a_mode_entered_and_left_passes_with_both_times_and_the_way_back() -> None:
    events = [
        mode(-3, "normal", "normal", -3.2),
        mode(1.3, "reduced-accuracy", "backup", 1.1),
        mode(9.6, "normal", "normal", 9.4),
    ]
    report = mode_report(events, T0, T0 + s(8), ["reduced-accuracy"])
    judged = judge_modes(report, OBJECTIVES)
    assert judged.outcome == "pass"
    assert judged.message == (
        "entered 'reduced-accuracy' 1.30 s after the fault (+0/-0.20 s), back to normal at 9.60 s (+0/-0.20 s); "
        "the plan's return to normal: Check the primary."
    )


def test_a_mode_the_scenario_does_not_allow_fails_naming_it() -> None:
    events = [mode(1.0, "manual-fallback", "manual", 0.8), mode(4.0, "normal", "normal", 3.8)]
    judged = judge_modes(mode_report(events, T0, T0 + s(8), ["reduced-accuracy"]), OBJECTIVES)
    assert (judged.outcome, judged.message) == (
        "fail",
        "the system entered 'manual-fallback' at 1.00 s, which this scenario does not allow ('reduced-accuracy')",
    )
    unnamed = judge_modes(
        mode_report([mode(1.0, "other", "weird", 0.8)], T0, None, ["reduced-accuracy"]), OBJECTIVES
    )
    assert "entered \"unnamed value 'weird'\"" in unnamed.message


def test_never_entered_or_never_left_fails() -> None:
    never = judge_modes(
        mode_report([mode(-1, "normal", "normal", -1.2)], T0, T0 + s(8), ["reduced-accuracy"]), OBJECTIVES
    )
    assert (never.outcome, never.message) == (
        "fail",
        "the system never reported a degraded mode while the fault was held; this scenario expects 'reduced-accuracy'",
    )
    stuck = judge_modes(
        mode_report([mode(2, "reduced-accuracy", "backup", 1.8)], T0, T0 + s(8), ["reduced-accuracy"]),
        OBJECTIVES,
    )
    assert (stuck.outcome, stuck.message) == (
        "fail",
        "still in 'reduced-accuracy' when the drill ended: it never returned to normal (the plan's return to "
        "normal: Check the primary.)",
    )


def test_journal_owns_the_new_names() -> None:
    journal = Journal(FakeClock())
    event = journal.record(Kind.MESSAGE, Type.INFO, "client", value=NOTICE, data={RECEIVED: 1})
    assert (event.kind.value, event.value) == ("message", "notice")


def test_no_update_is_due_when_the_first_notice_comes_after_restoration() -> None:
    events = [
        message(
            7.0,
            NOTICE,
            "We have detected a problem affecting claims. Our team is investigating now. Next update by 9.",
        ),
        end(12.0),
    ]
    comm = communication(events, RULES, T0, probe_detect_ns=s(0.5), recovered_ns=s(3.0))
    updates = next(r for r in comm.stages if r.stage == "updates")
    assert (updates.outcome, updates.message) == (
        "unknown",
        "not judged: the first notice came at 7.00 s, after restoration, so no update was due",
    )
