"""The verify phase's scores after recovery, through the system contract: the golden set's accuracy and the
derived index's recall@k.

- Golden set: every input is written like a unit of work (``write``, several at once: the contract makes it
  thread-safe), with an id of its own (by the drain, once the system has caught up, so that the set is
  processed while the drain waits for the client notices), then in the verify phase the final read is polled, often for the first seconds and less often
  after, until each is done (or the set's timeout); what the system made of it (``FinalRead.outputs``) is
  compared with the expected output. An input never answered counts as wrong.
- Index recall: each query of the query set goes to the system's ``search`` for its ``k`` nearest; recall@k is
  the share of the exact ``k`` nearest it returned, averaged over the queries.

Each is journalled as a check: ``invoke``, then ``ok`` / ``fail`` with the score, or ``info`` with why it could
not be measured (never a score of 0 for a figure nobody measured).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from drdrill.journal import GOLDEN_SET, INDEX_RECALL, Kind, Type
from drdrill.plan.errors import PlanIssue
from drdrill.plan.testsets import GoldenItem, Query, read_golden_set, read_query_set
from drdrill.run.context import DrillContext
from drdrill.system import FinalRead, NotDeclared, Searches
from drdrill.units import ns

GOLDEN_WRITERS = 8  # golden inputs written at once (40 one after another took 0.2 s on the bundled replica)
# The waits between final reads: every 0.1 s for the first two seconds (a set is often done within one), then
# every 0.5 s; a read lists every unit, one request.
GOLDEN_POLL_S = (0.05, *(0.1,) * 20, 0.5)
MISSES_KEPT = 10  # wrong items the journal keeps (the score counts them all)


def _unknown(ctx: DrillContext, name: str, minimum: float, why: str) -> None:
    ctx.journal.record(Kind.CHECK, Type.INFO, name, data={"minimum": minimum, "why": why[:1000]})


def _scored(ctx: DrillContext, name: str, minimum: float, score: float, data: Mapping[str, object]) -> None:
    outcome = Type.OK if score >= minimum else Type.FAIL
    ctx.journal.record(Kind.CHECK, outcome, name, data={"minimum": minimum, "score": score, **data})


@dataclass(frozen=True)
class GoldenRun:
    """The golden set, written through the system and waiting to be scored."""

    ids: tuple[str, ...]
    items: tuple[GoldenItem, ...]
    minimum: float
    deadline_ns: int  # the set's timeout, from its writing


def submit_golden_set(ctx: DrillContext) -> None:
    """Write the golden set through the system now; :func:`golden_set` scores it in the verify phase.

    The drain calls this once every acknowledged unit is done (the system has recovered and caught up), before
    it waits for the client notices: the set is processed meanwhile instead of after. Its units are journalled
    with the check's invocation, so the ledger leaves them out of the final read (they are the drill's own, as
    the probes' units are)."""
    spec = ctx.scenario.verification.golden_set
    if spec is None or ctx.golden_submitted:
        return
    ctx.golden_submitted = True
    minimum = spec.min_accuracy
    items = read_golden_set(ctx.scenario, spec)
    if isinstance(items, PlanIssue):
        ctx.journal.record(Kind.CHECK, Type.INVOKE, GOLDEN_SET, data={"minimum": minimum, "path": spec.path})
        _unknown(ctx, GOLDEN_SET, minimum, f"not measured, because the golden set cannot be read: {items}")
        return
    ids = tuple(f"{ctx.settings.run_id}-golden-{i:04d}" for i in range(len(items)))
    ctx.journal.record(
        Kind.CHECK, Type.INVOKE, GOLDEN_SET, data={"minimum": minimum, "path": spec.path, "units": list(ids)}
    )
    deadline_ns = ctx.clock.monotonic_ns() + ns(spec.timeout)
    try:
        with ThreadPoolExecutor(GOLDEN_WRITERS, thread_name_prefix="drdrill-golden") as pool:
            list(pool.map(ctx.system.write, ids, [item.input for item in items]))
    except NotDeclared as exc:
        _unknown(ctx, GOLDEN_SET, minimum, f"not measured, because {exc}")
        return
    ctx.golden = GoldenRun(ids, tuple(items), minimum, deadline_ns)


def golden_set(ctx: DrillContext) -> None:
    """Score what the system made of each input of the golden set (written now, if the drain did not)."""
    submit_golden_set(ctx)
    run, ctx.golden = ctx.golden, None
    if run is None:
        return
    read = _await_answers(ctx, frozenset(run.ids), run.deadline_ns)
    if isinstance(read, str):
        _unknown(ctx, GOLDEN_SET, run.minimum, read)
        return
    answered = [unit for unit in run.ids if unit in read.done]
    if answered and not any(unit in read.outputs for unit in answered):
        why = (
            "not measured, because the final read does not say what the system made of a unit: declare "
            "staging_topology.system.final_read.output (a JSON path, e.g. label), or return FinalRead.outputs"
        )
        _unknown(ctx, GOLDEN_SET, run.minimum, why)
        return
    score, data = _golden_score(run.ids, run.items, read)
    _scored(ctx, GOLDEN_SET, run.minimum, score, data)


def _await_answers(ctx: DrillContext, wanted: frozenset[str], deadline: int) -> FinalRead | str:
    """The final read once every unit in ``wanted`` is done (or the monotonic ``deadline`` passed); a string says
    why none."""
    waits = poll_waits()
    while True:
        try:
            read = ctx.system.final_read()
        except NotDeclared as exc:
            return f"not measured, because {exc}"
        except Exception as exc:  # the system's read failed: the score is unknown, never 0
            return f"not measured, because the final read failed: {type(exc).__name__}: {exc}"
        if wanted <= read.done or ctx.clock.monotonic_ns() >= deadline:
            return read
        ctx.wait(next(waits))


def poll_waits(waits: Sequence[float] = GOLDEN_POLL_S) -> Iterator[float]:
    """The waits between final reads: ``waits`` in turn, then the last of them for as long as it takes."""
    yield from waits
    while True:
        yield waits[-1]


def _golden_score(
    ids: Sequence[str], items: Sequence[GoldenItem], read: FinalRead
) -> tuple[float, dict[str, object]]:
    right = 0
    misses: list[dict[str, str]] = []
    for unit, item in zip(ids, items, strict=True):
        got = read.outputs.get(unit) if unit in read.done else None
        if got == item.expected:
            right += 1
        elif len(misses) < MISSES_KEPT:
            misses.append({"text": item.input[:300], "expected": item.expected, "got": got or "(no answer)"})
    answered = sum(1 for unit in ids if unit in read.done)
    return right / len(items), {"right": right, "total": len(items), "answered": answered, "misses": misses}


def index_recall(ctx: DrillContext) -> None:
    """Ask the system's search for each query's nearest and measure recall@k against the exact ones."""
    spec = ctx.scenario.verification.index_recall
    if spec is None:
        return
    minimum = spec.min_recall
    data: dict[str, object] = {"minimum": minimum, "k": spec.k, "path": spec.queries}
    ctx.journal.record(Kind.CHECK, Type.INVOKE, INDEX_RECALL, data=data)
    queries = read_query_set(ctx.scenario, spec)
    if isinstance(queries, PlanIssue):
        _unknown(ctx, INDEX_RECALL, minimum, f"not measured, because the query set cannot be read: {queries}")
        return
    system = ctx.system
    if not isinstance(system, Searches):
        why = (
            "not measured, because the system has no search: declare staging_topology.system.search, or give "
            "your Python system a search(query, k) method"
        )
        _unknown(ctx, INDEX_RECALL, minimum, why)
        return
    try:
        found = [list(system.search(q.query, spec.k))[: spec.k] for q in queries]
    except NotDeclared as exc:
        _unknown(ctx, INDEX_RECALL, minimum, f"not measured, because {exc}")
        return
    except Exception as exc:  # the search failed: recall is unknown, never 0
        why = f"not measured, because the search failed: {type(exc).__name__}: {exc}"
        _unknown(ctx, INDEX_RECALL, minimum, why)
        return
    score, data = _recall_score(queries, found, spec.k)
    _scored(ctx, INDEX_RECALL, minimum, score, {"k": spec.k, **data})


def _recall_score(
    queries: Sequence[Query], found: Sequence[Sequence[str]], k: int
) -> tuple[float, dict[str, object]]:
    hits = [len(set(got) & set(q.expected[:k])) for q, got in zip(queries, found, strict=True)]
    worst = sorted(range(len(queries)), key=lambda i: (hits[i], i))
    misses = [
        {"text": queries[i].query[:300], "expected": f"{k} nearest", "got": f"{hits[i]} of them"}
        for i in worst[:MISSES_KEPT]
        if hits[i] < k
    ]
    data: dict[str, object] = {
        "right": sum(hits) / k,
        "total": len(queries),
        "answered": sum(1 for got in found if got),
        "misses": misses,
    }
    return sum(hits) / (k * len(queries)), data
