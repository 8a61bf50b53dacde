"""The claim ledger against Jepsen's set checker: attempted, acknowledged, read back, lost, recovered."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drdrill.journal import Kind, Type
from drdrill.measure.ledger import FINAL_READ, SUBMIT, Ledger, build_ledger
from tests.unit.measure.drill_timeline import DrillScript, StandardDrill, s


def test_ledger_of_a_realistic_drill() -> None:
    ledger = build_ledger(StandardDrill().events)

    assert ledger == Ledger(
        attempted=frozenset({"c1", "c2", "c3", "c4", "c5", "c6"}),
        acknowledged=frozenset({"c1", "c2", "c6"}),
        failed=frozenset({"c3"}),
        indeterminate=frozenset({"c4", "c5"}),
        read=frozenset({"c1", "c2", "c4", "c6"}),
        processed=frozenset({"c1", "c2", "c6"}),
        read_done=True,
    )
    assert ledger.lost == frozenset()
    assert ledger.unexpected == frozenset()
    assert ledger.recovered == frozenset({"c4"})
    assert ledger.unprocessed == frozenset()
    assert ledger.counts() == {
        "attempted": 6,
        "acknowledged": 3,
        "failed": 1,
        "indeterminate": 2,
        "read": 4,
        "processed": 3,
        "unprocessed": 0,
        "lost": 0,
        "unexpected": 0,
        "recovered": 1,
    }


def test_an_empty_journal_gives_an_empty_ledger() -> None:
    ledger = build_ledger([])

    assert ledger.read_done is False
    assert set(ledger.counts().values()) == {0}
    assert ledger.lost_window_ns() == 0


def test_invoked_but_never_completed_is_indeterminate_never_failed() -> None:
    d = DrillScript()
    d.invoke("c1")
    d.wait(30)
    d.final_read(processed=[])

    ledger = build_ledger(d.events())

    assert ledger.indeterminate == frozenset({"c1"})
    assert ledger.failed == frozenset()
    assert ledger.acknowledged == frozenset()
    assert ledger.lost == frozenset()


def test_a_timeout_is_indeterminate_never_failed() -> None:
    d = DrillScript()
    d.submit("c1", Type.INFO, latency=30)
    d.submit("c2", Type.FAIL)
    d.final_read(processed=[])

    ledger = build_ledger(d.events())

    assert ledger.indeterminate == frozenset({"c1"})
    assert ledger.failed == frozenset({"c2"})


def test_lost_is_acknowledged_minus_read() -> None:
    d = DrillScript()
    for claim in ("c1", "c2", "c3", "c4"):
        d.submit(claim, Type.OK)
    d.final_read(processed=["c1"], pending=["c3"])

    ledger = build_ledger(d.events())

    assert ledger.lost == frozenset({"c2", "c4"})
    assert ledger.unprocessed == frozenset({"c3"})


def test_lost_is_empty_until_the_final_read_is_done() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.submit("c2", Type.OK)
    assert build_ledger(d.events()).lost == frozenset()

    d.journal.record(Kind.READ, Type.INVOKE, FINAL_READ, process="reader")
    assert build_ledger(d.events()).read_done is False
    assert build_ledger(d.events()).lost == frozenset()

    d.journal.record(Kind.READ, Type.FAIL, FINAL_READ, process="reader", data={"processed": ["c1"]})
    failed_read = build_ledger(d.events())
    assert failed_read.read_done is False
    assert failed_read.read == frozenset()
    assert failed_read.lost == frozenset()

    d.final_read(processed=["c1"])
    done = build_ledger(d.events())
    assert done.read_done is True
    assert done.lost == frozenset({"c2"})


def test_a_read_of_another_name_is_not_the_final_read() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.journal.record(Kind.READ, Type.OK, "spot-check", data={"processed": []})

    assert build_ledger(d.events()).read_done is False


def test_unexpected_is_read_minus_attempted() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.final_read(processed=["c1", "ghost-1"], pending=["ghost-2"])

    ledger = build_ledger(d.events())

    assert ledger.unexpected == frozenset({"ghost-1", "ghost-2"})
    assert ledger.recovered == frozenset()
    assert ledger.lost == frozenset()


def test_recovered_is_read_and_attempted_minus_acknowledged() -> None:
    d = DrillScript()
    d.submit("timed-out", Type.INFO)
    d.submit("failed", Type.FAIL)
    d.submit("never-answered", None)
    d.submit("acked", Type.OK)
    d.submit("timed-out-and-gone", Type.INFO)
    d.final_read(processed=["timed-out", "acked"], pending=["failed", "never-answered", "ghost"])

    ledger = build_ledger(d.events())

    assert ledger.recovered == frozenset({"timed-out", "failed", "never-answered"})
    assert ledger.unexpected == frozenset({"ghost"})
    assert ledger.lost == frozenset()


def test_other_operations_and_unnamed_claims_are_not_in_the_ledger() -> None:
    d = DrillScript()
    d.journal.record(Kind.OP, Type.INVOKE, "classify", value="c9")
    d.journal.record(Kind.OP, Type.OK, "classify", value="c9")
    d.journal.record(Kind.OP, Type.INVOKE, SUBMIT)  # no claim id
    d.journal.record(Kind.OP, Type.OK, SUBMIT)
    d.journal.record(Kind.NOTE, Type.OK, SUBMIT, value="c8")

    ledger = build_ledger(d.events())

    assert ledger.attempted == frozenset()
    assert ledger.acknowledged == frozenset()


def test_lost_window_spans_the_acknowledgement_times_of_the_lost_claims() -> None:
    d = DrillScript()
    d.submit("kept-early", Type.OK)
    d.wait(5)
    first_lost = d.submit("lost-1", Type.OK)
    d.wait(1)
    d.submit("lost-2", Type.OK)
    d.wait(2)
    last_lost = d.submit("lost-3", Type.OK)
    d.wait(10)
    d.submit("kept-late", Type.OK)
    d.final_read(processed=["kept-early", "kept-late"])

    ledger = build_ledger(d.events())

    assert ledger.lost == frozenset({"lost-1", "lost-2", "lost-3"})
    assert first_lost is not None
    assert last_lost is not None
    assert ledger.lost_window_ns() == last_lost - first_lost == s(3.2)


def test_lost_window_of_one_lost_claim_or_none_is_zero() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.wait(3)
    d.submit("c2", Type.OK)
    d.final_read(processed=["c1"])
    assert build_ledger(d.events()).lost_window_ns() == 0

    d.final_read(processed=["c1", "c2"])  # a later final read replaces the earlier one
    ledger = build_ledger(d.events())
    assert ledger.lost == frozenset()
    assert ledger.lost_window_ns() == 0


def test_interleaved_writers() -> None:
    d = DrillScript()
    d.invoke("a", process="writer-1")
    d.invoke("b", process="writer-2")
    d.wait(1)
    d.complete("b", Type.OK, process="writer-2")
    d.invoke("c", process="writer-2")
    d.complete("a", Type.FAIL, process="writer-1")
    d.complete("c", Type.INFO, process="writer-2")
    d.final_read(processed=["b"])

    ledger = build_ledger(d.events())

    assert ledger.acknowledged == frozenset({"b"})
    assert ledger.failed == frozenset({"a"})
    assert ledger.indeterminate == frozenset({"c"})
    assert ledger.lost == frozenset()


# property: the set identities of Jepsen's set checker hold for any history

OUTCOMES = (None, Type.OK, Type.FAIL, Type.INFO)  # None: invoked, never completed


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, Type | None], list[str], set[str], set[str], bool]:
    """Claim outcomes, the order of their steps, the final read (processed, pending), and whether it ran."""
    claims = draw(st.lists(st.sampled_from([f"c{i}" for i in range(12)]), unique=True, max_size=12))
    outcomes = {claim: draw(st.sampled_from(OUTCOMES)) for claim in claims}
    steps = [c for c in claims for _ in range(1 if outcomes[c] is None else 2)]
    order = draw(st.permutations(steps))
    universe = [*claims, "g1", "g2", "g3"]  # g*: never submitted
    processed = draw(st.sets(st.sampled_from(universe)))
    pending = draw(st.sets(st.sampled_from(universe))) - processed
    return outcomes, order, processed, pending, draw(st.booleans())


@settings(max_examples=200, deadline=None)
@given(history=histories(), gap_ms=st.integers(min_value=1, max_value=5_000))
def test_ledger_set_identities(
    history: tuple[dict[str, Type | None], list[str], set[str], set[str], bool], gap_ms: int
) -> None:
    outcomes, order, processed, pending, read_done = history
    d = DrillScript()
    invoked: set[str] = set()
    ack_ns: dict[str, int] = {}
    for claim in order:
        if claim not in invoked:  # the first step of a claim is its invocation
            invoked.add(claim)
            d.invoke(claim)
        else:
            outcome = outcomes[claim]
            assert outcome is not None
            t = d.complete(claim, outcome)
            if outcome is Type.OK:
                ack_ns[claim] = t
        d.wait(gap_ms / 1000)
    if read_done:
        d.final_read(processed, pending)

    ledger = build_ledger(d.events())

    attempted = set(outcomes)
    acknowledged = {c for c, o in outcomes.items() if o is Type.OK}
    read = (processed | pending) if read_done else set()
    assert ledger.attempted == attempted
    assert ledger.acknowledged == acknowledged
    assert ledger.failed == {c for c, o in outcomes.items() if o is Type.FAIL}
    assert ledger.indeterminate == {c for c, o in outcomes.items() if o in (None, Type.INFO)}
    # every attempt ends in exactly one of the three outcomes
    assert ledger.acknowledged | ledger.failed | ledger.indeterminate == ledger.attempted
    assert not (ledger.acknowledged & ledger.failed)
    assert not (ledger.acknowledged & ledger.indeterminate)
    assert not (ledger.failed & ledger.indeterminate)
    assert ledger.read_done is read_done
    assert ledger.read == read
    assert ledger.lost == ((acknowledged - read) if read_done else set())
    assert ledger.unexpected == read - attempted
    assert ledger.recovered == (read & attempted) - acknowledged
    assert ledger.unprocessed == (acknowledged & read) - (processed if read_done else set())
    assert ledger.lost <= ledger.acknowledged
    assert not (ledger.lost & ledger.read)
    assert not (ledger.recovered & ledger.acknowledged)
    lost_times = [ack_ns[c] for c in ledger.lost]
    assert ledger.lost_window_ns() == (max(lost_times) - min(lost_times) if lost_times else 0)
    assert ledger.counts() == {
        "attempted": len(attempted),
        "acknowledged": len(acknowledged),
        "failed": len(ledger.failed),
        "indeterminate": len(ledger.indeterminate),
        "read": len(read),
        "processed": len(ledger.processed & acknowledged),
        "unprocessed": len(ledger.unprocessed),
        "lost": len(ledger.lost),
        "unexpected": len(ledger.unexpected),
        "recovered": len(ledger.recovered),
    }
