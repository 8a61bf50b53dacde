"""``drdrill`` outside pytest: scaffold, validate and lint a plan, write tabletop exercise scripts, summarise scorecards.

Each subcommand is one builder function registered with :func:`subcommand`; adding a command means adding
one function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

from drdrill.plan import Plan, PlanError, load_plan
from drdrill.plan.compose import ComposeError, read_compose
from drdrill.plan.errors import display_path
from drdrill.plan.lints import assess_maturity, lint_plan
from drdrill.plan.scaffold import scaffold
from drdrill.report.chaostoolkit import write_chaostoolkit_journal
from drdrill.report.history import DrillHistory, lapsed, read_history, readiness
from drdrill.report.html import write_html
from drdrill.report.readiness import write_readiness
from drdrill.report.schema import Scorecard, load_checked
from drdrill.report.terminal import printable, summary_lines
from drdrill.tabletop import write_tabletop
from drdrill.tabletop.script import Format

Handler = Callable[[argparse.Namespace], int]
Builder = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

_BUILDERS: list[Builder] = []


class UsageError(Exception):
    """A user mistake: reported on stderr, exit status 2, no traceback."""


def subcommand(builder: Builder) -> Builder:
    """Register a function that adds one subparser (and sets ``handler`` on it)."""
    _BUILDERS.append(builder)
    return builder


DEFAULT_PLAN = "scenarios"


def _load(path: str, how: str) -> Plan:
    """The plan in directory ``path``; when that is the default and there is none, say how to name one
    (``how``: the command line that would, e.g. ``drdrill tabletop provider-outage --plan DIR``)."""
    if path == DEFAULT_PLAN and not Path(path).exists():
        raise UsageError(
            f"no plan directory {DEFAULT_PLAN!r} here (the default); name yours: {how}, "
            "or create one with drdrill init --compose <your compose file>"
        )
    return load_plan(Path(path))


def _out(text: str = "", stream: TextIO | None = None) -> None:
    """Write a line for a person: text from a plan or a scorecard never acts on the terminal."""
    print(printable(text), file=stream or sys.stdout)


# --- validate -----------------------------------------------------------------------------------------


def _is_valid(plan: Plan) -> str:
    def count(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    return (
        f"{display_path(plan.source_dir)}: plan {plan.name!r} is valid: "
        f"{count(len(plan.scenarios), 'scenario')}, {count(len(plan.components), 'component')}"
    )


def _validate(args: argparse.Namespace) -> int:
    _out(_is_valid(_load(args.path, "drdrill validate DIR")))
    return EXIT_OK


@subcommand
def _build_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check a plan directory and list every problem with file:line:col")
    p.add_argument("path", nargs="?", default="scenarios", help="plan directory (default: scenarios)")
    p.set_defaults(handler=_validate)


# --- init ---------------------------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    try:
        compose = read_compose(Path(args.compose))
    except ComposeError as exc:
        problems = "; ".join(str(i) for i in exc.issues) or exc.reason
        raise UsageError(f"--compose {args.compose}: {problems}") from None
    out = Path(args.out)
    files = scaffold(compose, out, args.name)
    for path in files:
        if path.exists():
            raise UsageError(
                f"{display_path(path)} already exists; drdrill init never overwrites a file: "
                "give another --out directory"
            )
    out.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        _out(f"wrote {display_path(path)}")
    plan = load_plan(out)  # the scaffold validates as written; a PlanError here is drdrill's own bug
    _out(_is_valid(plan))
    _out(
        f"next: fill in the TODOs and the system contract, then drdrill validate {display_path(plan.source_dir)}"
    )
    return EXIT_OK


@subcommand
def _build_init(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="scaffold a plan directory from an existing compose file")
    p.add_argument("--compose", required=True, metavar="PATH", help="your compose file")
    p.add_argument(
        "--out", default="scenarios", metavar="DIR", help="plan directory to write (default: scenarios)"
    )
    p.add_argument("--name", default=None, help="the plan's name (default: the compose project's name)")
    p.set_defaults(handler=_init)


# --- lint ---------------------------------------------------------------------------------------------


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; use YYYY-MM-DD") from None


def _now(today: date | None) -> datetime:
    """The moment a drill may not start after: now, or the end of the day ``--today`` judges as of."""
    if today is None:
        return datetime.now(UTC)
    return datetime.combine(today, time.max, UTC)


def _read_reports(reports: str, what: str, today: date | None) -> DrillHistory:
    if not Path(reports).is_dir():
        raise UsageError(f"{what}{reports}: no such directory (it holds one folder per drill run)")
    history = read_history(Path(reports), now=_now(today))
    for problem in history.unreadable:
        _out(f"drdrill: skipped {problem}", sys.stderr)
    not_counted = len(history.runs) - len(history.drills)
    _out(
        f"{len(history.drills)} drill(s) found in {reports}"
        + (f" ({not_counted} errored or aborted run(s) not counted)" if not_counted else "")
    )
    return history


def _lint(args: argparse.Namespace) -> int:
    plan = _load(args.path, "drdrill lint DIR")
    today = args.today or date.today()
    history = _read_reports(args.reports, "--reports ", args.today) if args.reports else DrillHistory()
    report = lint_plan(plan, today=today, drilled=history.last_drilled)
    for finding in report.findings:
        _out(str(finding))
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    _out(f"maturity level {report.maturity.level} of 3")
    for line in report.maturity.missing:
        _out(f"  still missing for {line}")
    _out(f"{errors} error(s), {warnings} warning(s)")
    failed = errors > 0 or (args.strict and warnings > 0)
    if args.fail_on == "overdue":
        stale = lapsed(readiness(plan, history, today), tier=1)
        if stale:
            names = ", ".join(r.scenario.name for r in stale)
            _out(f"--fail-on overdue: tier-1 scenario(s) never drilled or overdue: {names}")
            failed = True
    return EXIT_FINDINGS if failed else EXIT_OK


@subcommand
def _build_lint(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("lint", help="find common DR planning mistakes and assess the plan's maturity")
    p.add_argument("path", nargs="?", default="scenarios", help="plan directory (default: scenarios)")
    p.add_argument(
        "--today", type=_parse_date, default=None, help="judge drill and restore dates as of this day"
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument(
        "--reports",
        default=None,
        metavar="DIR",
        help="also count the drills whose scorecards are in DIR (e.g. reports) as drilled on their day",
    )
    p.add_argument(
        "--fail-on",
        choices=("overdue",),
        default=None,
        help="overdue: exit 1 when a tier-1 scenario was never drilled or its last drill is older than its "
        "cadence (lower tiers stay warnings)",
    )
    p.set_defaults(handler=_lint)


# --- history ------------------------------------------------------------------------------------------


def _history(args: argparse.Namespace) -> int:
    plan = _load(args.plan, "drdrill history --plan DIR")
    today = args.today or date.today()
    history = _read_reports(args.reports, "", args.today)
    out = Path(args.output) if args.output else Path(args.reports) / "readiness.html"
    write_readiness(plan, history, assess_maturity(plan), today, out)
    for row in readiness(plan, history, today):
        st = row.standing
        state = "never drilled" if st.never_drilled else ("OVERDUE" if st.overdue else f"due by {st.due}")
        last = f"last drilled {st.last}" if st.last else "no drill"
        _out(f"  {row.scenario.name} (tier {row.scenario.tier}): {last}, {state}")
        for change in history.configuration_changes(row.scenario.name):
            _out(
                f"    runs {change.before.card.run_id} and {change.after.card.run_id} drilled different "
                f"configurations: {'; '.join(change.changes)}"
            )
    _out(f"wrote {display_path(out)}")
    return EXIT_OK


@subcommand
def _build_history(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history", help="write the readiness report (HTML): every scenario's drills over time and staleness"
    )
    p.add_argument("reports", nargs="?", default="reports", help="reports directory (default: reports)")
    p.add_argument("--plan", default="scenarios", help="plan directory (default: scenarios)")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="where to write (default: REPORTS/readiness.html)",
    )
    p.add_argument("--today", type=_parse_date, default=None, help="judge staleness as of this day")
    p.set_defaults(handler=_history)


# --- tabletop -----------------------------------------------------------------------------------------


def _tabletop(args: argparse.Namespace) -> int:
    plan = _load(args.plan, f"drdrill tabletop {args.scenario} --plan DIR")
    scenario = plan.scenarios.get(args.scenario)
    if scenario is None:
        known = ", ".join(plan.scenarios) or "none"
        raise UsageError(
            f"unknown scenario {args.scenario!r} in {display_path(plan.source_dir)}; known: {known}"
        )
    formats: tuple[Format, ...] = ("md", "html") if args.format == "both" else (args.format,)
    card = None
    if args.scorecard:
        card = _read_scorecard(args.scorecard)
        if card.scenario.name != scenario.name:
            raise UsageError(
                f"{args.scorecard} is a scorecard of {card.scenario.name!r}, not of {scenario.name!r}"
            )
    written = write_tabletop(
        plan, scenario, Path(args.out), formats=formats, drill=card, scorecard_path=args.scorecard
    )
    for path in written:
        _out(f"wrote {display_path(path)}")
    return EXIT_OK


@subcommand
def _build_tabletop(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tabletop", help="write a tabletop exercise script for one scenario")
    p.add_argument("scenario", help="scenario name (its file stem)")
    p.add_argument("--plan", default="scenarios", help="plan directory (default: scenarios)")
    p.add_argument("--format", choices=("md", "html", "both"), default="both")
    p.add_argument("--out", default="reports/tabletop", help="output directory (default: reports/tabletop)")
    p.add_argument(
        "--scorecard",
        default=None,
        help="a drill's scorecard.json whose figures fill the after-action report",
    )
    p.set_defaults(handler=_tabletop)


# --- report -------------------------------------------------------------------------------------------


def _read_scorecard(path: str) -> Scorecard:
    """The scorecard at ``path``, checked against its schema (one of schema /1 comes back as /2)."""
    try:
        return load_checked(Path(path))
    except (
        ValueError
    ) as exc:  # not JSON, or JSON that does not match the scorecard schema: one line says which
        raise UsageError(str(exc)) from None


def _report(args: argparse.Namespace) -> int:
    card = _read_scorecard(args.scorecard)
    for line in summary_lines(card, args.scorecard):
        _out(line)
    if args.html:
        _out(f"wrote {display_path(write_html(card, Path(args.html), args.scorecard))}")
    return EXIT_OK if card.status == "passed" else EXIT_FINDINGS


@subcommand
def _build_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="summarise a drill's scorecard.json (exit 1 unless the drill passed)")
    p.add_argument("scorecard", help="path to a scorecard.json written by a drill")
    p.add_argument(
        "--html", default=None, metavar="FILE", help="also write the client's HTML scorecard to FILE"
    )
    p.set_defaults(handler=_report)


# --- export -------------------------------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    card = _read_scorecard(args.chaostoolkit)
    out = Path(args.output) if args.output else Path(args.chaostoolkit).with_name("chaostoolkit-journal.json")
    _out(f"wrote {display_path(write_chaostoolkit_journal(card, out, args.chaostoolkit))}")
    return EXIT_OK


@subcommand
def _build_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write a drill's scorecard in another tool's format")
    p.add_argument(
        "--chaostoolkit",
        required=True,
        metavar="SCORECARD",
        help="a drill's scorecard.json, written as a Chaos Toolkit journal",
    )
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="where to write (default: chaostoolkit-journal.json beside the scorecard)",
    )
    p.set_defaults(handler=_export)


# --- entry point --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="drdrill", description="Disaster-recovery drills for AI systems.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for builder in _BUILDERS:
        builder(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 findings, 2 user mistake)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args)
    except PlanError as exc:
        _out(str(exc), sys.stderr)
        _out(f"{len(exc.issues)} problem(s) in the plan", sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        _out(f"drdrill: error: {exc}", sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
