"""pytest wiring only: options and, when ``--drill`` is given, the drill session.

Nothing here starts a container, and nothing of drdrill but its hook specs is imported, unless ``--drill`` is
given: every pytest run in a project with drdrill installed loads this module, so it stays cheap to import.
With ``--drill``, a :class:`drdrill.session.DrillSession` is registered and collects one test item per
scenario asked for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from drdrill.plan import Plan


def _leave_modules_unrewritten() -> None:
    """Take drdrill's package back from pytest's assertion rewriting.

    pytest rewrites the ``assert`` statements of every module in a plugin's distribution, so a failing assert
    in a plugin explains itself. drdrill's modules are not tests, and the cost is paid on every run that cannot
    keep pytest's own bytecode cache (``PYTHONDONTWRITEBYTECODE``, a read-only install): each module imported
    is parsed, rewritten and compiled again, about 1 s of a drill's start here. Only names not yet imported
    change (this module and the package were rewritten already). The hook's set of marked names is pytest's
    own; a pytest without it keeps rewriting: slower, nothing else.
    """
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        decided = getattr(finder, "_marked_for_rewrite_cache", None)
        if isinstance(marked, set) and __package__ in marked:
            marked.discard(__package__)
            if isinstance(decided, dict):
                decided.clear()


_leave_modules_unrewritten()

from drdrill import hookspecs  # noqa: E402 - after the rewriting is taken back

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
    group.addoption(
        "--drill-scorecard-list",
        default=None,
        metavar="FILE",
        help="write one line per scorecard this run's drills wrote to FILE: the scenario, a tab, the path "
        "(FILE is emptied first, so it lists this run's scorecards only)",
    )
    group.addoption(
        "--drill-staging",
        default=None,
        choices=("compose", "kubernetes"),
        help="the staging back-end: compose (the default when the plan names a compose_file) or kubernetes "
        "(staging_topology.kubernetes)",
    )
    parser.addini(
        "drdrill_plan", "plan directory holding plan.yaml and one file per scenario", default="scenarios"
    )
    parser.addini("drdrill_report_dir", "directory for drill scorecards", default="reports")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def _resolve(config: pytest.Config, option: str, ini: str) -> Path:
    # os.path.realpath, not Path.resolve: a link loop or an over-long name is left for the plan loader to
    # report as one line (resolve raises RuntimeError, which pytest shows as INTERNALERROR).
    given = config.getoption(option)
    if given:
        return Path(os.path.realpath(config.invocation_params.dir / str(given)))
    return Path(os.path.realpath(config.rootpath / str(config.getini(ini))))


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
    from drdrill.errors import DrdrillError  # noqa: PLC0415
    from drdrill.staging.select import staging_name  # noqa: PLC0415

    try:
        staging = staging_name(plan, config.getoption("drill_staging"))
    except DrdrillError as exc:
        raise pytest.UsageError(f"drdrill: {exc}") from None

    report_dir = _resolve(config, "drill_report_dir", "drdrill_report_dir")
    early = _read_compose_early(config, plan, staging, wanted[0])
    from drdrill.session import SESSION_KEY, DrillSession  # noqa: PLC0415 - while compose reads the file

    session = DrillSession(config, plan, [plan.scenarios[n] for n in dict.fromkeys(wanted)], report_dir)
    session.early_run_ids = early
    session.staging = staging
    session.scorecard_list = _scorecard_list(config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "drdrill-session")


def _scorecard_list(config: pytest.Config) -> Path | None:
    """The ``--drill-scorecard-list`` file, emptied now: a run that writes no scorecard leaves it empty. A
    pytest-xdist worker only adds to it (the process driving the workers emptied it)."""
    given = config.getoption("drill_scorecard_list")
    if not given:
        return None
    path = config.invocation_params.dir / str(given)
    if hasattr(config, "workerinput"):
        return path
    try:
        path.write_text("", encoding="utf-8")
    except OSError as exc:
        raise pytest.UsageError(
            f"drdrill: --drill-scorecard-list {given}: cannot write it ({exc.strerror or exc}); give a file "
            "in a writable folder"
        ) from None
    return path


def _read_compose_early(config: pytest.Config, plan: Plan, staging: str, first: str) -> dict[str, str]:
    """Have compose read the plan's file for the first drill now, while pytest imports and collects (its
    set-up then finds the answer ready: :func:`drdrill.staging.early.read_model_early`). Not in a collection
    run, nor in the process that hands the drills to pytest-xdist workers. Returns scenario -> run id."""
    if staging != "compose" or config.getoption("collectonly"):
        return {}
    if config.getoption("dist", "no") != "no" and not hasattr(config, "workerinput"):
        return {}
    import secrets  # noqa: PLC0415

    from drdrill.staging.early import read_model_early  # noqa: PLC0415

    run_id = secrets.token_hex(4)
    return {first: run_id} if read_model_early(plan, run_id) else {}
