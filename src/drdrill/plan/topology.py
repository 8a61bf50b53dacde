"""The staging topology against its compose file: every service, port and proxy the plan names must exist.

Run when the plan loads, so a drill whose plan names a service the compose file lacks refuses before any
container starts. Errors point at the plan's value; only a compose file that does not parse (or has values of
the wrong shape) is pointed at in its own lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from drdrill.plan import faults as f
from drdrill.plan.actions import RecoveryAction
from drdrill.plan.compose import ComposeError, ComposeFile, format_ports, read_compose
from drdrill.plan.errors import MAX_VALUE_CHARS, PlanIssue, display_path, dotted, shorten, unknown_name
from drdrill.plan.files import exists
from drdrill.plan.models import Plan, Scenario, StagingTopology
from drdrill.plan.system import SERVICE_PORT
from drdrill.plan.yamlsource import YamlDoc

_Loc = list[str | int]
_TOPOLOGY: _Loc = ["staging_topology"]


def compose_path(plan: Plan) -> Path | None:
    """Where the plan's compose file is (``compose_file`` is relative to plan.yaml), or None if it names none."""
    name = plan.staging_topology.compose_file
    return None if name is None else plan.source_dir / name


def _templates(topo: StagingTopology) -> Iterator[tuple[_Loc, str]]:
    """Every URL template of the topology with its place in plan.yaml."""
    for name, readiness in topo.services.items():
        yield [*_TOPOLOGY, "services", name, "ready"], readiness.ready
    system = topo.system
    if system is None:
        return
    base: _Loc = [*_TOPOLOGY, "system"]
    if system.write is not None:
        yield [*base, "write", "request", "url"], system.write.request.url
    if system.probe is not None and system.probe.read_back is not None:
        yield [*base, "probe", "read_back", "url"], system.probe.read_back.url
    if system.probe is not None and system.probe.health is not None:
        yield [*base, "probe", "health", "url"], system.probe.health.url
    if system.final_read is not None and system.final_read.url is not None:
        yield [*base, "final_read", "url"], system.final_read.url
    for name, signal in system.signals.items():
        if signal.url is not None:
            yield [*base, "signals", name, "url"], signal.url


def _scenario_templates(scenario: Scenario) -> Iterator[tuple[_Loc, str]]:
    """Every URL template of a scenario's recovery actions and leaked secrets' uses with its place in the
    scenario file."""
    for i, step in enumerate(scenario.recovery):
        if step.action is not None and step.action.http is not None:
            yield ["recovery", i, "action", "http", "url"], step.action.http.url
    for i, fault in enumerate(scenario.faults):
        if isinstance(fault, f.LeakSecret):
            for j, use in enumerate(fault.uses):
                yield ["faults", i, "uses", j, "url"], use.url


class _TopologyChecker:
    def __init__(self, plan: Plan, doc: YamlDoc, compose: ComposeFile) -> None:
        self.plan = plan
        self.doc = doc
        self.compose = compose
        self.shown = display_path(compose.path)
        self.issues: list[PlanIssue] = []

    def fail(self, loc: _Loc, message: str, *, key: bool = False) -> None:
        self.issues.append(self.doc.issue(loc, f"{dotted(loc)}: {message}", key=key))

    def service(self, loc: _Loc, name: str, *, prefix: str = "", key: bool = False) -> bool:
        if name in self.compose.services:
            return True
        text = unknown_name("compose service", name, self.compose.services, known_in=self.shown)
        self.fail(loc, prefix + text, key=key)
        return False

    def port(self, loc: _Loc, service: str, port: int, *, prefix: str = "") -> None:
        declared = self.compose.services[service]
        if not declared.ports or not declared.ports_known or port in declared.ports:
            return  # a service that declares no ports may listen on any; compose lets it be reached
        text = f"port {port} is not one service {service!r} declares"
        choices = [str(p) for p in sorted(declared.ports)]
        close = difflib.get_close_matches(str(port), choices, n=1, cutoff=0.6)
        if close:
            text += f"; did you mean {close[0]}?"
        text += f" (its ports and expose in {self.shown}: {format_ports(declared.ports)})"
        self.fail(loc, prefix + text)

    def run(self) -> list[PlanIssue]:
        self.components()
        self.links()
        self.data_stores()
        self.final_read_store()
        topo = self.plan.staging_topology
        for name in topo.services:
            self.service([*_TOPOLOGY, "services", name], name, key=True)
        for loc, template in _templates(topo):
            for match in SERVICE_PORT.finditer(template):
                prefix = f"{match[0]}: "
                if self.service(loc, match["service"], prefix=prefix):
                    self.port(loc, match["service"], int(match["port"]), prefix=prefix)
        for i, name in enumerate(topo.infrastructure):
            self.service([*_TOPOLOGY, "infrastructure", i], name)
        for name, channel in topo.notifications.items():
            self.service([*_TOPOLOGY, "notifications", name, "consumer"], channel.consumer)
        return self.issues

    def components(self) -> None:
        links = self.plan.staging_topology.links
        for name, comp in self.plan.components.items():
            staging = comp.staging
            if staging is None:
                continue
            base: _Loc = ["components", name, "staging"]
            if staging.service is not None:
                self.service([*base, "service"], staging.service)
            if staging.proxy is None:
                continue
            if staging.proxy not in links:
                self.fail([*base, "proxy"], unknown_name("link", staging.proxy, links))
                continue
            upstream = links[staging.proxy].upstream_service
            if staging.service is not None and upstream != staging.service:
                self.fail(
                    [*base, "proxy"],
                    f"link {staging.proxy!r} leads to service {upstream!r}, but the component's staging "
                    f"service is {staging.service!r}; a proxy stands in front of its own component",
                )

    def links(self) -> None:
        for name, link in self.plan.staging_topology.links.items():
            base: _Loc = [*_TOPOLOGY, "links", name]
            for i, consumer in enumerate(link.consumers):
                where: _Loc = (
                    [*base, "consumer"] if isinstance(link.consumer, str) else [*base, "consumer", i]
                )
                self.service(where, consumer)
            if self.service([*base, "upstream"], link.upstream_service):
                self.port([*base, "upstream"], link.upstream_service, link.upstream_port)
            if link.upstream_service in link.consumers:
                self.fail(
                    [*base, "upstream"],
                    f"{link.upstream_service!r} is this link's consumer too; a link runs from its consumer to "
                    "another service",
                )

    def final_read_store(self) -> None:
        """A final read from a data store names a declared one, of the kind its query speaks."""
        topo = self.plan.staging_topology
        read = topo.system.final_read if topo.system is not None else None
        if read is None or read.store is None:
            return
        loc: _Loc = [*_TOPOLOGY, "system", "final_read", "store"]
        store = topo.data_stores.get(read.store)
        if store is None:
            self.fail(loc, unknown_name("data store", read.store, topo.data_stores))
        elif read.redis is not None and store.kind != "redis":
            self.fail(loc, f"`redis` commands read a redis store, and {read.store!r} is a {store.kind} store")
        elif read.sql is not None and not store.sql:
            self.fail(loc, f"a `sql` query reads a SQL store, and {read.store!r} is a {store.kind} store")

    def data_stores(self) -> None:
        topo = self.plan.staging_topology
        for name, store in topo.data_stores.items():
            base: _Loc = [*_TOPOLOGY, "data_stores", name]
            if (
                store.service is not None
                and store.port is not None
                and self.service([*base, "at"], store.service)
            ):
                self.port([*base, "at"], store.service, store.port)
            if store.link is not None and store.link not in topo.links:
                self.fail([*base, "link"], unknown_name("link", store.link, topo.links))
            if store.component is not None and store.component not in self.plan.components:
                self.fail(
                    [*base, "component"], unknown_name("component", store.component, self.plan.components)
                )
            if store.password_from is not None and store.password_from not in topo.generated_secrets:
                self.fail(
                    [*base, "password_from"],
                    f"{store.password_from!r} is not one of generated_secrets "
                    f"({', '.join(topo.generated_secrets) or 'none declared'}); add it there",
                )

    # -- a scenario's names against the compose file ----------------------------------------------------

    def scenario(self, scenario: Scenario) -> list[PlanIssue]:
        """Issues of a scenario's faults and recovery actions against the compose file (this checker's doc is the
        scenario's)."""
        for i, fault in enumerate(scenario.faults):
            self.fault(fault, ["faults", i])
        for i, step in enumerate(scenario.recovery):
            if step.action is not None:
                self.action(step.action, ["recovery", i, "action"])
        for loc, template in _scenario_templates(scenario):
            for match in SERVICE_PORT.finditer(template):
                if self.service(loc, match["service"], prefix=f"{match[0]}: "):
                    self.port(loc, match["service"], int(match["port"]), prefix=f"{match[0]}: ")
        self.criteria_signals(scenario)
        stores = self.plan.staging_topology.data_stores
        for i, check in enumerate(scenario.verification.data_checks):
            if check.store is not None and check.store not in stores:
                at: _Loc = ["verification", "data_checks", i, "store"]
                self.fail(at, unknown_name("data store", check.store, stores))
        return self.issues

    def criteria_signals(self, scenario: Scenario) -> None:
        """A criterion measured on a signal names one the system declares, with its normal value."""
        system = self.plan.staging_topology.system
        signals = system.signals if system is not None else {}
        for i, criterion in enumerate(scenario.detection.criteria):
            if criterion.signal is None:
                continue
            at: _Loc = ["detection", "criteria", i, "signal"]
            found = signals.get(criterion.signal)
            if found is None:
                self.fail(at, unknown_name("signal", criterion.signal, signals))
            elif found.normal is None:
                self.fail(
                    at,
                    f"signal {criterion.signal!r} declares no `normal` value, so a drill cannot tell when the "
                    f"check fails; give staging_topology.system.signals.{criterion.signal}.normal",
                )

    def fault(self, fault: f.Fault, loc: _Loc) -> None:
        topo = self.plan.staging_topology
        signals = topo.system.signals if topo.system is not None else {}
        if fault.wait_for is not None and topo.system is not None and fault.wait_for.signal not in signals:
            where: _Loc = [*loc, "wait_for", "signal"]
            self.fail(where, unknown_name("signal", fault.wait_for.signal, signals))
        if (
            isinstance(fault, f.LeakSecret)
            and fault.value_from is not None
            and fault.value_from not in topo.generated_secrets
        ):
            self.fail(
                [*loc, "value_from"],
                f"{fault.value_from!r} is not one of generated_secrets "
                f"({', '.join(topo.generated_secrets) or 'none declared'}); add it there",
            )
        if isinstance(fault, f.CorruptRows | f.DropTable):
            named = fault.store
            if named is not None and named not in topo.data_stores:
                self.fail([*loc, "store"], unknown_name("data store", named, topo.data_stores))
                return
            found = named or next(
                (n for n, s in topo.data_stores.items() if s.component == fault.target), None
            )
            if found is None:
                self.fail(
                    [*loc, "target"],
                    f"fault {fault.kind!r} goes through a data store, and no store under "
                    f"staging_topology.data_stores is component {fault.target!r}; declare one "
                    "(kind: postgres, component: ..., at: service:port) or name it with `store:`",
                )
            elif not topo.data_stores[found].sql:
                self.fail(
                    [*loc, "store" if named else "target"],
                    f"fault {fault.kind!r} runs SQL, and data store {found!r} is a "
                    f"{topo.data_stores[found].kind} store",
                )
        elif isinstance(fault, f.LoseVolume):
            component = self.plan.components.get(fault.target)
            service = component.staging.service if component and component.staging else None
            if service is None or service not in self.compose.services:
                return  # the cross-reference check says what is wrong with the target
            mounted = self.compose.services[service].named_volumes
            if fault.volume not in mounted:
                self.fail(
                    [*loc, "volume"],
                    f"service {service!r} mounts no named volume {fault.volume!r} in {self.shown} "
                    f"(it mounts: {', '.join(mounted) or 'none'})",
                )

    def action(self, action: RecoveryAction, loc: _Loc) -> None:
        topo = self.plan.staging_topology
        if action.exec is not None:
            self.service([*loc, "exec", "service"], action.exec.service)
        elif action.start is not None:
            start = action.start
            for i, name in enumerate(start.services):
                self.service([*loc, "start", "services", i], name)
            if start.profile is not None:
                profiles = sorted({p for s in self.compose.services.values() for p in s.profiles})
                if start.profile not in profiles:
                    text = unknown_name("compose profile", start.profile, profiles, known_in=self.shown)
                    self.fail([*loc, "start", "profile"], text)
        elif action.repoint is not None:
            repoint = action.repoint
            if repoint.link not in topo.links:
                self.fail([*loc, "repoint", "link"], unknown_name("link", repoint.link, topo.links))
            if self.service([*loc, "repoint", "to"], repoint.service):
                self.port([*loc, "repoint", "to"], repoint.service, repoint.port)
        elif action.wait_until is not None and action.wait_until.signal is not None:
            signals = topo.system.signals if topo.system is not None else {}
            if topo.system is not None and action.wait_until.signal not in signals:
                where = [*loc, "wait_until", "signal"]
                self.fail(where, unknown_name("signal", action.wait_until.signal, signals))


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def check_scenario_staging(plan: Plan, scenario: Scenario, doc: YamlDoc) -> list[PlanIssue]:
    """Issues of a scenario's faults and recovery actions against the plan's compose file (none when the plan
    names no compose file, or one that cannot be read: the plan's own check says so)."""
    path = compose_path(plan)
    if path is None:
        return []
    try:
        compose = read_compose(path)
    except ComposeError:
        return []
    return _TopologyChecker(plan, doc, compose).scenario(scenario)


def check_topology(plan: Plan, doc: YamlDoc) -> list[PlanIssue]:
    """Issues of the staging topology against the compose file it names (none when it names no file at all)."""
    topo = plan.staging_topology
    path = compose_path(plan)
    issues = _kubernetes_issues(plan, doc)
    if path is None:
        described = [n for n in ("services", "links", "system") if getattr(topo, n)]
        if topo.kubernetes is not None:
            return issues  # the replica is the manifests: its services are the Services they declare
        if not described:
            return []  # a plan kept for tabletop exercises only: no replica to check
        return [
            doc.issue(
                _TOPOLOGY,
                f"staging_topology: {_and(described)} {'describes' if len(described) == 1 else 'describe'} a compose stack, but no compose_file "
                "names it; add compose_file: <your compose file, relative to plan.yaml>",
                key=True,
            )
        ]
    try:
        compose = read_compose(path)
    except ComposeError as exc:
        if exc.issues:
            return exc.issues
        loc = [*_TOPOLOGY, "compose_file"]
        hint = (
            " (compose_file is relative to plan.yaml)"
            if exc.reason == "no such file" and not exists(path)
            else ""
        )
        shown = shorten(display_path(path), 2 * MAX_VALUE_CHARS)
        return [doc.issue(loc, f"{dotted(loc)}: {shown}: {exc.reason}{hint}")]
    return issues + _TopologyChecker(plan, doc, compose).run()


def _kubernetes_issues(plan: Plan, doc: YamlDoc) -> list[PlanIssue]:
    """The Kubernetes staging's manifests (and its kubeconfig, when named) must be there."""
    kube = plan.staging_topology.kubernetes
    if kube is None:
        return []
    found: list[PlanIssue] = []
    for key, name in (("manifests", kube.manifests), ("kubeconfig", kube.kubeconfig)):
        if name is not None and not exists(plan.source_dir / name):
            loc = [*_TOPOLOGY, "kubernetes", key]
            shown = shorten(display_path(plan.source_dir / name), 2 * MAX_VALUE_CHARS)
            found.append(
                doc.issue(loc, f"{dotted(loc)}: {shown}: no such file (it is relative to plan.yaml)")
            )
    return found
