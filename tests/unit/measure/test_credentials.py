"""A leaked secret's uses read back from literal journals: when every place refused it for good, which place
still accepted it at the revert, and the secret_refused verdict's exact words."""

from __future__ import annotations

from typing import Any

from drdrill.journal import TRACE, Kind, Type
from drdrill.measure.credentials import leak_results
from drdrill.measure.verdicts import Objectives, Verdict, Words, judge, measure
from tests.unit.measure.drill_timeline import DrillScript, s

OBJECTIVES = Objectives(
    rto_ns=s(3600), rpo_ns=0, recovery_bound_ns=s(30), steady_window_ns=s(2), unit=Words("ticket", "tickets")
)
LABEL = "leak_secret worker (api-key, from API_KEY; used at provider, gateway)"


def _drill(uses: dict[str, list[tuple[float, int]]]) -> DrillScript:
    """Probes all good; the leak held 10 s; each place's calls (seconds after the leak, status) as the fault's
    end event carries them."""
    d = DrillScript()
    d.probes(True, 4, latency=0.1)
    start = d.fault(Type.START, LABEL)
    for _ in range(20):
        d.probe(True, latency=0.1)
        d.wait(0.4)
    trace: dict[str, Any] = {
        "secret": "api-key",
        "fingerprint": "sha256:0123456789ab",
        "uses": {
            name: {"refused": [401, 403], "calls": [[start + s(at), status] for at, status in calls]}
            for name, calls in uses.items()
        },
    }
    d.journal.record(Kind.FAULT, Type.END, LABEL, value="worker", data={TRACE: trace})
    return d


def _verdict(d: DrillScript) -> Verdict:
    [found] = [v for v in judge(measure(d.events(), s(2)), OBJECTIVES) if v.name == "secret_refused"]
    return found


def test_refused_everywhere_from_the_first_refusal_the_last_place_gave_for_good() -> None:
    d = _drill(
        {
            "provider": [(0.1, 200), (1.0, 200), (2.0, 401), (3.0, 0), (4.0, 401)],
            "gateway": [(0.2, 200), (2.5, 403), (3.5, 200), (5.0, 403), (6.0, 403)],  # accepted once more
        }
    )
    [leak] = leak_results(d.events())
    provider, gateway = leak.places
    assert (provider.calls, provider.accepted, provider.refused, provider.unanswered) == (5, 2, 2, 1)
    assert provider.refused_since_ns == s(2.0) and provider.last_accepted_ns == s(1.0)
    assert gateway.refused_since_ns == s(5.0) and not gateway.still_accepts
    assert leak.refused_everywhere_ns == s(5.0)
    verdict = _verdict(d)
    assert (verdict.outcome, verdict.measured) == ("pass", "refused everywhere after 5.00 s")
    assert verdict.message == (
        "the leaked api-key was refused by every place that took it (provider, gateway) 5.00 s after the leak"
    )
    assert (
        verdict.objective == "refused by every place that took it within 30.0 s of the leak, and ever after"
    )


def test_a_place_still_accepting_it_at_the_revert_is_named_with_its_figures() -> None:
    d = _drill(
        {
            "provider": [(0.1, 200), (2.0, 401), (4.0, 401)],
            "gateway": [(0.2, 200), (3.0, 200), (7.5, 200), (8.0, 0)],  # no answer says nothing either way
        }
    )
    [leak] = leak_results(d.events())
    assert [p.name for p in leak.accepting] == ["gateway"] and leak.refused_everywhere_ns is None
    verdict = _verdict(d)
    assert (verdict.outcome, verdict.measured) == ("fail", "still accepted by gateway")
    assert verdict.message == (
        "the leaked api-key was still accepted when the fault was reverted by gateway: gateway accepted 3 of 4 "
        "calls with it, the last 7.50 s after the leak"
    )


def test_refused_only_after_the_bound_misses_it_by_the_difference() -> None:
    bound = Objectives(
        rto_ns=s(3600), rpo_ns=0, recovery_bound_ns=s(3), steady_window_ns=s(2), unit=Words("t", "ts")
    )
    d = _drill({"provider": [(0.1, 200), (4.5, 401), (6.0, 401)]})
    [verdict] = [v for v in judge(measure(d.events(), s(2)), bound) if v.name == "secret_refused"]
    assert verdict.outcome == "fail"
    assert verdict.message == (
        "the leaked api-key was refused by every place that took it (provider) only 4.50 s after the leak, "
        "1.50 s over the bound of 3.00 s"
    )


def test_a_place_that_never_answered_leaves_it_unjudged_never_passed() -> None:
    d = _drill({"provider": [(0.1, 200), (2.0, 401)], "gateway": [(0.1, 0), (1.0, 503)]})
    verdict = _verdict(d)
    assert (verdict.outcome, verdict.measured) == ("unknown", "not measured")
    assert verdict.message == "not judged: no call with the leaked api-key got an answer from gateway"


def test_a_drill_without_a_leak_has_no_such_verdict() -> None:
    d = DrillScript()
    d.probes(True, 4, latency=0.1)
    assert leak_results(d.events()) == ()
    assert "secret_refused" not in [v.name for v in judge(measure(d.events(), s(2)), OBJECTIVES)]
