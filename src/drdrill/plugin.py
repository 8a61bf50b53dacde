"""pytest wiring only: options and, when ``--drill`` is given, the drill session.

Nothing here starts a container, and nothing of drdrill but its hook specs is imported, unless ``--drill`` is
given: every pytest run in a project with drdrill installed loads this module, so it stays cheap to import.
With ``--drill``, a :class:`drdrill.session.DrillSession` is registered and collects one test item per
scenario asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill import hookspecs

REQUIRE_DOCKER_ENV = "DRDRILL_REQUIRE_DOCKER"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drdrill", "disaster-recovery drills (drdrill)")
    group.addoption(
        "--drill",
        action="append",
        default=[],
        metavar="SCENARIO",
        help="run the drill of this scenario on the staging replica (repeatable); only drills run then",
    )
    group.addoption(
        "--drill-plan", default=None, metavar="DIR", help="plan directory (default: ini drdrill_plan)"
    )
    group.addoption(
        "--drill-report-dir",
        default=None,
        metavar="DIR",
        help="where scorecards go (default: ini drdrill_report_dir)",
    )
    group.addoption(
        "--drill-tabletop",
        action="store_true",
        default=False,
        help="also write the tabletop-exercise script (Markdown and HTML) of each drilled scenario",
    )
    parser.addini(
        "drdrill_plan", "plan directory holding plan.yaml and one file per scenario", default="scenarios"
    )
    parser.addini("drdrill_report_dir", "directory for drill scorecards", default="reports")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def _resolve(config: pytest.Config, option: str, ini: str) -> Path:
    given = config.getoption(option)
    if given:
        return (config.invocation_params.dir / str(given)).resolve()
    return (config.rootpath / str(config.getini(ini))).resolve()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "drdrill: a disaster-recovery drill collected by --drill")
    names: list[str] = config.getoption("drill")
    if not names:
        return
    if not any(n.strip() for name in names for n in name.split(",")):
        raise pytest.UsageError(
            "drdrill: --drill was given no scenario; name one, e.g. --drill=provider-outage (drdrill validate "
            "lists the plan's scenarios)"
        )
    from drdrill.plan import PlanError, load_plan  # noqa: PLC0415 - only when drills are asked for
    from drdrill.session import SESSION_KEY, DrillSession  # noqa: PLC0415

    plan_dir = _resolve(config, "drill_plan", "drdrill_plan")
    try:
        plan = load_plan(plan_dir)
    except PlanError as exc:
        raise pytest.UsageError(f"drdrill: the plan in {plan_dir} is not valid:\n{exc}") from None
    wanted = [n.strip() for name in names for n in name.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in plan.scenarios]
    if unknown:
        known = ", ".join(plan.scenarios) or "none"
        raise pytest.UsageError(
            f"drdrill: unknown drill {', '.join(repr(u) for u in unknown)}; known scenarios in {plan_dir}: {known}"
        )
    report_dir = _resolve(config, "drill_report_dir", "drdrill_report_dir")
    session = DrillSession(config, plan, [plan.scenarios[n] for n in dict.fromkeys(wanted)], report_dir)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "drdrill-session")
