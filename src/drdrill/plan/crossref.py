"""Cross-references: every name a plan uses must exist, and every fault must fit what it targets."""

from __future__ import annotations

from collections.abc import Iterable

from drdrill.plan import faults as f
from drdrill.plan.compose import ComposeError, read_compose
from drdrill.plan.errors import PlanIssue, display_path, dotted, unknown_name
from drdrill.plan.hostaccess import find_host_access
from drdrill.plan.models import Plan, Scenario
from drdrill.plan.steps import step_prerequisite_issues
from drdrill.plan.testsets import verification_set_issues
from drdrill.plan.topology import check_scenario_staging, check_topology, compose_path
from drdrill.plan.yamlsource import Loc, YamlDoc


class _Checker:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.issues: list[PlanIssue] = []
        self.zones = {z for region in plan.regions.values() for z in region.zones}

    def need(self, doc: YamlDoc, loc: Loc, what: str, name: str, known: Iterable[str]) -> bool:
        known = list(known)
        if name in known:
            return True
        self.issues.append(doc.issue(loc, f"{dotted(loc)}: {unknown_name(what, name, known)}"))
        return False

    def fail(self, doc: YamlDoc, loc: Loc, message: str) -> None:
        self.issues.append(doc.issue(loc, f"{dotted(loc)}: {message}"))

    def check_plan(self, doc: YamlDoc) -> None:
        plan = self.plan
        for name, comp in plan.components.items():
            base: list[str | int] = ["components", name]
            if comp.zone is not None:
                self.need(doc, [*base, "zone"], "zone", comp.zone, self.zones)
            for i, dep in enumerate(comp.depends_on):
                self.need(doc, [*base, "depends_on", i], "component", dep, plan.components)
            for i, backup_name in enumerate(comp.backed_up_by):
                self.need(doc, [*base, "backed_up_by", i], "backup", backup_name, plan.backups)
        for name, backup in plan.backups.items():
            loc: list[str | int] = ["backups", name, "stored_in"]
            if backup.stored_in.zone is not None:
                self.need(doc, [*loc, "zone"], "zone", backup.stored_in.zone, self.zones)
            if backup.stored_in.region is not None:
                self.need(doc, [*loc, "region"], "region", backup.stored_in.region, plan.regions)
        for name, mode in plan.degraded_modes.items():
            for i, role in enumerate(mode.authorized_roles):
                self.need(doc, ["degraded_modes", name, "authorized_roles", i], "role", role, plan.roles)
            for i, crit in enumerate(mode.automated_triggers):
                if crit.component is not None:
                    loc = ["degraded_modes", name, "automated_triggers", i, "component"]
                    self.need(doc, loc, "component", crit.component, plan.components)
        contract = plan.staging_topology.system
        for signal, spec in (contract.signals if contract is not None else {}).items():
            for raw, mode_name in spec.modes.items():
                loc = ["staging_topology", "system", "signals", signal, "modes", raw]
                self.need(doc, loc, "degraded mode", mode_name, plan.degraded_modes)
        for name, secret in plan.secrets.items():
            for i, comp_name in enumerate(secret.used_by):
                self.need(doc, ["secrets", name, "used_by", i], "component", comp_name, plan.components)
            for i, role in enumerate(secret.rotated_by):
                self.need(doc, ["secrets", name, "rotated_by", i], "role", role, plan.roles)

    def check_scenario(self, scenario: Scenario, doc: YamlDoc) -> None:
        plan = self.plan
        for i, crit in enumerate(scenario.detection.criteria):
            if crit.component is not None:
                crit_loc: list[str | int] = ["detection", "criteria", i, "component"]
                self.need(doc, crit_loc, "component", crit.component, plan.components)
        for i, fault in enumerate(scenario.faults):
            self.check_fault(fault, doc, ["faults", i])
        for i, step in enumerate(scenario.recovery):
            if step.owner is not None:
                self.need(doc, ["recovery", i, "owner"], "role", step.owner, plan.roles)
            for j, comp_name in enumerate(step.components):
                self.need(doc, ["recovery", i, "components", j], "component", comp_name, plan.components)
        for i, mode in enumerate(scenario.degraded_modes):
            self.need(doc, ["degraded_modes", i], "degraded mode", mode, plan.degraded_modes)
        self.issues.extend(step_prerequisite_issues(plan, scenario, doc))
        self.issues.extend(verification_set_issues(scenario))

    def check_fault(self, fault: f.Fault, doc: YamlDoc, loc: list[str | int]) -> None:
        plan = self.plan
        if isinstance(fault, f.ZoneLoss):
            self.need(doc, [*loc, "zone"], "zone", fault.zone, self.zones)
            return
        if isinstance(fault, f.RegionLoss):
            self.need(doc, [*loc, "region"], "region", fault.region, plan.regions)
            return
        if not self.need(doc, [*loc, "target"], "component", fault.target, plan.components):
            return
        comp = plan.components[fault.target]
        staging = comp.staging
        if fault.kind in f.NETWORK_KINDS and (staging is None or staging.proxy is None):
            with_proxy = sorted(n for n, c in plan.components.items() if c.staging and c.staging.proxy)
            self.fail(
                doc,
                [*loc, "target"],
                f"network fault {fault.kind!r} needs a component with a staging proxy; {fault.target!r} has none "
                f"(components with one: {', '.join(with_proxy) or 'none'})",
            )
        elif fault.kind in f.CONTAINER_KINDS and (staging is None or staging.service is None):
            self.fail(
                doc,
                [*loc, "target"],
                f"container fault {fault.kind!r} needs a staging service; {fault.target!r} has none",
            )
        elif fault.kind in f.PROVIDER_KINDS or isinstance(fault, f.DegradeAccuracy):
            if comp.kind != "ai_provider":
                self.fail(
                    doc,
                    [*loc, "target"],
                    f"fault {fault.kind!r} targets an ai_provider; {fault.target!r} is a {comp.kind}",
                )
        elif (
            fault.kind in f.DATA_KINDS
            and fault.kind not in f.STORE_KINDS
            and (staging is None or staging.service is None)
        ):
            self.fail(
                doc,
                [*loc, "target"],
                f"data fault {fault.kind!r} acts on a container's files; {fault.target!r} has no staging service",
            )
        elif isinstance(fault, f.CorruptRows | f.DropTable):
            if comp.kind not in ("data_store", "vector_index", "queue"):
                self.fail(
                    doc,
                    [*loc, "target"],
                    f"fault {fault.kind!r} targets a data store; {fault.target!r} is a {comp.kind}",
                )
        elif isinstance(fault, f.LeakSecret | f.RevokeSecret):
            self.need(doc, [*loc, "secret"], "secret", fault.secret, plan.secrets)


def check_host_access_of(plan: Plan, plan_doc: YamlDoc) -> list[PlanIssue]:
    """The compose file's settings that give the stack the host and the plan does not allow, at their
    file:line, and allowances keyed by no service of the stack (a compose file that cannot be read is
    reported by :func:`~drdrill.plan.topology.check_topology`)."""
    path = compose_path(plan)
    if path is None:
        return []
    try:
        compose = read_compose(path)
    except ComposeError:
        return []
    allowances = plan.staging_topology.allow_host_access
    report = find_host_access(compose)
    issues = [*report.issues, *(a.issue() for a in report.refused(allowances))]
    for service in allowances:
        if service not in report.services:
            loc = ["staging_topology", "allow_host_access", service]
            known = unknown_name("compose service", service, report.services, known_in=display_path(path))
            issues.append(plan_doc.issue(loc, f"{dotted(loc)}: {known}", key=True))
    return issues


def check_references(plan: Plan, plan_doc: YamlDoc, scenario_docs: dict[str, YamlDoc]) -> list[PlanIssue]:
    """Every issue of names that do not resolve, or faults that do not fit their target.

    Names of the staging replica (services, ports, proxies) are checked against the plan's compose file, and
    so are the compose settings that would give the drilled stack the host.
    """
    checker = _Checker(plan)
    checker.check_plan(plan_doc)
    checker.issues.extend(check_topology(plan, plan_doc))
    checker.issues.extend(check_host_access_of(plan, plan_doc))
    for name, scenario in plan.scenarios.items():
        checker.check_scenario(scenario, scenario_docs[name])
        checker.issues.extend(check_scenario_staging(plan, scenario, scenario_docs[name]))
    return checker.issues


def check_scenario_references(plan: Plan, scenario: Scenario, doc: YamlDoc) -> list[PlanIssue]:
    """Issues of one scenario's names against ``plan`` (and its compose file)."""
    checker = _Checker(plan)
    checker.check_scenario(scenario, doc)
    checker.issues.extend(check_scenario_staging(plan, scenario, doc))
    return checker.issues
