"""The declarative recovery actions of a scenario, built in preflight into runnables beside the Python hooks.

Each is a :class:`~drdrill.recovery.RecoveryHook` whose ``run`` carries out one action of
:mod:`drdrill.plan.actions` against the replica (:class:`~drdrill.staging.backend.ReplicaControl`), the run's
Toxiproxy and the system. It returns an :class:`ActionDone` (what it did, and data for the journal: an exec's
output, the link moved) or raises :class:`~drdrill.recovery.RecoveryStepFailed` with what went wrong; the step
runner times and journals it like any step.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import docker.errors
import httpx

from drdrill import tls
from drdrill.errors import DrdrillError, FaultError
from drdrill.faults.toxiproxy import Proxies
from drdrill.journal import Kind, Type
from drdrill.plan import RecoveryStep
from drdrill.plan.actions import (
    ExecAction,
    HttpAction,
    RecoveryAction,
    RepointAction,
    StartAction,
    WaitUntilAction,
)
from drdrill.recovery import RecoveryContext, RecoveryHook, RecoveryStepFailed
from drdrill.staging.backend import ReplicaControl
from drdrill.system.jsonpath import PathNotFound
from drdrill.templates import render
from drdrill.units import NS_PER_S

OUTPUT_KEPT = 4000  # characters of an exec's output kept in the journal (its end: where errors are)
WAIT_PROBE = "wait-until"  # the name of a probe a wait_until action runs (a probe like any other)


@dataclass(frozen=True)
class ActionDone:
    """What an action did, in words, and what the journal keeps beside it."""

    detail: str
    data: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


def _tail(text: str) -> str:
    return text[-OUTPUT_KEPT:]


TOXIPROXY_ATTEMPTS = 4


def _patiently(call: Callable[[], object]) -> None:
    """One Toxiproxy call, tried again when its API did not answer in time (it frees itself within seconds)."""
    for attempt in range(TOXIPROXY_ATTEMPTS):
        try:
            call()
            return
        except FaultError:
            if attempt == TOXIPROXY_ATTEMPTS - 1:
                raise


@dataclass(frozen=True)
class ActionRunner:
    """Carries out one declarative action; built in preflight, reaches the replica when it runs."""

    action: RecoveryAction
    replica: ReplicaControl
    proxies: Callable[[], Proxies]
    run_id: str
    probes: itertools.count[int] = field(default_factory=itertools.count, compare=False)

    def environment(self, ctx: RecoveryContext) -> dict[str, str]:
        """What an exec gets besides its own ``env``: the run id, and when the fault started (UTC, ISO 8601),
        so a restore can aim at the instant before the disaster."""
        env = {"DRDRILL_RUN_ID": self.run_id}
        started = next(
            (e for e in ctx.journal.events() if e.kind is Kind.FAULT and e.type is Type.START), None
        )
        if started is not None:
            env["DRDRILL_FAULT_UTC"] = started.utc
        return env

    def __call__(self, ctx: RecoveryContext) -> ActionDone:
        try:
            return self._run(ctx)
        except RecoveryStepFailed:
            raise
        except (DrdrillError, docker.errors.APIError, LookupError) as exc:
            raise RecoveryStepFailed(f"{self.action.describe()}: {exc}") from exc

    def _run(self, ctx: RecoveryContext) -> ActionDone:
        a = self.action
        if a.exec is not None:
            return self._exec(a.exec, ctx)
        if a.http is not None:
            return self._http(a.http, ctx)
        if a.repoint is not None:
            return self._repoint(a.repoint)
        if a.start is not None:
            return self._start(a.start, ctx)
        assert a.wait_until is not None
        return self._wait(a.wait_until, ctx)

    def _budget(self, own: timedelta, ctx: RecoveryContext) -> tuple[float, str]:
        """How long the action may take: its own timeout, or what is left of the time the drill gives its steps
        (the recovery bound, or the drain's) when that is shorter; and the words for it. A step never holds
        the fault past the drill's bound because its own timeout was longer."""
        own_s = own.total_seconds()
        left_s = (ctx.deadline_ns - ctx.clock.monotonic_ns()) / NS_PER_S
        if left_s <= 0:
            raise RecoveryStepFailed(
                f"{self.action.describe()}: not run: the time the drill gives its steps had run out"
            )
        if left_s < own_s:
            return left_s, f"{left_s:.1f} s (what was left of the time the drill gives its steps)"
        return own_s, f"{own_s:g} s"

    def _exec(self, spec: ExecAction, ctx: RecoveryContext) -> ActionDone:
        env = {**self.environment(ctx), **spec.env}
        timeout_s, within = self._budget(spec.timeout, ctx)
        result = self.replica.exec(spec.service, spec.argv, user=spec.user, env=env, timeout_s=timeout_s)
        data = {"exit_code": result.exit_code, "output": _tail(result.output)}
        last = next((line for line in reversed(result.output.splitlines()) if line.strip()), "")
        if result.exit_code is None:
            raise RecoveryStepFailed(
                f"the command in {spec.service} did not finish within {within}", data=data
            )
        if result.exit_code != 0:
            said = f": {last.strip()[:300]}" if last else ""
            raise RecoveryStepFailed(
                f"the command in {spec.service} exited {result.exit_code}{said}", data=data
            )
        return ActionDone(f"exit 0 in {spec.service}" + (f": {last.strip()[:300]}" if last else ""), data)

    def _http(self, spec: HttpAction, ctx: RecoveryContext) -> ActionDone:
        url = render(spec.url, self.replica, {})
        timeout_s, within = self._budget(spec.timeout, ctx)
        try:
            with httpx.Client(timeout=timeout_s, verify=tls.context()) as http:
                response = http.request(spec.method, url, json=spec.json_body, headers=spec.headers)
        except httpx.TimeoutException as exc:
            raise RecoveryStepFailed(f"{spec.method} {spec.url}: no answer within {within}") from exc
        except httpx.HTTPError as exc:
            raise RecoveryStepFailed(f"{spec.method} {spec.url}: {type(exc).__name__}: {exc}") from exc
        data = {"status": response.status_code, "body": _tail(response.text)}
        if response.status_code not in spec.status:
            wanted = ", ".join(str(s) for s in spec.status)
            raise RecoveryStepFailed(
                f"{spec.method} {spec.url} answered HTTP {response.status_code}, not {wanted}", data=data
            )
        said = " ".join(response.text.split())[:200]  # what the service said it did (rows rebuilt, ...)
        return ActionDone(f"HTTP {response.status_code}" + (f": {said}" if said else ""), data)

    def _repoint(self, spec: RepointAction) -> ActionDone:
        client = self.proxies()
        found = client.proxies().get(spec.link)
        if found is None:
            raise RecoveryStepFailed(f"the run's Toxiproxy has no proxy for link {spec.link!r}")
        # Toxiproxy closes every connection open through the link as it moves, so clients reconnect to the new
        # upstream rather than wait on the old one.
        _patiently(lambda: client.set_upstream(spec.link, spec.to))
        data: dict[str, object] = {"link": spec.link, "from": found.upstream, "to": spec.to}
        return ActionDone(f"link {spec.link} moved from {found.upstream} to {spec.to}", data)

    def _start(self, spec: StartAction, ctx: RecoveryContext) -> ActionDone:
        started = self.replica.start_services(spec.services, spec.profile)
        self.replica.await_ready(started, self._budget(spec.timeout, ctx)[0])
        return ActionDone(f"started {', '.join(started)}; ready", {"services": started})

    def _wait(self, spec: WaitUntilAction, ctx: RecoveryContext) -> ActionDone:
        budget_s, within = self._budget(spec.timeout, ctx)
        deadline = ctx.clock.monotonic_ns() + round(budget_s * NS_PER_S)
        poll_s = spec.poll.total_seconds()
        last = "nothing read yet"
        while True:
            if spec.probe:
                ok, last = self._probe(ctx, (deadline - ctx.clock.monotonic_ns()) / NS_PER_S)
            else:
                ok, last = self._signal(spec, ctx)
            if ok:
                return ActionDone(last)
            if ctx.clock.monotonic_ns() + round(poll_s * NS_PER_S) > deadline:
                raise RecoveryStepFailed(f"{self.action.describe()}: not so within {within}; last: {last}")
            ctx.clock.sleep(poll_s)

    def _signal(self, spec: WaitUntilAction, ctx: RecoveryContext) -> tuple[bool, str]:
        assert spec.signal is not None
        try:
            value = ctx.system.signals().get(spec.signal)
        except Exception as exc:  # a system that cannot say is not yet where we wait for it to be
            return False, f"unreadable ({type(exc).__name__})"
        try:
            ok = spec.holds(value)
        except PathNotFound:
            ok = False
        return ok, f"signal {spec.signal} is {value!r}"

    def _probe(self, ctx: RecoveryContext, left_s: float) -> tuple[bool, str]:
        # Journalled as a probe: it is a sample of steady state like the canary's, and the unit it writes is the
        # drill's own (neither lost nor unexpected in the ledger).
        probe_id = f"{self.run_id}-{WAIT_PROBE}-{next(self.probes):04d}"
        payloads = ctx.system.payloads()
        ctx.journal.record(Kind.PROBE, Type.INVOKE, WAIT_PROBE, process=probe_id)
        result = ctx.system.probe(probe_id, payloads[0] if payloads else "", max(0.1, min(left_s, 10.0)))
        ctx.journal.record(
            Kind.PROBE,
            Type.OK if result.ok else Type.FAIL,
            WAIT_PROBE,
            process=probe_id,
            data={"detail": result.detail[:500]},
        )
        return result.ok, f"probe {'passed' if result.ok else 'failed'}: {result.detail[:200]}"


@dataclass(frozen=True)
class ActionBuilder:
    """Builds the runnable of each declarative action of a scenario (in preflight)."""

    replica: ReplicaControl
    proxies: Callable[[], Proxies]
    run_id: str

    def __call__(self, step: RecoveryStep) -> RecoveryHook:
        """The step's action as a hook the step runner runs like any other."""
        assert step.action is not None
        runner = ActionRunner(step.action, self.replica, self.proxies, self.run_id)
        return RecoveryHook(runner, after_revert=step.after_revert)
