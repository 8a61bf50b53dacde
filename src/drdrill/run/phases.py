"""The phases of a drill between preflight and teardown, each a small function of the drill's context.

    sweep -> stack-start (run/connect.py) -> warm-up (run/warmup.py) -> baseline -> fault (inject, recovery steps, hold, revert) -> drain -> final-read

Whoever acquires or applies something pushes its undo; the fault and drain phases release what they undo on
the normal path. Each phase is journalled by the runner, which treats its outcome as a value.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from drdrill.datastores import StoreError
from drdrill.errors import DrdrillError
from drdrill.faults import InjectedFault, Reports, StopsServices, Traced
from drdrill.faults.network import ProxyDown, ProxyToxic
from drdrill.journal import (
    DATA_CHECK,
    DONE_TWICE,
    FAULT_MOMENT,
    FAULT_REPORT,
    FINAL_READ,
    REPORT,
    SKIPPED,
    STOPS,
    TRACE,
    Kind,
    Type,
)
from drdrill.measure.ledger import build_ledger
from drdrill.measure.objectives import notice_objectives
from drdrill.measure.timeline import fault_window, probe_results, within
from drdrill.plan.faults import FaultWaitFor
from drdrill.probes import CanaryProbe
from drdrill.run import verification
from drdrill.run.connect import record_host
from drdrill.run.context import DrillContext
from drdrill.run.hold import hold_until_steady
from drdrill.run.steps import StepRunner
from drdrill.system import NotDeclared
from drdrill.system.jsonpath import PathNotFound
from drdrill.undo import Undo
from drdrill.units import NS_PER_S, ns
from drdrill.workload import Workload

DRAIN_POLL_S = 0.1  # how soon the drain sees the last unit done (one final read per poll)


def sweep(ctx: DrillContext) -> None:
    """Remove what killed runs left behind (containers, networks, volumes, temporary files)."""
    removed = ctx.stack.sweep()
    if removed:
        ctx.journal.record(Kind.NOTE, Type.INFO, "sweep", data={"removed": removed})


def _fault_problem(what: str, exc: BaseException) -> str:
    return f"FAULT NOT REVERTED: {type(exc).__name__}: {exc}"


def baseline(ctx: DrillContext) -> None:
    """The baseline, ending at a random instant of a probe interval: a real outage does not start just after a
    sample, so the fault should not either (at a fixed phase every error would be the worst one).

    The instant is ``share`` of an interval after a steady-state probe's due time, the first such instant once
    the declared baseline has passed: the warm-up ends whenever its probes said the system answers, not on the
    steady-state probe's schedule, so the phase is taken from that schedule itself."""
    s = ctx.scenario.staging
    share = ctx.settings.fault_phase
    if share is None:
        share = random.Random(ctx.settings.run_id).random()
    start_ns = ctx.clock.monotonic_ns()
    interval_ns = ns(s.probe_interval)
    end_ns = _on_probe_phase(ctx, start_ns + ns(s.baseline), round(share * interval_ns), interval_ns)
    ctx.wait((end_ns - start_ns) / NS_PER_S)
    probes = within(probe_results(ctx.journal.events()), start_ns, ctx.clock.monotonic_ns())
    ctx.steady_before_fault = bool(probes) and all(p.ok for p in probes)
    if not ctx.steady_before_fault:
        ctx.journal.record(
            Kind.NOTE, Type.INFO, SKIPPED, data={"why": "steady state did not hold before the fault"}
        )


def _on_probe_phase(ctx: DrillContext, earliest_ns: int, phase_ns: int, interval_ns: int) -> int:
    """The first instant at or after ``earliest_ns`` that lies ``phase_ns`` after a steady-state probe's due
    time (without a running probe, ``phase_ns`` after ``earliest_ns``)."""
    found = ctx.observers.get(CanaryProbe.thread_name)
    if found is None:
        return earliest_ns + phase_ns
    first_ns = found[0].due_ns(1) + phase_ns
    behind = max(0, earliest_ns - first_ns)
    return first_ns + -(-behind // interval_ns) * interval_ns


def fault(ctx: DrillContext) -> None:
    """Apply every fault, run the recovery steps, hold until steady state is back (or the bound), revert."""
    s = ctx.scenario.staging
    journal = ctx.journal
    reverts: list[Undo] = []
    start_ns: int | None = None
    injector = ctx.prepared.injector
    for injected, declared in zip(injector.faults, injector.declared, strict=True):
        if declared.wait_for is not None:
            _await_moment(ctx, declared.wait_for, injected.label)
        # Stamped before apply(): a fault may act before the call returns (a kill does), and starting the clock
        # early can only make the measured times longer, never flatter the system.
        stops = list(injected.stops) if isinstance(injected, StopsServices) else []
        started = journal.record(
            Kind.FAULT,
            Type.START,
            injected.label,
            value=injected.target,
            data={STOPS: stops} if stops else None,
        ).t_ns
        start_ns = started if start_ns is None else start_ns
        # Pushed before apply(): a fault that half-applied and raised is reverted too (reverting is always safe).
        reverts.append(ctx.undo.push(f"revert {injected.label}", _revert(ctx, injected), _fault_problem))
        injected.apply()
        if isinstance(injected, StopsServices) and list(injected.stops) != stops:
            # what it stopped is known only now (the containers mounting a lost volume)
            journal.record(
                Kind.FAULT,
                Type.INFO,
                injected.label,
                value=injected.target,
                data={STOPS: list(injected.stops)},
            )
    assert start_ns is not None  # preflight refuses a scenario without faults
    bound_ns = start_ns + ns(s.recovery_bound)
    _steps(ctx).run(ctx.prepared.steps, "recovery", bound_ns)
    hold_until_steady(
        ctx.check,
        ctx.journal,
        ctx.clock,
        start_ns,
        bound_ns + ns(s.steady_window) + ns(s.probe_timeout),
        ns(s.steady_window),
    )
    for entry in reversed(reverts):
        ctx.undo.release(entry)


def _await_moment(ctx: DrillContext, wait: FaultWaitFor, label: str) -> None:
    """Wait until the system's signal says the moment the fault waits for has come; the drill stops when it
    never does (a disaster that could not land when the scenario says proves nothing)."""
    started = ctx.clock.monotonic_ns()
    deadline = started + ns(wait.timeout)
    match = wait.match
    last = "nothing read yet"
    while True:
        try:
            raw = ctx.system.signals().get(wait.signal)
        except Exception as exc:  # a signal that cannot be read is not the moment yet
            raw, last = None, f"unreadable ({type(exc).__name__})"
        else:
            last = repr(raw)
        try:
            ready = raw is not None and match.matches(raw)
        except PathNotFound:
            ready = False
        if ready:
            waited = (ctx.clock.monotonic_ns() - started) / NS_PER_S
            data = {"fault": label, "until": wait.describe(), "waited_s": round(waited, 3), "value": raw}
            ctx.journal.record(Kind.NOTE, Type.INFO, FAULT_MOMENT, data=data)
            return
        if ctx.clock.monotonic_ns() >= deadline:
            raise DrdrillError(
                f"{label} waits for {wait.describe()}, and it never was within "
                f"{wait.timeout.total_seconds():g} s (last: {last}); the fault was not applied"
            )
        ctx.wait(wait.poll.total_seconds())


def _revert(ctx: DrillContext, injected: InjectedFault) -> Callable[[], None]:
    def revert() -> None:
        if ctx.fatal is not None and isinstance(injected, ProxyDown | ProxyToxic):
            # Toxiproxy is gone, and every toxic with it: nothing is left to revert, and saying it failed
            # would only repeat the one error that stopped the drill.
            why = {"note": "not reverted: the run's Toxiproxy is gone, and its faults with it"}
            ctx.journal.record(Kind.FAULT, Type.END, injected.label, value=injected.target, data=why)
            return
        injected.revert()
        data = {TRACE: dict(injected.trace())} if isinstance(injected, Traced) else None
        ctx.journal.record(Kind.FAULT, Type.END, injected.label, value=injected.target, data=data)
        # After the end's stamp: the count may wait for calls the fault caught to end (a call cut mid-answer
        # just after the revert), and that wait is no part of the fault's time in place.
        report = dict(injected.report()) if isinstance(injected, Reports) else {}
        if report:
            said = {"fault": injected.label, REPORT: report}
            ctx.journal.record(Kind.NOTE, Type.INFO, FAULT_REPORT, value=injected.target, data=said)

    return revert


def _steps(ctx: DrillContext) -> StepRunner:
    return StepRunner(ctx.plan, ctx.journal, ctx.clock, ctx.replica, ctx.system)


def drain(ctx: DrillContext) -> None:
    """Stop the writes, run the after-revert steps, then wait until every acknowledged unit is done (or the
    drain times out); write the golden set (:func:`verification.submit_golden_set`), wait for the client
    notices still due; then stop the probes and the signal poll."""
    ctx.stop_observer(Workload.thread_name)
    deadline = ctx.clock.monotonic_ns() + ns(ctx.scenario.staging.drain_timeout)
    _steps(ctx).run(ctx.prepared.steps, "failback", deadline)
    _await_drained(ctx, deadline)
    verification.submit_golden_set(ctx)  # processed while the notices are waited for; verify scores it
    _await_notices(ctx, deadline)
    for name in list(ctx.observers):
        ctx.stop_observer(name)
    record_host(ctx)


def _await_notices(ctx: DrillContext, deadline_ns: int) -> None:
    """Keep reading the notification sink until the latest notice deadline after the revert has passed (within
    the drain's time): a resolution notice sent in time must be seen, one never sent must be seen missing."""
    rules = notice_objectives(ctx.plan, ctx.scenario)
    window = fault_window(ctx.journal.events())
    if rules is None or not rules.has_notices or window is None or window.end_ns is None:
        return
    longest = max((r.deadline_ns for r in rules.stages if r.deadline_ns is not None), default=0)
    until = min(deadline_ns, window.end_ns + longest + ns(ctx.scenario.staging.probe_interval))
    left = until - ctx.clock.monotonic_ns()
    if left > 0:
        ctx.journal.record(
            Kind.NOTE, Type.INFO, "drain", data={"waiting_for_notices_s": round(left / 1e9, 3)}
        )
        ctx.wait(left / 1e9)


def _await_drained(ctx: DrillContext, deadline_ns: int) -> None:
    acknowledged = build_ledger(ctx.journal.events()).acknowledged
    pending: frozenset[str] = acknowledged
    while True:
        try:
            pending = acknowledged - ctx.system.final_read().done
        except NotDeclared:
            ctx.journal.record(Kind.NOTE, Type.INFO, "drain", data={"why": "no final read to wait on"})
            return
        except Exception as exc:  # the final read is judged in its own phase; here it only paces the wait
            ctx.journal.record(Kind.NOTE, Type.INFO, "drain", data={"why": f"read failed: {exc}"[:300]})
        if not pending or ctx.clock.monotonic_ns() >= deadline_ns:
            break
        ctx.wait(DRAIN_POLL_S)
    ctx.journal.record(Kind.NOTE, Type.INFO, "drain", data={"pending": len(pending)})


def final_read(ctx: DrillContext) -> None:
    """What the system holds now: the ledger's input. A read that fails leaves every figure it feeds unknown."""
    try:
        read = ctx.system.final_read()
    except NotDeclared as exc:
        why = f"not measured, because {exc}"
        ctx.journal.record(Kind.READ, Type.FAIL, FINAL_READ, data={"why": why})
        return
    except Exception as exc:  # the system's read failed: data loss is unknown, never "0 lost"
        why = f"not measured, because the final read failed: {type(exc).__name__}: {exc}"
        ctx.journal.record(Kind.READ, Type.FAIL, FINAL_READ, data={"why": why[:1000]})
        return
    data: dict[str, object] = {"held": sorted(read.held), "done": sorted(read.done), "detail": read.detail}
    if read.times_done:  # by unit: how many times; empty when nothing was done twice
        data[DONE_TWICE] = {unit: n for unit, n in read.times_done.items() if n > 1}
    ctx.journal.record(Kind.READ, Type.OK, FINAL_READ, data=data)


def verify(ctx: DrillContext) -> None:
    """What recovery left, checked for real: the scenario's data checks that have SQL (through a data store),
    then its golden set and its index's recall@k (through the system); each journalled as a check."""
    _data_checks(ctx)
    verification.golden_set(ctx)
    verification.index_recall(ctx)


def _data_checks(ctx: DrillContext) -> None:
    """Each data check with SQL: invoke, then ok or fail with the value found (info: why it did not run)."""
    stores = ctx.prepared.injector.stores
    for check in ctx.scenario.verification.data_checks:
        if check.sql is None:
            continue  # a check for the people running the recovery: the tabletop script lists it
        ctx.journal.record(Kind.CHECK, Type.INVOKE, DATA_CHECK, process=check.name, data={"sql": check.sql})
        store = check.store or stores.only_sql()
        if store is None:
            why = (
                "not run, because the plan declares no data store to run it in (or several SQL ones): add "
                "staging_topology.data_stores, or name one with the check's `store:`"
            )
            ctx.journal.record(Kind.CHECK, Type.INFO, DATA_CHECK, process=check.name, data={"why": why})
            continue
        try:
            with stores.sql(store) as db:
                rows = db.query(check.sql)
        except StoreError as exc:
            why = f"not run, because the query failed: {exc}"[:1000]
            ctx.journal.record(Kind.CHECK, Type.INFO, DATA_CHECK, process=check.name, data={"why": why})
            continue
        found = rows[0][0] if rows and rows[0] else None
        ok = found == check.expect or str(found) == str(check.expect)
        data = {"store": store, "value": _plain(found), "expect": check.expect}
        ctx.journal.record(
            Kind.CHECK, Type.OK if ok else Type.FAIL, DATA_CHECK, process=check.name, data=data
        )


def _plain(value: object) -> object:
    """A value a query returned, as JSON can hold it."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
