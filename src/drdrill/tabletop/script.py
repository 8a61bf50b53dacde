"""Build a tabletop exercise script for one scenario, from the same plan the drills run from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from drdrill.plan.durations import humanize_duration
from drdrill.plan.models import Plan, RecoveryStep, Role, Scenario
from drdrill.report import words
from drdrill.report.schema import Scorecard, TimeFigure
from drdrill.tabletop.document import (
    Block,
    Bullets,
    Document,
    Para,
    Questions,
    Section,
    Table,
    to_html,
    to_markdown,
)
from drdrill.units import duration_s

Format = Literal["md", "html"]
NO_DRILL = "not measured: no staging drill was given; fill in from the exercise notes"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _t(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "T+0"
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"T+{hours} h {mins} min"
    return f"T+{hours} h" if hours else f"T+{mins} min"


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` with its value; an unknown name stays visible as ``[name]``."""
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), f"[{m.group(1)}]"), " ".join(template.split()))
    return text[:1].upper() + text[1:]


@dataclass
class _Module:
    at: timedelta
    title: str
    situation: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)


def _automation(step: RecoveryStep, quoted: bool = True) -> str:
    """What carries out an automated step: its hook, or its declarative action in words."""
    if step.action is not None:
        return f"action: {step.action.describe()}"
    return f"hook '{step.hook}'" if quoted else f"hook {step.hook}"


def _step_line(step: RecoveryStep) -> str:
    if step.automated:
        who = f" (watched by {step.owner})" if step.owner else ""
        text = f"{step.title} — automated by {_automation(step)}{who}"
    else:
        estimate = humanize_duration(step.estimate) if step.estimate is not None else "?"
        text = f"{step.title} — {step.owner}, about {estimate}"
    return text + (f"; only if: {step.when.rstrip('.')}" if step.when else "")


class _Builder:
    def __init__(
        self, plan: Plan, scenario: Scenario, drill: Scorecard | None, scorecard_path: str | None
    ) -> None:
        self.plan = plan
        self.s = scenario
        self.objective = plan.objectives_for(scenario)
        self.drill = drill
        self.scorecard_path = scorecard_path
        modes = [plan.degraded_modes[m] for m in scenario.degraded_modes if m in plan.degraded_modes]
        self.modes = modes
        self.values = {
            "system": f"the {plan.name} system",
            "impact": " ".join(scenario.impact.split()),
            "degraded_mode": ", ".join(m.name for m in modes) or "none",
            "rto": humanize_duration(self.objective.rto),
            "status": "[current status]",
            "next_update": "[time of next update]",
            "summary": "[summary of events and actions]",
        }

    # -- parts ---------------------------------------------------------------------------------------

    def situation_manual(self) -> Section:
        s, o = self.s, self.objective
        signoff = self.plan.objectives.client_signoff
        agreed = (
            f"Agreed with {signoff.client} ({signoff.signed_by}) on {signoff.date}."
            if signoff
            else "Not yet agreed with the client."
        )
        scope = (
            f"This exercise walks through the scenario '{s.title}' for the {self.plan.name} system run for "
            f"{self.plan.client}. It is a discussion on paper: nothing in production or staging is touched."
        )
        goals = [
            "Check that everyone knows how this failure is detected and who declares the incident.",
            "Walk the recovery procedure step by step and find gaps, missing access or single points of failure.",
            "Practise the client notices against their deadlines.",
            f"Judge whether recovery fits the objective: RTO {humanize_duration(o.rto)}, "
            f"RPO {humanize_duration(o.rpo)}.",
        ]
        participants = [[role.name, role.description, ", ".join(role.people)] for role in self._roles()]
        blocks: list[Block] = [
            Para(scope),
            Table(
                [
                    "Tier",
                    "Disruption class",
                    "Recovery time objective",
                    "Recovery point objective",
                    "Sign-off",
                ],
                [[str(o.tier), o.disruption, humanize_duration(o.rto), humanize_duration(o.rpo), agreed]],
            ),
            Para("Exercise objectives", "meta"),
            Bullets(goals, ordered=True),
            Para("Participants and roles", "meta"),
            Table(["Role", "Responsibility", "People"], participants),
            Para(
                "Also present: a facilitator who runs the clock and reads the injects, and a note-taker who "
                "records decisions, open questions and gaps for the after-action report.",
                "note",
            ),
        ]
        assumptions = [
            *self.s.tabletop.assumptions,
            "Players answer as they would on the day, with the access they really have.",
        ]
        blocks += [Para("Assumptions", "meta"), Bullets(assumptions)]
        return Section("Situation manual", blocks)

    def _roles(self) -> list[Role]:
        names: list[str] = []
        for step in self.s.recovery:
            if step.owner and step.owner not in names:
                names.append(step.owner)
        for mode in self.modes:
            names += [r for r in mode.authorized_roles if r not in names]
        return [self.plan.roles[n] for n in names if n in self.plan.roles]

    def modules(self) -> list[Section]:
        s = self.s
        plan = self.plan
        first = plan.notice(s, "first_notice")
        assessment = plan.notice(s, "initial_assessment")
        detection = [c.describe() for c in s.detection.criteria]
        joiner = "any one of" if s.detection.match == "any" else "all of"
        mods = [
            _Module(
                timedelta(0),
                "Something is wrong",
                [
                    " ".join(s.narrative.split()),
                    f"The alerting rules fire on {joiner}: " + "; ".join(detection) + ".",
                ],
                [
                    "Who is alerted first, and how? Who confirms that this is an incident?",
                    "What would you check in the first five minutes to understand the scope?",
                    "Which degraded mode, if any, do you switch on now, and who may decide that?",
                ],
                [f"Declare the incident once the detection criteria hold ({joiner} the conditions above)."],
            ),
            _Module(
                first.deadline,
                "The client must hear from us",
                [
                    f"{humanize_duration(first.deadline)} have passed since detection. The client has not been told yet."
                ],
                [
                    "Who sends the first notice, and through which channel?",
                    "What do we say while the cause is still unknown?",
                ],
                ["Send the first notice: " + fill_template(first.template, self.values)],
            ),
        ]
        elapsed = first.deadline
        manual = [step for step in s.recovery]
        recovery_at = min(elapsed + timedelta(minutes=15), assessment.deadline)
        mods.append(
            _Module(
                recovery_at,
                "Recovery under way",
                [" ".join(s.impact.split())],
                [
                    "Walk through the recovery steps in order. Who does each one, and with what access?",
                    "Which step would stall if its owner could not be reached?",
                    "How do you know each step worked before starting the next one?",
                ],
                [_step_line(step) for step in manual],
            )
        )
        mods.append(
            _Module(
                assessment.deadline,
                "Initial assessment due",
                ["The client expects to know what failed, what it affects and when recovery is expected."],
                [
                    "What recovery time can we state honestly, given the objective and the progress so far?",
                    "What is the client's own team doing meanwhile, and what do they need from us?",
                ],
                ["Send the initial assessment: " + fill_template(assessment.template, self.values)],
            )
        )
        if self.modes:
            mods.append(
                _Module(
                    assessment.deadline + timedelta(minutes=15),
                    "Running degraded",
                    [f"Degraded mode '{m.name}': {' '.join(m.description.split())}" for m in self.modes],
                    [
                        "Is the degraded mode active now? Who switched it on, and was that person allowed to?",
                        "What does the client's team experience during this mode?",
                        "What has to be true before returning to full operation?",
                    ],
                    [f"Tell the client: {' '.join(m.client_notice.split())}" for m in self.modes],
                )
            )
        verify = self._verification()
        total = s.manual_estimate
        mods.append(
            _Module(
                max(total, assessment.deadline + timedelta(minutes=30)),
                "Back to normal?",
                ["The team believes the system has recovered."],
                [
                    "Which checks prove it, and who signs them off?",
                    "Did the recovery fit within the objective? If not, which step took longest?",
                ],
                [*verify, "Send the resolution notice and plan the post-incident report."],
            )
        )
        for inject in s.tabletop.injects:
            mods.append(_Module(inject.at, "A new development", [inject.event], list(inject.questions), []))
        mods.sort(key=lambda m: m.at)
        sections = []
        for i, mod in enumerate(mods, 1):
            blocks: list[Block] = [Para("Situation", "meta"), Bullets(mod.situation)]
            if mod.questions:
                blocks += [Para("Discussion questions", "meta"), Questions(mod.questions, lines=1)]
            if mod.expected:
                blocks += [Para("Expected actions", "meta"), Bullets(mod.expected)]
            sections.append(Section(f"Module {i}: {mod.title}", blocks, badge=_t(mod.at), kind="module"))
        return sections

    def _verification(self) -> list[str]:
        v = self.s.verification
        out = []
        if v.golden_set is not None:
            out.append(
                f"Run the golden test set ({v.golden_set.path}); accuracy must be at least {v.golden_set.min_accuracy:.0%}."
            )
        out += [f"Data check '{c.name}': {c.description}" for c in v.data_checks]
        return out

    def expected_actions(self) -> Section:
        rows = []
        for i, step in enumerate(self.s.recovery, 1):
            if step.automated:
                how = f"automated ({_automation(step, quoted=False)})"
                time = f"measured; staging bound {humanize_duration(self.s.staging.recovery_bound)}"
            else:
                how = "manual"
                time = humanize_duration(step.estimate) if step.estimate is not None else "no estimate"
            owner = step.owner or "—"
            rows.append(
                [
                    str(i),
                    step.title + (f" (only if: {step.when.rstrip('.')})" if step.when else ""),
                    how,
                    owner,
                    time,
                ]
            )
        total = humanize_duration(self.s.manual_estimate)
        rto = humanize_duration(self.objective.rto)
        return Section(
            "Expected actions",
            [
                Para("The recovery procedure from the scenario file, in order."),
                Table(["#", "Step", "How", "Owner", "Time"], rows),
                Para(
                    f"Declared manual time adds up to {total}. Projected recovery time is the measured automated "
                    f"time plus this figure, against an objective of {rto}.",
                    "note",
                ),
            ],
        )

    def communication(self) -> Section:
        plan, s = self.plan, self.s
        rows = []
        for stage, label in (
            ("first_notice", "First notice"),
            ("initial_assessment", "Initial assessment"),
            ("resolution", "Resolution notice"),
            ("post_incident_report", "Post-incident report"),
        ):
            notice = plan.notice(s, stage)
            when = f"within {humanize_duration(notice.deadline)} of {notice.after}"
            rows.append([label, when, fill_template(notice.template, self.values)])
        updates = plan.communication.updates
        rows.insert(
            2,
            [
                "Status updates",
                f"every {humanize_duration(updates.cadence)} until resolved",
                fill_template(updates.template, self.values),
            ],
        )
        return Section(
            "Communication deadlines",
            [
                Table(["Notice", "Deadline", "What it says"], rows),
                Para(
                    "While the cause is unconfirmed, say it is being investigated. Quote the recovery range the "
                    "plan supports, never a shorter one. Speak of a provider outage and the failover in place "
                    "rather than naming a vendor.",
                    "note",
                ),
            ],
        )

    def facilitator_guide(self) -> Section:
        return Section(
            "Facilitator's guide",
            [
                Bullets(
                    [
                        "Before: send the situation manual to participants a few days ahead; book 90 minutes.",
                        "Open by stating the ground rules: no blame, answer as on the real day, say 'I don't know' "
                        "when that is the truth.",
                        "Read each module's situation aloud at its time mark, then put the questions to the room.",
                        "Let the team work out the answer before showing the expected actions; note every gap.",
                        "Keep time: move on when a module has produced its findings, park long debates.",
                        "Close with the hot wash while memories are fresh, then fill in the after-action report.",
                    ],
                    ordered=True,
                ),
                Para("Signs of a gap worth writing down", "meta"),
                Bullets(
                    [
                        "A step nobody present can carry out, or only one person can.",
                        "A notice sent late, or one that guesses at the cause or promises too much.",
                        "A degraded mode that nobody switches on, or nobody knows how to switch off.",
                        "A check the team cannot run because the data, access or tool is missing.",
                    ]
                ),
            ],
        )

    def hot_wash(self) -> Section:
        return Section(
            "Hot wash",
            [
                Para("Fill in right after the exercise, with everyone still in the room."),
                Questions(
                    [
                        "What went well?",
                        "What slowed us down or confused us?",
                        "Which step, tool or piece of access was missing?",
                        "Which plan entries are out of date?",
                        "Anything to change in the client notices?",
                    ],
                    lines=2,
                ),
            ],
        )

    def after_action(self) -> Section:
        card = self.drill
        rows = self._figures(card) if card is not None else self._blank_figures()
        blank = [["", "", "", ""] for _ in range(4)]
        source = (
            "Measured figures come from the staging drill named in the last row."
            if card is not None
            else "No staging drill was given for this exercise: fill in the results from the exercise notes."
        )
        return Section(
            "After-action report and improvement plan",
            [
                Para(source),
                Table(["Measure", "Objective", "Result"], rows),
                Para("Improvement plan", "meta"),
                Table(["Issue found", "Corrective action", "Owner", "Due date"], blank),
            ],
        )

    def _measures(self) -> list[tuple[str, str]]:
        """(measure, objective) of every row, in the plan's words."""
        s, o = self.s, self.objective
        unit = self.plan.staging_topology.unit
        return [
            ("Time to detect (staging)", f"within {humanize_duration(s.staging.detection_window)}"),
            (
                "Recovery on staging",
                f"within the staging bound of {humanize_duration(s.staging.recovery_bound)}",
            ),
            ("Time to fail over (staging)", "dated by the system's own failover signal"),
            ("Projected RTO (measured + manual estimates)", humanize_duration(o.rto)),
            (
                f"Acknowledged {unit.many} lost",
                "0 (an RPO of zero)"
                if o.rpo == timedelta(0)
                else f"within the RPO of {humanize_duration(o.rpo)}",
            ),
        ]

    def _blank_figures(self) -> list[list[str]]:
        rows = [[measure, objective, NO_DRILL] for measure, objective in self._measures()]
        rows += [
            [f"Step: {step.title} (automated)", "completes", NO_DRILL]
            for step in self.s.recovery
            if step.automated
        ]
        rows.append(["Verdict", "every objective met", NO_DRILL])
        return rows

    def _figures(self, card: Scorecard) -> list[list[str]]:
        m = card.measurements
        lost = m.ledger.lost
        results = [
            _time(card, "time_to_detect_s"),
            _time(card, "time_to_recover_s"),
            _time(card, "time_to_failover_s"),
            humanize_duration(timedelta(seconds=m.projected_rto_s))
            if m.projected_rto_s is not None
            else _why_not(m.reason("time_to_recover_s") or "the service did not recover on staging"),
            card.unit.count(lost) if lost is not None else _why_not(m.reason("ledger.lost")),
        ]
        rows = [
            [measure, objective, result]
            for (measure, objective), result in zip(self._measures(), results, strict=True)
        ]
        for step in card.steps:
            if step.automated:
                rows.append(
                    [
                        f"Step: {step.title} ({words.step_kind(step)})",
                        "completes",
                        _step_result(step.outcome, step.duration_s, step.detail),
                    ]
                )
        rows += [[row.measure, row.objective, row.result] for row in words.data_rows(card)]
        rows += self._real_messages(card)
        missed = [
            f"{words.objective_name(card, v.name)} ({'missed' if v.outcome == 'fail' else 'not judged'})"
            for v in card.verdicts
            if v.outcome != "pass"
        ]
        verdict = card.status.upper() + (": " + "; ".join(missed) if missed else "")
        rows.append(["Verdict", "every objective met", verdict])
        where = f"; scorecard {self.scorecard_path}" if self.scorecard_path else ""
        when = card.started_utc or "an unknown time"
        rows.append(
            ["Drill run", "the staging drill these figures come from", f"{card.run_id} at {when}{where}"]
        )
        return rows

    def _real_messages(self, card: Scorecard) -> list[list[str]]:
        """The system's real alert and notice times in the drill, each stage against its staging deadline."""
        comm = card.communication
        if comm is None:
            return []
        rows = [
            [
                "Time to detect by the system's own alerting (staging)",
                "the first alert after the fault",
                words.system_detection(card),
            ]
        ]
        for stage in comm.stages:
            label = words.STAGE_WORDS.get(stage.stage, stage.stage).capitalize()
            result = f"{words.outcome_word(stage.outcome)}: {stage.message}"
            rows.append([f"{label} (staging)", stage.objective, result])
        for m in comm.messages:
            which = f", {words.STAGE_WORDS.get(m.stage, m.stage)}" if m.stage else ""
            said = " ".join((m.subject or m.text).split())[:120]
            rows.append([f"Sent: {m.role} on {m.channel}{which}", f"{m.at_s:.2f} s after the fault", said])
        return rows


def _why_not(reason: str | None) -> str:
    """ "not measured: why", from a scorecard's reason (which may already say "not measured, because ...")."""
    if not reason:
        return "not measured: the scorecard gives no reason"
    return "not measured: " + reason.removeprefix("not measured, because ").removeprefix("not measured: ")


def _time(card: Scorecard, key: TimeFigure) -> str:
    """A time with its bound (or the no-interruption sentence), or "not measured: why"."""
    if card.measurements.time(key) is None:
        return _why_not(card.measurements.reason(key))
    return words.timed(card, key)


def _step_result(outcome: str, took: float | None, detail: str | None) -> str:
    said = f" ({detail})" if detail else ""
    if outcome == "ok":
        return f"completed in {duration_s(took)}{said}"
    if outcome == "failed":
        return f"failed after {duration_s(took)}{said}"
    if outcome == "unfinished":
        return "not measured: the drill stopped during the step"
    return "not measured: the step never ran"


def build_document(
    plan: Plan, scenario: Scenario, drill: Scorecard | None = None, scorecard_path: str | None = None
) -> Document:
    """The tabletop script of ``scenario`` as a format-neutral document; a drill's scorecard fills the
    after-action report."""
    b = _Builder(plan, scenario, drill, scorecard_path)
    narrative = Section(
        "Narrative",
        [
            Para(" ".join(scenario.narrative.split()), "quote"),
            Para("Impact: " + " ".join(scenario.impact.split())),
        ],
    )
    timeline = Section("Exercise modules", [Para("Times are measured from detection."), *b.modules()])
    blocks: list[Block] = [
        b.situation_manual(),
        narrative,
        timeline,
        b.expected_actions(),
        b.communication(),
        b.facilitator_guide(),
        b.hot_wash(),
        b.after_action(),
    ]
    return Document(
        f"Tabletop exercise: {scenario.title}",
        f"{plan.name} · {plan.client} · scenario '{scenario.name}' · tier {scenario.tier}, {scenario.disruption}",
        blocks,
    )


def render_tabletop(
    plan: Plan,
    scenario: Scenario,
    fmt: Format,
    drill: Scorecard | None = None,
    scorecard_path: str | None = None,
) -> str:
    """The tabletop script as Markdown (``fmt="md"``) or self-contained HTML (``fmt="html"``)."""
    doc = build_document(plan, scenario, drill, scorecard_path)
    if fmt == "md":
        return to_markdown(doc)
    if fmt == "html":
        return to_html(doc)
    raise ValueError(f"unknown tabletop format {fmt!r}; known: md, html")


def write_tabletop(
    plan: Plan,
    scenario: Scenario,
    out_dir: Path,
    formats: tuple[Format, ...] = ("md", "html"),
    drill: Scorecard | None = None,
    scorecard_path: str | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<scenario>.md`` and/or ``.html``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out_dir / f"{scenario.name}.{fmt}"
        path.write_text(render_tabletop(plan, scenario, fmt, drill, scorecard_path), encoding="utf-8")
        written.append(path)
    return written
