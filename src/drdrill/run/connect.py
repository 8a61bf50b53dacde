"""Stack-start: the replica started and connected to, before any load.

Start the replica, open the system and start the warm-up's probe, watch the replica (a container that goes down
by itself is journalled; a dead Toxiproxy ends the drill), connect Toxiproxy, read once (a final read that
cannot work is an ERROR in seconds), and start the observers. Each thing acquired pushes its undo.
"""

from __future__ import annotations

import threading
from functools import partial

from drdrill import datastores
from drdrill.errors import StagingError
from drdrill.journal import CONTAINER, HOST, Kind, Type
from drdrill.measure.objectives import criteria, link_of
from drdrill.probes import CanaryProbe, LinkProbe, NotificationReader, Observer, SystemSignals, payloads_of
from drdrill.run.context import DrillContext
from drdrill.run.warmup import start_warmup_probe
from drdrill.staging.override import SINK_HTTP_PORT, SINK_SERVICE, TOXIPROXY_SERVICE
from drdrill.staging.watch import ContainerEvent
from drdrill.system import NotDeclared, SystemContext
from drdrill.workload import Workload

SIGNAL_POLL_S = 0.2
IMAGE_IDS_TIMEOUT_S = 30.0


def start_replica(ctx: DrillContext) -> None:
    """Start the replica and connect to it: Toxiproxy, the system, then the observers."""
    stack = ctx.stack
    ctx.settings.log(f"starting staging replica {stack.project} from {stack.compose_file}")
    # The data stores' client libraries load while compose starts the containers (it waits, this does not).
    threading.Thread(
        target=datastores.prefetch, args=(ctx.plan,), name="drdrill-prefetch", daemon=True
    ).start()
    stack.start()
    ctx.replica.attach(stack)
    injector = ctx.prepared.injector
    ctx.system.open(
        SystemContext(ctx.replica, ctx.clock, ctx.plan, ctx.settings.run_id, stack.secrets, injector.stores)
    )
    ctx.undo.push("close the system", ctx.system.close, _close_problem)
    # The warm-up's probes go now: a system's first answers are its slowest (imports, pools, an SDK's first
    # request), and they run while the rest is connected instead of after it.
    start_warmup_probe(ctx)
    watcher = stack.watch(partial(_on_container, ctx), partial(_on_watch_error, ctx))
    ctx.undo.push("stop watching the replica", watcher.stop)
    ctx.undo.push("close the fault clients", injector.close)
    if stack.proxies:
        ctx.environment["toxiproxy"] = injector.connect(*stack.toxiproxy_address)
    _collect_image_ids(ctx)
    _check_final_read(ctx)
    record_host(ctx)
    for observer in _observers(ctx):
        observer.start()
        ctx.observers[observer.thread_name] = (
            observer,
            ctx.undo.push(f"stop {observer.thread_name}", observer.stop),
        )


def record_host(ctx: DrillContext) -> None:
    """Journal how busy the host is (its CPU counters and load), where /proc tells: the drill's timings are
    only as good as the cores it got (measure/host.py judges the host from two such samples)."""
    found = ctx.settings.host_sample()
    if found is not None:
        ctx.journal.record(Kind.NOTE, Type.INFO, HOST, data=found)


def _collect_image_ids(ctx: DrillContext) -> None:
    """Each service's image id, for the scorecard, asked of the engine while the drill goes on (the answer takes
    a few hundred ms, which the baseline's wait covers); kept in the environment before the replica is removed."""
    found: dict[str, str] = {}
    failed: list[BaseException] = []

    def collect() -> None:
        try:
            found.update(ctx.stack.images())
        except Exception as exc:
            failed.append(exc)

    thread = threading.Thread(target=collect, name="drdrill-image-ids", daemon=True)
    thread.start()

    def keep() -> None:
        thread.join(IMAGE_IDS_TIMEOUT_S)
        if failed:
            raise failed[0]
        ctx.environment["images"] = found

    ctx.undo.push("record the replica's image ids", keep)


def _on_container(ctx: DrillContext, event: ContainerEvent) -> None:
    """Journal what the engine said of a container; a dead Toxiproxy ends the drill (its faults are gone)."""
    data: dict[str, object] = {"action": event.action}
    if event.exit_code is not None:
        data["exit_code"] = event.exit_code
    if event.engine_ns is not None:
        data["engine_ns"] = event.engine_ns
    ctx.journal.record(Kind.REPLICA, Type.INFO, CONTAINER, value=event.service, data=data)
    if event.service == TOXIPROXY_SERVICE and event.action in ("die", "oom") and ctx.fatal is None:
        code = f" (code {event.exit_code})" if event.exit_code is not None else ""
        ctx.fatal = (
            f"the run's Toxiproxy exited{code}: the links' faults can be neither held nor measured, so the drill "
            "stopped; a process on this machine may have killed it (its API is open on 127.0.0.1)"
        )


def _on_watch_error(ctx: DrillContext, message: str) -> None:
    ctx.journal.record(Kind.NOTE, Type.FAIL, "replica-watch", data={"problem": message[:500]})


def _check_final_read(ctx: DrillContext) -> None:
    """Read once before any load or fault: a final read that cannot work (a port the plan never names, a
    wrong path, a store it cannot reach) is a set-up mistake to report in seconds, not a FAILED drill a minute
    later with its data figures unknown."""
    try:
        ctx.system.final_read()
    except NotDeclared:
        return  # no final read: the data figures say "not measured", which is honest
    except Exception as exc:
        raise StagingError(
            f"the system's final read fails on the fresh replica, before any fault: {type(exc).__name__}: {exc}"[
                :1000
            ]
            + "; fix the final read (staging_topology.system.final_read, or your system's final_read()) and "
            "drill again"
        ) from exc


def remove_replica(ctx: DrillContext) -> None:
    """Remove the replica (or, if it never started, its temporary files) and say what went."""
    stack = ctx.stack
    was_started = stack.started
    removed = stack.stop()
    if was_started:
        ctx.cleanup.append(f"replica {stack.project} removed")
    if removed:
        ctx.cleanup.append(f"{removed} object(s) left by compose were removed by label")
    ctx.cleanup.extend(stack.teardown_notes)


def _close_problem(what: str, exc: BaseException) -> str:
    return f"the system's close() raised {type(exc).__name__}: {exc}"


def _observation_budget_s(ctx: DrillContext) -> float:
    s = ctx.scenario.staging
    return (
        s.warmup + s.baseline + s.recovery_bound + s.steady_window + s.probe_timeout * 2 + s.drain_timeout
    ).total_seconds()


def _observers(ctx: DrillContext) -> list[Observer]:
    s = ctx.scenario.staging
    budget = _observation_budget_s(ctx)
    run_id, system, journal, clock = ctx.settings.run_id, ctx.system, ctx.journal, ctx.clock
    payloads = payloads_of(system)
    interval_s = s.probe_interval.total_seconds()
    timeout_s = s.probe_timeout.total_seconds()
    links: list[Observer] = []
    for component in sorted(
        {c.component for c in criteria(ctx.scenario, ctx.plan) if c.component is not None}
    ):
        link = link_of(ctx.plan, component)
        assert link is not None  # a criterion is measured on a component only through its link
        mode = ctx.plan.staging_topology.links[link].probe
        address = partial(ctx.stack.link_address, link)
        links.append(
            LinkProbe(system, journal, clock, component, address, mode, interval_s, timeout_s, budget)
        )
    channels = ctx.plan.staging_topology.notifications
    if channels:
        roles = {name: channel.role for name, channel in channels.items()}
        sink = partial(ctx.replica.url, SINK_SERVICE, SINK_HTTP_PORT)
        links.append(NotificationReader(system, journal, clock, sink, roles, SIGNAL_POLL_S, budget))
    return [
        *links,
        SystemSignals(system, journal, clock, system.signal_meanings(), SIGNAL_POLL_S, budget),
        CanaryProbe(
            system, journal, clock, run_id, payloads, interval_s, s.probe_timeout.total_seconds(), budget
        ),
        Workload(
            system,
            journal,
            clock,
            run_id,
            payloads,
            s.workload_rate,
            budget,
            # Writes land between the probes, not on them: every sample narrows when a change happened.
            offset_s=min(1 / s.workload_rate, interval_s) / 2,
        ),
    ]
