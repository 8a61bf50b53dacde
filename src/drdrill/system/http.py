"""The plan's declarative HTTP contract as a :class:`DrillSystem`: for the common JSON-over-HTTP system.

Subclass it to replace one part in Python, e.g. a final read that goes straight to the data store::

    class MySystem(HttpSystem):
        def final_read(self) -> FinalRead:
            host, port = self.replica.address("redis", 6379)
            ...
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import h11
import httpx

from drdrill import tls
from drdrill.clock import Clock
from drdrill.plan import Plan
from drdrill.plan.system import FinalReadSpec, Match, SystemContract
from drdrill.replica import Replica
from drdrill.system import h1
from drdrill.system.contract import (
    FinalRead,
    NotDeclared,
    ProbeResult,
    SignalMeaning,
    SystemContext,
    WriteResult,
)
from drdrill.system.jsonpath import PathNotFound, lookup
from drdrill.templates import render, render_body
from drdrill.units import NS_PER_S


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"HTTP {response.status_code} with a body that is not JSON ({exc})") from exc


# What drdrill's own pool sets on every request itself; Accept-Encoding is left out so that the answer comes as is.
_SET_BY_THE_POOL = frozenset({"host", "content-length", "accept-encoding", "connection"})


def _unanswered(exc: httpx.HTTPError) -> WriteResult:
    """A write the system did not answer: failed when nothing reached it, unknown otherwise (Jepsen's info)."""
    if isinstance(exc, httpx.ConnectError):
        return WriteResult("fail", f"connect: {exc}")
    return WriteResult("info", f"{type(exc).__name__}: {exc}")


def _matches(match: Match, document: Any) -> bool:
    try:
        return match.matches(lookup(document, match.path))
    except PathNotFound:
        return False


def _ids(reply: object) -> set[str]:
    """The ids a Redis reply lists (a list, a set, or the keys of a hash)."""
    if isinstance(reply, dict):
        return {str(key) for key in reply}
    if isinstance(reply, list | set | tuple):
        return {str(item) for item in reply}
    raise ValueError(f"a Redis reply that lists no ids: {type(reply).__name__}")


class HttpSystem:
    """The system contract of ``staging_topology.system``, spoken over HTTP with httpx."""

    def __init__(
        self,
        contract: SystemContract | None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.contract = contract or SystemContract()
        # None: the network; tests give an httpx.MockTransport, which serves the async client too
        self._transport = transport
        self._async_transport = async_transport
        if async_transport is None and isinstance(transport, httpx.AsyncBaseTransport):
            self._async_transport = transport
        self._http: httpx.Client | None = None
        self._async_http: httpx.AsyncClient | None = None  # HTTPS, or a test's transport
        self._h1 = h1.H1Pool()
        self._context: SystemContext | None = None

    @classmethod
    def from_plan(cls, plan: Plan) -> HttpSystem:
        """The system the plan declares (an empty contract if it declares none)."""
        return cls(plan.staging_topology.system)

    # -- life cycle ------------------------------------------------------------------------------------

    def open(self, context: SystemContext) -> None:
        self._context = context
        # Enough connections for the workload, the probes and the signal poll at once.
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
        self._http = httpx.Client(limits=limits, timeout=5.0, transport=self._transport, verify=tls.context())
        # The workload's async writes open a connection for every write in flight, if need be: a write never
        # waits for a connection, which would count drdrill's own queue as the system's time.
        self._h1 = h1.H1Pool()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        self._async_http = None  # closed on the workload's loop by close_async()

    @property
    def replica(self) -> Replica:
        """The running replica (after ``open``)."""
        return self._ctx.replica

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def _ctx(self) -> SystemContext:
        if self._context is None:
            raise RuntimeError("the system is not open: the replica is not running yet")
        return self._context

    @property
    def http(self) -> httpx.Client:
        """The shared client (after ``open``)."""
        if self._http is None:
            raise RuntimeError("the system is not open: the replica is not running yet")
        return self._http

    def url(self, template: str, **values: str) -> str:
        """A URL template filled for the running replica."""
        return render(template, self.replica, values)

    # -- the contract ----------------------------------------------------------------------------------

    def payloads(self) -> Sequence[str]:
        return tuple(self.contract.payloads)

    def signal_meanings(self) -> Mapping[str, SignalMeaning]:
        return {
            name: SignalMeaning(spec.normal, frozenset(spec.failed_over), dict(spec.modes))
            for name, spec in self.contract.signals.items()
        }

    def write(self, unit_id: str, payload: str) -> WriteResult:
        request = self._write_request(unit_id, payload)
        try:
            response = self.http.send(request)
        except httpx.HTTPError as exc:
            return _unanswered(exc)
        return self._written(response)

    async def write_async(self, unit_id: str, payload: str) -> WriteResult:
        """:meth:`write` on the workload's event loop: plain HTTP through drdrill's own keep-alive pool
        (:mod:`drdrill.system.h1`, whose cost per write does not grow with the writes in flight), HTTPS or a
        test's transport through an httpx async client."""
        request = self._write_request(unit_id, payload)
        if self._async_transport is not None or request.url.scheme != "http":
            if self._async_http is None:
                self._async_http = httpx.AsyncClient(
                    timeout=5.0, transport=self._async_transport, verify=tls.context()
                )
            try:
                response = await self._async_http.send(request)
            except httpx.HTTPError as exc:
                return _unanswered(exc)
            return self._written(response)
        url = request.url
        timeout = request.extensions.get("timeout", {})
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _SET_BY_THE_POOL]
        try:
            answer = await self._h1.request(
                request.method,
                url.host,
                url.port or 80,
                url.raw_path.decode("ascii"),
                headers,
                request.content,
                timeout.get("read") or 5.0,
            )
        except h1.ConnectError as exc:
            return WriteResult("fail", f"connect: {exc}")  # nothing reached the system
        except (OSError, h11.ProtocolError) as exc:  # a timeout, a broken connection: unknown
            return WriteResult("info", f"{type(exc).__name__}: {exc}")
        return self._written(httpx.Response(answer.status, headers=answer.headers, content=answer.body))

    async def close_async(self) -> None:
        await self._h1.close()
        if self._async_http is not None:
            await self._async_http.aclose()
            self._async_http = None

    def _write_request(self, unit_id: str, payload: str) -> httpx.Request:
        spec = self.contract.write
        if spec is None:
            raise NotDeclared("the plan declares no `write` (staging_topology.system.write)")
        values = {"id": unit_id, "payload": payload}
        request = spec.request
        timeout = request.timeout.total_seconds()
        return self.http.build_request(
            request.method,
            self.url(request.url, **values),
            json=render_body(request.json_body, values),
            headers=request.headers,
            timeout=timeout,
        )

    def _written(self, response: httpx.Response) -> WriteResult:
        """What the system's answer to a write means, by the plan's ``ack`` and ``refused``."""
        spec = self.contract.write
        assert spec is not None  # a request was built
        detail = f"HTTP {response.status_code}"
        if response.status_code in spec.ack.status:
            job_id = None
            if spec.ack.job_id is not None:
                try:
                    job_id = str(lookup(_json(response), spec.ack.job_id))
                except (ValueError, PathNotFound) as exc:
                    # Acknowledged, but without the handle it promised: the write stands, the read-back cannot.
                    return WriteResult("ok", f"{detail}, no job id: {exc}")
            return WriteResult("ok", detail, job_id)
        if response.status_code in spec.refused:
            return WriteResult("fail", detail)
        return WriteResult("info", detail)

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        spec = self.contract.probe
        if spec is None:
            raise NotDeclared("the plan declares no `probe` (staging_topology.system.probe)")
        deadline_ns = self.clock.monotonic_ns() + round(timeout_s * NS_PER_S)
        if spec.health is not None:
            return self._health(timeout_s)
        assert spec.read_back is not None  # one of the two, by the model
        written = self.write(probe_id, payload)
        if written.outcome != "ok":
            return ProbeResult(False, f"write not acknowledged: {written.detail}")
        read = spec.read_back
        url = self.url(read.url, id=probe_id, job_id=written.job_id or "")
        last = "no answer yet"
        while True:
            left_s = (deadline_ns - self.clock.monotonic_ns()) / NS_PER_S
            if left_s <= 0:
                return ProbeResult(False, f"not done within {timeout_s:g} s; last read: {last}")
            try:
                got = self.http.get(url, timeout=max(0.05, min(left_s, 2.0)))
                last = f"HTTP {got.status_code}"
                if got.status_code == 200:
                    document = _json(got)
                    if _matches(read.done, document):
                        return ProbeResult(True, "done")
                    # Say what the plan's path found, so a wrong path does not look like a slow system.
                    try:
                        last = f"{read.done.path} = {json.dumps(lookup(document, read.done.path))[:80]}"
                    except PathNotFound:
                        last = (
                            f"the answer has no {read.done.path!r} (read_back.done.path in plan.yaml): "
                            f"{json.dumps(document)[:120]}"
                        )
                    if read.failed is not None and _matches(read.failed, document):
                        return ProbeResult(False, f"the system gave up on it: {json.dumps(document)[:200]}")
            except httpx.HTTPError as exc:
                return ProbeResult(False, f"unreachable while reading back: {type(exc).__name__}")
            except ValueError as exc:
                return ProbeResult(False, str(exc))
            self.clock.sleep(min(read.poll.total_seconds(), max(left_s, 0.0)))

    def _health(self, timeout_s: float) -> ProbeResult:
        spec = self.contract.probe.health if self.contract.probe else None
        assert spec is not None
        started = self.clock.monotonic_ns()
        try:
            got = self.http.get(self.url(spec.url), timeout=timeout_s)
        except httpx.HTTPError as exc:
            return ProbeResult(False, f"unreachable: {type(exc).__name__}")
        took_s = (self.clock.monotonic_ns() - started) / NS_PER_S
        if got.status_code not in spec.status:
            return ProbeResult(False, f"HTTP {got.status_code}")
        if spec.within is not None and took_s > spec.within.total_seconds():
            return ProbeResult(
                False, f"answered in {took_s:.3f} s, over the bound of {spec.within.total_seconds():g} s"
            )
        return ProbeResult(True, f"HTTP {got.status_code} in {took_s:.3f} s")

    def final_read(self) -> FinalRead:
        spec = self.contract.final_read
        if spec is None:
            raise NotDeclared("the plan declares no `final_read` (staging_topology.system.final_read)")
        if spec.url is None or spec.items is None:
            return self._store_read(spec)
        url = self.url(spec.url)
        response = self.http.get(url, timeout=spec.timeout.total_seconds())
        response.raise_for_status()
        items = lookup(_json(response), spec.items)
        if not isinstance(items, list):
            raise ValueError(f"{spec.items!r} of the answer of {url} is not a list")
        held: set[str] = set()
        done: set[str] = set()
        times: dict[str, int] = {}
        outputs: dict[str, str] = {}
        for item in items:
            unit = str(lookup(item, spec.id))
            held.add(unit)
            if spec.done is None or _matches(spec.done, item):
                done.add(unit)
            if spec.times is not None:
                # an item that does not say is not counted as done twice
                with contextlib.suppress(PathNotFound, TypeError, ValueError):
                    times[unit] = int(lookup(item, spec.times))
            if spec.output is not None:
                with contextlib.suppress(PathNotFound):
                    found = lookup(item, spec.output)
                    if found is not None:
                        outputs[unit] = str(found)
        return FinalRead(frozenset(held), frozenset(done), f"{len(held)} listed by {url}", times, outputs)

    def _store_read(self, spec: FinalReadSpec) -> FinalRead:
        """The final read straight from a data store: Redis commands, or one SQL query."""
        stores = self._ctx.stores
        if stores is None or spec.store is None:
            raise NotDeclared("the final read names a data store, and the drill gives the system none")
        if spec.redis is not None:
            with stores.key_value(spec.store) as kv:
                held = _ids(kv.command(*spec.redis.held))
                done = _ids(kv.command(*spec.redis.done))
                raw = kv.command(*spec.redis.outputs) if spec.redis.outputs is not None else {}
            outputs = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
            detail = f"{len(held | done)} held, {len(done)} done in data store {spec.store}"
            return FinalRead(frozenset(held | done), frozenset(done), detail, outputs=outputs)
        assert spec.sql is not None
        with stores.sql(spec.store) as db:
            rows = db.query(spec.sql)
        held_ids: set[str] = set()
        done_ids: set[str] = set()
        times: dict[str, int] = {}
        outputs = {}
        for row in rows:
            if not row:
                continue
            unit = str(row[0])
            held_ids.add(unit)
            if len(row) < 2 or row[1] is True:
                done_ids.add(unit)
            if len(row) > 2 and isinstance(row[2], int):
                times[unit] = row[2]
            if len(row) > 3 and row[3] is not None:
                outputs[unit] = str(row[3])
        detail = f"{len(held_ids)} rows of data store {spec.store}"
        return FinalRead(frozenset(held_ids), frozenset(done_ids), detail, times, outputs)

    def search(self, query: str, k: int) -> Sequence[str]:
        """The ids the plan's ``search`` request answers, nearest first (at most ``k``)."""
        spec = self.contract.search
        if spec is None:
            raise NotDeclared("the plan declares no `search` (staging_topology.system.search)")
        values = {"query": query, "k": str(k)}
        request = spec.request
        response = self.http.request(
            request.method,
            self.url(request.url, **values),
            json=render_body(request.json_body, values),
            headers=request.headers,
            timeout=request.timeout.total_seconds(),
        )
        response.raise_for_status()
        results = lookup(_json(response), spec.results)
        if not isinstance(results, list):
            raise ValueError(f"{spec.results!r} of the search answer is not a list")
        return [str(lookup(item, spec.id)) for item in results][:k]

    def signals(self) -> Mapping[str, str]:
        found: dict[str, str] = {}
        answers: dict[str, Any] = {}
        for name, spec in self.contract.signals.items():
            if spec.url is None or spec.path is None:
                continue  # a Python system reads this one itself
            url = self.url(spec.url)
            try:
                if url not in answers:
                    answers[url] = _json(self.http.get(url, timeout=1.0))
                found[name] = str(lookup(answers[url], spec.path))
            except (httpx.HTTPError, ValueError, PathNotFound) as exc:
                found[name] = f"unreadable ({type(exc).__name__})"
        return found
