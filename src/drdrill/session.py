"""The drill session: registered by the plugin only when ``--drill`` is given. It collects one test item per
scenario asked for, runs each drill, and reports on them (report header, pytest-html extras, terminal summary).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from drdrill.errors import DrdrillError, EnvironmentNotReadyError
from drdrill.plan import Plan, Scenario
from drdrill.plan.files import exists
from drdrill.recovery import BUILTIN_HOOKS, RecoveryHook
from drdrill.report.htmlextras import scorecard_href, verdict_table
from drdrill.report.junit import junit_properties
from drdrill.report.schema import Scorecard, load_checked
from drdrill.report.terminal import printable, summary_lines
from drdrill.run.interrupts import signals_as_interrupt
from drdrill.runner import DrillResult, DrillRunner, DrillSettings
from drdrill.staging.select import staging_factory
from drdrill.system import DrillSystem
from drdrill.tabletop import write_tabletop
from drdrill.units import ns, seconds


class DrillSession:
    """Registered only when drills were asked for: collects them, runs them, and reports on them."""

    def __init__(
        self, config: pytest.Config, plan: Plan, scenarios: list[Scenario], report_dir: Path
    ) -> None:
        self.config = config
        self.plan = plan
        self.scenarios = scenarios
        self.report_dir = report_dir
        self.results: list[DrillResult] = []
        self.worker_cards: list[tuple[Scorecard, Path]] = []  # under pytest-xdist: the workers' scorecards
        self.scorecard_list: Path | None = None
        self.staging = "compose"  # the back-end of every drill of this run (--drill-staging)
        # scenario -> the run id compose already reads the plan's file for (drdrill.plugin._read_compose_early)
        self.early_run_ids: dict[str, str] = {}
        self.tabletops: list[
            Path
        ] = []  # the tabletop scripts the drills of this run wrote (--drill-tabletop)

    def list_scorecard(self, scenario: str, path: Path) -> None:
        """Add a scorecard a drill of this run wrote to ``--drill-scorecard-list``, as soon as it is written."""
        if self.scorecard_list is not None and exists(path):
            with self.scorecard_list.open("a", encoding="utf-8") as listing:
                listing.write(f"{scenario}\t{path}\n")

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = [
            f"drdrill: plan {self.plan.name!r} for {self.plan.client} ({self.plan.source_dir}), "
            f"on a {self.staging} staging"
        ]
        for sc in self.scenarios:
            objective = self.plan.objectives_for(sc)
            rpo = "0" if not objective.rpo else seconds(ns(objective.rpo))
            lines.append(
                f"drdrill: drill {sc.name}: tier {sc.tier} ({sc.disruption}), RTO {seconds(ns(objective.rto))}, "
                f"RPO {rpo}, staging recovery bound {seconds(ns(sc.staging.recovery_bound))}"
            )
        return lines

    @property
    def controls_workers(self) -> bool:
        """pytest-xdist runs the drills in worker processes (``-n N``); this is the process that drives them."""
        return self.config.pluginmanager.hasplugin("dsession")

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        """Collect the scenario files asked for instead of the test paths: a drill run runs drills only. Under
        pytest-xdist each worker collects them; the process driving the workers leaves it to xdist."""
        if self.controls_workers:
            return None
        session.perform_collect([str(sc.source) for sc in self.scenarios])
        return True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Under pytest-xdist a drill ran in a worker: its scorecard, read back here, is what the summary shows."""
        if not self.controls_workers or report.when != "call":
            return
        for name, value in report.user_properties:
            if name == "drdrill_scorecard":
                path = Path(str(value))
                self.worker_cards.append((load_checked(path), path))

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
        for scenario in self.scenarios:
            if scenario.source.resolve() == file_path.resolve():
                return ScenarioFile.from_parent(parent, path=file_path, scenario=scenario)
        return None

    def recovery_hooks(self) -> dict[str, RecoveryHook]:
        hooks = dict(BUILTIN_HOOKS)
        for extra in self.config.hook.pytest_drdrill_recovery_hooks(config=self.config):
            hooks.update(extra)
        return hooks

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        result = getattr(item, "result", None)
        if (
            call.when == "call"
            and isinstance(result, DrillResult)
            and self.config.pluginmanager.hasplugin("html")
        ):
            from pytest_html import extras  # noqa: PLC0415 - only when pytest-html is active

            summary = "\n".join(summary_lines(result.scorecard, str(result.scorecard_path)))
            html_report = self.config.getoption("htmlpath", None)
            where = self.config.invocation_params.dir / html_report if html_report else None
            href = scorecard_href(result.scorecard_path, where)
            report.extras = [
                *getattr(report, "extras", []),
                extras.url(href, name="scorecard"),
                extras.html(verdict_table(result.scorecard)),
                extras.text(summary, name="drill summary"),
                extras.json(result.scorecard.to_json(), name="scorecard"),
            ]
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Leave the heap drills built (their modules, clients and journals) out of the garbage collector's sight
        before pytest's own passes at its end and the interpreter's at exit walk it (:func:`freeze_heap`); an
        early read of the compose file that no drill took up (the run ended before its set-up) is waited for."""
        early = sys.modules.get("drdrill.staging.early")  # loaded only when compose read the file early
        if early is not None:
            early.discard_early_reads()  # any a drill refused before its stack was made did not take up
        freeze_heap()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        cards = [(r.scorecard, r.scorecard_path) for r in self.results] + self.worker_cards
        if not cards:
            return
        terminalreporter.section("drdrill")
        for card, path in cards:
            for line in summary_lines(card, str(path)):
                terminalreporter.write_line(line)
        for path in self.tabletops:
            terminalreporter.write_line(f"tabletop script: {path}")


SESSION_KEY = pytest.StashKey[DrillSession]()


def freeze_heap() -> None:
    """Collect what is garbage now (so its finalizers run as usual, and pytest still reports what they raise),
    then move every live object out of the collector's sight: pytest's unraisable-exception plugin collects
    twice as it ends (0.04 to 0.05 s a pass after a drill on 2 cores) and the interpreter once more at exit, all
    over objects about to be thrown away. Objects are still freed by reference counting as they are dropped."""
    gc.collect()
    gc.freeze()


class ScenarioFile(pytest.File):
    """A scenario file, collected because ``--drill`` named it."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def collect(self) -> Iterator[DrillItem]:
        yield DrillItem.from_parent(self, name=self.scenario.name, scenario=self.scenario)


class DrillFailedError(Exception):
    """The system under test missed an objective (FAILED, as opposed to the tool failing: ERRORED)."""

    def __init__(self, result: DrillResult) -> None:
        super().__init__(result.status)
        self.result = result


class DrillItem(pytest.Item):
    """One drill: the whole scenario on a fresh staging replica."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.runner: DrillRunner | None = None
        self.result: DrillResult | None = None
        self.add_marker(pytest.mark.drdrill)

    def setup(self) -> None:
        session = self.config.stash[SESSION_KEY]
        early = session.early_run_ids.pop(self.scenario.name, None)
        settings = DrillSettings(
            report_dir=session.report_dir,
            hooks=session.recovery_hooks(),
            log=self._log,
            system=self._system(session),
            staging=staging_factory(session.staging),
        )
        if early is not None:
            settings = replace(settings, run_id=early)
        self.runner = DrillRunner(session.plan, self.scenario, settings)
        try:
            self.runner.preflight()
        except EnvironmentNotReadyError as exc:
            # A drill asked for by name and not run is a failure, never a skip and exit 0.
            refusal = f"drdrill: drill {self.scenario.name} cannot run here: {exc}"
        except DrdrillError as exc:
            refusal = f"drdrill: drill {self.scenario.name} cannot start: {exc}"
        else:
            return
        pytest.fail(refusal, pytrace=False)  # outside the except: the message once, with no chained traceback

    def _system(self, session: DrillSession) -> DrillSystem | None:
        """The Python system a ``pytest_drdrill_system`` hook returns, or None for the plan's HTTP contract; the
        runner's preflight checks it (:mod:`drdrill.system.kinds`)."""
        found: DrillSystem | None = self.config.hook.pytest_drdrill_system(
            config=self.config, plan=session.plan
        )
        return found

    def _log(self, message: str) -> None:
        """A line the user sees while the drill runs, past pytest's output capture (e.g. leftovers removed)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.config.get_verbosity() < 0:
            return
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if capture is None:
            reporter.write_line(f"drdrill: {message}")
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"drdrill: {message}")

    def runtest(self) -> None:
        assert self.runner is not None
        session = self.config.stash[SESSION_KEY]
        try:
            with signals_as_interrupt():
                result = self.result = self.runner.run()
        except KeyboardInterrupt:
            # The runner writes the scorecard before it re-raises an interrupt: list it and say where it is.
            session.list_scorecard(self.scenario.name, self.runner.run_dir / "scorecard.json")
            if self.runner.result is not None:
                session.results.append(self.runner.result)
                self._log(
                    f"drill {self.scenario.name} aborted; scorecard: {self.runner.result.scorecard_path}"
                )
            raise
        session.list_scorecard(self.scenario.name, result.scorecard_path)
        session.results.append(result)
        self.user_properties.append(("drdrill_scorecard", str(result.scorecard_path)))
        self.user_properties.extend(junit_properties(result.scorecard))
        self.config.hook.pytest_drdrill_scorecard(
            config=self.config, scorecard=result.scorecard, path=result.scorecard_path
        )
        if self.config.getoption("drill_tabletop"):
            written = write_tabletop(
                session.plan,
                self.scenario,
                result.scorecard_path.parent,
                drill=result.scorecard,
                scorecard_path=str(result.scorecard_path),
            )
            session.tabletops.extend(written)
        if result.status == "errored":
            raise DrdrillError(f"drill errored (the tool, not the system): {result.scorecard.error}")
        if result.status != "passed":
            raise DrillFailedError(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DrillFailedError):
            result = excinfo.value.result
            missed, unknown = result.failures, result.not_judged
            if missed:
                head = f"the system missed {len(missed)} objective(s)"
                if unknown:
                    head += f"; {len(unknown)} more could not be judged"
            else:
                head = f"{len(unknown)} objective(s) could not be judged, so the drill cannot pass"
            lines = [f"drill {self.scenario.name} FAILED: {head}"]
            lines += [f"  {v.name}: {v.message}" for v in [*missed, *unknown]]
            lines.append(f"  scorecard: {result.scorecard_path}")
            return printable("\n".join(lines))
        if isinstance(excinfo.value, DrdrillError):
            return printable(f"drill {self.scenario.name} ERRORED: {excinfo.value}")
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"drill {self.scenario.name}"
