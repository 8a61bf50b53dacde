"""The compose override drdrill generates for one run: everything a drill adds to the user's own compose file.

The user's file is never edited. The override, merged after it (``docker compose -f theirs -f ours``), adds:
run labels on every container, network and volume (the cleanup finds them by label); ``init: true``; the
published ports replaced by 127.0.0.1-only ports drdrill picks (compose's ``!override`` / ``!reset`` tags,
v2.24+); the Toxiproxy service and, on each link's consumer, the variables that point it at its proxy.

Pure: from the resolved compose model (``docker compose config --format json``) and the plan to YAML text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drdrill.plan import Plan
from drdrill.plan.system import service_ports

LABEL_MANAGED = "io.drdrill.managed"
LABEL_RUN = "io.drdrill.run"
LABEL_OWNER = "io.drdrill.owner"
LABEL_ZONE = "io.drdrill.zone"
LABEL_COMPONENT = "io.drdrill.component"
TOXIPROXY_SERVICE = "drdrill-toxiproxy"
TOXIPROXY_IMAGE = "drdrill/toxiproxy:local"
PROVIDER_SIM_IMAGE = "drdrill/provider-sim:local"
PROVIDER_SIM_PORT = 8000  # chat completions and the /_sim fault admin API
TOXIPROXY_API_PORT = 8474
TOXIPROXY_FIRST_LISTEN_PORT = 18001
PROXIES_IN_CONTAINER = "/etc/drdrill/proxies.json"
TOXIPROXY_SYN_RETRIES = 1  # an unanswered dial of an upstream fails after about 3 s, not 127 s
SINK_SERVICE = "drdrill-notify"
SINK_IMAGE = "drdrill/notify-sink:local"
SINK_HTTP_PORT = 8090  # webhooks, and /_sink/messages for the drill
SINK_SMTP_BASE_PORT = 2525  # the i-th channel's SMTP server listens on this + i


@dataclass(frozen=True)
class ComposeService:
    """What drdrill needs of one service of the resolved compose model."""

    name: str
    image: str | None
    build: Mapping[str, Any] | None
    ports: tuple[int, ...]  # container ports it publishes or exposes
    networks: tuple[str, ...]
    has_container_name: bool = False
    profiles: tuple[str, ...] = ()  # a service in a profile is not started with the replica, only when asked


@dataclass(frozen=True)
class ComposeModel:
    """The resolved compose model: services, and the networks and volumes the file defines itself."""

    services: Mapping[str, ComposeService]
    networks: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()

    def in_profile(self, profile: str) -> list[str]:
        """The services of compose profile ``profile``."""
        return [name for name, service in self.services.items() if profile in service.profiles]

    @property
    def started_with_replica(self) -> list[str]:
        """The services ``compose up`` starts: those in no profile."""
        return [name for name, service in self.services.items() if not service.profiles]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ComposeModel:
        """From ``docker compose config --format json``."""
        services: dict[str, ComposeService] = {}
        for name, raw in (config.get("services") or {}).items():
            ports: list[int] = []
            for port in raw.get("ports") or []:
                target = port.get("target") if isinstance(port, dict) else str(port).rsplit(":", 1)[-1]
                if target is not None and str(target).split("/")[0].isdigit():
                    ports.append(int(str(target).split("/")[0]))
            for exposed in raw.get("expose") or []:
                first = str(exposed).split("/")[0].split("-")[0]
                if first.isdigit():
                    ports.append(int(first))
            networks = raw.get("networks")
            names = tuple(networks) if isinstance(networks, dict | list) else ()
            services[name] = ComposeService(
                name=name,
                image=raw.get("image"),
                build=raw.get("build"),
                ports=tuple(dict.fromkeys(ports)),
                networks=names or ("default",),
                has_container_name=bool(raw.get("container_name")),
                profiles=tuple(str(p) for p in raw.get("profiles") or ()),
            )

        def own(section: str) -> tuple[str, ...]:
            entries = config.get(section) or {}
            return tuple(n for n, v in entries.items() if not (v or {}).get("external"))

        return cls(services=services, networks=own("networks"), volumes=own("volumes"))


@dataclass(frozen=True)
class ProxyPlan:
    """One Toxiproxy proxy: its name (the plan's link), where it listens in the replica, its upstream."""

    name: str
    listen_port: int
    upstream: str
    consumers: tuple[str, ...]
    env: Mapping[str, str]

    @property
    def address(self) -> str:
        """``host:port`` the consumer connects to instead of the upstream."""
        return f"{TOXIPROXY_SERVICE}:{self.listen_port}"


def proxy_plans(plan: Plan) -> list[ProxyPlan]:
    """The plan's links as proxies, each on its own listen port, in declaration order."""
    return [
        ProxyPlan(name, TOXIPROXY_FIRST_LISTEN_PORT + i, link.upstream, link.consumers, link.env)
        for i, (name, link) in enumerate(plan.staging_topology.links.items())
    ]


def toxiproxy_config(proxies: Sequence[ProxyPlan]) -> str:
    """Toxiproxy's ``-config`` file: every proxy enabled, listening on all interfaces of its container."""
    return json.dumps(
        [
            {"name": p.name, "listen": f"0.0.0.0:{p.listen_port}", "upstream": p.upstream, "enabled": True}
            for p in proxies
        ],
        indent=2,
    )


def sink_env(plan: Plan) -> dict[str, dict[str, str]]:
    """The variables each consumer of a notification channel gets, pointing it at the sink (by service)."""
    found: dict[str, dict[str, str]] = {}
    for i, (name, channel) in enumerate(plan.staging_topology.notifications.items()):
        values = {
            "{webhook}": f"http://{SINK_SERVICE}:{SINK_HTTP_PORT}/{name}",
            "{smtp_host}": SINK_SERVICE,
            "{smtp_port}": str(SINK_SMTP_BASE_PORT + i),
        }
        for var, template in channel.env.items():
            filled = template
            for placeholder, value in values.items():
                filled = filled.replace(placeholder, value)
            found.setdefault(channel.consumer, {})[var] = filled
    return found


def sink_environment(plan: Plan) -> dict[str, str]:
    """The sink's own variables: the plan's channels, in order (the i-th one's SMTP server on the base port + i),
    and where it listens."""
    return {
        "SINK_CHANNELS": ",".join(plan.staging_topology.notifications),
        "PORT": str(SINK_HTTP_PORT),
        "SMTP_BASE_PORT": str(SINK_SMTP_BASE_PORT),
    }


def sink_smtp_ports(plan: Plan) -> list[int]:
    """The sink's SMTP ports, one per channel of the plan (a channel of webhooks leaves its port unused)."""
    return [SINK_SMTP_BASE_PORT + i for i in range(len(plan.staging_topology.notifications))]


def needed_ports(plan: Plan, model: ComposeModel) -> dict[str, list[int]]:
    """Container ports to publish on 127.0.0.1, per service: the ones it declares and the ones the plan names."""
    wanted: dict[str, list[int]] = {name: list(s.ports) for name, s in model.services.items()}
    for name, service in model.services.items():
        if service.image == PROVIDER_SIM_IMAGE and PROVIDER_SIM_PORT not in wanted[name]:
            wanted[name].append(PROVIDER_SIM_PORT)  # provider faults are set through its admin API
    topo = plan.staging_topology
    templates = [r.ready for r in topo.services.values()]
    if topo.system is not None:
        system = topo.system
        if system.write is not None:
            templates.append(system.write.request.url)
        if system.probe is not None:
            templates += [p.url for p in (system.probe.read_back, system.probe.health) if p is not None]
        if system.final_read is not None and system.final_read.url is not None:
            templates.append(system.final_read.url)
        templates += [s.url for s in system.signals.values() if s.url is not None]
    for scenario in plan.scenarios.values():
        for step in scenario.recovery:
            if step.action is not None and step.action.http is not None:
                templates.append(step.action.http.url)
    for template in templates:
        for named, port in service_ports(template):
            if named in wanted and port not in wanted[named]:
                wanted[named].append(port)
    # drdrill reaches data stores itself (data faults, data checks): where they are, and, for a store behind a
    # link, every place a recovery may repoint that link to.
    for named, port in store_addresses(plan):
        if named in wanted and port not in wanted[named]:
            wanted[named].append(port)
    return wanted


def repoint_targets(plan: Plan) -> dict[str, list[tuple[str, int]]]:
    """Per link, every ``(service, port)`` a recovery action of some scenario may repoint it to."""
    found: dict[str, list[tuple[str, int]]] = {}
    for scenario in plan.scenarios.values():
        for step in scenario.recovery:
            repoint = step.action.repoint if step.action is not None else None
            if repoint is not None:
                found.setdefault(repoint.link, []).append((repoint.service, repoint.port))
    return found


def store_addresses(plan: Plan) -> list[tuple[str, int]]:
    """Every ``(service, port)`` a data store of the plan may be reached at during a drill."""
    topo = plan.staging_topology
    found: list[tuple[str, int]] = []
    for store in topo.data_stores.values():
        if store.service is not None and store.port is not None:
            found.append((store.service, store.port))
        elif store.link is not None and store.link in topo.links:
            link = topo.links[store.link]
            found.append((link.upstream_service, link.upstream_port))
            found += repoint_targets(plan).get(store.link, [])
    return list(dict.fromkeys(found))


def service_zones(plan: Plan) -> dict[str, tuple[str, str | None]]:
    """``service -> (component, zone)`` from the plan's components."""
    found: dict[str, tuple[str, str | None]] = {}
    for name, component in plan.components.items():
        if component.staging and component.staging.service:
            found.setdefault(component.staging.service, (name, component.zone))
    return found


def build_image_name(plan_name: str, service: str) -> str:
    """A stable local name for a service that has ``build:`` but no ``image:`` (reused across runs)."""
    safe = re.sub(r"[^a-z0-9._-]+", "-", f"{plan_name}-{service}".lower()).strip("-.")
    return f"drdrill-build/{safe}:latest"


@dataclass
class Override:
    """The generated override, as data; :meth:`render` gives the YAML text."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (service, key) whose value must replace the user's, not merge with it (rendered with !override / !reset)
    replaced: set[tuple[str, str]] = field(default_factory=set)

    def render(self) -> str:
        """YAML text: JSON flow values (valid YAML) with compose's merge-control tags where needed."""
        lines = [
            "# Generated by drdrill for one drill run; the user's compose file is not changed.",
            "services:",
        ]
        for name, settings in self.services.items():
            lines.append(f"  {json.dumps(name)}:")
            for key, value in settings.items():
                tag = ""
                if (name, key) in self.replaced:
                    tag = "!reset " if value in ([], None) else "!override "
                lines.append(f"    {key}: {tag}{json.dumps(value)}")
        for section in ("networks", "volumes"):
            entries: dict[str, dict[str, Any]] = getattr(self, section)
            if entries:
                lines.append(f"{section}:")
                lines += [f"  {json.dumps(n)}: {json.dumps(v)}" for n, v in entries.items()]
        return "\n".join(lines) + "\n"


def build_override(
    plan: Plan,
    model: ComposeModel,
    *,
    run_id: str,
    owner: str,
    host_ports: Mapping[tuple[str, int], int],
    toxiproxy_api_port: int,
    proxies_file: str,
    link_ports: Mapping[str, int] | None = None,
    pinned_images: Mapping[str, str] | None = None,
    sink_port: int | None = None,
) -> Override:
    """The override for one run; ``host_ports`` maps ``(service, container port)`` to its 127.0.0.1 port,
    ``link_ports`` a link's name to the 127.0.0.1 port of its proxy's listener, ``pinned_images`` a service
    built for this run to the id of the image built (it runs that image, whatever its tag says later), and
    ``sink_port`` is where the notification sink's HTTP side is published (when the plan has notification
    channels)."""
    labels = {LABEL_MANAGED: "true", LABEL_RUN: run_id, LABEL_OWNER: owner}
    zones = service_zones(plan)
    proxies = proxy_plans(plan)
    notified = sink_env(plan)
    out = Override()
    for name, service in model.services.items():
        settings: dict[str, Any] = {"init": True, "pull_policy": "never"}
        component, zone = zones.get(name, (None, None))
        settings["labels"] = {
            **labels,
            **({LABEL_ZONE: zone} if zone else {}),
            **({LABEL_COMPONENT: component} if component else {}),
        }
        if service.image is None and service.build is not None:
            settings["image"] = build_image_name(plan.name, name)
        if pinned_images and name in pinned_images:
            settings["image"] = pinned_images[name]
        published = sorted((inner, outer) for (svc, inner), outer in host_ports.items() if svc == name)
        settings["ports"] = [f"127.0.0.1:{outer}:{inner}" for inner, outer in published]
        out.replaced.add((name, "ports"))
        if service.has_container_name:
            # Fixed names would clash between runs and with the user's own stack.
            settings["container_name"] = None
            out.replaced.add((name, "container_name"))
        consumer_env = {
            var: value.replace("{proxy}", p.address)
            for p in proxies
            if name in p.consumers
            for var, value in p.env.items()
        }
        depends = {TOXIPROXY_SERVICE: {"condition": "service_started"}} if consumer_env else {}
        if name in notified:
            consumer_env.update(notified[name])
            depends[SINK_SERVICE] = {"condition": "service_started"}
        if consumer_env:
            settings["environment"] = consumer_env
            settings["depends_on"] = depends
        out.services[name] = settings
    if proxies:
        # Toxiproxy joins every network its consumers, upstreams and possible repoint targets are on.
        targets = repoint_targets(plan)
        reach = {
            n
            for p in proxies
            for s in (*p.consumers, p.upstream.rsplit(":", 1)[0], *(t for t, _ in targets.get(p.name, [])))
            if s in model.services
            for n in model.services[s].networks
        }
        out.services[TOXIPROXY_SERVICE] = {
            "image": TOXIPROXY_IMAGE,
            "pull_policy": "never",
            "init": True,
            "command": [
                "/usr/local/bin/toxiproxy-server",
                "-host",
                "0.0.0.0",
                "-port",
                str(TOXIPROXY_API_PORT),
                "-config",
                PROXIES_IN_CONTAINER,
            ],
            "volumes": [f"{proxies_file}:{PROXIES_IN_CONTAINER}:ro"],
            # Toxiproxy dials each upstream inside a link's accept loop with no timeout, and its API waits for
            # that loop to change the link. A dial under way when a zone lost power (its SYN never answered)
            # held a repoint 20 s in CI runs: the kernel's default 6 SYN retries last 127 s. One retry fails
            # such a dial after about 3 s (this container's network namespace only; a live upstream answers
            # in milliseconds).
            "sysctls": {"net.ipv4.tcp_syn_retries": str(TOXIPROXY_SYN_RETRIES)},
            # The API, and each link's listener: drdrill samples a link's own traffic through it (loopback only).
            "ports": [
                f"127.0.0.1:{toxiproxy_api_port}:{TOXIPROXY_API_PORT}",
                *(
                    f"127.0.0.1:{(link_ports or {})[p.name]}:{p.listen_port}"
                    for p in proxies
                    if p.name in (link_ports or {})
                ),
            ],
            "networks": sorted(reach),
            "labels": {**labels, LABEL_COMPONENT: "drdrill-toxiproxy"},
            "stop_grace_period": "1s",
        }
    if notified:
        out.services[SINK_SERVICE] = {
            "image": SINK_IMAGE,
            "pull_policy": "never",
            "init": True,
            "environment": sink_environment(plan),
            # The drill reads the messages here (loopback only); the consumers reach it on the replica's network.
            "ports": [f"127.0.0.1:{sink_port}:{SINK_HTTP_PORT}"] if sink_port is not None else [],
            "networks": sorted({n for consumer in notified for n in model.services[consumer].networks}),
            "labels": {**labels, LABEL_COMPONENT: SINK_SERVICE},
            "stop_grace_period": "1s",
        }
    used = {n for s in model.services.values() for n in s.networks}
    for extra in (TOXIPROXY_SERVICE, SINK_SERVICE):
        if extra in out.services:
            used |= set(out.services[extra]["networks"])
    for network in sorted(used):
        if network == "default" or network in model.networks:
            out.networks[network] = {"labels": labels}
    for volume in model.volumes:
        out.volumes[volume] = {"labels": labels}
    return out
