"""The readiness report: every scenario of a plan, its drills over time, and how stale its last drill is.

One self-contained HTML page (no script, no external asset, inline SVG charts) built from the scorecards in a
reports directory through :mod:`drdrill.report.history`; the plan supplies the rows, the cadences and the
maturity level. Everything that came from a plan or a scorecard is escaped. Print CSS makes a browser's
"save as PDF" a clean client document.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from drdrill.plan import Plan
from drdrill.plan.durations import humanize_duration
from drdrill.plan.lints import Maturity
from drdrill.report import words
from drdrill.report.history import DrillHistory, DrillRun, ScenarioReadiness, readiness
from drdrill.report.html import findings
from drdrill.report.schema import Scorecard
from drdrill.report.words import Figure
from drdrill.units import duration_s

STATUS_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "errored": "#bc4c00", "aborted": "#57606a"}
CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;max-width:1240px;
margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:1.8rem;border-bottom:2px solid #d0d7de}
.sub{color:#57606a}.num{font-variant-numeric:tabular-nums;white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa;font-weight:600}
.badge{display:inline-block;color:#fff;padding:.05rem .45rem;border-radius:4px;font-weight:600;font-size:12px}
.lapsed{color:#cf222e;font-weight:600}.ok{color:#1a7f37}.warn{color:#9a6700}
.bar{width:110px;height:9px;background:#eaeef2;border-radius:4px;overflow:hidden;margin-top:.25rem}
.bar i{display:block;height:100%}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:.8rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .8rem;min-width:10rem}
.card b{display:block;font-size:1.4rem}
.chart{display:block;max-width:100%;height:auto}.chart-note{font-size:11px;color:#57606a}
table.scenarios{table-layout:fixed}
ul.plain{margin:.2rem 0;padding-left:1.1rem}
a{color:#0969da}
@page{size:A4 landscape;margin:12mm}
@media print{
  body{max-width:none;margin:0;padding:0;font-size:11px}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  h2{break-after:avoid}tr,.card,svg{break-inside:avoid}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
  .noprint{display:none}
}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class Series:
    """One trend chart: a figure across a scenario's drills, and the objective it is judged against."""

    title: str
    figure: Callable[[Scorecard], Figure]
    objective: Callable[[Scorecard], float | None]
    fmt: Callable[[float], str]
    no_objective: str = "no objective"


def _count(value: float) -> str:
    return f"{value:g}"


def _lost_objective(card: Scorecard) -> float | None:
    # The RPO is a span of work; with an RPO of zero it is also a count: no acknowledged unit of work may be lost.
    return 0.0 if card.objectives.rpo_s == 0 else None


def _fmt(value: float) -> str:
    return duration_s(value)


SERIES = (
    Series(
        "time to detect",
        lambda c: words.figure(c, "time_to_detect_s"),
        lambda c: None,
        _fmt,
    ),
    Series(
        "time to recover",
        lambda c: words.figure(c, "time_to_recover_s"),
        lambda c: c.objectives.staging_recovery_bound_s,
        _fmt,
    ),
    Series("data lost", words.lost, _lost_objective, _count, "RPO above zero"),
)


def trend_svg(series: Series, drills: Sequence[Scorecard], width: int = 168, height: int = 46) -> str:
    """A small chart of ``series`` over ``drills`` (oldest first), the objective as a dashed line.

    A drill whose figure was not measured is a hollow grey mark on the axis, never a zero.
    """
    if not drills:
        return "<span class='chart-note'>no drill yet</span>"
    values = [series.figure(c).value for c in drills]
    objectives = [o for o in (series.objective(c) for c in drills) if o is not None]
    objective = objectives[-1] if objectives else None
    top = max([v for v in values if v is not None] + ([objective] if objective is not None else []) + [0.0])
    top = top * 1.15 if top > 0 else 1.0
    pad_l, pad_r, pad_t, pad_b = 4, 4, 6, 6
    span_x, span_y = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (span_x * i / (len(drills) - 1) if len(drills) > 1 else span_x / 2)

    def y(v: float) -> float:
        return pad_t + span_y * (1 - v / top)

    shapes = [
        f"<line x1='{pad_l}' y1='{y(0):.1f}' x2='{width - pad_r}' y2='{y(0):.1f}' stroke='#d0d7de'/>",
    ]
    if objective is not None:
        shapes.append(
            f"<line x1='{pad_l}' y1='{y(objective):.1f}' x2='{width - pad_r}' y2='{y(objective):.1f}' "
            f"stroke='#8250df' stroke-dasharray='4 3'><title>objective {_e(series.fmt(objective))}</title></line>"
        )
    points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        shapes.append(f"<polyline points='{path}' fill='none' stroke='#57606a' stroke-width='1.2'/>")
    for i, (card, value) in enumerate(zip(drills, values, strict=True)):
        when = card.started_utc or "?"
        if value is None:
            tip = f"{when}: {series.title} {series.figure(card).missing_text()}"
            shapes.append(
                f"<circle cx='{x(i):.1f}' cy='{y(0):.1f}' r='3' fill='#fff' stroke='#8c959f'>"
                f"<title>{_e(tip)}</title></circle>"
            )
            continue
        colour = STATUS_COLOURS.get(card.status, "#57606a")
        tip = f"{when}: {series.title} {series.fmt(value)} ({card.status})"
        shapes.append(
            f"<circle cx='{x(i):.1f}' cy='{y(value):.1f}' r='3' fill='{colour}'><title>{_e(tip)}</title></circle>"
        )
    latest = series.figure(drills[-1])
    latest_text = series.fmt(latest.value) if latest.value is not None else latest.missing_text()
    goal = f"objective {series.fmt(objective)}" if objective is not None else series.no_objective
    label = f"{series.title} over {len(drills)} drill(s); latest {latest_text}; {goal}"
    svg = (
        f"<svg class='chart' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{_e(label)}'>{''.join(shapes)}</svg>"
    )
    return f"{svg}<span class='chart-note'>latest {_e(latest_text)} · {_e(goal)}</span>"


def _link(run: DrillRun, out_dir: Path) -> str:
    html = run.path.with_suffix(".html")
    target = html if html.exists() else run.path
    return os.path.relpath(target.resolve(), out_dir.resolve())


def _badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#57606a")
    return f"<span class='badge' style='background:{colour}'>{_e(status)}</span>"


def _last_drill_cell(row: ScenarioReadiness, out_dir: Path) -> str:
    parts: list[str] = []
    drill = row.last_drill
    record = max(row.scenario.drills.history, key=lambda r: r.date, default=None)
    if drill is not None and drill.started is not None:
        parts.append(
            f"<span class='num'>{_e(drill.started.date())}</span> {_badge(drill.card.status)} "
            f"<a href='{_e(_link(drill, out_dir))}'>scorecard</a>"
        )
    if record is not None and (drill is None or drill.started is None or record.date > drill.started.date()):
        parts.append(
            f"<span class='num'>{_e(record.date)}</span> {_e(record.kind)}: {_e(record.result)} "
            "<span class='sub'>(from the plan)</span>"
        )
    last = row.last_run
    if last is not None and not last.counts:
        when = last.started.date() if last.started else "before any event"
        parts.append(
            f"<span class='sub'>latest run {_e(when)}: {_badge(last.card.status)} not counted</span>"
        )
    return "<br>".join(parts) or "<span class='sub'>no drill</span>"


def _since_cell(row: ScenarioReadiness) -> str:
    st = row.standing
    cadence = humanize_duration(st.cadence)
    if st.never_drilled:
        return f"<span class='lapsed'>never drilled</span><br><span class='sub'>cadence {_e(cadence)}</span>"
    assert st.due is not None and st.days_since is not None and st.decay is not None
    if st.overdue:
        head = f"<span class='lapsed'>overdue by {(st.today - st.due).days} d</span>"
    else:
        head = f"<span class='ok'>due by {_e(st.due)}</span>"
    share = min(st.decay, 1.0)
    colour = "#cf222e" if st.decay > 1 else ("#bf8700" if st.decay > 0.75 else "#1a7f37")
    return (
        f"{head}<br><span class='num'>{st.days_since} d ago</span> "
        f"<span class='sub'>of {_e(cadence)} ({st.decay:.0%})</span>"
        f"<div class='bar' title='share of the cadence used'><i style='width:{share:.0%};"
        f"background:{colour}'></i></div>"
    )


def _scenario_row(plan: Plan, row: ScenarioReadiness, out_dir: Path) -> str:
    sc = row.scenario
    objective = plan.objectives_for(sc)
    rpo = "0" if not objective.rpo else humanize_duration(objective.rpo)
    cards = [r.card for r in row.drills]
    charts = "".join(f"<td>{trend_svg(s, cards)}</td>" for s in SERIES)
    not_counted = len(row.runs) - len(row.drills)
    runs = f"{len(row.drills)}" + (
        f"<br><span class='sub'>+{not_counted} not counted</span>" if not_counted else ""
    )
    return (
        f"<tr><td><b>{_e(sc.title)}</b><br><span class='sub'>{_e(sc.name)} · {_e(sc.disruption)}</span></td>"
        f"<td>{_e(sc.tier)}<br><span class='sub'>RTO {_e(humanize_duration(objective.rto))}, "
        f"RPO {_e(rpo)}</span></td>"
        f"<td>{_last_drill_cell(row, out_dir)}</td><td>{_since_cell(row)}</td>{charts}"
        f"<td>{runs}</td></tr>"
    )


def _summary(rows: Sequence[ScenarioReadiness], maturity: Maturity) -> str:
    on_time = sum(1 for r in rows if not r.standing.lapsed)
    overdue = sum(1 for r in rows if r.standing.overdue)
    never = sum(1 for r in rows if r.standing.never_drilled)
    tier1 = [r.scenario.name for r in rows if r.scenario.tier == 1 and r.standing.lapsed]
    cards = [
        ("within cadence", f"{on_time} of {len(rows)}"),
        ("overdue", str(overdue)),
        ("never drilled", str(never)),
        ("maturity level", f"{maturity.level} of 3"),
    ]
    html = "<div class='cards'>" + "".join(
        f"<div class='card'><span class='sub'>{_e(k)}</span><b>{_e(v)}</b></div>" for k, v in cards
    )
    html += "</div>"
    if tier1:
        html += (
            "<p class='lapsed'>Tier-1 scenarios never drilled or overdue: " + _e(", ".join(tier1)) + "</p>"
        )
    met = "".join(f"<li>{_e(m)}</li>" for m in maturity.met) or "<li>nothing yet</li>"
    missing = "".join(f"<li>{_e(m)}</li>" for m in maturity.missing)
    html += f"<p><b>Maturity level {_e(maturity.level)} of 3.</b> Met:</p><ul class='plain'>{met}</ul>"
    if missing:
        html += f"<p>Still missing for the next level:</p><ul class='plain'>{missing}</ul>"
    return html


def _figure_text(run: DrillRun, figure: Figure, fmt: Callable[[float], str]) -> str:
    if not run.counts:
        return "—"  # a run that is no drill measured nothing worth reading
    if figure.value is None:
        return figure.missing_text()
    return fmt(figure.value)


def _recover_text(run: DrillRun) -> str:
    """Time to recover, or "no interruption seen" for a drill whose samples saw none (never "0.00 s")."""
    if (
        run.counts
        and words.no_interruption_seen(run.card)
        and run.card.measurements.time_to_recover_s is not None
    ):
        return "no interruption seen"
    return _figure_text(run, words.figure(run.card, "time_to_recover_s"), duration_s)


def _lost_text(run: DrillRun) -> str:
    """Data lost in the drill's own words: ``1 ticket``, ``3 tickets``, or why it was not measured."""
    return _figure_text(run, words.lost(run.card), lambda n: run.card.unit.count(round(n)))


def _reasons(run: DrillRun, changed: dict[str, list[str]]) -> str:
    """Why a run did not pass (each objective missed or not judged, or the error), and what configuration
    changed since the scenario's previous run."""
    c = run.card
    lines: list[str] = []
    if c.error:
        lines.append(c.error.splitlines()[0])
    if c.status != "passed":
        lines += findings(c)
    lines += [f"configuration differs from the previous run: {x}" for x in changed.get(str(run.path), [])]
    if not lines:
        return ""
    return "<ul class='plain'>" + "".join(f"<li class='sub'>{_e(line)}</li>" for line in lines) + "</ul>"


def _runs_table(history: DrillHistory, out_dir: Path) -> str:
    if not history.runs:
        return "<p>No scorecard was found.</p>"
    changed = {
        str(change.after.path): change.changes
        for scenario in {r.card.scenario.name for r in history.runs}
        for change in history.configuration_changes(scenario)
    }
    rows = []
    for run in reversed(history.runs):
        c = run.card
        when = run.started.strftime("%Y-%m-%d %H:%M UTC") if run.started else "before any event"
        note = "" if run.counts else " <span class='sub'>not counted as a drill</span>"
        rows.append(
            f"<tr><td class='num'>{_e(when)}</td><td>{_e(c.scenario.name)}</td>"
            f"<td>{_badge(c.status)}{note}{_reasons(run, changed)}</td>"
            f"<td class='num'>{_e(_figure_text(run, words.figure(c, 'time_to_detect_s'), duration_s))}</td>"
            f"<td class='num'>{_e(_recover_text(run))}</td>"
            f"<td>{_e(_lost_text(run))}</td>"
            f"<td><a href='{_e(_link(run, out_dir))}'>{_e(c.run_id)}</a></td></tr>"
        )
    head = (
        "<tr><th>Started</th><th>Scenario</th><th>Result</th><th>Time to detect</th><th>Time to recover</th>"
        "<th>Lost</th><th>Scorecard</th></tr>"
    )
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def render_readiness(
    plan: Plan, history: DrillHistory, maturity: Maturity, today: date, out_dir: Path
) -> str:
    """The whole readiness page; links to scorecards are relative to ``out_dir`` (where the page goes)."""
    rows = readiness(plan, history, today)
    plan_unit = plan.staging_topology.unit
    widths = (18, 10, 13, 13, 14, 14, 11, 7)
    cols = "".join(f"<col style='width:{w}%'>" for w in widths)
    head = (
        "<tr><th>Scenario</th><th>Tier</th><th>Last drill</th><th>Time since</th>"
        + "".join(f"<th>{_e(s.title.capitalize())}</th>" for s in SERIES)
        + "<th>Drills</th></tr>"
    )
    # Most critical first; within a tier, the plan's order.
    body = "".join(_scenario_row(plan, r, out_dir) for r in sorted(rows, key=lambda r: r.scenario.tier))
    known = set(plan.scenarios)
    strangers = sorted({r.card.scenario.name for r in history.runs} - known)
    extra = (
        f"<p class='sub'>Scorecards of scenarios not in this plan: {_e(', '.join(strangers))}</p>"
        if strangers
        else ""
    )
    unreadable = (
        f"<p class='sub'>{len(history.unreadable)} file(s) skipped, not readable as scorecards.</p>"
        if history.unreadable
        else ""
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>DR readiness: {_e(plan.name)}</title><style>{CSS}</style></head><body>",
        f"<p class='sub'>Disaster-recovery readiness · {_e(plan.name)} for {_e(plan.client)} · "
        f"as of {_e(today)}</p>",
        "<h1>Drill history and readiness</h1>",
        _summary(rows, maturity),
        "<h2>Scenarios</h2>",
        "<p class='sub'>A scenario is overdue once its last drill is older than its cadence. Charts show "
        "every drill, oldest first (green passed, red failed, hollow: not measured); the dashed line is "
        f"the objective: the staging recovery bound for time to recover, no lost {_e(plan_unit.one)} for an "
        "RPO of zero. "
        "The plan declares detection criteria, not a detection deadline. Errored and aborted runs are "
        "listed below and never counted as drills.</p>",
        f"<table class='scenarios'><colgroup>{cols}</colgroup><thead>{head}</thead><tbody>{body}</tbody>"
        f"</table>{extra}",
        "<h2>Every run</h2>",
        _runs_table(history, out_dir),
        unreadable,
        "<p class='sub'>Generated by drdrill from the drills' scorecard JSON files; staging times are seconds "
        "where production counts minutes and hours.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_readiness(plan: Plan, history: DrillHistory, maturity: Maturity, today: date, path: Path) -> Path:
    """Write the readiness page to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_readiness(plan, history, maturity, today, path.parent.resolve()), encoding="utf-8")
    return path
