"""Plan lints: the common DR planning mistakes, found in a plan that already validates.

Every lint takes the date to judge against (``today``) so a test can pin the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from drdrill.plan import faults as f
from drdrill.plan.compose import ComposeError, read_compose
from drdrill.plan.durations import humanize_duration
from drdrill.plan.errors import display_path, dotted, shorten
from drdrill.plan.hostaccess import find_host_access
from drdrill.plan.loader import PLAN_FILE
from drdrill.plan.models import NOTICE_STAGES, Plan, Scenario
from drdrill.plan.standing import drill_standing
from drdrill.plan.topology import compose_path
from drdrill.plan.wording import STAGE_LABEL, plan_rules, promised, wording_problems
from drdrill.plan.yamlsource import Loc, YamlDoc, read_yaml

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    """One lint finding, at a place in a plan file."""

    path: Path
    line: int
    col: int
    code: str
    level: Level = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.col}: {self.level} [{self.code}] {self.message}"


@dataclass(frozen=True)
class Maturity:
    """The plan's maturity level (0-3) with what it meets and what the next level lacks."""

    level: int
    met: list[str]
    missing: list[str]


@dataclass(frozen=True)
class LintReport:
    """Findings, sorted by place, and the maturity assessment."""

    findings: list[Finding]
    maturity: Maturity

    @property
    def errors(self) -> list[Finding]:
        """Findings at error level."""
        return [x for x in self.findings if x.level == "error"]


class _Docs:
    """YAML positions for the plan's files, read again so lints can point at lines."""

    def __init__(self, plan: Plan) -> None:
        self._docs: dict[Path, YamlDoc | None] = {}
        self._within = plan.source_dir
        self.plan_path = plan.source_dir / PLAN_FILE

    def at(
        self, path: Path, loc: Loc, code: str, level: Level, message: str, *, key: bool = False
    ) -> Finding:
        if path not in self._docs:
            doc = read_yaml(path, self._within)
            self._docs[path] = doc if isinstance(doc, YamlDoc) else None
        found = self._docs[path]
        line, col = found.position(loc, key=key) if found is not None else (0, 0)
        return Finding(path, line, col, code, level, message)


TODO = re.compile(r"\bTODO\b")


def _strings(data: object, loc: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    """Every string value in a YAML document, with where it is."""
    if isinstance(data, str):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, [*loc, str(key)])
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, [*loc, index])


def _touched(plan: Plan, scenario: Scenario) -> set[str]:
    names: set[str] = set()
    for fault in scenario.faults:
        if isinstance(fault, f.ZoneLoss):
            names |= {n for n, c in plan.components.items() if c.zone == fault.zone}
        elif isinstance(fault, f.RegionLoss):
            zones = set(plan.regions[fault.region].zones) if fault.region in plan.regions else set()
            names |= {n for n, c in plan.components.items() if c.zone in zones}
        else:
            names.add(fault.target)
    return names


def _after(day: date, span: timedelta) -> date:
    """``day + span``, or the last day there is when that is later (a plan may date a drill in year 9999)."""
    try:
        return day + span
    except OverflowError:
        return date.max


class _Linter:
    def __init__(self, plan: Plan, today: date, drilled: Mapping[str, date] | None = None) -> None:
        self.plan = plan
        self.today = today
        self.drilled = dict(drilled or {})
        self.docs = _Docs(plan)
        self.plan_path = self.docs.plan_path

    def run(self) -> Iterator[Finding]:
        yield from self.placeholders()
        yield from self.future_dates()
        yield from self.drills()
        yield from self.topology()
        yield from self.single_points()
        yield from self.backups()
        yield from self.degraded_modes()
        yield from self.signoff()
        yield from self.notices()

    def placeholders(self) -> Iterator[Finding]:
        """Values still saying TODO (drdrill init leaves them): a plan with them is not a plan yet."""
        files = [self.plan_path, *(s.source for s in self.plan.scenarios.values())]
        for path in files:
            doc = read_yaml(path)
            if not isinstance(doc, YamlDoc):
                continue
            for loc, text in _strings(doc.data, []):
                if TODO.search(text):
                    where = ".".join(str(part) for part in loc) or "the file"
                    shown = text if len(text) <= 60 else text[:57] + "..."
                    yield self.docs.at(
                        path, loc, "todo-placeholder", "error", f"{where} is still a placeholder: {shown!r}"
                    )

    def _dates(self) -> Iterator[tuple[Path, Loc, str, date]]:
        """(file, loc, what, day) for every date the plan records as past."""
        plan = self.plan
        signoff = plan.objectives.client_signoff
        if signoff is not None:
            yield (
                self.plan_path,
                ["objectives", "client_signoff", "date"],
                "the client sign-off",
                signoff.date,
            )
        for name, backup in plan.backups.items():
            if backup.last_restore_verified is not None:
                loc = ["backups", name, "last_restore_verified"]
                what = f"the last restore test of backup {shorten(name)!r}"
                yield self.plan_path, loc, what, backup.last_restore_verified
        for s in plan.scenarios.values():
            for i, record in enumerate(s.drills.history):
                yield (
                    s.source,
                    ["drills", "history", i, "date"],
                    f"a drill of scenario {s.name!r}",
                    record.date,
                )

    def future_dates(self) -> Iterator[Finding]:
        for path, loc, what, day in self._dates():
            if day > self.today:
                yield self.docs.at(
                    path,
                    loc,
                    "future-date",
                    "warning",
                    f"{what} is dated {day}, after today ({self.today}): correct the date (only what has "
                    "happened counts)",
                )

    def drills(self) -> Iterator[Finding]:
        for s in self.plan.scenarios.values():
            standing = drill_standing(s, self.today, self.drilled.get(s.name))
            if standing.never_drilled:
                yield self.docs.at(
                    s.source, [], "never-drilled", "warning", f"scenario {s.name!r} was never drilled"
                )
            elif standing.overdue:
                yield self.docs.at(
                    s.source,
                    ["drills", "history"],
                    "drill-overdue",
                    "warning",
                    f"scenario {s.name!r} was last drilled on {standing.last}; its cadence of "
                    f"{humanize_duration(s.drills.cadence)} made the next drill due on {standing.due}",
                )

    def topology(self) -> Iterator[Finding]:
        plan = self.plan
        covered = set().union(*(_touched(plan, s) for s in plan.scenarios.values()))
        for s in plan.scenarios.values():
            covered |= {c for step in s.recovery for c in step.components}
        for name, comp in plan.components.items():
            if comp.staging is None:
                yield self.docs.at(
                    self.plan_path,
                    ["components", name],
                    "no-staging",
                    "warning",
                    f"component {name!r} has no staging counterpart, so no drill can exercise it",
                    key=True,
                )
            if name not in covered:
                yield self.docs.at(
                    self.plan_path,
                    ["components", name],
                    "uncovered-component",
                    "warning",
                    f"no scenario covers component {name!r}: no fault hits it and no recovery step names it",
                    key=True,
                )
        yield from self._compose()
        yield from self._host_access()

    def _host_access(self) -> Iterator[Finding]:
        """Host access the plan allows knowingly is said on every lint; an allowance that allows nothing goes.

        (What the plan does not allow was refused when it loaded.)
        """
        path = compose_path(self.plan)
        if path is None:
            return
        try:
            report = find_host_access(read_compose(path))
        except ComposeError:
            return  # said by topology-unreadable
        allowances = self.plan.staging_topology.allow_host_access
        for access in report.allowed(allowances):
            line, col = access.doc.position(access.loc) if access.doc is not None else (0, 0)
            where = access.doc.path if access.doc is not None else path
            yield Finding(
                where,
                line,
                col,
                "host-access-allowed",
                "warning",
                f"{dotted(access.loc)}: {access.what} {access.why}; the plan allows it for service "
                f"{access.service!r} (staging_topology.allow_host_access), so a drill gives this service the host",
            )
        for service, index, entry in report.unused(allowances):
            yield self.docs.at(
                self.plan_path,
                ["staging_topology", "allow_host_access", service, index],
                "host-access-unused",
                "warning",
                f"allowance {entry!r} of service {service!r} allows nothing its compose settings do: remove it",
            )

    def _compose(self) -> Iterator[Finding]:
        # The loader already refused a compose file that is missing or lacks a service the plan names; what
        # is left to say is that the compose file has services the plan does not know.
        plan = self.plan
        topo = plan.staging_topology
        path = compose_path(plan)
        if path is None:
            return
        loc = ["staging_topology", "compose_file"]
        try:
            services = read_compose(path).services
        except ComposeError as exc:
            message = (
                f"cannot read the staging topology {display_path(path)} ({exc.reason}): lints of it skipped"
            )
            yield self.docs.at(self.plan_path, loc, "topology-unreadable", "warning", message)
            return
        mapped = {c.staging.service for c in plan.components.values() if c.staging and c.staging.service}
        for service in services:
            if service not in mapped and service not in topo.infrastructure:
                yield self.docs.at(
                    self.plan_path,
                    loc,
                    "topology-not-in-plan",
                    "warning",
                    f"staging service {service!r} matches no plan component: the plan may be out of date",
                )

    def single_points(self) -> Iterator[Finding]:
        plan = self.plan
        for s in plan.scenarios.values():
            for i, step in enumerate(s.recovery):
                role = plan.roles.get(step.owner) if step.owner else None
                if role is not None and len(role.people) == 1:
                    yield self.docs.at(
                        s.source,
                        ["recovery", i, "owner"],
                        "single-owner",
                        "error",
                        f"step {step.title!r} depends on one person: role {role.name!r} has only "
                        f"{role.people[0]!r}",
                    )
        for name, secret in plan.secrets.items():
            people = {p for r in secret.rotated_by if r in plan.roles for p in plan.roles[r].people}
            if len(people) < 2:
                who = ", ".join(sorted(people)) or "nobody"
                yield self.docs.at(
                    self.plan_path,
                    ["secrets", name],
                    "single-secret-holder",
                    "error",
                    f"secret {name!r} can be rotated by {who} only; name roles with at least two people",
                    key=True,
                )

    def backups(self) -> Iterator[Finding]:
        plan = self.plan
        for cname, comp in plan.components.items():
            for bname in comp.backed_up_by:
                backup = plan.backups.get(bname)
                if backup is None:
                    continue
                stored = backup.stored_in
                same_zone = comp.zone is not None and stored.zone == comp.zone
                same_place_unknown = stored.zone is None and stored.region is None
                if same_zone or same_place_unknown:
                    why = f"in zone {comp.zone!r}, the zone of" if same_zone else "with no zone or region for"
                    yield self.docs.at(
                        self.plan_path,
                        ["backups", bname, "stored_in"],
                        "backup-same-zone",
                        "error",
                        f"backup {bname!r} is stored {why} component {cname!r}: one failure loses both",
                    )
        for bname, backup in plan.backups.items():
            verified = backup.last_restore_verified
            if verified is None or _after(verified, backup.verify_every) < self.today:
                when = (
                    "was never restore-tested"
                    if verified is None
                    else f"was last restore-tested on {verified}"
                )
                yield self.docs.at(
                    self.plan_path,
                    ["backups", bname],
                    "restore-unverified",
                    "warning",
                    f"backup {bname!r} {when}; the plan asks for a restore test every "
                    f"{humanize_duration(backup.verify_every)}",
                    key=True,
                )

    def degraded_modes(self) -> Iterator[Finding]:
        if not self.plan.degraded_modes:
            yield self.docs.at(
                self.plan_path,
                [],
                "no-degraded-mode",
                "error",
                "the plan defines no degraded modes: it knows only full operation or full failure",
            )
        for s in self.plan.scenarios.values():
            if not s.degraded_modes:
                yield self.docs.at(
                    s.source,
                    [],
                    "no-degraded-mode",
                    "error",
                    f"scenario {s.name!r} names no degraded mode to run in while it recovers",
                )

    def signoff(self) -> Iterator[Finding]:
        if self.plan.objectives.client_signoff is None:
            yield self.docs.at(
                self.plan_path,
                ["objectives"],
                "no-client-signoff",
                "error",
                "the recovery objectives have no client sign-off (objectives.client_signoff)",
                key=True,
            )

    def _templates(self) -> Iterator[tuple[Path, list[str | int], str, str, list[Scenario]]]:
        """(file, loc, stage, text, scenarios it applies to) for every notice text in the plan."""
        plan = self.plan
        scenarios = list(plan.scenarios.values())
        for stage in NOTICE_STAGES:
            users = [
                s
                for s in scenarios
                if getattr(s.communication, stage, None) is None
                or getattr(s.communication, stage).template is None
            ]
            text = getattr(plan.communication, stage).template
            yield self.plan_path, ["communication", stage, "template"], stage, text, users
        for name, mode in plan.degraded_modes.items():
            users = [s for s in scenarios if name in s.degraded_modes]
            yield (
                self.plan_path,
                ["degraded_modes", name, "client_notice"],
                "degraded",
                mode.client_notice,
                users,
            )
        for s in scenarios:
            for stage in NOTICE_STAGES:
                override = getattr(s.communication, stage, None)
                if override is not None and override.template is not None:
                    yield s.source, ["communication", stage, "template"], stage, override.template, [s]

    def notices(self) -> Iterator[Finding]:
        plan = self.plan
        vendors = [c.vendor for c in plan.components.values() if c.vendor]
        # Promises are judged against each scenario that uses the text (below); the rest is the same rule as
        # for the notices a system sends in a drill (plan/wording.py).
        rules = plan_rules(vendors, plan.components, rto=None)
        for path, loc, stage_key, text, users in self._templates():
            stage = STAGE_LABEL.get(stage_key, stage_key)
            for problem in wording_problems(text, stage_key, rules):
                yield self.docs.at(path, loc, problem.code, "error", problem.message)
            for promise in promised(text):
                short = [s for s in users if promise < plan.objectives_for(s).rto]
                if short:
                    worst = min(short, key=lambda s: plan.objectives_for(s).rto)
                    yield self.docs.at(
                        path,
                        loc,
                        "notice-promise",
                        "error",
                        f"{stage} promises a fix within {humanize_duration(promise)}, shorter than the "
                        f"recovery objective of {', '.join(s.name for s in short)} "
                        f"(RTO {humanize_duration(plan.objectives_for(worst).rto)})",
                    )


def assess_maturity(plan: Plan) -> Maturity:
    """Level 1: manual fallbacks documented; 2: automated failover; 3: automated detection, failover, notice."""
    checks: list[tuple[int, str, bool]] = []
    kinds = {m.kind for m in plan.degraded_modes.values()}
    scenarios = list(plan.scenarios.values())
    checks.append((1, "a manual fallback mode is documented", "manual_fallback" in kinds))
    checks.append((1, "every scenario names a degraded mode", all(s.degraded_modes for s in scenarios)))
    providers = {n for n, c in plan.components.items() if c.kind == "ai_provider"}
    provider_scenarios = [s for s in scenarios if _touched(plan, s) & providers]
    checks.append((2, "a backup AI provider is in the plan", len(providers) >= 2))
    checks.append(
        (
            2,
            "every AI provider scenario fails over by an automated step",
            bool(provider_scenarios) and all(s.automated_steps for s in provider_scenarios),
        )
    )
    checks.append(
        (3, "every scenario has an automated recovery step", all(s.automated_steps for s in scenarios))
    )
    checks.append(
        (
            3,
            "the first client notice is sent automatically",
            plan.communication.first_notice.automated_hook is not None,
        )
    )
    level = 0
    for candidate in (1, 2, 3):
        if all(ok for lvl, _, ok in checks if lvl == candidate):
            level = candidate
        else:
            break
    met = [f"level {lvl}: {text}" for lvl, text, ok in checks if ok and lvl <= level]
    missing = [f"level {lvl}: {text}" for lvl, text, ok in checks if not ok and lvl == level + 1]
    return Maturity(level, met, missing)


def lint_plan(plan: Plan, today: date, drilled: Mapping[str, date] | None = None) -> LintReport:
    """Run every lint against ``plan`` as of ``today``.

    ``drilled`` maps scenario names to the day of their latest staging drill found outside the plan (drill
    scorecards); it counts like an entry of the scenario's ``drills.history``.
    """
    findings = sorted(_Linter(plan, today, drilled).run())
    return LintReport(findings, assess_maturity(plan))
