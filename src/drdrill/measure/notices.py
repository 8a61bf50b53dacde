"""The system's own alerting and its client notices, read from the notification sink's messages in the journal,
judged against the plan's communication protocol at staging time scale. Pure: events and rules in, results out.

- The system's own time to detect: from the fault's start to the first alert its alerting sent (a trigger, for
  the tools whose events have an action), beside drdrill's probe-based time to detect.
- Each client notice is recognised as a stage of the protocol (first notice, initial assessment, status update,
  resolution; a degraded mode's notice counts as an update) by the stage's ``match`` or by the words of its
  template, and its words are checked by the plan's "what not to say" rules.
- Each stage's deadline runs from the instant the plan names: detection (the earlier of the system's own alert
  and drdrill's probes: the client's clock starts when the failure could be known), or restoration (drdrill's
  measured recovery). Updates: no gap between two notices, from the first notice to the resolution, longer than
  the cadence. A stage never sent is missed once its deadline passed within the drill; not judged otherwise. An
  initial assessment is not owed when the resolution notice was sent before it was due.
  Restoration is full operation back: a system that failed over is restored when it fails back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from drdrill.journal import ALERT, NOTICE, RECEIVED, Event, Kind
from drdrill.plan.wording import STAGE_LABEL, WordingRules, wording_problems
from drdrill.units import seconds

_WORD = re.compile(r"[a-z]{4,}")
RECOGNISED_SHARE = 0.5  # a notice is a stage's when it holds at least half of its template's own words
DEADLINE_STAGES = ("first_notice", "initial_assessment", "resolution")


def template_words(template: str) -> frozenset[str]:
    """The words a notice of this template always holds: its text without placeholders, words of 4+ letters."""
    return frozenset(_WORD.findall(re.sub(r"\{[^}]*\}", " ", template).lower()))


@dataclass(frozen=True)
class StageRule:
    """One stage of the protocol as a drill judges it. ``deadline_ns`` is the staging deadline (for updates,
    the cadence), None when the plan gives no time scale; ``source`` says where it came from."""

    stage: str
    after: str  # detection | restoration | notice (updates: after the previous notice)
    deadline_ns: int | None
    source: str
    production: str  # the production deadline, in words
    words: frozenset[str] = frozenset()
    pattern: str | None = None

    def recognises(self, text: str) -> float:
        """How well ``text`` matches this stage: 1.0 for its pattern, else the share of its template's words."""
        if self.pattern is not None:
            return 1.0 if re.search(self.pattern, text, re.IGNORECASE) else 0.0
        if not self.words:
            return 0.0
        found = set(_WORD.findall(text.lower()))
        return len(self.words & found) / len(self.words)


@dataclass(frozen=True)
class NoticeObjectives:
    """The plan's protocol and channels, as a drill needs them."""

    stages: tuple[StageRule, ...]
    wording: WordingRules
    has_alerts: bool = True
    has_notices: bool = True


@dataclass(frozen=True)
class Message:
    """One message the sink received, ``at_ns`` from the fault's start (negative: before it)."""

    at_ns: int
    channel: str
    role: str
    shape: str
    action: str | None
    text: str
    subject: str | None = None
    stage: str | None = None  # a notice's recognised stage
    problems: tuple[str, ...] = ()  # what its words should not have said


@dataclass(frozen=True)
class StageResult:
    """One stage judged: its deadline (from what), when it was sent, and the outcome."""

    stage: str
    outcome: Literal["pass", "fail", "unknown"]
    measured: str
    objective: str
    message: str
    deadline_ns: int | None = None
    sent_ns: int | None = None  # from the fault's start
    due_ns: int | None = None  # from the fault's start


@dataclass(frozen=True)
class Communication:
    """Everything the sink saw, and what it says of the system's detection and of its client notices."""

    messages: tuple[Message, ...]
    time_to_detect_by_system_ns: int | None
    alerts_before_fault: int
    detected_ns: int | None  # the client clock's start, from the fault's start
    detected_by: str | None
    restored_ns: int | None
    stages: tuple[StageResult, ...]
    drill_end_ns: int

    @property
    def notices(self) -> list[Message]:
        return [m for m in self.messages if m.role == NOTICE]

    @property
    def alerts(self) -> list[Message]:
        return [m for m in self.messages if m.role == ALERT]


def _messages(events: Sequence[Event], fault_start_ns: int, rules: NoticeObjectives) -> list[Message]:
    found: list[Message] = []
    for event in events:
        if event.kind is not Kind.MESSAGE:
            continue
        received = event.data.get(RECEIVED)
        at = (int(received) if isinstance(received, int) else event.t_ns) - fault_start_ns
        text = str(event.data.get("text") or "")
        subject = event.data.get("subject")
        words = f"{subject}\n{text}" if isinstance(subject, str) and subject not in text else text
        stage: str | None = None
        problems: tuple[str, ...] = ()
        if event.value == NOTICE:
            stage = recognise(words, rules.stages)
            problems = tuple(p.message for p in wording_problems(words, stage or "notice", rules.wording))
        action = event.data.get("action")
        found.append(
            Message(
                at_ns=at,
                channel=event.name,
                role=str(event.value),
                shape=str(event.data.get("shape") or "generic"),
                action=str(action) if isinstance(action, str) else None,
                text=text,
                subject=subject if isinstance(subject, str) else None,
                stage=stage,
                problems=problems,
            )
        )
    return sorted(found, key=lambda m: m.at_ns)


def recognise(text: str, stages: Sequence[StageRule]) -> str | None:
    """The stage ``text`` is a notice of: the best match at or above :data:`RECOGNISED_SHARE`, first on a tie."""
    best, best_score = None, RECOGNISED_SHARE
    for rule in stages:
        score = rule.recognises(text)
        if score > best_score or (score == best_score and best is None and score > 0):
            best, best_score = rule.stage, score
    return best


def communication(
    events: Sequence[Event],
    rules: NoticeObjectives,
    fault_start_ns: int,
    probe_detect_ns: int | None,
    recovered_ns: int | None,
) -> Communication:
    """Read the sink's messages of one drill and judge each stage of the protocol."""
    messages = _messages(events, fault_start_ns, rules)
    end = max((e.t_ns for e in events), default=fault_start_ns) - fault_start_ns
    first_alert = next(
        (m for m in messages if m.role == ALERT and m.at_ns >= 0 and m.action in (None, "trigger")), None
    )
    system_ttd = None if first_alert is None else first_alert.at_ns
    starts = [
        (t, who)
        for t, who in ((system_ttd, "the system's own alert"), (probe_detect_ns, "drdrill's probes"))
        if t is not None
    ]
    detected, detected_by = min(starts) if starts else (None, None)
    stages = (
        tuple(
            _judge_stage(rule, messages, detected, detected_by, recovered_ns, end)
            for rule in rules.stages
            if rule.stage != "degraded"
        )
        if rules.has_notices
        else ()
    )
    return Communication(
        messages=tuple(messages),
        time_to_detect_by_system_ns=system_ttd,
        alerts_before_fault=sum(1 for m in messages if m.role == ALERT and m.at_ns < 0),
        detected_ns=detected,
        detected_by=detected_by,
        restored_ns=recovered_ns,
        stages=stages,
        drill_end_ns=end,
    )


def _judge_stage(
    rule: StageRule,
    messages: Sequence[Message],
    detected: int | None,
    detected_by: str | None,
    restored: int | None,
    end: int,
) -> StageResult:
    label = STAGE_LABEL.get(rule.stage, rule.stage)
    if rule.stage == "updates":
        return _judge_updates(rule, messages, restored, end)
    if rule.deadline_ns is None:
        return StageResult(rule.stage, "unknown", "not judged", rule.production, f"not judged: {rule.source}")
    objective = (
        f"within {seconds(rule.deadline_ns)} of {rule.after} ({rule.source}; production: {rule.production})"
    )
    start, start_words = (
        (detected, f"detection by {detected_by}") if rule.after == "detection" else (restored, "restoration")
    )
    if start is None:
        why = (
            "the failure was never detected"
            if rule.after == "detection"
            else "service was never seen restored"
        )
        return StageResult(
            rule.stage,
            "unknown",
            "not measured",
            objective,
            f"not judged: {why}, so the {label}'s deadline has no start",
            rule.deadline_ns,
        )
    due = start + rule.deadline_ns
    sent = _first_notice_of(messages, rule.stage)
    if sent is None and rule.stage == "initial_assessment":
        # An incident resolved before its assessment was due owes no assessment: the resolution notice says what
        # happened and what was done, which is what the assessment would have said, and more.
        resolved = _first_notice_of(messages, "resolution")
        if resolved is not None and resolved.at_ns <= due:
            return StageResult(
                rule.stage,
                "pass",
                "resolved before due",
                objective,
                f"{label} not needed: the resolution notice came {seconds(max(0, resolved.at_ns - start))} after "
                f"{start_words}, before the {label} was due ({seconds(rule.deadline_ns)})",
                rule.deadline_ns,
                None,
                due,
            )
    if sent is None:
        if end < due:
            return StageResult(
                rule.stage,
                "unknown",
                "not sent",
                objective,
                f"not judged: the drill ended {seconds(due - end)} before the {label} was due",
                rule.deadline_ns,
                None,
                due,
            )
        return StageResult(
            rule.stage,
            "fail",
            "never sent",
            objective,
            f"{label} never sent: it was due {seconds(rule.deadline_ns)} after {start_words} (at {seconds(due)} into the fault)",
            rule.deadline_ns,
            None,
            due,
        )
    took = max(0, sent.at_ns - start)  # a notice sent as the system came back is sent at restoration
    measured = f"sent {seconds(took)} after {rule.after}"
    if sent.at_ns > due:
        return StageResult(
            rule.stage,
            "fail",
            measured,
            objective,
            f"{label} sent {seconds(sent.at_ns - due)} late: {seconds(took)} after {start_words}, deadline {seconds(rule.deadline_ns)}",
            rule.deadline_ns,
            sent.at_ns,
            due,
        )
    return StageResult(
        rule.stage,
        "pass",
        measured,
        objective,
        f"{label} sent {seconds(took)} after {start_words}, within {seconds(rule.deadline_ns)}",
        rule.deadline_ns,
        sent.at_ns,
        due,
    )


def _first_notice_of(messages: Sequence[Message], stage: str) -> Message | None:
    """The first notice of ``stage`` sent since the fault started (messages are in time order)."""
    return next((m for m in messages if m.role == NOTICE and m.stage == stage and m.at_ns >= 0), None)


def _judge_updates(
    rule: StageRule, messages: Sequence[Message], restored: int | None, end: int
) -> StageResult:
    if rule.deadline_ns is None:
        return StageResult(rule.stage, "unknown", "not judged", rule.production, f"not judged: {rule.source}")
    objective = f"a notice at least every {seconds(rule.deadline_ns)} until the resolution ({rule.source}; production: {rule.production})"
    notices = [m for m in messages if m.role == NOTICE and m.at_ns >= 0]
    first = next((m for m in notices if m.stage == "first_notice"), notices[0] if notices else None)
    if first is None:
        return StageResult(
            rule.stage,
            "unknown",
            "no notice",
            objective,
            "not judged: no notice was sent, so no update was due after one",
            rule.deadline_ns,
        )
    resolution = next((m for m in notices if m.stage == "resolution" and m.at_ns >= first.at_ns), None)
    stop, stop_words = (
        (resolution.at_ns, "the resolution")
        if resolution is not None
        else (
            restored if restored is not None else end,
            "restoration" if restored is not None else "the end of the drill",
        )
    )
    if stop <= first.at_ns:
        why = f"not judged: the first notice came at {seconds(first.at_ns)}, after {stop_words}, so no update was due"
        return StageResult(rule.stage, "unknown", "none due", objective, why, rule.deadline_ns)
    times = [m.at_ns for m in notices if first.at_ns <= m.at_ns < stop] + [stop]
    gaps = [(b - a, a, b) for a, b in pairwise(times)]
    longest = max(gaps, default=(0, first.at_ns, stop))
    measured = f"longest gap {seconds(longest[0])}"
    if longest[0] > rule.deadline_ns:
        return StageResult(
            rule.stage,
            "fail",
            measured,
            objective,
            f"no notice for {seconds(longest[0])} between {seconds(longest[1])} and {seconds(longest[2])} into the fault (until {stop_words}), longer than the update cadence of {seconds(rule.deadline_ns)}",
            rule.deadline_ns,
            None,
            longest[1] + rule.deadline_ns,
        )
    updates = len(times) - 2
    return StageResult(
        rule.stage,
        "pass",
        measured,
        objective,
        f"{updates} update(s) between the first notice and {stop_words}; no gap longer than {seconds(rule.deadline_ns)}",
        rule.deadline_ns,
    )


def wording_result(comm: Communication) -> StageResult | None:
    """The words of every notice sent, checked by the plan's rules; None when no notice was sent."""
    notices = comm.notices
    if not notices:
        return None
    bad = [m for m in notices if m.problems]
    objective = (
        "no vendor named, no fix promised sooner than the RTO, no cause asserted early, no internal jargon"
    )
    measured = f"{len(bad)} of {len(notices)} notice(s) with a problem"
    if not bad:
        return StageResult(
            "wording",
            "pass",
            measured,
            objective,
            f"the words of all {len(notices)} notice(s) follow the plan",
        )
    said = "; ".join(f"the notice at {seconds(m.at_ns)}: {p}" for m in bad for p in m.problems)
    return StageResult("wording", "fail", measured, objective, said)
