"""Zone and region loss: every container of a place lost at once, in the mode the scenario picks.

Which containers are in a zone comes from the plan's components (their ``zone`` and ``staging.service``), and a
region's zones from the plan's ``regions``; never from service names.

- ``power``: every container there is cut from its networks first (peers see silence, as after a real power cut,
  not the fast reset a killed process sends), then killed (SIGKILL; volumes kept). Reverting attaches them again
  and starts them. (Cutting the networks rather than black-holing the links with Toxiproxy ``timeout`` toxics:
  lifting such a toxic while connections are held in it can hang Toxiproxy's API, Shopify/toxiproxy#558.)
- ``freeze``: every container there is paused: connections are accepted and never answered (a hang, not a
  power cut); reverting unpauses them, and their state resumes.
- ``isolate``: the containers keep running, cut from every network (a partition); reverting attaches them again
  under the same names.
- ``drain``: the soft loss, a zone emptied on purpose (maintenance, a zone being retired): each container there
  is stopped gracefully (SIGTERM, SIGKILL after the stop fault's 2 s), in-flight work finishing if it can;
  reverting starts them. On Kubernetes the zone's nodes are cordoned and the drill's pods evicted, so their
  controllers make them again in the zones left; compose has nowhere else to put them.

A place that does not come back (``comes_back: false``, the default for a region) is not reverted: it stays lost
until the drill removes the replica. No link is touched: clients of a lost place see it go silent by themselves,
and a recovery that repoints a link moves it to a place that is still there.
"""

from __future__ import annotations

from collections.abc import Callable

import docker.errors

from drdrill.errors import DrdrillError, FaultError, UnsupportedFaultError
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.faults.container import STOP_TIMEOUT_S, bring_back
from drdrill.plan import Plan
from drdrill.plan.faults import Fault, LossMode, RegionLoss, ZoneLoss
from drdrill.staging.backend import NodeZones, ReplicaControl

PLACE_KINDS = frozenset({"zone_loss", "region_loss"})


def services_in(plan: Plan, zones: frozenset[str]) -> list[str]:
    """The compose services of the plan's components placed in ``zones``, in declaration order."""
    found = [
        c.staging.service
        for c in plan.components.values()
        if c.zone in zones and c.staging is not None and c.staging.service
    ]
    return list(dict.fromkeys(found))


class PlaceLoss:
    """Every container of one zone or region lost at once (see the module's docstring for the modes)."""

    def __init__(
        self,
        *,
        kind: str,
        place: str,
        services: list[str],
        mode: LossMode,
        comes_back: bool,
        replica: ReplicaControl,
        zones: frozenset[str] = frozenset(),
    ) -> None:
        self._kind = kind
        self._place = place
        self._zones = zones or frozenset({place})
        self._on_nodes_stopped: tuple[str, ...] | None = None  # where zones are nodes: what the loss stopped
        self.services = tuple(services)
        self._mode = mode
        self._comes_back = comes_back
        self._replica = replica

    @property
    def label(self) -> str:
        stays = "" if self._comes_back else ", does not come back"
        return f"{self._kind} {self._place} ({self._mode}{stays}: {', '.join(self.services)})"

    @property
    def target(self) -> str:
        return self._place

    @property
    def stops(self) -> tuple[str, ...]:
        """A power cut kills the place's containers and a drain stops them; frozen or isolated ones keep running.
        Where zones are nodes, the services whose pods ran on the lost nodes, known once it is applied."""
        if self._mode not in ("power", "drain"):
            return ()
        return self.services if self._on_nodes_stopped is None else self._on_nodes_stopped

    def apply(self) -> None:
        nodes = self._nodes()
        if nodes is not None:

            def lose() -> None:
                self._on_nodes_stopped = tuple(nodes.lose_zones(self._zones, self._mode))

            self._on_nodes(lose, "lose")
            return
        if self._mode in ("power", "isolate"):
            self._each(self._cut, "lose")
        self._each(self._act, "lose")

    def revert(self) -> None:
        if not self._comes_back:
            return  # the place stays lost; the replica goes with it at teardown
        nodes = self._nodes()
        if nodes is not None:
            self._on_nodes(lambda: nodes.restore_zones(self._zones), "bring back")
            return
        if self._mode in ("power", "isolate"):
            self._each(self._cut, "bring back")
        self._each(self._act, "bring back")

    def _nodes(self) -> NodeZones | None:
        """The back-end when its zones are nodes (Kubernetes): then the zone's nodes are lost, and with them
        whatever the scheduler placed there."""
        found = getattr(self._replica, "node_zones", None)
        try:
            return found() if callable(found) else None
        except LookupError:
            return None  # not running: the per-service path says so in its own words

    def _on_nodes(self, act: Callable[[], object], what: str) -> None:
        try:
            act()
        except (LookupError, DrdrillError, RuntimeError) as exc:
            raise FaultError(f"could not {what} the nodes of {self._place} ({self.label}): {exc}") from exc

    def _each(self, act: Callable[[str, str], None], what: str) -> None:
        """``act`` on every service of the place, one engine call after another. (Together, in threads, the
        place went faster, but the run's Toxiproxy then hung when a link into the place was later moved:
        drills showed it twice in two runs, never in turn.)"""
        for service in self.services:
            act(service, what)

    def _cut(self, service: str, what: str) -> None:
        try:
            if what == "lose":
                self._replica.disconnect(service)
            else:
                self._replica.reconnect(service)
        except (docker.errors.APIError, LookupError) as exc:
            raise FaultError(f"could not {what} the networks of {service} ({self.label}): {exc}") from exc

    def _act(self, service: str, what: str) -> None:
        if self._mode == "isolate":
            return  # cut from its networks, and running
        try:
            container = self._replica.container(service)
            container.reload()
            if what == "bring back":
                bring_back(container)
            elif self._mode == "power" and container.status in ("running", "paused"):
                container.kill()
            elif self._mode == "freeze" and container.status == "running":
                container.pause()
            elif self._mode == "drain" and container.status in ("running", "paused"):
                container.stop(timeout=STOP_TIMEOUT_S)
        except (docker.errors.APIError, LookupError) as exc:
            raise FaultError(f"could not {what} {service} ({self.label}): {exc}") from exc


class PlaceFamily:
    """Zone and region loss, on the containers the plan places there."""

    kinds = PLACE_KINDS

    def build(self, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        plan = targets.plan
        if isinstance(fault, ZoneLoss):
            zones = frozenset({fault.zone})
        elif isinstance(fault, RegionLoss):
            region = plan.regions.get(fault.region)
            zones = frozenset(region.zones if region is not None else ())
        else:
            raise TypeError(f"not a zone or region fault: {fault.kind!r}")
        services = services_in(plan, zones)
        if not services:
            raise UnsupportedFaultError(
                f"{targets.where}: fault {fault.kind!r} loses {fault.target!r}, where no component of plan.yaml "
                "has a staging service, so there is nothing to lose; place components there with `zone:` and "
                "`staging: {service: ...}`"
            )
        return PlaceLoss(
            kind=fault.kind,
            place=fault.target,
            services=services,
            mode=fault.mode,
            comes_back=fault.comes_back,
            replica=targets.replica,
            zones=zones,
        )
