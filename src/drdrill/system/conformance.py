"""A conformance check every :class:`~drdrill.system.DrillSystem` must pass, shipped for system authors.

Run it from your own test against your running stack (or a fake), the way drdrill runs it against its own
systems and test fakes::

    from drdrill.system.conformance import assert_conforms
    assert_conforms(MySystem.from_plan(plan), SystemContext(replica, clock, plan, "conformance"))

It calls every part of the contract the way a drill does and reports each way the system breaks it: a write
that raises or answers an outcome that is not ok/fail/info, a probe that overruns its timeout, a final read
whose done units are not held or that does not hold a unit the system acknowledged, signals that are not
strings, a close that is not safe twice.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from drdrill.clock import Clock
from drdrill.system.contract import (
    AsyncWrites,
    DrillSystem,
    FinalRead,
    NotDeclared,
    ProbeResult,
    SignalMeaning,
    SystemContext,
    WriteResult,
)
from drdrill.units import NS_PER_S

OUTCOMES = ("ok", "fail", "info")
PROBE_GRACE_S = 0.5  # a probe may finish this much after its timeout (the answer in flight), never more
READ_BACK_S = 5.0  # how long an acknowledged unit may take to show in the final read (an async system)
CONCURRENT_WRITES = 4


@dataclass
class Conformance:
    """What the check saw: each broken rule, and each rule checked."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_conformance(
    system: DrillSystem, context: SystemContext, probe_timeout_s: float = 2.0
) -> Conformance:
    """Call every part of the contract as a drill does, against a running replica; gather what breaks it."""
    out = Conformance()
    clock = context.clock

    def rule(name: str, problem: str | None) -> None:
        out.checked.append(name)
        if problem is not None:
            out.problems.append(f"{name}: {problem}")

    rule("close before open is safe", _raises(system.close))
    payloads = _call(system.payloads)
    rule("payloads", _payloads_problem(payloads))
    meanings = _call(system.signal_meanings)
    rule("signal_meanings", _meanings_problem(meanings))
    system.open(context)
    try:
        payload = payloads[0] if isinstance(payloads, Sequence) and payloads else "conformance"
        unit = f"{context.run_id}-conformance-000001"
        written = _call(lambda: system.write(unit, str(payload)))
        rule("write answers ok, fail or info and never raises", _write_problem(written))
        errors: list[str] = []

        def write_more(n: int) -> None:
            try:
                result = system.write(f"{context.run_id}-conformance-{n + 2:06d}", str(payload))
                if not isinstance(result, WriteResult):
                    errors.append(f"write from thread {n} answered {result!r}")
            except Exception as exc:
                errors.append(f"write from thread {n} raised {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=write_more, args=(n,)) for n in range(CONCURRENT_WRITES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        rule("writes from several threads at once", "; ".join(errors) or None)
        if isinstance(system, AsyncWrites):
            rule(
                "write_async answers as write does, and close_async is safe twice",
                _async_problem(system, context),
            )
        started = clock.monotonic_ns()
        probed = _call(
            lambda: system.probe(f"{context.run_id}-conformance-probe", str(payload), probe_timeout_s)
        )
        took_s = (clock.monotonic_ns() - started) / NS_PER_S
        rule(
            "probe answers a ProbeResult within its timeout", _probe_problem(probed, took_s, probe_timeout_s)
        )
        acknowledged = isinstance(written, WriteResult) and written.outcome == "ok"
        rule("final read", _final_read_problem(system, clock, unit if acknowledged else None))
        signals = _call(system.signals)
        rule("signals are strings by name", _signals_problem(signals))
    finally:
        system.close()
    rule("close is safe twice", _raises(system.close))
    return out


def _async_problem(system: AsyncWrites, context: SystemContext) -> str | None:
    """One awaited write on an event loop of its own, then the async close, twice."""

    async def write() -> object:
        try:
            return await system.write_async(f"{context.run_id}-conformance-async", "conformance")
        except Exception as exc:
            return _Raised(exc)
        finally:
            await system.close_async()
            await system.close_async()

    try:
        found = asyncio.run(write())
    except Exception as exc:  # close_async raised
        return f"close_async raised {type(exc).__name__}: {exc}"
    return _write_problem(found)


def assert_conforms(system: DrillSystem, context: SystemContext, probe_timeout_s: float = 2.0) -> None:
    """Raise AssertionError listing every rule ``system`` breaks."""
    found = check_conformance(system, context, probe_timeout_s)
    if not found.ok:
        raise AssertionError(
            f"{type(system).__name__} breaks the system contract:\n- " + "\n- ".join(found.problems)
        )


class _Raised:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"raised {type(self.error).__name__}: {self.error}"


def _call(action: Callable[[], object]) -> object:
    try:
        return action()
    except NotDeclared:
        raise
    except Exception as exc:
        return _Raised(exc)


def _raises(action: Callable[[], object]) -> str | None:
    found = _call(action)
    return repr(found) if isinstance(found, _Raised) else None


def _payloads_problem(found: object) -> str | None:
    if isinstance(found, _Raised):
        return repr(found)
    if isinstance(found, str) or not isinstance(found, Sequence) or not found:
        return f"should be a non-empty sequence of strings, got {found!r}"
    if not all(isinstance(p, str) for p in found):
        return f"every payload should be a string, got {found!r}"
    return None


def _meanings_problem(found: object) -> str | None:
    if isinstance(found, _Raised):
        return repr(found)
    if not isinstance(found, Mapping):
        return f"should be a mapping of signal name to SignalMeaning, got {found!r}"
    wrong = [name for name, meaning in found.items() if not isinstance(meaning, SignalMeaning)]
    return f"not a SignalMeaning: {', '.join(map(str, wrong))}" if wrong else None


def _write_problem(found: object) -> str | None:
    if isinstance(found, _Raised):
        return f"{found!r} (an answer of the system is a WriteResult; only drdrill's own bugs raise)"
    if not isinstance(found, WriteResult):
        return f"should return a WriteResult, got {found!r}"
    if found.outcome not in OUTCOMES:
        return f"outcome {found.outcome!r} is not one of {', '.join(OUTCOMES)}"
    return None


def _probe_problem(found: object, took_s: float, timeout_s: float) -> str | None:
    if isinstance(found, _Raised):
        return repr(found)
    if not isinstance(found, ProbeResult):
        return f"should return a ProbeResult, got {found!r}"
    if took_s > timeout_s + PROBE_GRACE_S:
        return f"took {took_s:.2f} s, over its timeout of {timeout_s:g} s"
    return None


def _final_read_problem(system: DrillSystem, clock: Clock, acknowledged: str | None) -> str | None:
    deadline = clock.monotonic_ns() + round(READ_BACK_S * NS_PER_S)
    while True:
        try:
            read = system.final_read()
        except NotDeclared:
            return None  # a system without a final read leaves data loss "not measured", which is honest
        except Exception as exc:
            return f"raised {type(exc).__name__}: {exc}"
        if not isinstance(read, FinalRead):
            return f"should return a FinalRead, got {read!r}"
        if not read.done <= read.held:
            return f"done units that are not held: {sorted(read.done - read.held)[:5]}"
        if acknowledged is None or acknowledged in read.held:
            return None
        if clock.monotonic_ns() >= deadline:
            return f"the acknowledged unit {acknowledged!r} is not held {READ_BACK_S:g} s later"
        clock.sleep(0.1)


def _signals_problem(found: object) -> str | None:
    if isinstance(found, _Raised):
        return repr(found)
    if not isinstance(found, Mapping):
        return f"should be a mapping, got {found!r}"
    wrong = {k: v for k, v in found.items() if not isinstance(k, str) or not isinstance(v, str)}
    return f"not strings: {wrong!r}" if wrong else None
