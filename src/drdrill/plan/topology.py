"""The staging topology against its compose file: every service, port and proxy the plan names must exist.

Run when the plan loads, so a drill whose plan names a service the compose file lacks refuses before any
container starts. Errors point at the plan's value; only a compose file that does not parse (or has values of
the wrong shape) is pointed at in its own lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from drdrill.plan.compose import ComposeError, ComposeFile, format_ports, read_compose
from drdrill.plan.errors import PlanIssue, display_path, dotted, unknown_name
from drdrill.plan.models import Plan, StagingTopology
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
    if system.final_read is not None:
        yield [*base, "final_read", "url"], system.final_read.url
    for name, signal in system.signals.items():
        if signal.url is not None:
            yield [*base, "signals", name, "url"], signal.url


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
            self.service([*base, "consumer"], link.consumer)
            if self.service([*base, "upstream"], link.upstream_service):
                self.port([*base, "upstream"], link.upstream_service, link.upstream_port)
            if link.consumer == link.upstream_service:
                self.fail(
                    [*base, "upstream"],
                    f"{link.consumer!r} is this link's consumer too; a link runs from its consumer to "
                    "another service",
                )


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def check_topology(plan: Plan, doc: YamlDoc) -> list[PlanIssue]:
    """Issues of the staging topology against the compose file it names (none when it names no file at all)."""
    topo = plan.staging_topology
    path = compose_path(plan)
    if path is None:
        described = [n for n in ("services", "links", "system") if getattr(topo, n)]
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
        hint = " (compose_file is relative to plan.yaml)" if not path.exists() else ""
        return [doc.issue(loc, f"{dotted(loc)}: {display_path(path)}: {exc.reason}{hint}")]
    return _TopologyChecker(plan, doc, compose).run()
